//! Steps shared by the accounts-and-payouts tests: open an account, fund it, add a recipient
//! that the sandbox network has verified, withdraw.
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::{Value, json};

/// Opens an account in `currency` and returns its id.
pub async fn open_account(t: &TestApp, u: &TestUser, currency: &str) -> String {
    let (s, b) = t
        .pazemo(u)
        .post("/users/me/accounts", &json!({"currencyId": currency}))
        .await;
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().to_string()
}

/// POSTs a raw JSON text body (so amounts travel exactly as written).
pub async fn post_raw(t: &TestApp, u: &TestUser, path: &str, body: &str) -> (u16, Value) {
    t.pazemo(u).post_raw(path, body).await
}

/// Sandbox deposit of `amount` (JSON number text); asserts success.
pub async fn deposit(t: &TestApp, u: &TestUser, account: &str, amount: &str) -> Value {
    let (s, b) = post_raw(
        t,
        u,
        &format!("/sandbox/accounts/{account}/deposit"),
        &format!(r#"{{"amount": {amount}}}"#),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    b
}

pub async fn account(t: &TestApp, u: &TestUser, id: &str) -> Value {
    let (s, b) = t.pazemo(u).get(&format!("/users/me/accounts/{id}")).await;
    assert_eq!(s, 200, "{b}");
    b
}

/// `(balance, locked)` of an account as exact decimal text.
pub async fn balance(t: &TestApp, u: &TestUser, id: &str) -> (String, String) {
    let a = account(t, u, id).await;
    (a["balance"].to_string(), a["locked"].to_string())
}

pub async fn create_beneficiary(t: &TestApp, u: &TestUser, body: Value) -> (u16, Value) {
    t.pazemo(u).post("/beneficiaries", &body).await
}

/// A recipient at BCA that the sandbox inquiry has made active; returns its id.
pub async fn active_bca_recipient(t: &TestApp, u: &TestUser, account: &str) -> i64 {
    let (s, b) = create_beneficiary(
        t,
        u,
        json!({"accountId": account, "bankId": "bca", "address": "1234567890", "name": "Budi Santoso",
               "email": "budi@example.com", "label": "Budi", "type": "personal"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    t.run_jobs().await;
    let id = b["id"].as_i64().unwrap();
    let (_, got) = get(t, u, &format!("/beneficiaries/{id}")).await;
    assert_eq!(got["status"], "active", "{got}");
    id
}

pub async fn get(t: &TestApp, u: &TestUser, path: &str) -> (u16, Value) {
    t.pazemo(u).get(path).await
}

/// Creates a withdrawal to a direct BCA address of `amount` (JSON number text).
pub async fn withdraw(t: &TestApp, u: &TestUser, account: &str, amount: &str) -> (u16, Value) {
    post_raw(
        t,
        u,
        &format!("/accounts/{account}/withdraw"),
        &format!(
            r#"{{"address": "1234567890", "addressName": "Budi Santoso", "prefix": "bca", "amount": {amount},
                "notes": "rent", "reference": "inv-1", "referenceData": {{"order": 7}}}}"#
        ),
    )
    .await
}

pub async fn act(
    t: &TestApp,
    u: &TestUser,
    account: &str,
    id: &str,
    action: &str,
    code: &str,
) -> (u16, Value) {
    t.pazemo(u)
        .post(
            &format!("/accounts/{account}/withdraw/{id}/{action}"),
            &json!({"authorizationCode": code}),
        )
        .await
}

/// Event types of the user's mode, newest first.
pub async fn event_types(t: &TestApp, u: &TestUser) -> Vec<String> {
    let (s, b) = get(t, u, "/users/me/events?size=100").await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// Another token of `u`'s user, made the way the operator CLI makes them.
pub async fn token_of(t: &TestApp, u: &TestUser, mode: Mode, allow_ips: Vec<String>) -> TestUser {
    let (_, token) = payplane_app::pazemo::users::create_token(
        &t.app,
        &u.id,
        payplane_app::pazemo::users::NewToken {
            mode,
            read_only: false,
            allow_ips,
            label: "other".into(),
        },
    )
    .await
    .expect("token");
    TestUser {
        id: u.id.clone(),
        token,
    }
}

/// Enrols an authenticator for `u`'s user and confirms it, as a user does: with a live token of
/// the user (the authenticator guards live money, so only live mode may set it) and a first code.
/// Returns the base32 secret. The confirming code is the previous step's (still accepted with
/// one step of skew), so the current step's code is left unused for the test.
pub async fn enroll_2fa(t: &TestApp, u: &TestUser) -> String {
    let live = token_of(t, u, Mode::Live, vec![]).await;
    let (s, e) = post_raw(t, &live, "/users/me/2fa", "{}").await;
    assert_eq!(s, 200, "{e}");
    let secret = e["secret"].as_str().expect("secret").to_string();
    let now = (t.app.now() / 1_000_000) as u64;
    let code = payplane_app::pazemo::twofa::code_at(&secret, now - 30).expect("code");
    let (s, e) = post_raw(
        t,
        &live,
        "/users/me/2fa/confirm",
        &json!({ "code": code }).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    secret
}
