//! The customer's pay page (issue 16, item 5): the QR code's URL answers HTML to a browser and
//! the wallet's JSON to everyone else; and, in a real browser (Debian's chromium driven by
//! Playwright, `crates/http/tests/browser/pay_page.py`), a test wallet connects, gets test
//! tokens, refuses then signs, and the pull payment runs on the embedded network.
use crate::dual;
use crate::pumapay::executor::{advance, kinds, payment, transactions};
use crate::pumapay::support::*;
use crate::support::*;
use payplane_store::sqlx;
use reqwest::Method;
use serde_json::{Value, json as j};
use sha2::Digest;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a browser sends when it navigates (Chromium's Accept).
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const DAY: i64 = 86_400;

/// A merchant with a product named `product` and an approved trial subscription: 3 days free,
/// then 10.00 USD every 30 days, 12 payments.
async fn subscription(t: &TestApp, product: &str) -> (Biz, String) {
    let biz = business(t).await;
    let (s, body) = send(
        api(t, Method::POST, &format!("/api-key-auth/products/{}", biz.id), &biz).json(&j!({
            "categoryID": 1, "tags": ["news"], "productName": product,
            "productDescription": "Every story, no ads", "productUrl": "https://example.com/pro", "networkID": 3
        })),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let pid = body["data"]["productID"].as_str().unwrap().to_string();
    let mut m = model_body(5, &biz.id, &pid);
    let o = m.as_object_mut().unwrap();
    o.insert("title".into(), j!("Monthly membership"));
    o.insert(
        "description".into(),
        j!("Full access, cancel at any time from your wallet."),
    );
    o.insert("amount".into(), j!(1000));
    o.insert("currency".into(), j!("USD"));
    o.insert("trialPeriod".into(), j!(3 * DAY));
    o.insert("numberOfPayments".into(), j!(12));
    o.insert("frequency".into(), j!(30 * DAY));
    let model = approved_model(t, &biz, &m).await;
    (biz, model)
}

/// A new request of `model`: its QR code, read by `zbarimg`; returns the URL it encodes.
async fn qr_url(t: &TestApp, biz: &Biz, model: &str, reference: &str) -> String {
    let (s, b) = t
        .pumapay(biz)
        .get(&format!(
            "/api-key-auth/qr/pull-payment/{model}/{reference}"
        ))
        .await;
    scan_qr(
        data(s, &b, "Successfully generated QR code")
            .as_str()
            .unwrap(),
    )
}

async fn page(t: &TestApp, url: &str, accept: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = t
        .client
        .get(url)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn request_status(t: &TestApp, url: &str) -> Value {
    let (s, b) = send(t.client.get(format!("{url}/status"))).await;
    data(s, &b, "Successfully retrieved pull payment request status")
}

dual!(
    a_browser_gets_the_pay_page_and_everyone_else_the_json,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, model) = subscription(&t, "Tea & <Biscuits>").await;
        let url = qr_url(&t, &biz, &model, "reader-7").await;
        let id = url.rsplit('/').next().unwrap().to_string();

        let (s, h, html) = page(&t, &url, BROWSER).await;
        assert_eq!(s, 200, "{html}");
        assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&h, "vary"), "Accept");
        for words in [
            "Acme Ltd",
            "Monthly membership",
            "Full access, cancel at any time from your wallet.",
            // The app's wording of the schedule, as the wallet's terms say it.
            "12 monthly payments of 10.00 USD after a 3-day trial",
            "Free trial",
            "3 days",
            "10.00 USD",
            "≈ 1000.00 PMA",
            "12, every 30 days",
            "120.00 USD",
            "≈ 12000.00 PMA",
            "1 PMA = 0.01 USD",
            "Payplane test network <span class=\"note\">chain id 1337</span>",
            ">Connect wallet</button>",
            ">Sign and subscribe</button>",
        ] {
            assert!(html.contains(words), "missing {words:?}:\n{html}");
        }
        // Names are escaped.
        assert!(html.contains("Tea &#38; &#60;Biscuits&#62;"), "{html}");
        assert!(!html.contains("<Biscuits>"));
        // One script, named by its hash in the policy; nothing inline.
        let csp = header(&h, "content-security-policy");
        let js = t.get("/pay/assets/pay.js").send().await.unwrap();
        assert_eq!(js.status(), 200);
        assert_eq!(
            header(js.headers(), "content-type"),
            "text/javascript; charset=utf-8"
        );
        let js = js.bytes().await.unwrap();
        use base64::Engine as _;
        let hash = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&js))
        );
        assert!(
            csp.contains(&format!("script-src '{hash}';")),
            "{csp} / {hash}"
        );
        assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            html.contains(&format!(
                r#"<script src="/pay/assets/pay.js" integrity="{hash}" defer></script>"#
            )),
            "{html}"
        );
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(!html.contains("style=\""), "no inline style: {html}");
        let css = t.get("/pay/assets/pay.css").send().await.unwrap();
        assert_eq!(
            header(css.headers(), "content-type"),
            "text/css; charset=utf-8"
        );
        // The page tells the script where to sign and which network to add.
        assert!(html.contains(&format!(
            r#"data-wallet-path="/api/v2/open-auth/pull-payment-requests/{id}""#
        )));
        assert!(html.contains(&format!(
            r#"data-rpc-url="{}/api/v2/open-auth/rpc/3""#,
            t.base
        )));
        assert!(html.contains(r#"data-chain-id="1337""#));
        assert!(html.contains(r#"data-faucet="true""#));

        // Showing the page fixes nothing: the terms start with the wallet's first read.
        let start: Option<i64> =
            sqlx::query_scalar("SELECT start_time FROM pull_payment_requests WHERE id = $1")
                .bind(&id)
                .fetch_one(&t.app.db.read)
                .await
                .unwrap();
        assert_eq!(start, None);
        let st = request_status(&t, &url).await;
        assert_eq!(st["state"], "open");
        assert_eq!(st["pullPaymentID"], Value::Null);

        // Everyone else gets the JSON, as before: no Accept, */*, JSON, or a tie.
        for accept in [
            None,
            Some("*/*"),
            Some("application/json"),
            Some("text/html, application/json"),
        ] {
            let mut rb = t.client.get(format!("{url}?customerAddress={WALLET}"));
            if let Some(a) = accept {
                rb = rb.header("Accept", a);
            }
            let res = rb.send().await.unwrap();
            assert_eq!(
                header(res.headers(), "content-type"),
                "application/json",
                "{accept:?}"
            );
            let (s, body) = json(res).await;
            let d = data(s, &body, "Successfully retrieved pull payment request");
            assert_eq!(d["consent"]["primaryType"], "PullPayment", "{accept:?}");
            assert_eq!(
                d["terms"]["schedule"],
                "12 monthly payments of 10.00 USD after a 3-day trial"
            );
        }
        let (s, body) = send(t.client.get(&url)).await;
        assert_field(s, &body, "customerAddress", "error.field.required");

        // Unknown requests: a page in words for a browser, the error envelope for the rest.
        let missing = format!("{}/api/v2/open-auth/pull-payment-requests/nope", t.base);
        let (s, h, html) = page(&t, &missing, BROWSER).await;
        assert_eq!(s, 404);
        assert!(header(&h, "content-type").starts_with("text/html"));
        assert!(html.contains("Payment request not found"), "{html}");
        let (s, body) = send(t.client.get(format!("{missing}?customerAddress={WALLET}"))).await;
        assert_error(s, &body, 404, "error.pull.payment.request.not.found");
        let (s, body) = send(t.client.get(format!("{missing}/status"))).await;
        assert_error(s, &body, 404, "error.pull.payment.request.not.found");

        // Past its lifetime: 410 either way, the page says what to do.
        t.clock
            .advance_secs(t.app.config.pull_payments.request_ttl_secs + 1);
        let (s, _, html) = page(&t, &url, BROWSER).await;
        assert_eq!(s, 410);
        assert!(html.contains("This payment request expired at"), "{html}");
        assert!(html.contains("Ask Acme Ltd for a new QR code."), "{html}");
        assert!(!html.contains("Connect wallet</button>"), "{html}");
        let (s, body) = send(t.client.get(format!("{url}?customerAddress={WALLET}"))).await;
        assert_error(s, &body, 410, "error.pull.payment.request.expired");
        assert_eq!(request_status(&t, &url).await["state"], "expired");
    }
);

dual!(
    the_page_of_a_signed_request_follows_its_payment,
    async |b| {
        let t = TestApp::start(b).await;
        let (biz, model) = subscription(&t, "Newsroom Pro").await;
        let url = qr_url(&t, &biz, &model, "reader-8").await;
        let w = Wallet::new();
        crate::pumapay::executor::fund(&t, &w, 0).await;
        let (s, body) = send(
            t.client
                .get(format!("{url}?customerAddress={}", w.address())),
        )
        .await;
        let offer = data(s, &body, "Successfully retrieved pull payment request");
        let (s, body) = send(t.client.post(&url).json(&j!({
            "customerAddress": w.address(),
            "consentSignature": w.sign_typed(&offer["consent"]),
            "permitSignature": w.sign_typed(&offer["permit"]),
        })))
        .await;
        assert_eq!(s, 201, "{body}");
        let pull = body["data"]["id"].as_str().unwrap().to_string();
        let st = request_status(&t, &url).await;
        assert_eq!(st["state"], "used");
        assert_eq!(st["pullPaymentID"], pull.as_str());
        assert_eq!(st["status"], 1);
        t.run_jobs().await;
        t.run_pulls().await;
        let st = request_status(&t, &url).await;
        assert_eq!(st["status"], 2, "{st}");
        let (s, _, html) = page(&t, &url, BROWSER).await;
        assert_eq!(s, 409);
        assert!(
            html.contains("This payment request was already signed."),
            "{html}"
        );
        assert!(html.contains("Its pull payment is running."), "{html}");
        assert!(html.contains(r#"data-state="used""#));
        assert!(!html.contains("Connect wallet</button>"));
        // A suspended model's page says the offer is closed.
        let op = t.admin().await;
        let fresh = qr_url(&t, &biz, &model, "reader-9").await;
        let (s, _) = send(
            t.post(&format!("/api/v2/admin/payment-models/{model}/suspend"))
                .header("Authorization", op.bearer()),
        )
        .await;
        assert_eq!(s, 200);
        let (s, _, html) = page(&t, &fresh, BROWSER).await;
        assert_eq!(s, 409);
        assert!(html.contains("This offer is closed"), "{html}");
    }
);

/// Where the browser tools are, or why the browser test cannot run here.
fn browser_tools() -> Result<PathBuf, String> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !PathBuf::from(&chromium).exists() {
        return Err(format!("{chromium} not found (apt-get install chromium)"));
    }
    let python = std::process::Command::new("python3")
        .args(["-c", "import playwright, eth_account"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !python {
        return Err(
            "python3 cannot import playwright and eth_account (pip install playwright web3)".into(),
        );
    }
    let axe = std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo.join("target/browser-tools/node_modules/axe-core/axe.min.js"));
    if !axe.exists() {
        return Err(format!(
            "{} not found (npm install --prefix target/browser-tools axe-core)",
            axe.display()
        ));
    }
    Ok(axe)
}

/// Runs the browser script with `args`, running the worker's jobs and the executor's rounds
/// while it waits (the page follows the payment until the executor has registered it).
async fn browser(t: &TestApp, axe: &PathBuf, args: &[String]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = tokio::process::Command::new("python3")
        .arg(dir.join("tests/browser/pay_page.py"))
        .args(args)
        .arg("--axe")
        .arg(axe)
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("python3");
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the browser script took over 5 minutes"
        );
        t.run_jobs().await;
        t.run_pulls().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let out = std::fs::read_to_string(log.path()).unwrap_or_default();
    println!("{out}");
    assert!(
        status.success(),
        "the browser script failed ({status}):\n{out}"
    );
}

dual!(
    in_chromium_a_wallet_connects_signs_and_the_payment_runs,
    async |b| {
        let axe = match browser_tools() {
            Ok(axe) => axe,
            Err(why) => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI must install the browser tools: {why}"
                );
                eprintln!("SKIP: {why}");
                return;
            }
        };
        let t = TestApp::start(b).await;
        let (biz, model) = subscription(&t, "Newsroom Pro").await;
        let url = qr_url(&t, &biz, &model, "reader-1").await;
        let spare = qr_url(&t, &biz, &model, "reader-2").await;
        let key = alloy::signers::local::PrivateKeySigner::random();
        let customer = key.address();
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/browser-shots")
            .join(format!("pay-{b:?}").to_lowercase());
        let shots = shots.to_string_lossy().to_string();
        let before = crate::pumapay::executor::treasury_pma(&t).await;
        browser(
            &t,
            &axe,
            &[
                "flow".into(),
                "--url".into(),
                url.clone(),
                "--spare".into(),
                spare.clone(),
                "--key".into(),
                format!("0x{}", hex::encode(key.to_bytes())),
                "--shots".into(),
                shots.clone(),
                "--expect".into(),
                "12 monthly payments of 10.00 USD after a 3-day trial".into(),
                "--expect".into(),
                "Newsroom Pro".into(),
            ],
        )
        .await;

        // The page's signatures made a pull payment, registered on the embedded network.
        let st = request_status(&t, &url).await;
        let pull = st["pullPaymentID"].as_str().unwrap().to_string();
        let p = payment(&t, &biz, &pull).await;
        assert_eq!(p["status"], 2, "running: {p}");
        assert_eq!(p["customerAddress"], customer.to_checksum(None));
        assert_eq!(kinds(&transactions(&t, &biz, &pull).await), vec![(1, 3)]);
        // The faucet's tokens reached the wallet the page connected.
        let net = payplane_app::pumapay::networks::network(&t.app, 3)
            .await
            .unwrap();
        let pma = net.chain.token_balance(customer).await.unwrap();
        assert_eq!(pma, payplane_chain::PMA * payplane_chain::U256::from(1000));
        // The trial ends: the first 10.00 USD (1000 PMA at 0.01 USD) is pulled.
        advance(&t, 3 * DAY).await;
        let txs = transactions(&t, &biz, &pull).await;
        assert_eq!(kinds(&txs), vec![(1, 3), (3, 3)], "{txs:?}");
        assert_eq!(
            net.chain.token_balance(customer).await.unwrap(),
            payplane_chain::U256::ZERO
        );
        assert_eq!(
            crate::pumapay::executor::treasury_pma(&t).await - before,
            pma
        );
        assert_eq!(payment(&t, &biz, &pull).await["status"], 2);

        // Later: the signed request's page follows its payment; the spare one has expired.
        t.clock
            .advance_secs(t.app.config.pull_payments.request_ttl_secs + 1);
        browser(
            &t,
            &axe,
            &[
                "after".into(),
                "--used".into(),
                url,
                "--expired".into(),
                spare,
                "--shots".into(),
                shots,
            ],
        )
        .await;
    }
);
