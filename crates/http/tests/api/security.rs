//! Regression tests of the security issue (#19): 2FA enrolment, token scope, idempotency scope
//! and secrets at rest. Each reads the database where the promise is about what is stored.
use crate::dual;
use crate::pazemo::support::*;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::Method;
use serde_json::{Value, json as j};

fn now_secs(t: &TestApp) -> u64 {
    (t.app.now() / 1_000_000) as u64
}

/// A six-digit code that is not `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn totp_columns(t: &TestApp, user_id: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT totp_secret, totp_pending FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

/// A pending withdrawal from `u`'s live IDR account (opened, with 100,000 credited by an
/// operator, at the first call).
async fn live_withdrawal(t: &TestApp, u: &TestUser) -> (String, String) {
    let (_, accounts) = get(t, u, "/users/me/accounts").await;
    let acct = match accounts[0]["id"].as_str() {
        Some(id) => id.to_string(),
        None => funded_live_account(t, u).await,
    };
    let (s, w) = withdraw(t, u, &acct, "1000").await;
    assert_eq!(s, 200, "{w}");
    let id = w["id"].as_str().unwrap().to_string();
    (acct, id)
}

async fn funded_live_account(t: &TestApp, u: &TestUser) -> String {
    let ops = t.admin().await;
    let acct = open_account(t, u, "IDR").await;
    let (s, e) = post_raw(
        t,
        &ops,
        &format!("/admin/accounts/{acct}/credit"),
        r#"{"amount": 100000, "reference": "sec"}"#,
    )
    .await;
    assert_eq!(s, 200, "{e}");
    acct
}

/// Whether `code` is accepted for the live withdrawal: no live payout network is configured, so
/// an accepted code answers 402 `error.network.not.configured` (and a refused one 400).
async fn live_code_accepted(t: &TestApp, u: &TestUser, code: &str) -> bool {
    let (acct, id) = live_withdrawal(t, u).await;
    let (s, e) = act(t, u, &acct, &id, "confirm", code).await;
    match s {
        402 => {
            assert_validation(&e, "error.network.not.configured");
            true
        }
        400 => false,
        _ => panic!("unexpected {s}: {e}"),
    }
}

dual!(
    a_test_token_cannot_enroll_or_replace_the_live_authenticator,
    async |b| {
        let t = TestApp::start(b).await;
        let live = t.user(Mode::Live).await;
        let test = token_of(&t, &live, Mode::Test, vec![]).await;
        let (s, e) = post_raw(&t, &test, "/users/me/2fa", "{}").await;
        assert_eq!(s, 403, "{e}");
        assert_validation(&e, "error.2fa.live.only");
        assert_eq!(totp_columns(&t, &live.id).await, (None, None));
        let secret = enroll_2fa(&t, &live).await;
        let before = totp_columns(&t, &live.id).await;
        let code = payplane_app::pazemo::twofa::code_at(&secret, now_secs(&t)).unwrap();
        for body in [j!({}), j!({"code": code})] {
            let (s, e) = post_raw(&t, &test, "/users/me/2fa", &body.to_string()).await;
            assert_eq!(s, 403, "{e}");
            assert_validation(&e, "error.2fa.live.only");
        }
        let (s, e) = post_raw(
            &t,
            &test,
            "/users/me/2fa/confirm",
            &j!({"code": code}).to_string(),
        )
        .await;
        assert_eq!(s, 403, "{e}");
        assert_eq!(totp_columns(&t, &live.id).await, before, "nothing changed");
        assert!(
            live_code_accepted(&t, &live, &code).await,
            "live withdrawals still take the enrolled authenticator's codes"
        );
    }
);

