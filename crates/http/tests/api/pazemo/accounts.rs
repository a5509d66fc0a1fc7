use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::{Value, json};

dual!(
    an_account_has_exactly_the_documented_fields_and_a_generated_number,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (s, a) = json(
            t.post(&format!("/users/{}/accounts", u.id))
                .header("authorization", u.bearer())
                .json(&json!({"currencyId": "IDR"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        let mut keys: Vec<&str> = a.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "balance",
                "createdTime",
                "currencyId",
                "id",
                "locked",
                "number",
                "updatedTime",
                "userId"
            ]
        );
        let number = a["number"].as_str().unwrap();
        assert!((11..=12).contains(&number.len()) && number.bytes().all(|c| c.is_ascii_digit()));
        assert_eq!(
            (a["balance"].as_i64(), a["locked"].as_i64()),
            (Some(0), Some(0))
        );
        assert!(a["createdTime"].as_str().unwrap().ends_with('Z'));
        let (s, list) = get(&t, &u, "/users/me/accounts").await;
        assert_eq!(s, 200);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["userId"], u.id.as_str());
    }
);

dual!(
    a_second_account_in_one_currency_and_mode_is_a_409,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        open_account(&t, &u, "USD").await;
        let (s, body) = post_raw(&t, &u, "/users/me/accounts", r#"{"currencyId":"USD"}"#).await;
        assert_eq!(s, 409);
        assert_validation(&body, "error.account.currency.exists");
        open_account(&t, &u, "EUR").await;
    }
);

dual!(
    unknown_currencies_and_bad_numbers_are_refused_and_a_taken_number_is_a_409,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (s, body) = post_raw(&t, &u, "/users/me/accounts", r#"{"currencyId":"CNY"}"#).await;
        assert_eq!(s, 400);
        assert_validation(&body, "error.currency.not.supported");
        for bad in ["123", "1234567890123", "11234567a90"] {
            let (s, body) = post_raw(
                &t,
                &u,
                "/users/me/accounts",
                &format!(r#"{{"currencyId":"IDR","number":"{bad}"}}"#),
            )
            .await;
            assert_eq!(s, 400, "{bad}");
            assert_validation(&body, "error.account.number.invalid");
        }
        let (s, a) = post_raw(
            &t,
            &u,
            "/users/me/accounts",
            r#"{"currencyId":"IDR","number":"11286762273"}"#,
        )
        .await;
        assert_eq!((s, a["number"].as_str()), (200, Some("11286762273")));
        let other = t.user(Mode::Test).await;
        let (s, body) = post_raw(
            &t,
            &other,
            "/users/me/accounts",
            r#"{"currencyId":"IDR","number":"11286762273"}"#,
        )
        .await;
        assert_eq!(s, 409);
        assert_validation(&body, "error.account.number.taken");
    }
);

dual!(
    another_users_path_is_403_and_another_users_account_is_404,
    async |b| {
        let t = TestApp::start(b).await;
        let alice = t.user(Mode::Test).await;
        let bob = t.user(Mode::Test).await;
        let acct = open_account(&t, &alice, "IDR").await;
        let (s, body) = get(&t, &bob, &format!("/users/{}/accounts", alice.id)).await;
        assert_eq!(s, 403);
        assert_validation(&body, "error.user.forbidden");
        let (s, _) = get(&t, &bob, &format!("/users/{}/accounts/{acct}", alice.id)).await;
        assert_eq!(s, 403);
        let (s, body) = get(&t, &bob, &format!("/users/me/accounts/{acct}")).await;
        assert_eq!(s, 404);
        assert_validation(&body, "error.account.not.found");
        let (s, _) = get(&t, &alice, &format!("/users/{}/accounts/{acct}", alice.id)).await;
        assert_eq!(s, 200);
        // Now the account is in the in-process cache: still nobody else's, in no other mode.
        let (s, body) = get(&t, &bob, &format!("/users/me/accounts/{acct}")).await;
        assert_eq!(s, 404, "{body}");
        let (s, body) = withdraw(&t, &bob, &acct, "1000").await;
        assert_eq!(s, 404, "{body}");
        assert_validation(&body, "error.account.not.found");
        let (s, _) = get(&t, &bob, &format!("/accounts/{acct}/withdraw")).await;
        assert_eq!(s, 404);
        let (s, _) = post_raw(
            &t,
            &bob,
            &format!("/users/{}/accounts", alice.id),
            r#"{"currencyId":"USD"}"#,
        )
        .await;
        assert_eq!(s, 403);
    }
);

dual!(
    a_sandbox_deposit_credits_exactly_and_is_listed_as_a_transaction,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        let a = deposit(&t, &u, &acct, "948775.42").await;
        assert_eq!(a["balance"].to_string(), "948775.42");
        deposit(&t, &u, &acct, "0.58").await;
        assert_eq!(balance(&t, &u, &acct).await, ("948776".into(), "0".into()));
        let (s, txns) = get(&t, &u, &format!("/users/me/accounts/{acct}/transactions")).await;
        assert_eq!(s, 200, "{txns}");
        assert_eq!(txns.as_array().unwrap().len(), 2);
        assert_eq!(txns[0]["type"], "deposit");
        assert_eq!(txns[0]["amount"].to_string(), "0.58", "newest first");
        let (_, page2) = get(
            &t,
            &u,
            &format!("/users/me/accounts/{acct}/transactions?page=2&size=1"),
        )
        .await;
        assert_eq!(page2[0]["amount"].to_string(), "948775.42");
        t.assert_ledger_sound().await;
    }
);

