"""The Business Console as a business uses it: register, log in, onboard (details, treasury
wallet assigned and confirmed), generate the API key (shown once), create a product with an
image, create a payment model (the form shows only the chosen type's fields and the API's own
messages), see it approved (the test network approves automatically in this test), and make a
QR code for a customer reference; filter the (empty) pull payments and transactions; create a
sub-business and disable it; then, as a business with customers (PAYPLANE_SHOP_EMAIL, prepared
by the test), the earnings chart, pull payments, transactions and a transaction by its hash, and
the settlement balance. Environment (besides the harness's): PAYPLANE_HOOK (a local receiver's
URL for the postbacks), PAYPLANE_SHOP_EMAIL."""
import os
import re
import struct
import tempfile
import time
import zlib

from harness import Browser, expect, run, step

HOOK = os.environ["PAYPLANE_HOOK"]
SHOP_EMAIL = os.environ["PAYPLANE_SHOP_EMAIL"]
EMAIL = "owner@acme.example"
PASSWORD = "correct horse battery"
WALLET = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"


def png(size=96):
    """A small PNG (a diagonal two-colour pattern) to upload as the product image."""
    rows = b"".join(
        b"\x00" + b"".join(
            bytes((29, 95, 191) if (x + y) // 12 % 2 else (240, 196, 64)) for x in range(size)
        )
        for y in range(size)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def nav(p, name):
    p.get_by_role("navigation", name="Console").get_by_role("link", name=name).click()


def main():
    image = os.path.join(tempfile.mkdtemp(), "sneaker.png")
    with open(image, "wb") as f:
        f.write(png())
    with Browser() as b:
        p = b.page

        step("the console asks to log in; register first")
        b.goto("/console")
        expect(p.get_by_role("heading", name="Log in to the Business Console")).to_be_visible()
        b.check("console-login", shots=False)
        p.get_by_role("link", name="Register your business").click()
        p.get_by_label("Company name").fill("Acme Ltd")
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        b.check("console-register", shots=False)
        p.get_by_role("button", name="Register").click()
        expect(p.get_by_role("status")).to_contain_text("Your business is registered")

        step("log in: the onboarding checklist")
        p.get_by_label("Email").fill(EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        expect(p.get_by_role("heading", name="Onboarding")).to_be_visible()
        checklist = p.get_by_role("list", name="Onboarding checklist")
        expect(checklist).to_contain_text("to fill in below")

        step("submit the details: KYC waits for an operator")
        p.get_by_label("Business name").fill("Acme Shoes")
        p.get_by_label("Business type").select_option("3")
        p.get_by_label("Country").select_option("GR")
        p.get_by_label("Industry").select_option("1")
        p.get_by_label("City").fill("Athens")
        p.get_by_role("button", name="Submit details").click()
        expect(p.get_by_role("status")).to_contain_text("Your details are submitted")
        expect(checklist).to_contain_text("submitted, waiting for an operator")

        step("assign and confirm the treasury wallet")
        p.get_by_label("Treasury wallet address").fill(WALLET)
        p.get_by_role("button", name="Assign wallet").click()
        expect(p.get_by_role("status")).to_contain_text("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        p.get_by_role("button", name="Confirm treasury wallet").click()
        expect(p.get_by_role("status")).to_contain_text("The treasury wallet is confirmed")
        expect(checklist).to_contain_text("confirmed")
        b.check("console-onboarding")

        step("developers: the API key, shown once")
        nav(p, "Developers")
        expect(p.get_by_text("No API key yet")).to_be_visible()
        p.get_by_role("button", name="Generate API key").click()
        key = p.locator("#new-key").inner_text().strip()
        assert key.startswith("pma_"), key
        p.reload()
        expect(p.get_by_text(key)).to_have_count(0)
        expect(p.get_by_text("The current key ends with")).to_contain_text(key[-4:])

        step("developers: a postback URL (its secret shown once), a test postback delivered")
        p.get_by_label("Postback URL").fill(HOOK)
        p.get_by_role("button", name="Add postback URL").click()
        expect(p.locator("#postback-secret")).to_contain_text("whsec_")
        expect(p.get_by_role("row", name=re.compile("the whole business"))).to_be_visible()
        p.get_by_role("button", name="Send a test postback").click()
        expect(p.get_by_role("status")).to_contain_text("A test postback")
        deadline = time.time() + 30
        while not p.get_by_role("row", name=re.compile("postback.test.*succeeded")).count():
            assert time.time() < deadline, "the test postback was not delivered"
            time.sleep(1)
            p.reload()
        b.check("console-developers")

        step("a product with an image")
        nav(p, "Products")
        expect(p.get_by_text("No product yet")).to_be_visible()
        p.get_by_label("Product name").fill("Sneaker club")
        p.get_by_label("Category").select_option(index=1)
        p.get_by_label("Image").set_input_files(image)
        expect(p.get_by_role("img", name="Preview of the chosen image")).to_be_visible()
        b.check("console-products", shots=False)
        p.get_by_role("button", name="Create product").click()
        expect(p.get_by_role("status")).to_contain_text("The product Sneaker club is created")
        expect(p.get_by_role("img", name="Image of Sneaker club")).to_be_visible()

        step("a payment model: only the chosen type's fields, the API's messages")
        trial = p.get_by_label(re.compile("^Trial in seconds"))
        payments = p.get_by_label(re.compile("^Number of payments"))
        p.get_by_label(re.compile("^Type")).select_option("2")
        expect(payments).to_be_hidden()
        p.get_by_label(re.compile("^Type")).select_option("5")
        expect(trial).to_be_visible()
        p.get_by_label(re.compile("^Type")).select_option("3")
        expect(trial).to_be_hidden()
        expect(payments).to_be_visible()
        p.get_by_label(re.compile("^Title")).fill("Monthly")
        p.get_by_label(re.compile("^Amount in cents")).fill("2999")
        p.get_by_label(re.compile("^Currency")).select_option("EUR")
        payments.fill("1")
        p.get_by_role("button", name="Create payment model").click()
        expect(p.get_by_role("alert")).to_contain_text(
            "numberOfPayments must be 2 or more for typeID 3 (subscription)"
        )
        b.check("console-model-form")
        payments.fill("12")
        p.get_by_role("button", name="Create payment model").click()
        expect(p.get_by_role("heading", name="Monthly")).to_be_visible()

        step("approved on the test network: a QR code for a customer reference")
        expect(p.locator("#model-status")).to_have_text("APR · Approved")
        expect(p.locator("dl.facts")).to_contain_text("every 30 days, 12 payments")
        p.get_by_label(re.compile("^Customer reference")).fill("customer-42")
        p.get_by_role("button", name="Make QR code").click()
        expect(p.get_by_role("img", name="QR code for customer-42")).to_be_visible()
        link = p.get_by_role("link", name=re.compile("pull-payment-requests"))
        expect(link).to_be_visible()
        b.check("console-qr")

        step("pull payments and transactions: filters usable, nothing signed yet")
        nav(p, "Pull payments")
        p.get_by_label("Status").select_option(label="running")
        p.get_by_role("button", name="Filter").click()
        expect(p.get_by_text("No pull payments")).to_be_visible()
        b.check("console-payments", shots=False)
        nav(p, "Transactions")
        p.get_by_label("From (UTC)").fill("2026-01-01")
        p.get_by_role("button", name="Filter").click()
        expect(p.get_by_text("No transactions")).to_be_visible()
        b.check("console-transactions", shots=False)

        step("PSP: a sub-business, disabled and enabled again")
        nav(p, "Sub-businesses")
        p.get_by_label("Company name").fill("Corner Shop")
        p.get_by_label("Its admin's email").fill("admin@corner.example")
        p.get_by_label("Its admin's password").fill("another good one")
        p.get_by_role("button", name="Create sub-business").click()
        expect(p.get_by_role("status")).to_contain_text("Corner Shop is created")
        p.get_by_role("button", name="Disable Corner Shop").click()
        expect(p.get_by_role("status")).to_contain_text("Corner Shop is disabled")
        expect(p.get_by_role("button", name="Enable Corner Shop")).to_be_visible()
        b.check("console-businesses")

        step("the product lists its model; log out")
        nav(p, "Products")
        p.get_by_role("link", name="Sneaker club").click()
        expect(p.get_by_role("row", name=re.compile("Monthly"))).to_contain_text("APR")
        b.check("console-product")
        p.get_by_role("button", name="Log out").click()
        expect(p.get_by_role("status")).to_contain_text("You are logged out")

        step("a business with customers: earnings chart, pull payments, transactions, settlement")
        p.get_by_label("Email").fill(SHOP_EMAIL)
        p.get_by_label("Password").fill(PASSWORD)
        p.get_by_role("button", name="Log in").click()
        nav(p, "Earnings")
        expect(p.get_by_role("img", name=re.compile("Earnings per day in USD"))).to_be_visible()
        expect(p.locator("#active-customers")).to_have_text("4")
        b.check("console-earnings")
        nav(p, "Pull payments")
        expect(p.get_by_role("row", name=re.compile("ana"))).to_contain_text("running")
        b.check("console-payments")
        nav(p, "Transactions")
        p.get_by_label("Status").select_option(label="failed")
        p.get_by_role("button", name="Filter").click()
        failed = p.get_by_role("row", name=re.compile("emma"))
        expect(failed).to_contain_text("failed")
        p.get_by_label("Status").select_option(label="any")
        p.get_by_role("button", name="Filter").click()
        b.check("console-transactions")
        p.get_by_role("row", name=re.compile("ana")).first.get_by_role("link").first.click()
        expect(p.get_by_role("heading", name="Transaction")).to_be_visible()
        expect(p.locator("dl.facts")).to_contain_text("success")
        nav(p, "Settlement")
        expect(p.get_by_role("region", name="Settlement balance")).to_contain_text("under the threshold")
        b.check("console-settlement", shots=False)


run(main)
