"""What every browser test shares: Debian's headless Chromium driven by Playwright (nothing
is downloaded: the system browser is launched by path), screenshots at 1280 and 390 px,
axe-core injected into each page, and a check that a phone-sized window needs no sideways
scrolling.

A test script is started by a Rust integration test (crates/http/tests/api/browser.rs), which
runs the real server and passes what the script needs in the environment:
  PAYPLANE_BASE   base URL of the server, e.g. http://127.0.0.1:40123
  PAYPLANE_SHOTS  directory for screenshots
  PAYPLANE_AXE    path of axe.min.js (npm axe-core)
and the test's own values (credentials, links). The script exits non-zero on the first failure.
"""
import base64
import hashlib
import hmac
import os
import struct
import sys
import time

from playwright.sync_api import expect, sync_playwright

BASE = os.environ["PAYPLANE_BASE"].rstrip("/")
SHOTS = os.environ.get("PAYPLANE_SHOTS", "target/browser-shots")
AXE = os.environ.get("PAYPLANE_AXE", "")
CHROMIUM = os.environ.get("PAYPLANE_CHROMIUM", "/usr/bin/chromium")

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

# How long a step may wait for the page (ms): the server and its workers share two cores
# with the test.
expect.set_options(timeout=20_000)


def step(message):
    print(f"[browser] {message}", flush=True)


class Browser:
    """A headless Chromium and one page at desktop width; `with Browser() as b:`."""

    def __enter__(self):
        os.makedirs(SHOTS, exist_ok=True)
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # Root in a container has no user namespaces for Chromium's sandbox.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        self.context = self.browser.new_context(viewport=DESKTOP, base_url=BASE)
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.console_errors = []
        self.page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        return self

    def __exit__(self, *exc):
        self.context.close()
        self.browser.close()
        self._pw.stop()
        return False

    def goto(self, path):
        response = self.page.goto(path)
        assert response is not None, f"no response for {path}"
        return response

    def check(self, name, shots=True):
        """The page as it is now: no serious or critical accessibility violation, no CSP or
        script error in the console, usable at phone width; screenshots at both widths when
        `shots` (the main pages)."""
        axe_check(self.page, name)
        csp = [e for e in self.console_errors if "Content Security Policy" in e or "Refused" in e]
        assert not csp, f"{name}: the page broke its CSP: {csp}"
        if shots:
            self.page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        try:
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name}: at 390 px the page is {overflow} px too wide"
            axe_check(self.page, f"{name} (390 px)")
            if shots:
                self.page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
        finally:
            self.page.set_viewport_size(DESKTOP)


def axe_check(page, name):
    """Runs axe-core in the page; fails on any serious or critical violation."""
    if not AXE:
        raise SystemExit("PAYPLANE_AXE is not set: npm axe-core is needed")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # The CSP forbids inline and foreign scripts for the page's own code; Playwright's
        # script injection goes through the DevTools protocol, which the CSP does not govern.
        page.evaluate(open(AXE, encoding="utf-8").read())
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    for v in result:
        step(f"axe {name}: {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
    assert not bad, f"{name}: accessibility violations: {bad}"


def totp(secret_b32, at=None, step_offset=0):
    """The 6-digit code (RFC 6238: SHA-1, 30 s) of an authenticator with this base32 secret."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // 30) + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Codes:
    """Current authenticator codes, each of a later time step than the one before: the server
    accepts a code once, so two uses within one 30 s step would be a replay."""

    def __init__(self, secret):
        self.secret = secret
        self.last = None

    def next(self):
        while True:
            now = int(time.time() // 30)
            # The server accepts the step before and after its own.
            for s in (now - 1, now, now + 1):
                if self.last is None or s > self.last:
                    self.last = s
                    return totp(self.secret, at=s * 30)
            time.sleep(1)


def run(main):
    """Runs a test's main function; any failure prints and exits 1."""
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the exit status is the report
        step(f"FAILED: {type(e).__name__}: {e}")
        sys.exit(1)
    step("passed")
