"""The web stack end to end: the landing page, a page behind login sends to the login page,
a one-time set-password link, a failed login, logging in, a page of the dashboard, logging
out. Environment (besides the harness's): PAYPLANE_EMAIL, PAYPLANE_LINK (the set-password
link's path and query)."""
import os

from harness import Browser, expect, run, step

EMAIL = os.environ["PAYPLANE_EMAIL"]
LINK = os.environ["PAYPLANE_LINK"]
PASSWORD = "correct horse battery"


def main():
    with Browser() as b:
        p = b.page
        step("landing page")
        r = b.goto("/")
        assert r.status == 200, r.status
        csp = r.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
        expect(p.get_by_role("link", name="Accounts dashboard")).to_be_visible()
        expect(p.get_by_role("link", name="Business Console")).to_be_visible()
        expect(p.get_by_role("link", name="Operator")).to_be_visible()
        expect(p.get_by_role("link", name="API documentation")).to_be_visible()
        b.check("landing")

        step("a dashboard page without a session leads to the login page")
        p.get_by_role("link", name="Accounts dashboard").click()
        expect(p).to_have_url(f"{b.page.url.split('/dashboard')[0]}/dashboard/login?next=%2Fdashboard%2Faccounts")
        expect(p.get_by_role("heading", name="Log in to your dashboard")).to_be_visible()

        step("set the password through the one-time link")
        b.goto(LINK)
        expect(p.get_by_text(EMAIL)).to_be_visible()
        p.get_by_label("New password").fill(PASSWORD)
        p.get_by_label("Repeat the password").fill(PASSWORD + "!")
        p.get_by_role("button", name="Set password").click()
        expect(p.get_by_role("alert")).to_contain_text("The two passwords differ")
        p.get_by_label("New password").fill(PASSWORD)
        p.get_by_label("Repeat the password").fill(PASSWORD)
        b.check("set-password", shots=False)
        p.get_by_role("button", name="Set password").click()
        expect(p.get_by_role("status")).to_contain_text("Your password is set")

        step("the link works once")
        r = b.goto(LINK)
        assert r.status == 410, r.status
        expect(p.get_by_role("heading", name="Gone")).to_be_visible()

        step("a wrong password is refused")
        b.goto("/dashboard/login?next=/dashboard/accounts")
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill("not the password")
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("alert")).to_contain_text("Invalid email or password")
        b.check("login")

        step("log in")
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("heading", name="Accounts")).to_be_visible()
        expect(p.get_by_text("test mode", exact=True)).to_be_visible()
        cookies = {c["name"]: c for c in b.context.cookies()}
        session = cookies["pp_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax", session
        assert cookies["pp_csrf"]["httpOnly"] and cookies["pp_csrf"]["sameSite"] == "Strict"
        b.check("accounts-empty", shots=False)

        step("a form without its CSRF token is refused")
        r = p.request.post(
            "/dashboard/accounts", form={"currency": "IDR"}, max_redirects=0
        )
        assert r.status == 403, r.status

        step("log out")
        p.get_by_role("button", name="Log out").click()
        expect(p.get_by_role("status")).to_contain_text("You are logged out")
        b.goto("/dashboard/accounts")
        expect(p.get_by_role("heading", name="Log in to your dashboard")).to_be_visible()


run(main)
