//! Size and character limits of free-text fields on both faces (docs/security.md).
use crate::dual;
use crate::pazemo::support::*;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::Method;
use serde_json::json as j;

async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

dual!(
    oversized_or_hidden_text_is_refused_on_the_accounts_face,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "1000000").await;
        let withdrawals = count(&t, "withdrawals").await;
        let events = count(&t, "events").await;

        // referenceData just over 4 KB serialized.
        let big = "x".repeat(4100);
        let (s, e) = post_raw(
            &t,
            &u,
            &format!("/accounts/{acct}/withdraw"),
            &j!({"address": "1234567890", "addressName": "Budi Santoso", "prefix": "bca",
                 "amount": 50000, "referenceData": {"blob": big}})
            .to_string(),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.referenceData.too.long");
        // referenceData at the limit is fine.
        let fits = "x".repeat(4096 - r#"{"blob":""}"#.len());
        let (s, e) = post_raw(
            &t,
            &u,
            &format!("/accounts/{acct}/withdraw"),
            &j!({"address": "1234567890", "addressName": "Budi Santoso", "prefix": "bca",
                 "amount": 50000, "referenceData": {"blob": fits}})
            .to_string(),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        // A bidi override in the payee name.
        let (s, e) = post_raw(
            &t,
            &u,
            &format!("/accounts/{acct}/withdraw"),
            &j!({"address": "1234567890", "addressName": "Budi \u{202E}otnasaS", "prefix": "bca",
                 "amount": 50000})
            .to_string(),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.addressName.invalid.characters");
        assert_eq!(count(&t, "withdrawals").await, withdrawals + 1);
        assert!(count(&t, "events").await <= events + 1);

        // A webhook URL over 2 048 bytes.
        let url = format!("https://example.com/{}", "a".repeat(2100));
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/webhooks",
            &j!({ "url": url }).to_string(),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.url.too.long");

        // A recipient name with a control character, and one over 200 characters.
        for (name, code) in [
            ("Budi\u{0007}".to_string(), "error.name.invalid.characters"),
            ("B".repeat(201), "error.name.too.long"),
        ] {
            let (s, e) = create_beneficiary(
                &t,
                &u,
                j!({"accountId": acct, "bankId": "bca", "address": "1234567890", "name": name,
                    "type": "personal"}),
            )
            .await;
            assert_eq!(s, 400, "{e}");
            assert_validation(&e, code);
        }
        assert_eq!(count(&t, "beneficiaries").await, 0);
        assert_eq!(count(&t, "webhook_endpoints").await, 0);
        t.assert_ledger_sound().await;
    }
);

dual!(
    oversized_or_hidden_text_is_refused_on_the_billing_face,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.webhooks.allow_private = true)
            .start()
            .await;
        // A company name with a bidi override: PumaPay envelope, field named.
        let (s, body) = json(
            t.post("/api/v2/console-auth/register")
                .json(&j!({"company": "Acme \u{202E}dtL", "email": email(), "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_field(s, &body, "company", "error.field.invalid.characters");
        let biz = business(&t).await;
        let businesses = count(&t, "businesses").await;
        assert_eq!(businesses, 1);

        // Product name over 200 characters and a description with a control character.
        let (s, body) = json(
            api(&t, Method::POST, &format!("/api-key-auth/products/{}", biz.id), &biz)
                .json(&j!({"categoryID": 1, "tags": ["a"], "productName": "P".repeat(201),
                    "productDescription": "fine\u{0000}", "productUrl": "https://example.com/p", "networkID": 3}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_field(s, &body, "productName", "error.field.too.long");
        assert_field(
            s,
            &body,
            "productDescription",
            "error.field.invalid.characters",
        );

        // A postback URL over 2 048 bytes.
        let url = format!("https://example.com/{}", "a".repeat(2100));
        let (s, body) = json(
            api(&t, Method::POST, "/api-key-auth/business/postback", &biz)
                .json(&j!({"businessID": biz.id, "url": url, "environment": "Ropsten"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_field(s, &body, "url", "error.field.too.long");
        // Postback credentials (sent as headers with every delivery) over 4 KB in all.
        let (s, body) = json(
            api(&t, Method::POST, "/api-key-auth/business/postback", &biz)
                .json(&j!({"businessID": biz.id, "url": "https://example.com/pb", "environment": "Ropsten",
                    "authorization": {"pma-api-key": "k".repeat(5000)}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_field(s, &body, "authorization", "error.field.too.long");
        assert_eq!(count(&t, "products").await, 0);
        assert_eq!(count(&t, "webhook_endpoints").await, 0);
    }
);
