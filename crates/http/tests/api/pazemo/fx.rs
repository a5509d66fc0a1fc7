use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;

async fn usd_and_idr(t: &TestApp, u: &TestUser) -> (String, String) {
    let usd = open_account(t, u, "USD").await;
    let idr = open_account(t, u, "IDR").await;
    deposit(t, u, &usd, "1000").await;
    (usd, idr)
}

dual!(
    a_quote_converted_moves_exactly_the_quoted_amounts,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (usd, idr) = usd_and_idr(&t, &u).await;
        let (s, q) = post_raw(
            &t,
            &u,
            "/quotes",
            &format!(
                r#"{{"sourceAccountId":"{usd}","targetAccountId":"{idr}","sourceAmount":100}}"#
            ),
        )
        .await;
        assert_eq!(s, 200, "{q}");
        // 0.5 % fee of 100 USD = 0.50; 99.50 × 16250 = 1,616,875 IDR.
        assert_eq!(q["rate"].to_string(), "16250");
        assert_eq!(q["fee"].to_string(), "0.5");
        assert_eq!(q["sourceAmount"].to_string(), "100");
        assert_eq!(q["targetAmount"].to_string(), "1616875");
        assert_eq!(q["status"], "open");
        let id = q["id"].as_str().unwrap();
        let (s, c) = post_raw(&t, &u, &format!("/quotes/{id}/convert"), "{}").await;
        assert_eq!((s, c["status"].as_str()), (200, Some("converted")), "{c}");
        assert!(c["transactionId"].as_i64().is_some());
        assert_eq!(balance(&t, &u, &usd).await.0, "900");
        assert_eq!(balance(&t, &u, &idr).await.0, "1616875");
        let (_, txns) = get(&t, &u, &format!("/users/me/accounts/{idr}/transactions")).await;
        assert_eq!(txns[0]["type"], "conversion");
        let (s, e) = post_raw(&t, &u, &format!("/quotes/{id}/convert"), "{}").await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.quote.already.converted");
        t.assert_ledger_sound().await;
    }
);

dual!(
    a_quote_for_a_target_amount_delivers_at_least_that,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (usd, idr) = usd_and_idr(&t, &u).await;
        let (s, q) = post_raw(
            &t,
            &u,
            "/quotes",
            &format!(
                r#"{{"sourceAccountId":"{idr}","targetAccountId":"{usd}","targetAmount":10}}"#
            ),
        )
        .await;
        assert_eq!(s, 200, "{q}");
        assert_eq!(q["targetAmount"].to_string(), "10");
        let (s, e) = post_raw(
            &t,
            &u,
            &format!("/quotes/{}/convert", q["id"].as_str().unwrap()),
            "{}",
        )
        .await;
        assert_eq!(s, 402, "the IDR account is empty: {e}");
        assert_validation(&e, "error.balance.insufficient");
    }
);

dual!(an_expired_quote_is_not_honoured, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (usd, idr) = usd_and_idr(&t, &u).await;
    let (_, q) = post_raw(
        &t,
        &u,
        "/quotes",
        &format!(r#"{{"sourceAccountId":"{usd}","targetAccountId":"{idr}","sourceAmount":1}}"#),
    )
    .await;
    t.clock.advance_secs(61);
    let (s, e) = post_raw(
        &t,
        &u,
        &format!("/quotes/{}/convert", q["id"].as_str().unwrap()),
        "{}",
    )
    .await;
    assert_eq!(s, 409);
    assert_validation(&e, "error.quote.expired");
    assert_eq!(balance(&t, &u, &usd).await.0, "1000");
});

dual!(
    an_unconfigured_pair_is_error_route_not_supported,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.fx.rates.remove("USD-EUR");
            })
            .start()
            .await;
        let u = t.user(Mode::Test).await;
        let usd = open_account(&t, &u, "USD").await;
        let eur = open_account(&t, &u, "EUR").await;
        let (s, e) = post_raw(
            &t,
            &u,
            "/quotes",
            &format!(r#"{{"sourceAccountId":"{usd}","targetAccountId":"{eur}","sourceAmount":1}}"#),
        )
        .await;
        assert_eq!(s, 400);
        let err = assert_validation(&e, "error.route.not.supported");
        assert_eq!(err["arguments"], serde_json::json!(["USD-EUR"]));
        assert_eq!(err["message"], "This route is not supported");
        let (s, e) = post_raw(
            &t,
            &u,
            "/quotes",
            &format!(r#"{{"sourceAccountId":"{usd}","targetAccountId":"{usd}","sourceAmount":1}}"#),
        )
        .await;
        assert_eq!(s, 400);
        assert_validation(&e, "error.route.not.supported");
        let (s, e) = post_raw(
            &t,
            &u,
            "/quotes",
            &format!(r#"{{"sourceAccountId":"{eur}","targetAccountId":"{usd}"}}"#),
        )
        .await;
        assert_eq!(s, 400);
        assert_validation(&e, "error.amount.one.required");
        let stranger = t.user(Mode::Test).await;
        let (s, _) = post_raw(
            &t,
            &stranger,
            "/quotes",
            &format!(r#"{{"sourceAccountId":"{eur}","targetAccountId":"{usd}","sourceAmount":1}}"#),
        )
        .await;
        assert_eq!(s, 404);
    }
);
