use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::json as j;

dual!(register_answers_business_and_user_ids, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme", "email": email(), "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let d = data(s, &body, "Successfully registered the business");
    assert!(
        d["businessID"].is_string() && d["userID"].is_string(),
        "{d}"
    );
});

dual!(register_refuses_bad_fields_and_duplicate_email, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "", "email": "nope", "password": "short"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_field(s, &body, "company", "error.company.required");
    assert_field(s, &body, "email", "error.email.invalid");
    assert_field(s, &body, "password", "error.password.weak");
    let e = email();
    for want in [200, 409] {
        let (s, body) = json(
            t.post("/api/v2/console-auth/register")
                .json(&j!({"company": "Acme", "email": e, "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, want, "{body}");
    }
});

dual!(
    login_gives_an_expiring_session_and_logout_ends_it,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let (s, body) = json(
            t.post("/api/v2/console-auth/login")
                .json(&j!({"email": biz.email.to_uppercase(), "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let d = data(s, &body, "Successfully logged in");
        assert_eq!(d["businessID"], biz.id.as_str());
        assert_eq!(d["userID"], biz.user_id.as_str());
        assert!(d["expiresAt"].as_str().unwrap().ends_with('Z'));
        let token = d["xAccessToken"].as_str().unwrap().to_string();
        let key_url = format!("/api/v2/console-auth/api-keys/{}", biz.id);
        let (s, _) = json(
            t.get(&key_url)
                .header("x-access-token", &token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = json(
            t.post("/api/v2/console-auth/logout")
                .header("x-access-token", &token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        let (s, body) = json(
            t.get(&key_url)
                .header("x-access-token", &token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 401, "unauthorized");
        // The other session expires with time.
        t.clock.advance_secs(13 * 3600);
        let (s, _) = json(
            t.get(&key_url)
                .header("x-access-token", &biz.token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 401);
    }
);

dual!(wrong_passwords_are_limited_per_email_then_429, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    for _ in 0..5 {
        let (s, body) = json(
            t.post("/api/v2/console-auth/login")
                .json(&j!({"email": biz.email, "password": "wrong password"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 401, "unauthorized");
    }
    // Even the right password is refused while the limit holds...
    let (s, body) = json(
        t.post("/api/v2/console-auth/login")
            .json(&j!({"email": biz.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 429, "error.login.rate.limited");
    // It says when to come back: when the oldest failure leaves the 15-minute window.
    let r = t
        .post("/api/v2/console-auth/login")
        .json(&j!({"email": biz.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "900");
    // ...and the window passes.
    t.clock.advance_secs(15 * 60 + 1);
    let (s, _) = json(
        t.post("/api/v2/console-auth/login")
            .json(&j!({"email": biz.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
});

dual!(unknown_emails_count_against_the_client_ip, async |b| {
    // Many emails from one address: the per-IP cap (not the per-pair one) stops the spray.
    let t = TestApp::builder(b)
        .config(|c| c.pumapay.login_max_failures_per_ip = 5)
        .start()
        .await;
    for _ in 0..5 {
        let (s, _) = json(
            t.post("/api/v2/console-auth/login")
                .json(&j!({"email": email(), "password": "whatever1"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 401);
    }
    let (s, body) = json(
        t.post("/api/v2/console-auth/login")
            .json(&j!({"email": email(), "password": "whatever1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 429, "error.login.rate.limited");
});

dual!(generating_a_key_invalidates_the_previous_one, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let path = format!("/business/{}", biz.id);
    let (s, _) = json(
        api(&t, Method::GET, &format!("/api-key-auth{path}"), &biz)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = json(
        t.get(&format!(
            "/api/v2/console-auth/api-keys/generate/{}",
            biz.id
        ))
        .header("x-access-token", &biz.token)
        .send()
        .await
        .unwrap(),
    )
    .await;
    let new_key = data(
        s,
        &body,
        "Successfully generated the API key. You can now retrieve it",
    );
    assert_ne!(new_key.as_str().unwrap(), biz.key);
    let (s, body) = json(
        api(&t, Method::GET, &format!("/api-key-auth{path}"), &biz)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 401, "unauthorized");
    let (s, body) = json(
        t.get(&format!("/api/v2/console-auth/api-keys/{}", biz.id))
            .header("x-access-token", &biz.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(data(s, &body, "Successfully retrieved Api Key"), new_key);
});

dual!(
    keys_are_stored_hashed_and_sealed_never_in_clear,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let rows: Vec<(String, String)> = payplane_store::sqlx::query_as(
            "SELECT key_hash, key_sealed FROM business_api_keys WHERE business_id = $1",
        )
        .bind(&biz.id)
        .fetch_all(&t.app.db.read)
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].0.contains(&biz.key) && !rows[0].1.contains(&biz.key));
        assert!(rows[0].1.starts_with("v1:"));
        let (pw,): (String,) = payplane_store::sqlx::query_as(
            "SELECT password_hash FROM business_users WHERE id = $1",
        )
        .bind(&biz.user_id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
        assert!(pw.starts_with("$argon2id$"));
    }
);

dual!(a_session_cannot_manage_another_business_key, async |b| {
    let t = TestApp::start(b).await;
    let a = business(&t).await;
    let other = business(&t).await;
    for path in [
        format!("/api/v2/console-auth/api-keys/generate/{}", other.id),
        format!("/api/v2/console-auth/api-keys/{}", other.id),
    ] {
        let (s, body) = json(
            t.get(&path)
                .header("x-access-token", &a.token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 403, "error.business.forbidden");
    }
    let (s, _) = json(
        api(
            &t,
            Method::GET,
            &format!("/api-key-auth/business/{}", other.id),
            &other,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "the other business's key still works");
});

dual!(missing_credentials_get_401_in_the_envelope, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(
        t.get("/api/v2/api-key-auth/business/x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 401, "unauthorized");
    let (s, body) = json(
        t.get("/api/v2/console-auth/api-keys/x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 401, "unauthorized");
    let (s, body) = json(
        t.get("/api/v2/api-key-auth/business/x")
            .header("pma-api-key", "pma_nonsense")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 401, "unauthorized");
});

dual!(
    every_pull_payment_route_is_in_the_openapi_document,
    async |b| {
        let t = TestApp::start(b).await;
        let (s, doc) = json(t.get("/openapi.json").send().await.unwrap()).await;
        assert_eq!(s, 200);
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v2/console-auth/register",
            "/api/v2/console-auth/login",
            "/api/v2/console-auth/logout",
            "/api/v2/console-auth/api-keys/generate/{businessID}",
            "/api/v2/console-auth/api-keys/{businessID}",
            "/api/v2/api-key-auth/business/{businessID}",
            "/api/v2/api-key-auth/business-control/status/{businessID}",
            "/api/v2/api-key-auth/business/business-details/{businessID}",
            "/api/v2/api-key-auth/treasury-wallet",
            "/api/v2/api-key-auth/treasury-wallet/confirm",
            "/api/v2/api-key-auth/product-categories/{businessID}",
            "/api/v2/api-key-auth/products/{businessID}",
            "/api/v2/api-key-auth/products/all/{businessID}/{networkID}",
            "/api/v2/api-key-auth/products/single/{businessID}/{productID}/{networkID}",
            "/api/v2/api-key-auth/products/{businessID}/{productID}",
            "/api/v2/api-key-auth/products/{businessID}/{productID}/hide",
            "/api/v2/api-key-auth/pull-payment-models",
            "/api/v2/api-key-auth/pull-payment-models/all/{businessID}/{networkID}/{productID}",
            "/api/v2/api-key-auth/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}",
            "/api/v2/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}",
            "/api/v2/api-key-auth/register/sub/business",
            "/api/v2/api-key-auth/business/business-details/sub/business",
            "/api/v2/api-key-auth/business/sub/business/{parentID}",
            "/api/v2/api-key-auth/business-control/sub/business/disabled",
        ] {
            assert!(paths.contains_key(p), "{p} missing from /openapi.json");
        }
        assert!(
            paths["/api/v2/api-key-auth/business/business-details/{businessID}"]
                .get("put")
                .is_some()
        );
    }
);

async fn register_status(t: &TestApp) -> (u16, serde_json::Value) {
    json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme", "email": email(), "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

dual!(registration_is_throttled_per_client_ip, async |b| {
    let t = TestApp::builder(b)
        .config(|c| {
            c.pumapay.register_max_per_ip = 3;
            c.pumapay.register_window_secs = 600;
        })
        .start()
        .await;
    for _ in 0..3 {
        let (s, body) = register_status(&t).await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = register_status(&t).await;
    assert_error(s, &body, 429, "error.register.rate.limited");
    let r = t
        .post("/api/v2/console-auth/register")
        .json(&j!({"company": "Acme", "email": email(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers()["retry-after"],
        "600",
        "when the first attempt leaves the window"
    );
    // A refused attempt registered nothing.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM businesses")
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
    assert_eq!(n, 3);
    t.clock.advance_secs(601);
    let (s, body) = register_status(&t).await;
    assert_eq!(s, 200, "{body}");
});

/// A console login from `ip` (the test server trusts its loopback peer as a proxy).
async fn login_from(
    t: &TestApp,
    ip: &str,
    email: &str,
    password: &str,
) -> (u16, serde_json::Value) {
    json(
        t.post("/api/v2/console-auth/login")
            .header("X-Forwarded-For", ip)
            .json(&j!({"email": email, "password": password}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

dual!(
    a_locked_out_email_does_not_lock_out_another_email_from_the_same_ip,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.trusted_proxies = vec!["127.0.0.1/32".into()])
            .start()
            .await;
        let victim = business(&t).await;
        let other = business(&t).await;
        let attacker = "198.51.100.7";
        for _ in 0..5 {
            let (s, _) = login_from(&t, attacker, &victim.email, "wrong password").await;
            assert_eq!(s, 401);
        }
        let (s, body) = login_from(&t, attacker, &victim.email, PASSWORD).await;
        assert_error(s, &body, 429, "error.login.rate.limited");
        // Another email behind the same address still logs in...
        let (s, body) = login_from(&t, attacker, &other.email, PASSWORD).await;
        assert_eq!(s, 200, "another email from the same IP logs in: {body}");
        // ...and so does the owner, from their own address.
        let (s, body) = login_from(&t, "203.0.113.9", &victim.email, PASSWORD).await;
        assert_eq!(s, 200, "the owner logs in from elsewhere: {body}");
    }
);
