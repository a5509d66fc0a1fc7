"""The operator pages: an admin logs in, approves a business's KYC and a payment model from
the review queues (the same use cases as the CLI), runs the ledger check, and redelivers a dead
webhook delivery. Environment (besides the harness's): PAYPLANE_EMAIL, PAYPLANE_LINK,
PAYPLANE_BUSINESS (its name), PAYPLANE_MODEL (the model's title)."""
import os
import re

from harness import Browser, expect, run, step

EMAIL = os.environ["PAYPLANE_EMAIL"]
LINK = os.environ["PAYPLANE_LINK"]
BUSINESS = os.environ["PAYPLANE_BUSINESS"]
MODEL = os.environ["PAYPLANE_MODEL"]
PASSWORD = "operator password 1"


def main():
    with Browser() as b:
        p = b.page
        step("set a password; the operator pages ask to log in first")
        b.goto(LINK)
        p.get_by_label("New password").fill(PASSWORD)
        p.get_by_label("Repeat the password").fill(PASSWORD)
        p.get_by_role("button", name="Set password").click()
        b.goto("/operator")
        expect(p.get_by_role("heading", name="Log in to your dashboard")).to_be_visible()
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("heading", name="Review queues")).to_be_visible()

        step("the queues show the business and the payment model")
        business = p.get_by_role("row", name=re.compile(BUSINESS))
        expect(business).to_contain_text("KYC")
        expect(business).to_contain_text("details")
        model = p.get_by_role("row", name=re.compile(MODEL))
        expect(model).to_contain_text("subscription")
        b.check("operator-queues")

        step("approve the KYC (which approves the details too)")
        business.get_by_role("button", name=f"Approve KYC: {BUSINESS}").click()
        expect(p.get_by_role("status")).to_contain_text("approve-kyc done")
        expect(p.get_by_role("row", name=re.compile(BUSINESS))).to_have_count(0)

        step("approve the payment model")
        p.get_by_role("button", name=f"Approve {MODEL}").click()
        expect(p.get_by_role("status")).to_contain_text("is now approved")
        expect(p.get_by_text("No payment model is waiting.")).to_be_visible()

        step("the ledger check passes")
        p.get_by_role("navigation", name="Operator").get_by_role("link", name="Ledger check").click()
        expect(p.get_by_text("Every invariant holds.")).to_be_visible()
        b.check("operator-ledger", shots=False)

        step("a dead delivery is redelivered")
        p.get_by_role("navigation", name="Operator").get_by_role("link", name="Failed work").click()
        dead = p.get_by_role("row", name=re.compile("webhook.test"))
        expect(dead).to_contain_text("HTTP 410")
        b.check("operator-failed")
        dead.get_by_role("button", name=re.compile("Redeliver")).click()
        expect(p.get_by_role("status")).to_contain_text("queued for another attempt")
        expect(p.get_by_text("No dead delivery.")).to_be_visible()


run(main)