dual!(a_sandbox_deposit_with_a_live_token_is_refused, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Live).await;
    let acct = open_account(&t, &u, "IDR").await;
    let (s, body) = post_raw(
        &t,
        &u,
        &format!("/sandbox/accounts/{acct}/deposit"),
        r#"{"amount": 10}"#,
    )
    .await;
    assert_eq!(s, 403);
    assert_validation(&body, "error.sandbox.live.token");
    assert_eq!(balance(&t, &u, &acct).await.0, "0");
});

dual!(deposit_amounts_are_parsed_exactly_or_refused, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let acct = open_account(&t, &u, "USD").await;
    for (amount, code) in [
        ("10.123", "error.amount.too.many.decimals"),
        ("0", "error.amount.not.positive"),
        ("-5", "error.amount.not.positive"),
        ("\"ten\"", "error.amount.invalid"),
        ("true", "error.amount.invalid"),
        ("99999999999999999999999", "error.amount.too.large"),
        ("null", "error.amount.required"),
    ] {
        let (s, body) = post_raw(
            &t,
            &u,
            &format!("/sandbox/accounts/{acct}/deposit"),
            &format!(r#"{{"amount": {amount}}}"#),
        )
        .await;
        assert_eq!(s, 400, "{amount}: {body}");
        assert_validation(&body, code);
    }
    deposit(&t, &u, &acct, "0.10").await;
    deposit(&t, &u, &acct, "0.2").await;
    assert_eq!(
        balance(&t, &u, &acct).await.0,
        "0.3",
        "never floating point"
    );
});

dual!(
    an_operator_credit_is_admin_only_audited_and_refuses_a_reused_reference,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Live).await;
        let ops = t.admin().await;
        let acct = open_account(&t, &u, "EUR").await;
        let path = format!("/admin/accounts/{acct}/credit");
        let body = r#"{"amount": 1250.5, "reference": "wire-77"}"#;
        let (s, _) = post_raw(&t, &u, &path, body).await;
        assert_eq!(s, 403);
        let (s, a) = post_raw(&t, &ops, &path, body).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["balance"].to_string(), "1250.5");
        let (s, e) = post_raw(&t, &ops, &path, body).await;
        assert_eq!(s, 409);
        assert_validation(&e, "error.credit.duplicate");
        let audit: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.credit'")
                .fetch_one(&t.app.db.read)
                .await
                .unwrap();
        assert_eq!(audit, 1);
        let (_, txns) = get(&t, &u, &format!("/users/me/accounts/{acct}/transactions")).await;
        assert_eq!(
            (txns[0]["type"].as_str(), txns[0]["reference"].as_str()),
            (Some("credit"), Some("wire-77"))
        );
        t.assert_ledger_sound().await;
    }
);

