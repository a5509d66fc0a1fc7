use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::{Value, json};

/// An IDR account with 1,000,000 in it (the IDR fee is a fixed 2,500 by default).
async fn funded(t: &TestApp, u: &TestUser) -> String {
    let acct = open_account(t, u, "IDR").await;
    deposit(t, u, &acct, "1000000").await;
    acct
}

dual!(
    a_withdrawal_holds_amount_plus_fee_then_settles_through_the_sandbox,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let (s, w) = withdraw(&t, &u, &acct, "150000").await;
        assert_eq!(s, 200, "{w}");
        let mut keys: Vec<&str> = w.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "accountId",
                "address",
                "addressName",
                "amount",
                "beneficiaryId",
                "createdTime",
                "feeAmount",
                "id",
                "network",
                "notes",
                "prefix",
                "reference",
                "referenceData",
                "status",
                "transactionId",
                "updatedTime"
            ]
        );
        assert_eq!(
            (
                w["status"].as_str(),
                w["network"].as_str(),
                w["feeAmount"].as_i64()
            ),
            (Some("pending"), Some("flip"), Some(2500))
        );
        assert!(w["transactionId"].as_i64().unwrap() > 0);
        assert_eq!(w["referenceData"], json!({"order": 7}));
        assert_eq!(
            balance(&t, &u, &acct).await,
            ("1000000".into(), "-152500".into())
        );
        let id = w["id"].as_str().unwrap();
        let (s, c) = act(&t, &u, &acct, id, "confirm", "000000").await;
        assert_eq!((s, c["status"].as_str()), (200, Some("processing")), "{c}");
        assert_eq!(
            balance(&t, &u, &acct).await,
            ("1000000".into(), "-152500".into())
        );
        t.run_jobs().await;
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{id}")).await;
        assert_eq!(w["status"], "processing", "the sandbox takes seconds");
        t.clock.advance_secs(3);
        t.run_jobs().await;
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{id}")).await;
        assert_eq!(w["status"], "succeeded");
        assert_eq!(balance(&t, &u, &acct).await, ("847500".into(), "0".into()));
        let (_, txns) = get(&t, &u, &format!("/users/me/accounts/{acct}/transactions")).await;
        let types: Vec<&str> = txns
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["fee", "payout", "hold", "deposit"]);
        assert_eq!(
            event_types(&t, &u).await,
            [
                "withdrawal.succeeded",
                "withdrawal.processing",
                "withdrawal.pending"
            ]
        );
        t.assert_ledger_sound().await;
    }
);

dual!(
    an_amount_ending_in_13_fails_and_releases_the_hold,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let (_, w) = withdraw(&t, &u, &acct, "150000.13").await;
        assert_eq!(balance(&t, &u, &acct).await.1, "-152500.13");
        let id = w["id"].as_str().unwrap();
        act(&t, &u, &acct, id, "confirm", "000000").await;
        t.run_jobs().await;
        t.clock.advance_secs(3);
        t.run_jobs().await;
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{id}")).await;
        assert_eq!(w["status"], "failed");
        assert_eq!(balance(&t, &u, &acct).await, ("1000000".into(), "0".into()));
        assert_eq!(event_types(&t, &u).await[0], "withdrawal.failed");
        t.assert_ledger_sound().await;
    }
);

dual!(cancelling_releases_the_hold, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = funded(&t, &u).await;
    let (_, w) = withdraw(&t, &u, &acct, "1000").await;
    let id = w["id"].as_str().unwrap();
    let (s, c) = act(&t, &u, &acct, id, "cancel", "000000").await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")));
    assert_eq!(balance(&t, &u, &acct).await, ("1000000".into(), "0".into()));
    assert_eq!(event_types(&t, &u).await[0], "withdrawal.cancelled");
    t.assert_ledger_sound().await;
});

dual!(
    every_forbidden_transition_is_a_409_with_its_code_and_changes_nothing,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let (_, a) = withdraw(&t, &u, &acct, "1000").await;
        let a = a["id"].as_str().unwrap();
        act(&t, &u, &acct, a, "confirm", "000000").await;
        let (s, e) = act(&t, &u, &acct, a, "confirm", "000000").await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.withdrawal.already.confirmed");
        let (s, e) = act(&t, &u, &acct, a, "cancel", "000000").await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.withdrawal.already.confirmed");
        let (_, b2) = withdraw(&t, &u, &acct, "2000").await;
        let b2 = b2["id"].as_str().unwrap();
        act(&t, &u, &acct, b2, "cancel", "000000").await;
        let before = balance(&t, &u, &acct).await;
        let (s, e) = act(&t, &u, &acct, b2, "confirm", "000000").await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.withdrawal.cancelled");
        let (s, e) = act(&t, &u, &acct, b2, "cancel", "000000").await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.withdrawal.already.cancelled");
        assert_eq!(balance(&t, &u, &acct).await, before);
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{b2}")).await;
        assert_eq!(w["status"], "cancelled");
        t.assert_ledger_sound().await;
    }
);

