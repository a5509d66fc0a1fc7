//! Browser tests: Python scripts under `crates/http/tests/browser/` drive Debian's Chromium with
//! Playwright against the real server that the test here starts, inject axe-core into every
//! page they check, and write screenshots at 1280 and 390 px to `target/browser-shots/`. The
//! test asserts the script's exit status. `.ci/run` installs the browser, Playwright and
//! axe-core; without them a test is skipped locally and fails in CI.
// The helpers serve every area's tests; not every test uses each of them.
#![allow(dead_code)]
use crate::support::{Backend, TestApp};
use std::path::PathBuf;
use std::time::Duration;

/// Where the scripts live.
pub fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Where the scripts write their screenshots.
pub fn shots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-shots")
}

/// Whether Chromium, Playwright and axe-core are installed. Without them a test is skipped
/// locally, and fails in CI (which must install them).
pub fn tools_ready() -> bool {
    let chromium = std::path::Path::new("/usr/bin/chromium").exists();
    let playwright = std::process::Command::new("python3")
        .args(["-c", "import playwright"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let axe = axe_path().exists();
    if chromium && playwright && axe {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must install the browser test tools (chromium {chromium}, playwright {playwright}, axe-core {axe})"
    );
    eprintln!(
        "skipped: browser tools missing (chromium {chromium}, playwright {playwright}, axe-core {axe}); see .ci/run"
    );
    false
}

fn axe_path() -> PathBuf {
    scripts_dir().join("node_modules/axe-core/axe.min.js")
}

/// Keeps the test's clock in step with real time while a script runs, so what the browser does
/// in real time (authenticator codes, payouts that settle after a few seconds) sees the same
/// time on the server. Stops when the returned guard is dropped.
pub fn tick_clock(t: &TestApp) -> ClockTicker {
    let clock = t.clock.clone();
    ClockTicker(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            clock.advance_secs(1);
        }
    }))
}

pub struct ClockTicker(tokio::task::JoinHandle<()>);

