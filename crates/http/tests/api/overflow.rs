//! Money that cannot overflow: per-currency maximums, checked arithmetic, and a platform ledger
//! account at its limit refusing one operation instead of breaking every later one.
use crate::dual;
use crate::fixtures::*;
use crate::support::*;
use payplane_app::auth::Mode;

async fn quote(
    t: &TestApp,
    u: &TestUser,
    src: &str,
    tgt: &str,
    side: &str,
    amount: &str,
) -> (u16, serde_json::Value) {
    post_raw(
        t,
        u,
        "/quotes",
        &format!(r#"{{"sourceAccountId":"{src}","targetAccountId":"{tgt}","{side}":{amount}}}"#),
    )
    .await
}

dual!(
    a_quote_past_the_currency_maximum_is_refused_not_saturated,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let usd = open_account(&t, &u, "USD").await;
        let idr = open_account(&t, &u, "IDR").await;
        // The issue's repro: 10 000 000 000 000 USD → IDR.
        let (s, e) = quote(&t, &u, &usd, &idr, "sourceAmount", "10000000000000").await;
        assert_eq!(s, 400, "{e}");
        let d = assert_validation(&e, "error.amount.above.maximum");
        assert!(
            d["message"].as_str().unwrap().starts_with("sourceAmount"),
            "{e}"
        );
        // Within the USD maximum, but the IDR it buys is past the IDR maximum.
        let (s, e) = quote(&t, &u, &usd, &idr, "sourceAmount", "999999999").await;
        assert_eq!(s, 400, "{e}");
        let d = assert_validation(&e, "error.amount.above.maximum");
        assert!(
            d["message"].as_str().unwrap().starts_with("targetAmount"),
            "{e}"
        );
        // Asking for a target whose source is past the source maximum.
        let (s, e) = quote(&t, &u, &idr, &usd, "targetAmount", "999999999").await;
        assert_eq!(s, 400, "{e}");
        let d = assert_validation(&e, "error.amount.above.maximum");
        assert!(
            d["message"].as_str().unwrap().starts_with("sourceAmount"),
            "{e}"
        );
        // Nothing was stored.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quotes")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        assert_eq!(n, 0);
        // A large quote within both maximums is exact.
        let (s, q) = quote(&t, &u, &usd, &idr, "sourceAmount", "100000000").await;
        assert_eq!(s, 200, "{q}");
        assert_eq!(q["targetAmount"].to_string(), "1616875000000");
    }
);

dual!(
    a_withdrawal_past_the_currency_maximum_is_refused,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.limits
                    .max_amount
                    .insert("IDR".into(), "1000000".parse().unwrap());
            })
            .start()
            .await;
        let u = t.user(Mode::Test).await;
        let idr = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &idr, "5000000").await;
        // The amount plus the 2 500 IDR fee is what is held: 997 500.01 + 2 500 is over 1 000 000.
        let (s, e) = withdraw(&t, &u, &idr, "997500.01").await;
        assert_eq!(s, 400, "{e}");
        let d = assert_validation(&e, "error.amount.above.maximum");
        assert!(d["message"].as_str().unwrap().starts_with("amount"), "{e}");
        let (s, w) = withdraw(&t, &u, &idr, "997500").await;
        assert_eq!(s, 200, "{w}");
        assert_eq!(
            balance(&t, &u, &idr).await,
            ("5000000".into(), "-1000000".into())
        );
        t.assert_ledger_sound().await;
    }
);

dual!(
    a_platform_account_at_its_limit_refuses_one_operation_and_keeps_serving,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let usd = open_account(&t, &u, "USD").await;
        let idr = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &usd, "1000").await;
        deposit(&t, &u, &idr, "1000000").await;
        let (s, q) = quote(&t, &u, &usd, &idr, "sourceAmount", "1").await;
        assert_eq!(s, 200, "{q}");
        let (s, c) = post_raw(
            &t,
            &u,
            &format!("/quotes/{}/convert", q["id"].as_str().unwrap()),
            "{}",
        )
        .await;
        assert_eq!(s, 200, "{c}");
        // Put the platform's IDR FX account at the edge of i64, as years of one-way traffic
        // would (only the cached balance is moved: the ledger check is not the point here).
        sqlx::query(
            "UPDATE ledger_accounts SET balance = -9223372036854774808 WHERE id = 'platform:test:fx:IDR'",
        )
        .execute(t.app.db.writer())
        .await
        .unwrap();
        let (s, q) = quote(&t, &u, &usd, &idr, "sourceAmount", "100").await;
        assert_eq!(s, 200, "{q}");
        let (s, e) = post_raw(
            &t,
            &u,
            &format!("/quotes/{}/convert", q["id"].as_str().unwrap()),
            "{}",
        )
        .await;
        assert_eq!(
            s, 400,
            "an overflow refuses this conversion, it is not a 500: {e}"
        );
        assert_validation(&e, "error.amount.overflow");
        assert_eq!(balance(&t, &u, &usd).await.0, "999");
        // The other direction moves the account away from the limit and still works.
        let (s, q) = quote(&t, &u, &idr, &usd, "sourceAmount", "100000").await;
        assert_eq!(s, 200, "{q}");
        let (s, c) = post_raw(
            &t,
            &u,
            &format!("/quotes/{}/convert", q["id"].as_str().unwrap()),
            "{}",
        )
        .await;
        assert_eq!(s, 200, "{c}");
    }
);