dual!(
    an_enrolment_takes_effect_only_once_a_code_from_it_is_presented,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Live).await;
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/2fa/confirm",
            &j!({"code": "123456"}).to_string(),
        )
        .await;
        assert_eq!(s, 409, "{e}");
        assert_validation(&e, "error.2fa.not.pending");
        let (s, e) = post_raw(&t, &u, "/users/me/2fa", "{}").await;
        assert_eq!(s, 200, "{e}");
        let secret = e["secret"].as_str().unwrap().to_string();
        let (active, pending) = totp_columns(&t, &u.id).await;
        assert_eq!(active, None, "not active before confirmation");
        let pending = pending.expect("pending secret stored");
        assert!(pending.starts_with("v1:") && !pending.contains(&secret));
        let code = payplane_app::pazemo::twofa::code_at(&secret, now_secs(&t)).unwrap();
        let (acct, id) = live_withdrawal(&t, &u).await;
        let (s, e) = act(&t, &u, &acct, &id, "confirm", &code).await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.2fa.not.enrolled");
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/2fa/confirm",
            &j!({"code": wrong(&code)}).to_string(),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.authorizationCode.invalid");
        assert_eq!(totp_columns(&t, &u.id).await.0, None);
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/2fa/confirm",
            &j!({"code": code}).to_string(),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        let (active, pending) = totp_columns(&t, &u.id).await;
        assert!(active.is_some() && pending.is_none());
        // The confirming code is used up (RFC 6238 §5.2); the next step's code moves money.
        let (s, e) = act(&t, &u, &acct, &id, "confirm", &code).await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.authorizationCode.used");
        t.clock.advance_secs(30);
        let next = payplane_app::pazemo::twofa::code_at(&secret, now_secs(&t)).unwrap();
        let (s, e) = act(&t, &u, &acct, &id, "confirm", &next).await;
        assert_eq!(s, 402, "{e}");
    }
);

dual!(
    replacing_the_authenticator_needs_a_current_code,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Live).await;
        let old = enroll_2fa(&t, &u).await;
        let (s, e) = post_raw(&t, &u, "/users/me/2fa", "{}").await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.authorizationCode.required");
        let code = payplane_app::pazemo::twofa::code_at(&old, now_secs(&t)).unwrap();
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/2fa",
            &j!({"code": wrong(&code)}).to_string(),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        assert_validation(&e, "error.authorizationCode.invalid");
        assert_eq!(totp_columns(&t, &u.id).await.1, None, "nothing pending");
        let (s, e) = post_raw(&t, &u, "/users/me/2fa", &j!({"code": code}).to_string()).await;
        assert_eq!(s, 200, "{e}");
        let new = e["secret"].as_str().unwrap().to_string();
        assert_ne!(new, old);
        t.clock.advance_secs(30);
        let new_code = payplane_app::pazemo::twofa::code_at(&new, now_secs(&t)).unwrap();
        assert!(
            !live_code_accepted(&t, &u, &new_code).await,
            "the new authenticator guards nothing until confirmed"
        );
        let (s, e) = post_raw(
            &t,
            &u,
            "/users/me/2fa/confirm",
            &j!({"code": new_code}).to_string(),
        )
        .await;
        assert_eq!(s, 200, "{e}");
        t.clock.advance_secs(30);
        let now = now_secs(&t);
        let old_code = payplane_app::pazemo::twofa::code_at(&old, now).unwrap();
        assert!(
            !live_code_accepted(&t, &u, &old_code).await,
            "old one replaced"
        );
        let new_code = payplane_app::pazemo::twofa::code_at(&new, now).unwrap();
        assert!(live_code_accepted(&t, &u, &new_code).await);
    }
);

dual!(
    an_operator_reset_removes_the_authenticator_and_is_audit_logged,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Live).await;
        enroll_2fa(&t, &u).await;
        let (s, _) = post_raw(&t, &u, "/users/me/2fa", "{}").await;
        assert_eq!(s, 400, "replacing needs a code");
        payplane_app::pazemo::twofa::operator_reset(&t.app, "cli:ops", "cli@host", &u.id)
            .await
            .unwrap();
        assert_eq!(totp_columns(&t, &u.id).await, (None, None));
        let audit: Vec<(String, String, String)> =
            sqlx::query_as("SELECT actor, action, source FROM audit_log WHERE target = $1")
                .bind(&u.id)
                .fetch_all(&t.app.db.read)
                .await
                .unwrap();
        assert_eq!(
            audit,
            [("cli:ops".into(), "user.2fa.reset".into(), "cli@host".into())]
        );
        let (s, e) = post_raw(&t, &u, "/users/me/2fa", "{}").await;
        assert_eq!(s, 200, "a fresh enrolment needs no code after a reset: {e}");
        let err =
            payplane_app::pazemo::twofa::operator_reset(&t.app, "cli:ops", "cli@host", "nobody")
                .await
                .unwrap_err();
        assert_eq!(err.details[0].code, "error.user.not.found");
    }
);

