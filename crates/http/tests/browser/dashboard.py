"""The accounts dashboard as a person uses it: set a password, log in, open an account,
deposit in test mode, add a recipient (checked live), enrol an authenticator in live mode,
withdraw with its code until the withdrawal has succeeded, create and revoke an API token, add
a webhook and see a test delivery succeed, and log in again with the authenticator's code.

Environment (besides the harness's): PAYPLANE_EMAIL, PAYPLANE_LINK, PAYPLANE_HOOK (a local
receiver's URL)."""
import os
import re
import time

from harness import Browser, Codes, expect, run, step

EMAIL = os.environ["PAYPLANE_EMAIL"]
LINK = os.environ["PAYPLANE_LINK"]
HOOK = os.environ["PAYPLANE_HOOK"]
PASSWORD = "correct horse battery"


def nav(p, name):
    p.get_by_role("navigation", name="Dashboard").get_by_role("link", name=name).click()


def main():
    with Browser() as b:
        p = b.page

        step("set a password and log in")
        b.goto(LINK)
        p.get_by_label("New password").fill(PASSWORD)
        p.get_by_label("Repeat the password").fill(PASSWORD)
        p.get_by_role("button", name="Set password").click()
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("heading", name="Accounts")).to_be_visible()

        step("open an IDR account")
        p.get_by_label("Currency").select_option("IDR")
        p.get_by_role("button", name="Open account").click()
        expect(p.get_by_role("status")).to_contain_text("Your IDR account is open")
        expect(p.get_by_role("heading", name=re.compile("IDR account"))).to_be_visible()

        step("deposit in test mode")
        p.get_by_label("Amount (IDR)").fill("1000000")
        p.get_by_role("button", name="Deposit").click()
        expect(p.get_by_role("status")).to_contain_text("Deposited 1000000 IDR")
        expect(p.locator(".figures")).to_contain_text("1,000,000.00 IDR")
        expect(p.get_by_role("cell", name="deposit", exact=True)).to_be_visible()
        b.check("dashboard-account")
        nav(p, "Accounts")
        expect(p.get_by_role("cell", name="1,000,000.00").first).to_be_visible()
        b.check("dashboard-accounts")

        step("add a recipient from the bank directory; its check finishes live")
        nav(p, "Recipients")
        p.get_by_label("Bank (IDR)").select_option("bca")
        p.get_by_label("Account number").fill("12345")
        p.get_by_label("Account holder's name").fill("Budi Santoso")
        p.get_by_role("button", name="Add recipient").click()
        expect(p.get_by_role("alert")).to_contain_text("is 10 digits")
        p.get_by_label("Account number").fill("1234567890")
        p.get_by_label("Account holder's name").fill("Budi Santoso")
        p.get_by_role("button", name="Add recipient").click()
        expect(p.get_by_role("status")).to_contain_text("Budi Santoso was added")
        expect(p.locator(".status", has_text="active")).to_be_visible()
        b.check("dashboard-recipients")

        step("enrol an authenticator (live mode)")
        nav(p, "Two-factor")
        expect(p.get_by_text("Enrolment happens in live mode")).to_be_visible()
        p.get_by_role("button", name="Switch to live mode").click()
        expect(p.get_by_role("status")).to_contain_text("You are now in live mode")
        expect(p.get_by_text("live mode", exact=True)).to_be_visible()
        p.get_by_role("button", name="Show the key").click()
        expect(p.get_by_role("img", name="QR code of the authenticator key")).to_be_visible()
        secret = p.locator("#totp-secret").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        codes = Codes(secret)
        b.check("dashboard-2fa")
        p.get_by_label("Code from the new authenticator").fill("000000")
        p.get_by_role("button", name="Activate authenticator").click()
        expect(p.get_by_role("alert")).to_contain_text("not a current code")
        p.get_by_label("Code from the new authenticator").fill(codes.next())
        p.get_by_role("button", name="Activate authenticator").click()
        expect(p.get_by_role("status")).to_contain_text("Your authenticator is active")
        expect(p.get_by_text("authenticator active")).to_be_visible()
        p.get_by_role("button", name="Switch to test mode").click()
        expect(p.get_by_role("status")).to_contain_text("You are now in test mode")

        step("withdraw: the fee before confirming, then the status live until it succeeds")
        nav(p, "Withdraw")
        p.get_by_label("Amount").fill("150000")
        b.check("dashboard-withdraw")
        p.get_by_role("button", name="Continue").click()
        expect(p.get_by_role("heading", name="Withdrawal of 150,000.00 IDR")).to_be_visible()
        facts = p.locator("dl.facts")
        expect(facts).to_contain_text("Fee")
        expect(facts).to_contain_text("Total from your account")
        b.check("dashboard-withdrawal-review")
        p.get_by_label("Authenticator code", exact=True).fill(codes.next())
        p.get_by_role("button", name="Confirm withdrawal").click()
        expect(p.get_by_role("status")).to_contain_text("Confirmed")
        expect(p.locator(".status", has_text="succeeded")).to_be_visible(timeout=60_000)
        b.check("dashboard-withdrawal-succeeded")
        nav(p, "Accounts")
        p.get_by_role("link", name="IDR account").click()
        expect(p.get_by_role("cell", name="payout", exact=True)).to_be_visible()

        step("API tokens: create (shown once), read-only with an allow-list, revoke")
        nav(p, "API tokens")
        p.get_by_label("Label").fill("billing server")
        p.get_by_label("Read-only").check()
        p.get_by_label("Allowed IP addresses").fill("10.0.0.0/8")
        p.get_by_role("button", name="Generate token").click()
        token = p.locator("#new-token").inner_text().strip()
        assert token.startswith("pp_test_"), token
        row = p.get_by_role("row", name=re.compile("billing server"))
        expect(row).to_contain_text("read-only")
        expect(row).to_contain_text("10.0.0.0/8")
        b.check("dashboard-tokens")
        p.reload()
        expect(p.get_by_text(token)).to_have_count(0)
        row.get_by_role("button", name=re.compile("Revoke")).click()
        expect(p.get_by_role("status")).to_contain_text("The token is revoked")
        expect(p.get_by_role("row", name=re.compile("billing server"))).to_have_count(0)

        step("webhooks: add an endpoint, send a test event, see it delivered")
        nav(p, "Webhooks")
        p.get_by_label("Endpoint URL").fill(HOOK)
        p.get_by_role("button", name="Add endpoint").click()
        expect(p.locator("#signing-secret")).to_contain_text("whsec_")
        p.get_by_role("button", name="Send a test event").click()
        expect(p.get_by_role("status")).to_contain_text("webhook.test")
        deadline = time.time() + 30
        while True:
            if p.get_by_role("row", name=re.compile("webhook.test.*succeeded")).count():
                break
            assert time.time() < deadline, "the test delivery did not succeed"
            time.sleep(1)
            p.reload()
        b.check("dashboard-webhooks")

        step("log out; logging in again needs the authenticator's code")
        p.get_by_role("button", name="Log out").click()
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("alert")).to_contain_text("enter its current code")
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_label("Authenticator code").fill(codes.next())
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("heading", name="Accounts")).to_be_visible()


run(main)
