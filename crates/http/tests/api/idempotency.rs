use crate::dual;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::json as j;

async fn token_count(t: &TestApp, u: &TestUser) -> usize {
    let (_, list) = json(
        t.get("/users/me/tokens")
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    list.as_array().unwrap().len()
}

dual!(
    same_key_same_request_replays_the_first_response,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        // Opening an account (a response with no secret in it: those are not replayed, see
        // security.rs).
        let send = || {
            t.post("/users/me/accounts")
                .header("Authorization", u.bearer())
                .header("Idempotency-Key", "k-1")
                .json(&j!({"currencyId": "USD"}))
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), 200);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first_body = first.text().await.unwrap();
        let second = send().await.unwrap();
        assert_eq!(second.status(), 200);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        assert_eq!(second.text().await.unwrap(), first_body);
        let (_, accounts) = json(
            t.get("/users/me/accounts")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            accounts.as_array().unwrap().len(),
            1,
            "the request ran once"
        );
    }
);

dual!(same_key_different_request_is_409, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let r1 = t
        .post("/users/me/tokens")
        .header("Authorization", u.bearer())
        .header("Idempotency-Key", "k-2")
        .json(&j!({"label": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r1.status(), 201);
    let (s, body) = json(
        t.post("/users/me/tokens")
            .header("Authorization", u.bearer())
            .header("Idempotency-Key", "k-2")
            .json(&j!({"label": "b"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 409);
    assert_validation(&body, "error.idempotency.key.reused");
    assert_eq!(token_count(&t, &u).await, 2);
});

dual!(keys_are_scoped_per_credential, async |b| {
    let t = TestApp::start(b).await;
    let a = t.user(Mode::Test).await;
    let other = t.user(Mode::Test).await;
    for u in [&a, &other] {
        let r = t
            .post("/users/me/tokens")
            .header("Authorization", u.bearer())
            .header("Idempotency-Key", "shared")
            .json(&j!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
});

dual!(
    concurrent_requests_with_one_key_run_once_and_never_500,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let futs = (0..16).map(|_| {
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .header("Idempotency-Key", "race")
                .json(&j!({"label": "race"}))
                .send()
        });
        let results = futures::future::join_all(futs).await;
        let mut fresh = 0;
        for r in results {
            let r = r.unwrap();
            let status = r.status().as_u16();
            assert!(status == 201 || status == 409, "got {status}");
            if status == 201 && r.headers().get("idempotent-replayed").is_none() {
                fresh += 1;
            }
        }
        assert_eq!(fresh, 1);
        assert_eq!(
            token_count(&t, &u).await,
            2,
            "exactly one token was created"
        );
    }
);

dual!(
    errors_are_replayed_too_and_gets_ignore_the_header,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let send = || {
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .header("Idempotency-Key", "bad")
                .json(&j!({"mode": "nope"}))
                .send()
        };
        let (s1, b1) = json(send().await.unwrap()).await;
        let r2 = send().await.unwrap();
        assert_eq!(r2.headers()["idempotent-replayed"], "true");
        let (s2, b2) = json(r2).await;
        assert_eq!((s1, &b1), (s2, &b2));
        assert_eq!(s1, 400);
        let r = t
            .get("/users/me")
            .header("Authorization", u.bearer())
            .header("Idempotency-Key", "bad")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
);