dual!(
    a_token_sees_and_revokes_only_tokens_of_its_mode,
    async |b| {
        let t = TestApp::start(b).await;
        let live = t.user(Mode::Live).await;
        let test = token_of(&t, &live, Mode::Test, vec![]).await;
        let list = |u: &TestUser| {
            let req = t
                .get("/users/me/tokens")
                .header("Authorization", u.bearer());
            async move { json(req.send().await.unwrap()).await }
        };
        let (s, l) = list(&test).await;
        assert_eq!(s, 200);
        let modes: Vec<&str> = l
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["mode"].as_str().unwrap())
            .collect();
        assert_eq!(modes, ["test"], "{l}");
        let (_, l) = list(&live).await;
        assert_eq!(l.as_array().unwrap().len(), 1);
        let live_id = l[0]["id"].as_str().unwrap().to_string();
        assert_eq!(l[0]["mode"], "live");
        let (s, e) = json(
            t.delete(&format!("/users/me/tokens/{live_id}"))
                .header("Authorization", test.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 404, "{e}");
        assert_validation(&e, "error.token.not.found");
        let (s, _) = list(&live).await;
        assert_eq!(s, 200, "the live token still works");
    }
);

dual!(
    a_token_cannot_create_a_token_broader_than_itself,
    async |b| {
        let t = TestApp::start(b).await;
        let fenced = t
            .user_with(Mode::Test, false, vec!["127.0.0.0/8".into()])
            .await;
        let create = |u: &TestUser, body: Value| {
            let req = t
                .post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .json(&body);
            async move { json(req.send().await.unwrap()).await }
        };
        for ips in [
            j!([]),
            j!(["10.0.0.0/8"]),
            j!(["0.0.0.0/0"]),
            j!(["127.0.0.1", "10.0.0.1"]),
            j!(["::1"]),
        ] {
            let (s, e) = create(&fenced, j!({"allowedIps": ips})).await;
            assert_eq!(s, 403, "{ips}: {e}");
            assert_validation(&e, "error.token.allow.list.wider");
        }
        let (s, e) = create(&fenced, j!({"allowedIps": ["127.0.0.1", "127.0.0.0/16"]})).await;
        assert_eq!(s, 201, "{e}");
        assert_eq!(e["allowedIps"], j!(["127.0.0.1", "127.0.0.0/16"]));
        let live = t.user(Mode::Live).await;
        let (s, e) = create(&live, j!({"mode": "test"})).await;
        assert_eq!(s, 403, "{e}");
        assert_validation(&e, "error.mode.mismatch");
        let ro = t.user_with(Mode::Live, true, vec![]).await;
        let (s, e) = create(&ro, j!({"access": "full"})).await;
        assert_eq!(s, 403, "{e}");
        assert_validation(&e, "error.token.read.only");
        let (_, l) = json(
            t.get("/users/me/tokens")
                .header("Authorization", fenced.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            l.as_array().unwrap().len(),
            2,
            "only the allowed one was made"
        );
    }
);

dual!(
    idempotency_keys_are_scoped_to_the_principal_not_the_header_text,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let send = |auth: String, path: &'static str, body: Value| {
            let req = t
                .post(path)
                .header("Authorization", auth)
                .header("Idempotency-Key", "same")
                .json(&body);
            async move { req.send().await.unwrap() }
        };
        let first = send(
            format!("bearer {}", u.token),
            "/users/me/accounts",
            j!({"currencyId": "USD"}),
        )
        .await;
        assert_eq!(first.status(), 200);
        let (_, a) = json(first).await;
        let again = send(
            format!("Bearer  {}", u.token),
            "/users/me/accounts",
            j!({"currencyId": "USD"}),
        )
        .await;
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let (s, b2) = json(again).await;
        assert_eq!((s, &b2["id"]), (200, &a["id"]));
        let (_, accounts) = get(&t, &u, "/users/me/accounts").await;
        assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
        // The issue's repro: a webhook registered twice under one key.
        for auth in ["bearer", "BEARER"] {
            let r = t
                .post("/users/me/webhooks")
                .header("Authorization", format!("{auth} {}", u.token))
                .header("Idempotency-Key", "hook")
                .json(&j!({"url": "https://example.com/hook"}))
                .send()
                .await
                .unwrap();
            assert!(r.status() == 201 || r.status() == 409, "{}", r.status());
        }
        let (_, hooks) = get(&t, &u, "/users/me/webhooks").await;
        assert_eq!(hooks.as_array().unwrap().len(), 1, "{hooks}");
        // Another token of the same user and mode is the same principal.
        let other = token_of(&t, &u, Mode::Test, vec![]).await;
        let r = send(
            other.bearer(),
            "/users/me/accounts",
            j!({"currencyId": "USD"}),
        )
        .await;
        assert_eq!(r.headers()["idempotent-replayed"], "true");
        // The same key from another user is that user's own.
        let stranger = t.user(Mode::Test).await;
        let r = send(
            stranger.bearer(),
            "/users/me/accounts",
            j!({"currencyId": "USD"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
);

async fn stored_bodies(t: &TestApp) -> Vec<String> {
    let rows: Vec<(Option<Vec<u8>>,)> =
        sqlx::query_as("SELECT response_body FROM idempotency_keys")
            .fetch_all(&t.app.db.read)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(b,)| String::from_utf8_lossy(&b.unwrap_or_default()).into_owned())
        .collect()
}

dual!(
    a_response_holding_a_secret_is_not_kept_and_its_replay_is_a_409,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let create_token = || {
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .header("Idempotency-Key", "tok")
                .json(&j!({"label": "ci"}))
                .send()
        };
        let (s, created) = json(create_token().await.unwrap()).await;
        assert_eq!(s, 201);
        let raw = created["token"].as_str().unwrap().to_string();
        let (s, e) = json(create_token().await.unwrap()).await;
        assert_eq!(s, 409, "{e}");
        assert_validation(&e, "error.idempotency.secret.not.replayable");
        let hook = || {
            t.post("/users/me/webhooks")
                .header("Authorization", u.bearer())
                .header("Idempotency-Key", "hook")
                .json(&j!({"url": "https://example.com/h"}))
                .send()
        };
        let (s, created) = json(hook().await.unwrap()).await;
        assert_eq!(s, 201);
        let whsec = created["secret"].as_str().unwrap().to_string();
        let (s, e) = json(hook().await.unwrap()).await;
        assert_eq!(s, 409, "{e}");
        assert_validation(&e, "error.idempotency.secret.not.replayable");
        let bodies = stored_bodies(&t).await;
        assert_eq!(bodies.len(), 2);
        for body in bodies {
            assert!(
                !body.contains(&raw) && !body.contains(&whsec),
                "secret at rest: {body}"
            );
        }
        let (_, l) = get(&t, &u, "/users/me/tokens").await;
        assert_eq!(l.as_array().unwrap().len(), 2, "the request ran once");
    }
);

async fn endpoint_row(t: &TestApp, id: &str) -> (String, Option<String>, String) {
    sqlx::query_as("SELECT secret, previous_secret, headers FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap()
}

fn signed_with(secret: &str, r: &Received) -> bool {
    let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
    let want = payplane_app::webhooks::sign::sign(secret, &r.headers["webhook-id"], ts, &r.body);
    r.headers["webhook-signature"].split(' ').any(|s| s == want)
}

dual!(
    webhook_signing_secrets_are_sealed_at_rest_and_still_sign,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.webhooks.allow_private = true)
            .start()
            .await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        let (s, hook) = json(
            t.post("/users/me/webhooks")
                .header("Authorization", u.bearer())
                .json(&j!({"url": rx.url}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 201, "{hook}");
        let id = hook["id"].as_str().unwrap();
        let old = hook["secret"].as_str().unwrap().to_string();
        let (stored, _, _) = endpoint_row(&t, id).await;
        assert!(
            stored.starts_with("v1:") && !stored.contains(&old),
            "{stored}"
        );
        let (s, rotated) = json(
            t.post(&format!("/users/me/webhooks/{id}/rotate-secret"))
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        let new = rotated["secret"].as_str().unwrap().to_string();
        let (stored, prev, _) = endpoint_row(&t, id).await;
        let prev = prev.unwrap();
        assert!(
            stored.starts_with("v1:") && !stored.contains(&new),
            "{stored}"
        );
        assert!(prev.starts_with("v1:") && !prev.contains(&old), "{prev}");
        let test_event = || {
            t.post("/users/me/webhooks/test")
                .header("Authorization", u.bearer())
                .send()
        };
        assert_eq!(test_event().await.unwrap().status(), 202);
        t.run_deliveries().await;
        let r = &rx.received()[0];
        assert!(
            signed_with(&old, r) && signed_with(&new, r),
            "{:?}",
            r.headers
        );
        // A row written before secrets were sealed still signs.
        let legacy = payplane_app::webhooks::sign::new_secret();
        sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1, previous_secret = NULL WHERE id = $2",
        )
        .bind(&legacy)
        .bind(id)
        .execute(t.app.db.writer())
        .await
        .unwrap();
        assert_eq!(test_event().await.unwrap().status(), 202);
        t.run_deliveries().await;
        assert!(signed_with(&legacy, &rx.received()[1]));
    }
);

dual!(
    postback_authorization_headers_are_sealed_at_rest_and_still_sent,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.webhooks.allow_private = true)
            .start()
            .await;
        let rx = Receiver::start().await;
        let biz = business(&t).await;
        let (s, body) = json(
            api(&t, Method::POST, "/api-key-auth/business/postback", &biz)
                .json(&j!({"businessID": biz.id, "url": rx.url,
                    "authorization": {"pma-api-key": "Bearer merchant-token"},
                    "environment": "Ropsten"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let d = data(s, &body, "Successfully created postback url");
        let id = d["id"].as_str().unwrap();
        let whsec = d["signingSecret"].as_str().unwrap().to_string();
        let (secret, _, headers) = endpoint_row(&t, id).await;
        assert!(!headers.contains("merchant-token"), "{headers}");
        assert!(
            secret.starts_with("v1:") && !secret.contains(&whsec),
            "{secret}"
        );
        let (s, body) = json(
            api(
                &t,
                Method::GET,
                &format!("/api-key-auth/business/postback/{id}/{}", biz.id),
                &biz,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        let one = data(s, &body, "Successfully retrieved business postback");
        let auth: Value = serde_json::from_str(one["authorization"].as_str().unwrap()).unwrap();
        assert_eq!(auth, j!({"pma-api-key": "Bearer merchant-token"}));
        let (s, body) = json(
            api(&t, Method::PUT, "/api-key-auth/business/postback", &biz)
                .json(&j!([{"id": id, "businessID": biz.id, "url": rx.url,
                "authorization": "pma-api-key: Bearer edited-token", "environment": "Ropsten"}]))
                .send()
                .await
                .unwrap(),
        )
        .await;
        data(s, &body, "Successfully updated postback url");
        let (_, _, headers) = endpoint_row(&t, id).await;
        assert!(!headers.contains("edited-token"), "{headers}");
        let (s, body) = json(
            api(
                &t,
                Method::POST,
                &format!("/api-key-auth/business/postback/test/{}", biz.id),
                &biz,
            )
            .json(&j!({"networkID": 3}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        data(s, &body, "Successfully sent test postback");
        t.run_deliveries().await;
        let r = &rx.received()[0];
        assert_eq!(r.headers["pma-api-key"], "Bearer edited-token");
        assert!(signed_with(&whsec, r));
        // A row written before headers were sealed is still sent as it is.
        sqlx::query("UPDATE webhook_endpoints SET headers = $1 WHERE id = $2")
            .bind(r#"[["pma-api-key","Bearer legacy-token"]]"#)
            .bind(id)
            .execute(t.app.db.writer())
            .await
            .unwrap();
        let (s, body) = json(
            api(
                &t,
                Method::POST,
                &format!("/api-key-auth/business/postback/test/{}", biz.id),
                &biz,
            )
            .json(&j!({"networkID": 3}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        data(s, &body, "Successfully sent test postback");
        t.run_deliveries().await;
        assert_eq!(
            rx.received()[1].headers["pma-api-key"],
            "Bearer legacy-token"
        );
    }
);

dual!(
    pull_payment_idempotency_keys_belong_to_the_business_of_the_key,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let other = business(&t).await;
        let create = |who: &Biz| {
            api(
                &t,
                Method::POST,
                &format!("/api-key-auth/products/{}", who.id),
                who,
            )
            .header("Idempotency-Key", "p-1")
            .json(&j!({"categoryID": 1, "tags": ["a"], "productName": "Plan",
                "productDescription": "d", "productUrl": "https://example.com/p", "networkID": 3}))
            .send()
        };
        let first = create(&biz).await.unwrap();
        assert!(first.headers().get("idempotent-replayed").is_none());
        let (s, p1) = json(first).await;
        assert_eq!(s, 200, "{p1}");
        let again = create(&biz).await.unwrap();
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let (_, p2) = json(again).await;
        assert_eq!(p1["data"]["productID"], p2["data"]["productID"]);
        let theirs = create(&other).await.unwrap();
        assert!(theirs.headers().get("idempotent-replayed").is_none());
        let (s, p3) = json(theirs).await;
        assert_eq!(s, 200, "{p3}");
        assert_ne!(p1["data"]["productID"], p3["data"]["productID"]);
    }
);
