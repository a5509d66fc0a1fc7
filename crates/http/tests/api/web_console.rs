//! The Business Console's pages over plain HTTP (no browser): its own session cookie, the
//! login limits, onboarding, the API key shown once, products with an image, the payment model
//! form with the API's messages, QR codes, and that a business sees nothing of another.
use crate::support::{Backend, TestApp};
use crate::web::{Client, Page};

const PASSWORD: &str = "correct horse battery";
/// A 1×1 PNG.
const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

async fn register(c: &mut Client<'_>, company: &str, email: &str) -> Page {
    c.submit(
        "/console/register",
        "/console/register",
        &[
            ("company", company),
            ("email", email),
            ("password", PASSWORD),
        ],
    )
    .await
}

async fn login(c: &mut Client<'_>, email: &str, password: &str) -> Page {
    c.submit(
        "/console/login",
        "/console/login",
        &[("email", email), ("password", password), ("next", "")],
    )
    .await
}

/// The id in a redirect's location `/console/…/{id}`.
fn last_segment(p: &Page) -> String {
    p.location().rsplit('/').next().unwrap().to_string()
}

/// A registered, logged-in business with a confirmed treasury wallet.
async fn onboarded<'a>(t: &'a TestApp, company: &str, email: &str) -> Client<'a> {
    let mut c = Client::new(t);
    assert_eq!(register(&mut c, company, email).await.status, 303);
    assert_eq!(login(&mut c, email, PASSWORD).await.status, 303);
    let wallet = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
    let p = c
        .submit(
            "/console/onboarding",
            "/console/onboarding/treasury",
            &[("wallet", wallet)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c
        .submit(
            "/console/onboarding",
            "/console/onboarding/treasury/confirm",
            &[],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    c
}

crate::dual!(
    the_console_logs_in_with_its_own_session_and_onboards,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let mut c = Client::new(&t);
        let p = c.get("/console/onboarding").await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location(), "/console/login?next=%2Fconsole%2Fonboarding");
        let p = register(&mut c, "Acme Ltd", "owner@acme.example").await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), "/console/login");
        let p = register(&mut c, "Acme Again", "owner@acme.example").await;
        assert_eq!(p.status, 409);
        assert!(
            p.body.contains("A user with this email already exists"),
            "{}",
            p.body
        );

        // Failed logins are limited per email and address, as the API's console login.
        for _ in 0..5 {
            let p = login(&mut c, "nobody@acme.example", "wrong password").await;
            assert_eq!(p.status, 401);
            assert!(p.body.contains("Invalid email or password"));
        }
        assert_eq!(
            login(&mut c, "nobody@acme.example", "wrong password")
                .await
                .status,
            429
        );
        let p = c
            .submit(
                "/console/login",
                "/console/login",
                &[
                    ("email", "owner@acme.example"),
                    ("password", PASSWORD),
                    ("next", "/console/developers"),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), "/console/developers");
        let session = p
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("pp_console="))
            .unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        // The console session is not a dashboard session.
        let p = c.get("/dashboard/accounts").await;
        assert_eq!(p.status, 303);
        assert!(p.location().starts_with("/dashboard/login"));

        let p = c.get("/console/onboarding").await;
        assert_eq!(p.status, 200);
        assert!(p.body.contains("Acme Ltd") && p.body.contains("to fill in below"));
        assert!(p.body.contains("onboarding</span>"));
        // The API's own messages for a bad field; nothing is saved.
        let p = c
            .submit(
                "/console/onboarding",
                "/console/onboarding/details",
                &[("business_name", "Acme Shoes"), ("business_type", "many")],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(
            p.body.contains("businessType must be an integer"),
            "{}",
            p.body
        );
        let p = c
            .submit(
                "/console/onboarding",
                "/console/onboarding/details",
                &[
                    ("business_name", "Acme Shoes"),
                    ("business_type", "3"),
                    ("country_id", "GR"),
                    ("industry1", "1"),
                    ("city", "Athens"),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let p = c.get("/console/onboarding").await;
        assert!(
            p.body.contains("submitted, waiting for an operator"),
            "{}",
            p.body
        );
        assert!(p.body.contains(r#"value="Athens""#));

        let p = c
            .submit(
                "/console/onboarding",
                "/console/onboarding/treasury",
                &[("wallet", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(
            p.body.contains("treasuryWallet has mixed case"),
            "{}",
            p.body
        );
        let p = c
            .submit(
                "/console/onboarding",
                "/console/onboarding/treasury",
                &[("wallet", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let p = c.get("/console/onboarding").await;
        assert!(
            p.body
                .contains("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        );
        assert!(p.body.contains("Confirm treasury wallet"));
        let p = c
            .submit(
                "/console/onboarding",
                "/console/onboarding/treasury/confirm",
                &[],
            )
            .await;
        assert_eq!(p.status, 303);
        let p = c.get("/console/onboarding").await;
        assert!(p.body.contains("confirmed") && !p.body.contains("Confirm treasury wallet"));

        let p = c
            .submit("/console/onboarding", "/console/logout", &[])
            .await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location(), "/console/login");
        assert_eq!(c.get("/console/onboarding").await.status, 303);
    }
);

crate::dual!(
    the_console_makes_keys_products_models_and_qr_codes_of_its_business_only,
    |b: Backend| async move {
        let t = TestApp::builder(b)
            .config(|c| {
                c.pumapay.auto_approve_test_network = true;
                c.webhooks.allow_private = true;
            })
            .start()
            .await;
        let mut c = onboarded(&t, "Acme Ltd", "owner@acme.example").await;

        // The key is shown once; afterwards only its end. It is the API's key.
        let p = c
            .submit("/console/developers", "/console/developers/key", &[])
            .await;
        assert_eq!(p.status, 303);
        let p = c.get("/console/developers").await;
        let at = p
            .body
            .find(r#"id="new-key""#)
            .expect("the new key is shown");
        let key = &p.body[at..];
        let key = &key[key.find("pma_").unwrap()..];
        let key = key[..key.find('<').unwrap()].to_string();
        let business_id = {
            let at = p.body.find(r#"id="business-id">"#).unwrap() + r#"id="business-id">"#.len();
            p.body[at..at + p.body[at..].find('<').unwrap()].to_string()
        };
        let again = c.get("/console/developers").await;
        assert!(!again.body.contains(&key));
        assert!(again.body.contains(&format!("…{}", &key[key.len() - 4..])));
        let api = reqwest::Client::new()
            .get(format!(
                "{}/api/v2/api-key-auth/business/{business_id}",
                t.base
            ))
            .header("pma-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);

        // A product: the API's messages, then one with an image.
        let p = c
            .submit(
                "/console/products",
                "/console/products",
                &[("name", "Sneaker club")],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(p.body.contains("categoryID is required"), "{}", p.body);
        let p = c
            .submit(
                "/console/products",
                "/console/products",
                &[
                    ("name", "Sneaker club"),
                    ("category", "1"),
                    ("tags", "shoes, monthly"),
                    ("image", PNG),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let product = last_segment(&p);
        let page = c.get(&format!("/console/products/{product}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("/api/v2/open-auth/product-images/"));

        // A model: the API's per-type rule, then an approved one (test network) and a
        // pending one (mainnet).
        let form = |n: &'static str, network: &'static str| {
            vec![
                ("type_id", "3"),
                ("network_id", network),
                ("title", "Monthly"),
                ("amount", "2999"),
                ("currency", "EUR"),
                ("number_of_payments", n),
                ("frequency", "2592000"),
                ("destination", "Treasury"),
            ]
        };
        let models = format!("/console/products/{product}/models");
        let product_page = format!("/console/products/{product}");
        let p = c.submit(&product_page, &models, &form("1", "3")).await;
        assert_eq!(p.status, 400);
        assert!(
            p.body
                .contains("numberOfPayments must be 2 or more for typeID 3 (subscription)"),
            "{}",
            p.body
        );
        assert!(
            p.body.contains(r#"value="2999""#),
            "the form keeps what was typed"
        );
        let p = c.submit(&product_page, &models, &form("12", "3")).await;
        assert_eq!(p.status, 303, "{}", p.body);
        let model_path = p.location().to_string();
        let model = last_segment(&p);
        let page = c.get(&model_path).await;
        assert!(page.body.contains("APR · Approved"), "{}", page.body);
        assert!(
            page.body.contains("29.99 EUR") && page.body.contains("every 30 days, 12 payments")
        );
        let p = c.submit(&product_page, &models, &form("12", "1")).await;
        assert_eq!(p.status, 303);
        let pending = c.get(p.location()).await;
        assert!(pending.body.contains("PND · Pending") && !pending.body.contains("Make QR code"));

        let qr = c
            .submit(
                &model_path,
                &format!("{model_path}/qr"),
                &[("reference", "customer-42")],
            )
            .await;
        assert_eq!(qr.status, 200, "{}", qr.body);
        assert!(qr.body.contains("data:image/png;base64,"));
        assert!(qr.body.contains("/api/v2/open-auth/pull-payment-requests/"));

        // Postbacks: a URL (its signing secret shown once), a test postback through the real
        // routing, delivered, in the log, redelivered; a product's own URL; postback-control.
        let hook = crate::support::Receiver::start().await;
        let p = c
            .submit(
                "/console/developers",
                "/console/developers/postbacks",
                &[("url", &hook.url), ("network", "3")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let dev = c.get("/console/developers").await;
        assert!(dev.body.contains(r#"id="postback-secret""#), "{}", dev.body);
        assert!(dev.body.contains("the whole business"));
        assert!(
            !c.get("/console/developers")
                .await
                .body
                .contains(r#"id="postback-secret""#)
        );
        let p = c
            .submit(
                "/console/developers",
                "/console/developers/test",
                &[("network", "3")],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        t.run_deliveries().await;
        assert!(
            hook.received()
                .iter()
                .any(|r| r.body.contains(&business_id))
        );
        let dev = c.get("/console/developers").await;
        assert!(
            dev.body.contains("postback.test") && dev.body.contains("succeeded"),
            "{}",
            dev.body
        );
        let at = dev.body.find("/console/developers/deliveries/").unwrap();
        let redeliver = dev.body[at..at + dev.body[at..].find('"').unwrap()].to_string();
        let p = c.submit("/console/developers", &redeliver, &[]).await;
        assert_eq!(p.status, 303, "{}", p.body);
        t.run_deliveries().await;
        assert_eq!(hook.received().len(), 2);
        let postback_id = {
            let at = dev.body.find("/console/developers/postbacks/").unwrap()
                + "/console/developers/postbacks/".len();
            dev.body[at..at + dev.body[at..].find('/').unwrap()].to_string()
        };
        let p = c
            .submit(
                &product_page,
                &format!("{product_page}/postback"),
                &[("postback", &postback_id)],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let p = c
            .submit(
                "/console/developers",
                "/console/developers/control",
                &[("business", "1")],
            )
            .await;
        assert_eq!(p.status, 303);
        let dev = c.get("/console/developers").await;
        assert!(dev.body.contains(r#"name="business" value="1" checked"#));
        assert!(!dev.body.contains(r#"name="product" value="1" checked"#));

        // Another business sees none of it, and cannot make a QR code of it.
        let mut other = onboarded(&t, "Other Ltd", "owner@other.example").await;
        assert!(
            !other
                .get("/console/products")
                .await
                .body
                .contains("Sneaker club")
        );
        assert_eq!(other.get(&product_page).await.status, 404);
        assert_eq!(other.get(&model_path).await.status, 404);
        let p = other
            .submit(
                "/console/products",
                &format!("{model_path}/qr"),
                &[("reference", "x")],
            )
            .await;
        assert_eq!(p.status, 404);
        let p = other
            .submit("/console/products", &models, &form("12", "3"))
            .await;
        assert_eq!(p.status, 404, "{}", p.body);
        assert!(!model.is_empty());
        // Nor redeliver its postbacks, nor point its product at a URL of its own.
        assert_eq!(
            other
                .submit("/console/developers", &redeliver, &[])
                .await
                .status,
            404
        );
        assert!(
            !other
                .get("/console/developers")
                .await
                .body
                .contains(&hook.url)
        );
        let p = other
            .submit(
                "/console/developers",
                &format!("{product_page}/postback"),
                &[("postback", &postback_id)],
            )
            .await;
        assert_eq!(p.status, 404);
    }
);

/// The business ID the developers page shows.
async fn business_id(c: &mut Client<'_>) -> String {
    let p = c.get("/console/developers").await;
    let at = p.body.find(r#"id="business-id">"#).unwrap() + r#"id="business-id">"#.len();
    p.body[at..at + p.body[at..].find('<').unwrap()].to_string()
}

crate::dual!(
    the_console_lists_pull_payments_transactions_and_sub_businesses,
    |b: Backend| async move {
        use crate::pumapay::reads::{
            pull_payment, seed_pull_payment, seed_transaction, transaction,
        };
        use payplane_core::kinds::{PullPaymentStatus, TxStatus, TxType};
        let t = TestApp::builder(b)
            .config(|c| c.pumapay.auto_approve_test_network = true)
            .start()
            .await;
        let mut c = onboarded(&t, "Acme Ltd", "owner@acme.example").await;
        let biz = business_id(&mut c).await;
        let p = c
            .submit(
                "/console/products",
                "/console/products",
                &[("name", "Sneaker club"), ("category", "1")],
            )
            .await;
        let product = last_segment(&p);
        let p = c
            .submit(
                &format!("/console/products/{product}"),
                &format!("/console/products/{product}/models"),
                &[
                    ("type_id", "3"),
                    ("network_id", "3"),
                    ("title", "Monthly"),
                    ("amount", "1299"),
                    ("currency", "USD"),
                    ("number_of_payments", "12"),
                    ("frequency", "2592000"),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let model = last_segment(&p);
        // Two customers signed (rows as the wallet flow and the executor write them).
        let alice = pull_payment(
            &biz,
            &product,
            &model,
            3,
            PullPaymentStatus::Running,
            "alice",
            1,
        );
        let bob = pull_payment(
            &biz,
            &product,
            &model,
            3,
            PullPaymentStatus::Cancelled,
            "bob",
            2,
        );
        seed_pull_payment(&t, &alice).await;
        seed_pull_payment(&t, &bob).await;
        let paid = transaction(
            &alice,
            TxType::Execute,
            TxStatus::Success,
            Some(0),
            Some(1_700_000_100),
            1299,
        );
        let failed = transaction(
            &bob,
            TxType::Execute,
            TxStatus::Failed,
            Some(0),
            Some(1_700_200_000),
            1299,
        );
        seed_transaction(&t, &paid).await;
        seed_transaction(&t, &failed).await;
        let paid_hash = paid.tx_hash.clone().unwrap();
        let failed_hash = failed.tx_hash.clone().unwrap();

        let all = c.get("/console/payments").await;
        assert_eq!(all.status, 200);
        assert!(all.body.contains("alice") && all.body.contains("bob"));
        assert!(all.body.contains("running") && all.body.contains("12.99 USD"));
        let running = c.get("/console/payments?status=2").await;
        assert!(running.body.contains("alice") && !running.body.contains(">bob<"));
        let by_ref = c.get("/console/payments?reference=bob").await;
        assert!(by_ref.body.contains(">bob<") && !by_ref.body.contains(">alice<"));
        let bad = c.get("/console/payments?status=9").await;
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("statuses"), "{}", bad.body);
        let one = c.get(&format!("/console/payments/{}", alice.id)).await;
        assert_eq!(one.status, 200);
        assert!(
            one.body
                .contains(&format!("/console/transactions/{paid_hash}"))
        );

        let txs = c.get("/console/transactions?network=3").await;
        assert!(txs.body.contains(&paid_hash) && txs.body.contains(&failed_hash));
        let ok = c.get("/console/transactions?network=3&status=3").await;
        assert!(ok.body.contains(&paid_hash) && !ok.body.contains(&failed_hash));
        // Execution dates, UTC days: 1700000100 is 2023-11-14, 1700200000 2023-11-17.
        let day = c
            .get("/console/transactions?network=3&from=2023-11-14&to=2023-11-14")
            .await;
        assert!(day.body.contains(&paid_hash) && !day.body.contains(&failed_hash));
        let bad = c
            .get("/console/transactions?network=3&from=yesterday")
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("startTimestamp"), "{}", bad.body);
        let tx = c.get(&format!("/console/transactions/{paid_hash}")).await;
        assert_eq!(tx.status, 200);
        assert!(
            tx.body.contains("success") && tx.body.contains("4.33 PMA"),
            "{}",
            tx.body
        );

        // Earnings: today's successful pull in the chart, alice as the active customer.
        let now = t.app.now() / 1_000_000;
        let today = transaction(
            &alice,
            TxType::Execute,
            TxStatus::Success,
            Some(1),
            Some(now - 60),
            2500,
        );
        seed_transaction(&t, &today).await;
        let e = c.get("/console/earnings?network=3&currency=USD").await;
        assert_eq!(e.status, 200);
        assert!(
            e.body.contains(r#"id="earnings-total">25.00 USD<"#),
            "{}",
            e.body
        );
        assert!(e.body.contains(r#"id="active-customers">1<"#));
        assert!(e.body.contains("<svg") && e.body.contains(": 25.00 USD</title>"));
        let none = c.get("/console/earnings?network=3&currency=EUR").await;
        assert!(none.body.contains(r#"id="earnings-total">0.00 EUR<"#));

        // Settlement: nothing accrued (no Kemix model), so a settlement is refused in words.
        let st = c.get("/console/settlement?network=3").await;
        assert_eq!(st.status, 200);
        assert!(st.body.contains("0.00 EUR") && st.body.contains("under the threshold"));
        let p = c
            .submit(
                "/console/settlement",
                "/console/settlement",
                &[("currency", "EUR"), ("network", "3")],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(
            p.body.contains("under the settlement threshold"),
            "{}",
            p.body
        );

        // PSP: a sub-business, disabled (its login refused) and enabled again.
        let p = c
            .submit(
                "/console/businesses",
                "/console/businesses",
                &[
                    ("company", "Corner Shop"),
                    ("email", "admin@corner.example"),
                    ("password", "another good one"),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let list = c.get("/console/businesses").await;
        assert!(list.body.contains("Corner Shop"));
        let at = list.body.find("/console/businesses/").unwrap();
        let disable = list.body[at..at + list.body[at..].find('"').unwrap()].to_string();
        assert!(disable.ends_with("/disable"), "{disable}");
        assert_eq!(
            c.submit("/console/businesses", &disable, &[]).await.status,
            303
        );
        let mut sub = Client::new(&t);
        let p = login(&mut sub, "admin@corner.example", "another good one").await;
        assert_eq!(p.status, 403);
        assert!(p.body.contains("disabled by its PSP"), "{}", p.body);
        let enable = disable.replace("/disable", "/enable");
        assert!(c.get("/console/businesses").await.body.contains(&enable));
        assert_eq!(
            c.submit("/console/businesses", &enable, &[]).await.status,
            303
        );
        assert_eq!(
            login(&mut sub, "admin@corner.example", "another good one")
                .await
                .status,
            303
        );

        // Another business reads none of it and cannot disable Acme's sub-business.
        let mut other = onboarded(&t, "Other Ltd", "owner@other.example").await;
        assert!(!other.get("/console/payments").await.body.contains("alice"));
        assert!(
            other
                .get("/console/earnings?network=3&currency=USD")
                .await
                .body
                .contains(r#"id="earnings-total">0.00 USD<"#)
        );
        assert_eq!(
            other
                .get(&format!("/console/payments/{}", alice.id))
                .await
                .status,
            404
        );
        assert_eq!(
            other
                .get(&format!("/console/transactions/{paid_hash}"))
                .await
                .status,
            404
        );
        assert!(
            !other
                .get("/console/businesses")
                .await
                .body
                .contains("Corner Shop")
        );
        assert_eq!(
            other
                .submit("/console/businesses", &disable, &[])
                .await
                .status,
            403
        );
    }
);