impl Drop for ClockTicker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `script` (a file of `scripts_dir()`) against the server of `t` with `env`, echoes its
/// output, and fails the test when it fails.
pub async fn run_script(t: &TestApp, script: &str, env: &[(&str, String)]) {
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg(scripts_dir().join(script))
        .current_dir(scripts_dir())
        .env("PAYPLANE_BASE", &t.base)
        .env("PAYPLANE_SHOTS", shots_dir())
        .env("PAYPLANE_AXE", axe_path())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(600), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within 10 minutes"))
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// A dashboard user with a one-time set-password link: (email, the link's path and query).
pub async fn user_with_link(t: &TestApp, email: &str, admin: bool) -> (String, String) {
    let u = payplane_app::pazemo::users::create_user(&t.app, email, "Dana Browser", admin)
        .await
        .expect("user");
    let link = payplane_app::pazemo::logins::issue_password_link(&t.app, &u.id)
        .await
        .expect("link");
    let path = link
        .url
        .find("/dashboard/")
        .map(|i| link.url[i..].to_string())
        .expect("a dashboard path");
    (u.email, path)
}

crate::dual!(web_stack, |backend: Backend| async move {
    if !tools_ready() {
        return;
    }
    let t = TestApp::start(backend).await;
    let (email, link) = user_with_link(&t, "dana@example.com", false).await;
    run_script(
        &t,
        "web_stack.py",
        &[("PAYPLANE_EMAIL", email), ("PAYPLANE_LINK", link)],
    )
    .await;
});

/// Runs the webhook delivery loop until the returned token is cancelled (the test harness's
/// worker runs jobs, not deliveries).
pub fn deliver_webhooks(t: &TestApp) -> tokio_util::sync::DropGuard {
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(payplane_app::webhooks::deliver::run(
        t.app.clone(),
        "browser-test".into(),
        stop.clone(),
    ));
    stop.drop_guard()
}

crate::dual!(dashboard_walk, |backend: Backend| async move {
    if !tools_ready() {
        return;
    }
    let t = TestApp::builder(backend)
        .worker()
        .config(|c| {
            c.payouts.sandbox_settle_secs = 1;
            c.webhooks.allow_private = true;
        })
        .start()
        .await;
    let _clock = tick_clock(&t);
    let _deliveries = deliver_webhooks(&t);
    let hook = crate::support::Receiver::start().await;
    let (email, link) = user_with_link(&t, "budi@example.com", false).await;
    run_script(
        &t,
        "dashboard.py",
        &[
            ("PAYPLANE_EMAIL", email),
            ("PAYPLANE_LINK", link),
            ("PAYPLANE_HOOK", hook.url.clone()),
        ],
    )
    .await;
    assert!(
        hook.received()
            .iter()
            .any(|r| r.body.contains("webhook.test")),
        "the receiver got the test event"
    );
    t.assert_ledger_sound().await;
});

crate::dual!(operator_walk, |backend: Backend| async move {
    use crate::pumapay::support::{api, business, model, model_body, product};
    use payplane_app::pazemo::auth::Mode;
    if !tools_ready() {
        return;
    }
    let t = TestApp::builder(backend)
        .config(|c| c.webhooks.allow_private = true)
        .start()
        .await;
    // A business that submitted its details (KYC waits) and a payment model waiting for review.
    let biz = business(&t).await;
    let (s, body) = crate::support::json(
        api(
            &t,
            reqwest::Method::PUT,
            &format!("/api-key-auth/business/business-details/{}", biz.id),
            &biz,
        )
        .json(
            &serde_json::json!({"businessName": "Acme Shop", "businessType": "3",
            "countryID": "GR", "industry1": 1}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let product_id = product(&t, &biz, &biz.id).await;
    let model_id = model(&t, &biz, &model_body(3, &biz.id, &product_id)).await;
    // A delivery the receiver refused for good (410 Gone).
    let hook = crate::support::Receiver::start().await;
    hook.answer(410, &[]);
    let user = t.user(Mode::Test).await;
    let (s, body) = t
        .pazemo(&user)
        .post("/users/me/webhooks", &serde_json::json!({"url": hook.url}))
        .await;
    assert_eq!(s, 201, "{body}");
    let (s, _) = t
        .pazemo(&user)
        .post("/users/me/webhooks/test", &serde_json::json!({}))
        .await;
    assert_eq!(s, 202);
    t.run_deliveries().await;

    let (email, link) = user_with_link(&t, "ops@example.com", true).await;
    run_script(
        &t,
        "operator.py",
        &[
            ("PAYPLANE_EMAIL", email),
            ("PAYPLANE_LINK", link),
            ("PAYPLANE_BUSINESS", "Acme Shop".into()),
            ("PAYPLANE_MODEL", "Monthly".into()),
        ],
    )
    .await;
    // The decisions are the CLI's: flags and status as `payplane admin …` leaves them.
    let b = payplane_store::pumapay::businesses::get(&t.app.db.read, &biz.id)
        .await
        .unwrap()
        .unwrap();
    assert!(b.flags.kyc_approved && b.flags.details_approved);
    let m = payplane_store::pumapay::payment_models::get(&t.app.db.read, &model_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, payplane_core::kinds::PaymentModelStatus::Approved);
    // The redelivery reaches the receiver, which now answers 200.
    t.run_deliveries().await;
    assert_eq!(hook.received().len(), 2);
});

crate::dual!(console_walk, |backend: Backend| async move {
    if !tools_ready() {
        return;
    }
    // The test network approves new payment models at once, so the walk reaches the QR code
    // without an operator (operator.py walks the approval).
    let t = TestApp::builder(backend)
        .config(|c| {
            c.pumapay.auto_approve_test_network = true;
            c.webhooks.allow_private = true;
        })
        .start()
        .await;
    let _deliveries = deliver_webhooks(&t);
    let hook = crate::support::Receiver::start().await;
    let shop = console_shop(&t).await;
    run_script(
        &t,
        "console.py",
        &[
            ("PAYPLANE_HOOK", hook.url.clone()),
            ("PAYPLANE_SHOP_EMAIL", shop),
        ],
    )
    .await;
    assert!(
        !hook.received().is_empty(),
        "the receiver got the test postback"
    );
    // What the pages did is what the API sees: one approved model of the business's product.
    let b = payplane_store::pumapay::console::user_by_email(&t.app.db.read, "owner@acme.example")
        .await
        .unwrap()
        .expect("the business registered in the browser");
    let business = payplane_store::pumapay::businesses::get(&t.app.db.read, &b.business_id)
        .await
        .unwrap()
        .unwrap();
    assert!(business.flags.details_submitted && business.flags.treasury_approved);
    assert_eq!(business.details.city.as_deref(), Some("Athens"));
});

/// A business with customers, for the console's lists and chart: registered and set up through
/// the app's use cases, with pull payments and their pulls over the last two weeks as the
/// wallet flow and the executor write them. Answers its login email (password `SHOP_PASSWORD`).
async fn console_shop(t: &TestApp) -> String {
    use crate::pumapay::reads::{pull_payment, seed_pull_payment, seed_transaction, transaction};
    use payplane_app::pumapay::{access::Caller, businesses, console, payment_models, products};
    use payplane_core::kinds::{PullPaymentStatus, TxStatus, TxType};
    let email = "owner@kiosk.example";
    let r = console::register(
        &t.app,
        "Kiosk Coffee",
        email,
        "correct horse battery",
        "192.0.2.9",
    )
    .await
    .unwrap();
    let caller = Caller {
        business_id: r.business_id.clone(),
    };
    let biz = r.business_id.as_str();
    businesses::assign_treasury_wallet(
        &t.app,
        &caller,
        biz,
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    )
    .await
    .unwrap();
    let product = products::create(
        &t.app,
        &caller,
        biz,
        products::ProductInput {
            category_id: Some(1),
            name: Some("Coffee club".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let model = payment_models::create(
        &t.app,
        &caller,
        payment_models::NewModel {
            business_id: Some(biz.into()),
            product_id: Some(product.id.clone()),
            title: Some("Weekly beans".into()),
            amount: Some(1299),
            currency: Some("USD".into()),
            number_of_payments: Some(12),
            frequency: Some(604_800),
            type_id: Some(3),
            network_id: Some(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = t.app.now() / 1_000_000;
    for (i, who) in ["ana", "ben", "chloe", "dev", "emma"].iter().enumerate() {
        let i = i as i64;
        let status = if i == 4 {
            PullPaymentStatus::Cancelled
        } else {
            PullPaymentStatus::Running
        };
        let pp = pull_payment(biz, &product.id, &model.id, 3, status, who, i);
        seed_pull_payment(t, &pp).await;
        // A pull every few days over the last two weeks, a failed one among them.
        for k in 0..4 {
            let day = now - (13 - 3 * k - i % 3) * 86_400;
            let st = if i == 4 && k == 3 {
                TxStatus::Failed
            } else {
                TxStatus::Success
            };
            let amount = 1299 + 100 * i;
            seed_transaction(
                t,
                &transaction(&pp, TxType::Execute, st, Some(k), Some(day), amount),
            )
            .await;
        }
    }
    email.into()
}
