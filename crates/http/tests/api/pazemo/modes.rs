use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::users::NewToken;
use serde_json::json;

dual!(test_mode_and_live_mode_are_separate_worlds, async |b| {
    let t = TestApp::start(b).await;
    let test = t.user(Mode::Test).await;
    // The same user with a live token.
    let (_, raw) = payplane_app::pazemo::users::create_token(
        &t.app,
        &test.id,
        NewToken {
            mode: Mode::Live,
            read_only: false,
            allow_ips: vec![],
            label: "live".into(),
        },
    )
    .await
    .unwrap();
    let live = TestUser {
        id: test.id.clone(),
        token: raw,
    };
    let test_acct = open_account(&t, &test, "IDR").await;
    deposit(&t, &test, &test_acct, "50000").await;
    let r = active_bca_recipient(&t, &test, &test_acct).await;
    let (_, w) = withdraw(&t, &test, &test_acct, "1000").await;
    let wid = w["id"].as_str().unwrap();

    // From live: nothing of test mode is visible or usable.
    let (_, list) = get(&t, &live, "/users/me/accounts").await;
    assert_eq!(list, json!([]));
    for path in [
        format!("/users/me/accounts/{test_acct}"),
        format!("/users/me/accounts/{test_acct}/transactions"),
        format!("/beneficiaries/{r}"),
        format!("/accounts/{test_acct}/withdraw"),
        format!("/accounts/{test_acct}/withdraw/{wid}"),
    ] {
        let (s, _) = get(&t, &live, &path).await;
        assert_eq!(s, 404, "{path}");
    }
    let (_, recipients) = get(&t, &live, "/beneficiaries").await;
    assert_eq!(recipients, json!([]));
    assert_eq!(event_types(&t, &live).await, Vec::<String>::new());
    let (s, _) = act(&t, &live, &test_acct, wid, "cancel", "000000").await;
    assert_eq!(s, 404);

    // A live IDR account is allowed next to the test one, and is invisible from test.
    let live_acct = open_account(&t, &live, "IDR").await;
    let (_, list) = get(&t, &test, "/users/me/accounts").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], test_acct.as_str());
    let (s, _) = get(&t, &test, &format!("/users/me/accounts/{live_acct}")).await;
    assert_eq!(s, 404);
    let (s, _) = post_raw(
        &t,
        &test,
        &format!("/sandbox/accounts/{live_acct}/deposit"),
        r#"{"amount": 5}"#,
    )
    .await;
    assert_eq!(s, 404, "a test token cannot fund a live account");
    let (s, e) = create_beneficiary(
        &t,
        &test,
        json!({"accountId": live_acct, "bankId": "bca", "address": "1234567890"}),
    )
    .await;
    assert_eq!(s, 404, "{e}");
    // Ledger accounts carry their mode.
    let modes: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT mode FROM ledger_accounts WHERE id LIKE '%' || $1 || '%'",
    )
    .bind(&live_acct)
    .fetch_all(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(modes, ["live"]);
    t.assert_ledger_sound().await;
});
