"""The customer's pay page in a real browser (Debian's chromium, driven by Playwright).

A test wallet is injected as `window.ethereum` (EIP-1193): its `request` calls Python, which
holds a real private key and signs typed data with eth_account, answers for the chain it is on,
and forwards reads to the network's JSON-RPC, as a wallet's own node would. Run by
`crates/http/tests/api/pumapay/pay_page.rs`, which starts the server and runs the executor
while this script waits for the payment to run.

  pay_page.py flow  --url URL --spare URL --key 0x… --shots DIR [--axe axe.min.js]
      no wallet → wrong network (switch refused) → network added → test tokens → signature
      rejected → signed, posted, followed until running; the spare request at 390 px.
  pay_page.py after --used URL --expired URL --shots DIR [--axe axe.min.js]
      a signed request (409, its payment followed) and an expired one (410), at 390 px.

Exit status 0 when every check passed; a failed check raises and prints why.
"""

import argparse
import json
import os
import sys
import urllib.request

from eth_account import Account
from eth_account.messages import encode_typed_data
from playwright.sync_api import expect, sync_playwright

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DEFAULT_AXE = os.path.join(REPO, "target", "browser-tools", "node_modules", "axe-core", "axe.min.js")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# The provider the page sees. Each call goes to Python (`__testWallet`); events the wallet
# emits (chainChanged) come back with the answer and are dispatched to the page's listeners.
PROVIDER = """
(() => {
  const listeners = {};
  window.ethereum = {
    isTestWallet: true,
    on(ev, fn) { (listeners[ev] = listeners[ev] || []).push(fn); },
    removeListener(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); },
    async request(args) {
      const out = JSON.parse(await window.__testWallet(args.method, JSON.stringify(args.params || [])));
      for (const [ev, value] of out.events || []) (listeners[ev] || []).forEach((f) => f(value));
      if (out.error) {
        const e = new Error(out.error.message);
        e.code = out.error.code;
        throw e;
      }
      return out.result;
    },
  };
})();
"""


class WalletError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        answer = json.load(res)
    if "error" in answer:
        raise WalletError(answer["error"].get("code", -32603), answer["error"].get("message", "error"))
    return answer["result"]


class Wallet:
    """A wallet with one account, starting on Ethereum main net (chain 1), which it knows."""

    def __init__(self, key):
        self.account = Account.from_key(key)
        self.address = self.account.address
        self.chains = {1: None}  # chain id → JSON-RPC URL (main net: never called here)
        self.current = 1
        self.refuse_switch = False
        self.refuse_signature = False
        self.added = []
        self.signed = []

    def handle(self, method, params_json):
        try:
            result, events = self.dispatch(method, json.loads(params_json))
            return json.dumps({"result": result, "events": events})
        except WalletError as e:
            return json.dumps({"error": {"code": e.code, "message": e.message}})

    def switch_to(self, chain):
        self.current = chain
        return [["chainChanged", hex(chain)]]

    def dispatch(self, method, params):
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [self.address.lower()], []  # as MetaMask: lower case
        if method == "eth_chainId":
            return hex(self.current), []
        if method == "wallet_switchEthereumChain":
            chain = int(params[0]["chainId"], 16)
            if self.refuse_switch:
                raise WalletError(4001, "User rejected the request.")
            if chain not in self.chains:
                raise WalletError(4902, f"Unrecognized chain ID {params[0]['chainId']}.")
            return None, self.switch_to(chain)
        if method == "wallet_addEthereumChain":
            p = params[0]
            chain = int(p["chainId"], 16)
            url = p["rpcUrls"][0]
            # A wallet checks the node answers for the chain it claims.
            served = int(rpc(url, "eth_chainId", []), 16)
            if served != chain:
                raise WalletError(-32602, f"{url} serves chain {served}, not {chain}")
            self.chains[chain] = url
            self.added.append(p)
            return None, self.switch_to(chain)  # as MetaMask: added, then switched to
        if method == "eth_signTypedData_v4":
            who, typed = params
            if who.lower() != self.address.lower():
                raise WalletError(4100, "Unknown account")
            data = json.loads(typed)
            domain_chain = data["domain"]["chainId"]
            domain_chain = int(domain_chain, 0) if isinstance(domain_chain, str) else int(domain_chain)
            if domain_chain != self.current:
                raise WalletError(-32602, f'Provided chainId "{domain_chain}" must match the active chainId "{self.current}"')
            if self.refuse_signature:
                raise WalletError(4001, "User denied message signature.")
            signed = Account.sign_message(encode_typed_data(full_message=data), self.account.key)
            self.signed.append(data["primaryType"])
            return signed.signature.to_0x_hex(), []
        # Everything else is a read the wallet's node answers.
        url = self.chains.get(self.current)
        if not url:
            raise WalletError(4900, "The wallet is not connected to this chain's node")
        return rpc(url, method, params), []