dual!(
    five_wrong_codes_cancel_the_withdrawal_and_release_the_hold,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let (_, w) = withdraw(&t, &u, &acct, "1000").await;
        let id = w["id"].as_str().unwrap();
        let (s, e) = act(&t, &u, &acct, id, "confirm", "123456").await;
        assert_eq!(s, 400);
        assert_validation(&e, "error.2fa.not.enrolled");
        enroll_2fa(&t, &u).await;
        for left in (1..=4).rev() {
            let (s, e) = act(&t, &u, &acct, id, "confirm", "999999").await;
            assert_eq!(s, 400);
            let err = assert_validation(&e, "error.authorizationCode.invalid");
            assert_eq!(err["arguments"], json!([left.to_string()]));
        }
        let (s, e) = act(&t, &u, &acct, id, "confirm", "999999").await;
        assert_eq!(s, 400);
        assert_validation(&e, "error.authorizationCode.attempts.exceeded");
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{id}")).await;
        assert_eq!(w["status"], "cancelled");
        assert_eq!(balance(&t, &u, &acct).await, ("1000000".into(), "0".into()));
        t.assert_ledger_sound().await;
    }
);

dual!(a_code_from_the_enrolled_authenticator_confirms, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = funded(&t, &u).await;
    // The authenticator guards live money too, so it is enrolled with a live token of the user.
    let live = token_of(&t, &u, Mode::Live, vec![]).await;
    let (s, e) = post_raw(&t, &live, "/users/me/2fa", "{}").await;
    assert_eq!(s, 200, "{e}");
    let uri = e["otpauthUri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let secret = e["secret"].as_str().unwrap();
    assert!(uri.contains(secret));
    // It takes effect once a first code from it is presented (here the previous step's); that
    // code is used up, so the clock moves a step on and the codes below are fresh.
    let first = payplane_app::pazemo::twofa::code_at(secret, (t.app.now() / 1_000_000) as u64 - 30)
        .unwrap();
    let (s, c) = post_raw(
        &t,
        &live,
        "/users/me/2fa/confirm",
        &json!({ "code": first }).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    t.clock.advance_secs(30);
    let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
        .bind(&u.id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    assert!(
        stored.starts_with("v1:") && !stored.contains(secret),
        "sealed at rest: {stored}"
    );
    let (_, w) = withdraw(&t, &u, &acct, "1000").await;
    let now = (t.app.now() / 1_000_000) as u64;
    // One step old is still accepted (clock skew), as RFC 6238 recommends.
    let code = payplane_app::pazemo::twofa::code_at(secret, now - 30).unwrap();
    let (s, c) = act(&t, &u, &acct, w["id"].as_str().unwrap(), "confirm", &code).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("processing")), "{c}");
    // A code is good once (RFC 6238 §5.2); a replay is refused without counting as a guess.
    let (_, w2) = withdraw(&t, &u, &acct, "1000").await;
    let w2 = w2["id"].as_str().unwrap();
    let (s, e) = act(&t, &u, &acct, w2, "confirm", &code).await;
    assert_eq!(s, 400);
    assert_validation(&e, "error.authorizationCode.used");
    t.clock.advance_secs(30);
    let next = payplane_app::pazemo::twofa::code_at(secret, now + 30).unwrap();
    let (s, c) = act(&t, &u, &acct, w2, "confirm", &next).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("processing")), "{c}");
});

dual!(more_than_the_available_balance_is_a_402, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = funded(&t, &u).await;
    // 997,500 + 2,500 fee is exactly everything.
    let (s, e) = withdraw(&t, &u, &acct, "997500.01").await;
    assert_eq!(s, 402, "{e}");
    assert_validation(&e, "error.balance.insufficient");
    let (s, _) = withdraw(&t, &u, &acct, "997500").await;
    assert_eq!(s, 200);
    let (s, _) = withdraw(&t, &u, &acct, "1").await;
    assert_eq!(s, 402);
    assert_eq!(
        balance(&t, &u, &acct).await,
        ("1000000".into(), "-1000000".into())
    );
    t.assert_ledger_sound().await;
});

