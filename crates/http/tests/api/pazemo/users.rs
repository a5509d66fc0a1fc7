use crate::dual;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::json as j;

dual!(a_token_made_by_the_cli_path_reaches_users_me, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (s, body) = json(
        t.get("/users/me")
            .header("Authorization", format!("bearer {}", u.token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body["id"], u.id.as_str());
    assert!(body["email"].as_str().unwrap().contains('@'));
    assert!(body["name"].is_string());
    assert_eq!(
        body.as_object().unwrap().len(),
        3,
        "exactly the documented fields: {body}"
    );
});

dual!(
    wrong_or_missing_token_gets_the_documented_401_body,
    async |b| {
        let t = TestApp::start(b).await;
        for auth in [Some("Bearer nope"), Some("Basic abc"), None] {
            let mut r = t.get("/users/me");
            if let Some(a) = auth {
                r = r.header("Authorization", a);
            }
            let (s, body) = json(r.send().await.unwrap()).await;
            assert_eq!(s, 401);
            assert_eq!(body["error"], "unauthorized");
            assert_eq!(
                body["error_description"],
                "Full authentication is required to access this resource"
            );
        }
    }
);

dual!(user_by_id_is_own_only_unless_admin, async |b| {
    let t = TestApp::start(b).await;
    let a = t.user(Mode::Test).await;
    let other = t.user(Mode::Test).await;
    let (s, body) = json(
        t.get(&format!("/users/{}", a.id))
            .header("Authorization", a.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    for f in [
        "id",
        "createdTime",
        "updatedTime",
        "status",
        "email",
        "mobile",
        "name",
        "partnerId",
        "roles",
        "configs",
    ] {
        assert!(body.get(f).is_some(), "missing {f} in {body}");
    }
    assert!(body["roles"].is_array() && body["configs"].is_object());
    assert!(body["createdTime"].as_str().unwrap().ends_with('Z'));
    let (s, body) = json(
        t.get(&format!("/users/{}", other.id))
            .header("Authorization", a.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    assert_validation(&body, "error.user.forbidden");
    let admin = t.admin().await;
    let (s, body) = json(
        t.get(&format!("/users/{}", other.id))
            .header("Authorization", admin.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body["id"], other.id.as_str());
    let (s, _) = json(
        t.get("/users/does-not-exist")
            .header("Authorization", admin.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
});

dual!(
    a_sixth_active_token_is_refused_until_one_is_revoked,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let mut ids = vec![];
        for i in 0..4 {
            let (s, body) = json(
                t.post("/users/me/tokens")
                    .header("Authorization", u.bearer())
                    .json(&j!({"label": format!("t{i}")}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(s, 201, "{body}");
            assert!(body["token"].as_str().unwrap().starts_with("pp_test_"));
            ids.push(body["id"].as_str().unwrap().to_string());
        }
        let (s, body) = json(
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .json(&j!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 409);
        assert_validation(&body, "error.token.limit");
        let (_, list) = json(
            t.get("/users/me/tokens")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 5);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("token").is_none()),
            "secrets are never listed"
        );
        let res = t
            .delete(&format!("/users/me/tokens/{}", ids[0]))
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let (s, _) = json(
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .json(&j!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 201);
    }
);

dual!(
    concurrent_token_creation_never_passes_the_limit,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let futs = (0..12).map(|_| {
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .json(&j!({}))
                .send()
        });
        let results = futures::future::join_all(futs).await;
        let created = results
            .iter()
            .filter(|r| r.as_ref().unwrap().status() == 201)
            .count();
        assert_eq!(created, 4);
    }
);

dual!(revoked_tokens_stop_working_at_once, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (_, created) = json(
        t.post("/users/me/tokens")
            .header("Authorization", u.bearer())
            .json(&j!({"label": "ci"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let second = format!("Bearer {}", created["token"].as_str().unwrap());
    assert_eq!(
        t.get("/users/me")
            .header("Authorization", &second)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = t
        .delete(&format!(
            "/users/me/tokens/{}",
            created["id"].as_str().unwrap()
        ))
        .header("Authorization", u.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        t.get("/users/me")
            .header("Authorization", &second)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = t
        .delete(&format!(
            "/users/me/tokens/{}",
            created["id"].as_str().unwrap()
        ))
        .header("Authorization", u.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
});

// Another process revoked the token: this one finds out when its cached entry is reloaded. A
// token in use is reloaded by one request once its entry is past half its life (15 of 30 s),
// and from then on it is refused.
dual!(
    a_token_revoked_elsewhere_is_refused_once_its_cache_entry_is_reloaded,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let me = || {
            let (t, bearer) = (&t, u.bearer());
            async move {
                t.get("/users/me")
                    .header("Authorization", bearer)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(me().await, 200);
        let hash = payplane_core::secrets::sha256_hex(u.token.as_bytes());
        let token = payplane_store::pazemo::tokens::by_hash(&t.app.db.read, &hash)
            .await
            .unwrap()
            .unwrap();
        payplane_store::pazemo::tokens::revoke(t.app.db.writer(), &u.id, &token.id, t.app.now())
            .await
            .unwrap();
        t.clock.advance_secs(14);
        assert_eq!(me().await, 200, "still cached: younger than half its life");
        t.clock.advance_secs(2);
        assert_eq!(
            me().await,
            401,
            "the request that reloads it sees the revocation"
        );
        assert_eq!(me().await, 401, "and nobody goes on using the old entry");
    }
);

dual!(ip_allow_list_refuses_other_addresses_with_401, async |b| {
    let t = TestApp::start(b).await;
    let blocked = t
        .user_with(Mode::Test, false, vec!["10.1.0.0/16".into()])
        .await;
    let (s, body) = json(
        t.get("/users/me")
            .header("Authorization", blocked.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(body["error"], "unauthorized");
    let allowed = t
        .user_with(Mode::Test, false, vec!["127.0.0.0/8".into()])
        .await;
    assert_eq!(
        t.get("/users/me")
            .header("Authorization", allowed.bearer())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (s, body) = json(
        t.post("/users/me/tokens")
            .header("Authorization", allowed.bearer())
            .json(&j!({"allowedIps": ["not-an-ip"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_validation(&body, "error.ip.invalid");
});

dual!(
    read_only_tokens_get_403_on_mutations_but_can_read,
    async |b| {
        let t = TestApp::start(b).await;
        let ro = t.user_with(Mode::Test, true, vec![]).await;
        assert_eq!(
            t.get("/users/me")
                .header("Authorization", ro.bearer())
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let (s, body) = json(
            t.post("/users/me/tokens")
                .header("Authorization", ro.bearer())
                .json(&j!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 403);
        assert_validation(&body, "error.token.read.only");
        let (_, list) = json(
            t.get("/users/me/tokens")
                .header("Authorization", ro.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["access"], "read_only");
        assert!(
            list[0]["lastUsedTime"].is_string(),
            "last-used time is recorded: {list}"
        );
    }
);

dual!(a_test_token_cannot_mint_live_tokens, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (s, body) = json(
        t.post("/users/me/tokens")
            .header("Authorization", u.bearer())
            .json(&j!({"mode": "live"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    assert_validation(&body, "error.mode.escalation");
    let (s, body) = json(
        t.post("/users/me/tokens")
            .header("Authorization", u.bearer())
            .json(&j!({"mode": "sideways"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_validation(&body, "error.mode.invalid");
});