def check(cond, message):
    if not cond:
        raise AssertionError(message)


class Browser:
    def __init__(self, pw, axe, shots):
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        self.axe = axe
        self.shots = shots
        os.makedirs(shots, exist_ok=True)

    def page(self, width, wallet=None):
        ctx = self.browser.new_context(
            viewport={"width": width, "height": 900 if width > 500 else 844},
            device_scale_factor=1,
        )
        # axe-core is added before the page's own scripts by the browser itself: the page's
        # CSP forbids inline scripts, so an injected <script> tag would be refused.
        ctx.add_init_script(path=self.axe)
        if wallet is not None:
            ctx.expose_function("__testWallet", wallet.handle)
            ctx.add_init_script(PROVIDER)
        page = ctx.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda m: page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("pageerror", lambda e: page.csp_violations.append(f"page error: {e}"))
        return page

    def shot(self, page, name):
        path = os.path.join(self.shots, name)
        page.screenshot(path=path, full_page=True)
        print("screenshot", path)

    def close(self):
        self.browser.close()


def open_page(page, url, status):
    res = page.goto(url)
    check(res.status == status, f"{url}: status {res.status}, expected {status}")
    headers = res.headers
    check(headers["content-type"].startswith("text/html"), f"content type {headers['content-type']}")
    csp = headers.get("content-security-policy", "")
    check("script-src 'sha256-" in csp and "'unsafe-inline'" not in csp, f"CSP {csp!r}")
    return res


def accessible(page, what):
    """axe-core finds no serious or critical violation; every field is labelled and every
    visible button has a visible name."""
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    for v in result["violations"]:
        print(f"axe {what}: {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
    check(not bad, f"axe: serious/critical violations on {what}: {[v['id'] for v in bad]}")
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input,select,textarea')]"
        ".filter((f) => f.type !== 'hidden' && f.labels.length === 0).map((f) => f.outerHTML)"
    )
    check(not unlabelled, f"fields without a label on {what}: {unlabelled}")
    nameless = page.evaluate(
        "() => [...document.querySelectorAll('button')]"
        ".filter((b) => !b.hidden && b.innerText.trim() === '').map((b) => b.outerHTML)"
    )
    check(not nameless, f"buttons without a visible name on {what}: {nameless}")
    check(not page.csp_violations, f"CSP violations or script errors on {what}: {page.csp_violations}")
    print("accessible:", what)


def fits(page, width, what):
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    check(scroll <= width, f"{what} is {scroll} px wide at {width} px: it scrolls sideways")


def message(page):
    return page.locator("#message")