dual!(a_read_only_token_cannot_change_anything, async |b| {
    let t = TestApp::start(b).await;
    let full = t.user(Mode::Test).await;
    let acct = open_account(&t, &full, "IDR").await;
    let ro = t.user_with(Mode::Test, true, vec![]).await;
    for path in [
        "/users/me/accounts".to_string(),
        format!("/sandbox/accounts/{acct}/deposit"),
        "/beneficiaries".to_string(),
        format!("/accounts/{acct}/withdraw"),
        format!("/accounts/{acct}/withdraw/x/confirm"),
        format!("/accounts/{acct}/withdraw/x/cancel"),
        "/quotes".to_string(),
        "/quotes/x/convert".to_string(),
        "/users/me/2fa".to_string(),
    ] {
        let (s, body) = post_raw(&t, &ro, &path, r#"{"currencyId":"USD","amount":1}"#).await;
        assert_eq!(s, 403, "{path}");
        assert_validation(&body, "error.token.read.only");
    }
    let (s, _) = json(
        t.delete("/beneficiaries/1")
            .header("authorization", ro.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = get(&t, &ro, "/users/me/accounts").await;
    assert_eq!(s, 200, "reading is allowed");
});

dual!(
    concurrent_reads_of_many_accounts_each_get_their_own_balance,
    async |b| {
        // Concurrent `GET`s are read in shared statements: each must still get its own
        // account's balance, and see a deposit made just before it.
        let t = TestApp::start(b).await;
        let mut owners = vec![];
        for (i, amount) in ["1000", "2500", "40000"].iter().enumerate() {
            let u = t.user(Mode::Test).await;
            let acct = open_account(&t, &u, "IDR").await;
            deposit(&t, &u, &acct, amount).await;
            owners.push((u, acct, i));
        }
        let t = &t;
        let reads = owners
            .iter()
            .cycle()
            .take(60)
            .map(|(u, acct, i)| async move { (*i, balance(t, u, acct).await) });
        for (i, (bal, locked)) in futures::future::join_all(reads).await {
            assert_eq!(
                (bal.as_str(), locked.as_str()),
                (["1000", "2500", "40000"][i], "0")
            );
        }
        let (u, acct, _) = &owners[0];
        deposit(t, u, acct, "1").await;
        assert_eq!(balance(t, u, acct).await.0, "1001");
    }
);

dual!(
    a_cursor_reads_an_accounts_transactions_once_each_in_order,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        for amount in ["1", "2", "3", "4", "5"] {
            deposit(&t, &u, &acct, amount).await;
        }
        // A withdrawal's hold touches both ledgers of the account in one transaction.
        let (s, w) = withdraw(&t, &u, &acct, "1").await;
        assert_eq!(s, 402, "the fee makes it too much: {w}");
        deposit(&t, &u, &acct, "5000").await;
        let (s, w) = withdraw(&t, &u, &acct, "1").await;
        assert_eq!(s, 200, "{w}");
        let path = format!("/users/me/accounts/{acct}/transactions");
        let (s, all) = get(&t, &u, &format!("{path}?size=100")).await;
        assert_eq!(s, 200, "{all}");
        let members = |v: &Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].clone())
                .collect()
        };
        let all = members(&all);
        assert_eq!(all.len(), 7, "{all:?}");
        let face = t.pazemo(&u);
        for size in [1, 2, 3, 7] {
            let (got, pages) = face.walk(&format!("{path}?size={size}"), members).await;
            assert_eq!(got, all, "by {size}: every transaction once, newest first");
            assert_eq!(pages, all.len() / size + 1, "by {size}");
        }
        for bad in ["zz", "3a", "31", "not-a-cursor"] {
            let (s, e) = get(&t, &u, &format!("{path}?cursor={bad}")).await;
            assert_eq!(s, 400, "{bad}: {e}");
            assert_validation(&e, "error.cursor.invalid");
        }
    }
);