dual!(withdrawal_input_is_validated, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = funded(&t, &u).await;
    let path = format!("/accounts/{acct}/withdraw");
    for (body, code) in [
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":1.001}"#,
            "error.amount.too.many.decimals",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":0}"#,
            "error.amount.not.positive",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":-3}"#,
            "error.amount.not.positive",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":"abc"}"#,
            "error.amount.invalid",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":1e30}"#,
            "error.amount.too.large",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B"}"#,
            "error.amount.required",
        ),
        (
            r#"{"prefix":"chase","address":"1234567890","addressName":"B","amount":1}"#,
            "error.bank.not.supported",
        ),
        (
            r#"{"prefix":"bca","address":"12","addressName":"B","amount":1}"#,
            "error.address.invalid",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","amount":1}"#,
            "error.addressName.required",
        ),
        (
            r#"{"address":"1234567890","addressName":"B","amount":1}"#,
            "error.prefix.required",
        ),
        (
            r#"{"prefix":"bca","address":"1234567890","addressName":"B","amount":1,"referenceData":[1]}"#,
            "error.referenceData.invalid",
        ),
    ] {
        let (s, e) = post_raw(&t, &u, &path, body).await;
        assert_eq!(s, 400, "{body}: {e}");
        assert_validation(&e, code);
    }
    let (s, e) = post_raw(&t, &u, &path, r#"{"beneficiaryId": 999999, "amount": 1}"#).await;
    assert_eq!(s, 404);
    assert_validation(&e, "error.beneficiary.not.found");
    let other = open_account(&t, &u, "USD").await;
    let (_, r) = create_beneficiary(
        &t,
        &u,
        json!({"accountId": other, "bankId": "chase", "address": "123456789"}),
    )
    .await;
    t.run_jobs().await;
    let (s, e) = post_raw(
        &t,
        &u,
        &path,
        &format!(r#"{{"beneficiaryId": {}, "amount": 1}}"#, r["id"]),
    )
    .await;
    assert_eq!(s, 400);
    assert_validation(&e, "error.beneficiary.account.mismatch");
    let stranger = t.user(Mode::Test).await;
    let (s, _) = withdraw(&t, &stranger, &acct, "1").await;
    assert_eq!(s, 404, "someone else's account");
    let (s, _) = get(&t, &stranger, &format!("{path}/nope")).await;
    assert_eq!(s, 404);
    assert_eq!(balance(&t, &u, &acct).await, ("1000000".into(), "0".into()));
});

dual!(
    a_withdrawal_to_an_active_recipient_uses_its_bank_details,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let r = active_bca_recipient(&t, &u, &acct).await;
        let (s, w) = post_raw(
            &t,
            &u,
            &format!("/accounts/{acct}/withdraw"),
            &format!(r#"{{"beneficiaryId": {r}, "amount": 5000, "notes": "x"}}"#),
        )
        .await;
        assert_eq!(s, 200, "{w}");
        assert_eq!(
            (
                w["beneficiaryId"].as_i64(),
                w["prefix"].as_str(),
                w["address"].as_str(),
                w["addressName"].as_str()
            ),
            (
                Some(r),
                Some("bca"),
                Some("1234567890"),
                Some("Budi Santoso")
            )
        );
    }
);

dual!(
    withdrawals_are_listed_newest_first_and_filtered_by_status,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let mut ids = vec![];
        for amount in ["1", "2", "3"] {
            let (_, w) = withdraw(&t, &u, &acct, amount).await;
            ids.push(w["id"].as_str().unwrap().to_string());
        }
        act(&t, &u, &acct, &ids[1], "cancel", "000000").await;
        let (_, all) = get(&t, &u, &format!("/accounts/{acct}/withdraw")).await;
        let got: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
        let (_, pending) = get(&t, &u, &format!("/accounts/{acct}/withdraw?status=pending")).await;
        assert_eq!(pending.as_array().unwrap().len(), 2);
        let (_, page) = get(&t, &u, &format!("/accounts/{acct}/withdraw?page=2&size=2")).await;
        assert_eq!(page[0]["id"], ids[0].as_str());
        let (s, e) = get(&t, &u, &format!("/accounts/{acct}/withdraw?status=weird")).await;
        assert_eq!(s, 400);
        assert_validation(&e, "error.status.invalid");
        let (s, _) = get(&t, &u, &format!("/accounts/{acct}/withdraw?size=1000")).await;
        assert_eq!(s, 400);
    }
);