def flow(args):
    key = args.key
    with sync_playwright() as pw:
        b = Browser(pw, args.axe, args.shots)

        # Without a wallet: the page, its terms, and the words for a missing wallet.
        page = b.page(1280)
        open_page(page, args.url, 200)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        body = page.inner_text("main")
        for words in args.expect:
            check(words in body, f"the page should say {words!r}:\n{body}")
        expect(page.get_by_role("button", name="Connect wallet")).to_be_visible()
        accessible(page, "the page before connecting (1280 px)")
        b.shot(page, "pay-page-1280.png")
        page.get_by_role("button", name="Connect wallet").click()
        expect(message(page)).to_contain_text("No wallet found")
        b.shot(page, "pay-page-no-wallet-1280.png")
        page.context.close()

        # With the test wallet, on main net: switching is refused first.
        wallet = Wallet(key)
        wallet.refuse_switch = True
        page = b.page(1280, wallet)
        open_page(page, args.url, 200)
        page.get_by_role("button", name="Connect wallet").click()
        expect(message(page)).to_contain_text("Wrong network")
        expect(message(page)).to_contain_text("chain id 1,")
        check(page.get_by_role("button", name="Sign").count() == 0 or
              not page.get_by_role("button", name="Sign").is_visible(), "no Sign button on the wrong network")
        accessible(page, "the wrong-network message")
        b.shot(page, "pay-page-wrong-network-1280.png")

        # The wallet does not know the network: the page adds it with the server's JSON-RPC.
        wallet.refuse_switch = False
        page.get_by_role("button", name="Connect wallet").click()
        sign = page.get_by_role("button", name="Sign")
        expect(sign).to_be_visible()
        check(len(wallet.added) == 1, f"the network is added once: {wallet.added}")
        added = wallet.added[0]
        rpc_url = page.locator("#pay").get_attribute("data-rpc-url")
        check(added["rpcUrls"] == [rpc_url] and rpc_url.endswith("/api/v2/open-auth/rpc/3"), f"added {added}")
        check(wallet.current == int(added["chainId"], 16), "the wallet is on the payment's network")
        expect(page.locator("#wallet-state")).to_contain_text("Connected: " + wallet.address.lower()[:6])
        expect(page.locator("#wallet-state")).to_contain_text("Balance: 0.00 PMA")
        check(sign.inner_text().startswith("Sign"), f"the sign button's name: {sign.inner_text()!r}")

        # Test tokens from the faucet.
        page.get_by_role("button", name="Get test tokens").click()
        expect(message(page)).to_contain_text("Test tokens sent: 1.00 ETH and 1000.00 PMA")
        expect(page.locator("#wallet-state")).to_contain_text("Balance: 1000.00 PMA")

        # The customer refuses to sign.
        wallet.refuse_signature = True
        sign.click()
        expect(message(page)).to_contain_text("You rejected the signature of the payment terms")
        check(wallet.signed == [], "nothing was signed")
        accessible(page, "the rejected-signature message")
        b.shot(page, "pay-page-rejected-1280.png")

        # Signed: consent and permit, posted, followed until the payment runs.
        wallet.refuse_signature = False
        sign.click()
        expect(message(page)).to_have_text("Your payment is running.", timeout=90_000)
        check(wallet.signed == ["PullPayment", "Permit"], f"signed {wallet.signed}")
        expect(page.locator("#wallet-state")).to_contain_text("Running")
        accessible(page, "the running payment (1280 px)")
        b.shot(page, "pay-page-running-1280.png")
        page.context.close()

        # A phone: another request, connected and ready to sign, at 390 px.
        wallet = Wallet(key)
        page = b.page(390, wallet)
        open_page(page, args.spare, 200)
        fits(page, 390, "the page before connecting")
        accessible(page, "the page before connecting (390 px)")
        b.shot(page, "pay-page-390.png")
        page.get_by_role("button", name="Connect wallet").click()
        expect(page.get_by_role("button", name="Sign")).to_be_visible()
        fits(page, 390, "the connected page")
        accessible(page, "the connected page (390 px)")
        b.shot(page, "pay-page-connected-390.png")
        page.context.close()
        b.close()
    print("pay page flow: ok")


def after(args):
    with sync_playwright() as pw:
        b = Browser(pw, args.axe, args.shots)
        page = b.page(390)
        open_page(page, args.used, 409)
        expect(message(page)).to_contain_text("already signed")
        expect(page.locator("#wallet-state")).to_contain_text("Running", timeout=30_000)
        check(page.get_by_role("button", name="Connect wallet").count() == 0, "a used request has no Connect")
        fits(page, 390, "the used request")
        accessible(page, "the used request (390 px)")
        b.shot(page, "pay-page-used-390.png")
        page.context.close()

        page = b.page(390)
        open_page(page, args.expired, 410)
        expect(message(page)).to_contain_text("This payment request expired at")
        expect(message(page)).to_contain_text("for a new QR code")
        check(page.get_by_role("button", name="Connect wallet").count() == 0, "an expired request has no Connect")
        fits(page, 390, "the expired request")
        accessible(page, "the expired request (390 px)")
        b.shot(page, "pay-page-expired-390.png")
        page.context.close()
        b.close()
    print("pay page after: ok")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["flow", "after"])
    p.add_argument("--url")
    p.add_argument("--spare")
    p.add_argument("--key")
    p.add_argument("--used")
    p.add_argument("--expired")
    p.add_argument("--expect", action="append", default=[], help="words the page must show")
    p.add_argument("--shots", required=True)
    p.add_argument("--axe", default=os.environ.get("AXE_CORE_JS", DEFAULT_AXE))
    args = p.parse_args()
    if not os.path.exists(args.axe):
        sys.exit(f"axe-core not found at {args.axe} (npm install axe-core, or set AXE_CORE_JS)")
    flow(args) if args.scenario == "flow" else after(args)


if __name__ == "__main__":
    main()