dual!(
    a_live_withdrawal_without_a_payout_network_answers_402_and_releases_the_hold,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Live).await;
        let ops = t.admin().await;
        let acct = open_account(&t, &u, "IDR").await;
        post_raw(
            &t,
            &ops,
            &format!("/admin/accounts/{acct}/credit"),
            r#"{"amount": 100000, "reference": "w1"}"#,
        )
        .await;
        let secret = enroll_2fa(&t, &u).await;
        let (s, w) = withdraw(&t, &u, &acct, "1000").await;
        assert_eq!((s, w["network"].as_str()), (200, Some("none")), "{w}");
        let id = w["id"].as_str().unwrap();
        let (s, x) = act(&t, &u, &acct, id, "confirm", "000000").await;
        assert_eq!(s, 400, "000000 is for test mode only: {x}");
        let code = payplane_app::pazemo::twofa::code_at(&secret, (t.app.now() / 1_000_000) as u64)
            .unwrap();
        let (s, x) = act(&t, &u, &acct, id, "confirm", &code).await;
        assert_eq!(s, 402, "{x}");
        assert_validation(&x, "error.network.not.configured");
        let (_, w) = get(&t, &u, &format!("/accounts/{acct}/withdraw/{id}")).await;
        assert_eq!(w["status"], "failed");
        assert_eq!(balance(&t, &u, &acct).await, ("100000".into(), "0".into()));
        t.assert_ledger_sound().await;
    }
);

dual!(
    the_ledger_check_catches_a_hold_that_does_not_match_its_withdrawal,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let (_, w) = withdraw(&t, &u, &acct, "1000").await;
        t.assert_ledger_sound().await;
        sqlx::query("UPDATE withdrawals SET fee_amount = fee_amount + 1 WHERE id = $1")
            .bind(w["id"].as_str().unwrap())
            .execute(t.app.db.writer())
            .await
            .unwrap();
        let v = payplane_app::ledger::verify(&t.app).await.unwrap();
        let checks: Vec<&str> = v.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(
            checks,
            [
                "every open withdrawal holds exactly its amount plus fee",
                "an account's hold balance equals its open withdrawals"
            ],
            "{v:?}"
        );
        sqlx::query("UPDATE withdrawals SET status = 'cancelled', fee_amount = fee_amount - 1 WHERE id = $1")
        .bind(w["id"].as_str().unwrap())
        .execute(t.app.db.writer())
        .await
        .unwrap();
        let v = payplane_app::ledger::verify(&t.app).await.unwrap();
        let checks: Vec<&str> = v.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(
            checks,
            [
                "a finished withdrawal holds nothing",
                "an account's hold balance equals its open withdrawals"
            ],
            "{v:?}"
        );
    }
);

dual!(
    a_cursor_reads_withdrawals_and_events_once_each_in_order,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = funded(&t, &u).await;
        let mut ids = vec![];
        for amount in ["1", "2", "3", "4", "5"] {
            let (s, w) = withdraw(&t, &u, &acct, amount).await;
            assert_eq!(s, 200, "{w}");
            ids.push(json!(w["id"]));
        }
        act(&t, &u, &acct, ids[1].as_str().unwrap(), "cancel", "000000").await;
        act(&t, &u, &acct, ids[3].as_str().unwrap(), "cancel", "000000").await;
        let newest_first: Vec<Value> = ids.iter().rev().cloned().collect();
        let pending: Vec<Value> = [4, 2, 0].iter().map(|&i| ids[i].clone()).collect();
        let face = t.pazemo(&u);
        let members = |v: &Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|w| w["id"].clone())
                .collect()
        };
        let path = format!("/accounts/{acct}/withdraw");
        for (query, want) in [("", &newest_first), ("status=pending&", &pending)] {
            for size in [1, 2, 3] {
                let (got, pages) = face
                    .walk(&format!("{path}?{query}size={size}"), members)
                    .await;
                assert_eq!(
                    &got, want,
                    "{query} by {size}: every withdrawal once, in order"
                );
                assert_eq!(pages, want.len() / size + 1, "{query} by {size}");
            }
        }
        // Events (a pending and a cancelled one per cancelled withdrawal, and so on).
        let (s, all) = get(&t, &u, "/users/me/events?size=100").await;
        assert_eq!(s, 200, "{all}");
        let all = members(&all);
        assert!(all.len() >= 7, "{all:?}");
        for size in [1, 2, 3] {
            let (got, _) = face
                .walk(&format!("/users/me/events?size={size}"), members)
                .await;
            assert_eq!(got, all, "events by {size}");
        }
        for route in [path.as_str(), "/users/me/events"] {
            for bad in ["zz", "3a", "31", "not-a-cursor"] {
                let (s, e) = get(&t, &u, &format!("{route}?cursor={bad}")).await;
                assert_eq!(s, 400, "{route} {bad}: {e}");
                assert_validation(&e, "error.cursor.invalid");
            }
        }
    }
);
