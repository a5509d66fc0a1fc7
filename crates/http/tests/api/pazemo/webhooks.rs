use crate::dual;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use serde_json::{Value, json as j};

async fn register(t: &TestApp, u: &TestUser, url: &str) -> Value {
    let (s, body) = json(
        t.post("/users/me/webhooks")
            .header("Authorization", u.bearer())
            .json(&j!({"url": url}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    body
}

async fn send_test(t: &TestApp, u: &TestUser) {
    let (s, body) = json(
        t.post("/users/me/webhooks/test")
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 202, "{body}");
}

fn private_ok(b: Backend) -> Builder {
    TestApp::builder(b).config(|c| c.webhooks.allow_private = true)
}

dual!(
    an_endpoint_gets_signed_events_that_the_official_library_verifies,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        let hook = register(&t, &u, &rx.url).await;
        let secret = hook["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"));
        send_test(&t, &u).await;
        assert_eq!(t.run_deliveries().await, 1);
        let got = rx.received();
        assert_eq!(got.len(), 1);
        let r = &got[0];
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "webhook.test");
        assert_eq!(body["sequence"], 1);
        assert!(r.headers["webhook-id"].starts_with("msg_"));
        let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
        let expected =
            payplane_app::webhooks::sign::sign(&secret, &r.headers["webhook-id"], ts, &r.body);
        assert_eq!(r.headers["webhook-signature"], expected);
        verify_with_official_library(&secret, r);
        let (_, list) = json(
            t.get("/users/me/webhooks/deliveries")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list[0]["status"], "succeeded");
        assert_eq!(list[0]["attempts"], 1);
        assert_eq!(list[0]["lastStatusCode"], 200);
    }
);

dual!(
    secrets_are_shown_once_and_endpoints_are_private_to_their_owner,
    async |b| {
        let t = private_ok(b).start().await;
        let u = t.user(Mode::Test).await;
        let other = t.user(Mode::Test).await;
        let hook = register(&t, &u, "https://example.com/hook").await;
        let (_, list) = json(
            t.get("/users/me/webhooks")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("secret").is_none());
        let (_, theirs) = json(
            t.get("/users/me/webhooks")
                .header("Authorization", other.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(theirs.as_array().unwrap().len(), 0);
        let path = format!("/users/me/webhooks/{}", hook["id"].as_str().unwrap());
        assert_eq!(
            t.delete(&path)
                .header("Authorization", other.bearer())
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        let live = t.user(Mode::Live).await;
        assert_eq!(
            t.delete(&path)
                .header("Authorization", live.bearer())
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            t.delete(&path)
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap()
                .status(),
            204
        );
        assert_eq!(
            t.delete(&path)
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
);

dual!(only_http_urls_are_accepted, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    for url in [
        "ftp://example.com/x",
        "not a url",
        "https://user:pw@example.com/x",
    ] {
        let (s, body) = json(
            t.post("/users/me/webhooks")
                .header("Authorization", u.bearer())
                .json(&j!({"url": url}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 400, "{url}");
        assert_validation(&body, "error.url.invalid");
    }
});

dual!(private_addresses_are_refused_at_delivery_time, async |b| {
    let t = TestApp::start(b).await;
    let rx = Receiver::start().await;
    let u = t.user(Mode::Test).await;
    register(&t, &u, &rx.url).await;
    register(&t, &u, &rx.url.replace("127.0.0.1", "localhost")).await;
    send_test(&t, &u).await;
    t.run_deliveries().await;
    assert!(
        rx.received().is_empty(),
        "nothing reached the loopback receiver"
    );
    let (_, list) = json(
        t.get("/users/me/webhooks/deliveries")
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    for d in list.as_array().unwrap() {
        assert!(d["lastError"].as_str().unwrap().contains("internal"), "{d}");
    }
});

dual!(
    failures_retry_on_schedule_honour_retry_after_and_stop_on_410,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        register(&t, &u, &rx.url).await;
        rx.answer(500, &[]);
        rx.answer(503, &[("retry-after", "600")]);
        send_test(&t, &u).await;
        assert_eq!(t.run_deliveries().await, 1);
        t.clock.advance_secs(4);
        assert_eq!(
            t.run_deliveries().await,
            0,
            "second attempt waits its 5 s (+jitter)"
        );
        t.clock.advance_secs(2);
        assert_eq!(t.run_deliveries().await, 1);
        t.clock.advance_secs(400);
        assert_eq!(
            t.run_deliveries().await,
            0,
            "Retry-After: 600 outranks the 300 s schedule step"
        );
        t.clock.advance_secs(300);
        assert_eq!(t.run_deliveries().await, 1);
        let got = rx.received();
        assert_eq!(got.len(), 3);
        assert!(
            got.iter()
                .all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]),
            "one stable webhook-id across retries"
        );
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_attempts")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        assert_eq!(attempts, 3);

        rx.answer(410, &[]);
        send_test(&t, &u).await;
        t.run_deliveries().await;
        t.clock.advance_secs(100_000);
        assert_eq!(t.run_deliveries().await, 0, "410 Gone stops retries");
        let (_, list) = json(
            t.get("/users/me/webhooks/deliveries?status=dead")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["lastStatusCode"], 410);
    }
);

dual!(rotation_signs_with_both_secrets_for_a_day, async |b| {
    let t = private_ok(b).start().await;
    let rx = Receiver::start().await;
    let u = t.user(Mode::Test).await;
    let hook = register(&t, &u, &rx.url).await;
    let old = hook["secret"].as_str().unwrap().to_string();
    let (s, rotated) = json(
        t.post(&format!(
            "/users/me/webhooks/{}/rotate-secret",
            hook["id"].as_str().unwrap()
        ))
        .header("Authorization", u.bearer())
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    send_test(&t, &u).await;
    t.run_deliveries().await;
    let r = &rx.received()[0];
    let sigs: Vec<&str> = r.headers["webhook-signature"].split(' ').collect();
    assert_eq!(sigs.len(), 2);
    verify_with_official_library(&old, r);
    verify_with_official_library(&new, r);
    t.clock.advance_secs(86_401);
    send_test(&t, &u).await;
    t.run_deliveries().await;
    assert_eq!(
        rx.received()[1].headers["webhook-signature"]
            .split(' ')
            .count(),
        1,
        "old secret expired"
    );
});

dual!(a_delivery_can_be_redelivered_by_its_owner_only, async |b| {
    let t = private_ok(b).start().await;
    let rx = Receiver::start().await;
    let u = t.user(Mode::Test).await;
    let other = t.user(Mode::Test).await;
    register(&t, &u, &rx.url).await;
    send_test(&t, &u).await;
    t.run_deliveries().await;
    let (_, list) = json(
        t.get("/users/me/webhooks/deliveries")
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = format!(
        "/users/me/webhooks/deliveries/{}/redeliver",
        list[0]["id"].as_str().unwrap()
    );
    assert_eq!(
        t.post(&path)
            .header("Authorization", other.bearer())
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        t.post(&path)
            .header("Authorization", u.bearer())
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    t.run_deliveries().await;
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
});

dual!(
    withdrawal_and_recipient_events_reach_the_users_webhook_signed_and_in_order,
    async |b| {
        use crate::pazemo::support::*;
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        let hook = register(&t, &u, &rx.url).await;
        let secret = hook["secret"].as_str().unwrap().to_string();
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "1000000").await;
        active_bca_recipient(&t, &u, &acct).await;
        let (s, w) = withdraw(&t, &u, &acct, "150000").await;
        assert_eq!(s, 200, "{w}");
        let id = w["id"].as_str().unwrap();
        let (s, _) = act(&t, &u, &acct, id, "confirm", "000000").await;
        assert_eq!(s, 200);
        for _ in 0..5 {
            t.clock.advance_secs(10);
            t.run_jobs().await;
        }
        t.run_deliveries().await;
        let got = rx.received();
        let types: Vec<String> = got
            .iter()
            .map(|r| {
                serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        for expected in [
            "beneficiary.active",
            "withdrawal.pending",
            "withdrawal.processing",
            "withdrawal.succeeded",
        ] {
            assert!(
                types.iter().any(|t| t == expected),
                "{expected} missing from {types:?}"
            );
        }
        let mut withdrawal_events: Vec<(i64, String)> = got
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|v| v["type"].as_str().unwrap().starts_with("withdrawal."))
            .map(|v| {
                (
                    v["sequence"].as_i64().unwrap(),
                    v["type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        withdrawal_events.sort();
        assert_eq!(
            withdrawal_events
                .iter()
                .map(|(_, k)| k.as_str())
                .collect::<Vec<_>>(),
            [
                "withdrawal.pending",
                "withdrawal.processing",
                "withdrawal.succeeded"
            ],
            "the per-object sequence orders one withdrawal's events"
        );
        for r in &got {
            verify_with_official_library(&secret, r);
        }
        // Another user's and the other mode's webhooks receive none of it.
        let (_, theirs) = json(
            t.get("/users/me/webhooks/deliveries")
                .header("Authorization", t.user(Mode::Test).await.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(theirs.as_array().unwrap().is_empty());
    }
);

/// A stand-in forward proxy: records the request line of everything sent through it (absolute
/// form `POST http://…` or `CONNECT host:port`) and answers 200.
struct FakeProxy {
    url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeProxy {
    async fn start() -> FakeProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&buf);
                    s.lock()
                        .unwrap()
                        .push(text.lines().next().unwrap_or("").to_string());
                    let _ = conn
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        FakeProxy { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

dual!(
    an_explicit_proxy_never_carries_a_delivery_to_an_internal_address,
    async |b| {
        let proxy = FakeProxy::start().await;
        let proxy_url = proxy.url.clone();
        let t = TestApp::builder(b)
            .config(move |c| c.webhooks.proxy = payplane_app::config::Secret(proxy_url))
            .start()
            .await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        // Names are resolved by the proxy, not by us: the guard must resolve them itself.
        register(&t, &u, &rx.url.replace("127.0.0.1", "localhost")).await;
        register(&t, &u, &rx.url).await;
        send_test(&t, &u).await;
        t.run_deliveries().await;
        assert_eq!(
            proxy.seen(),
            Vec::<String>::new(),
            "nothing went to the proxy"
        );
        assert!(rx.received().is_empty());
        let (_, list) = json(
            t.get("/users/me/webhooks/deliveries")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        for d in list.as_array().unwrap() {
            assert!(d["lastError"].as_str().unwrap().contains("internal"), "{d}");
        }
    }
);

dual!(
    deliveries_go_through_an_explicitly_configured_proxy,
    async |b| {
        let proxy = FakeProxy::start().await;
        let proxy_url = proxy.url.clone();
        let t = private_ok(b)
            .config(move |c| c.webhooks.proxy = payplane_app::config::Secret(proxy_url))
            .start()
            .await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        register(&t, &u, &rx.url).await;
        send_test(&t, &u).await;
        assert_eq!(t.run_deliveries().await, 1);
        assert_eq!(proxy.seen(), vec![format!("POST {} HTTP/1.1", rx.url)]);
        assert!(
            rx.received().is_empty(),
            "the proxy answered, not the receiver"
        );
    }
);

dual!(
    a_cursor_reads_the_delivery_log_once_each_in_order,
    async |b| {
        let t = private_ok(b).start().await;
        let rx = Receiver::start().await;
        let u = t.user(Mode::Test).await;
        // Two endpoints: the log merges their deliveries.
        register(&t, &u, &rx.url).await;
        let rx2 = Receiver::start().await;
        register(&t, &u, &rx2.url).await;
        for _ in 0..3 {
            send_test(&t, &u).await;
        }
        assert_eq!(t.run_deliveries().await, 6);
        let face = t.pazemo(&u);
        let members = |v: &Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].clone())
                .collect()
        };
        for query in ["", "status=succeeded&event=webhook.test&"] {
            let (s, all) = face
                .get(&format!("/users/me/webhooks/deliveries?{query}size=100"))
                .await;
            assert_eq!(s, 200, "{all}");
            let all = members(&all);
            assert_eq!(all.len(), 6, "{all:?}");
            for size in [1, 4, 6] {
                let (got, pages) = face
                    .walk(
                        &format!("/users/me/webhooks/deliveries?{query}size={size}"),
                        members,
                    )
                    .await;
                assert_eq!(
                    got, all,
                    "{query} by {size}: every delivery once, newest first"
                );
                assert_eq!(pages, all.len() / size + 1, "{query} by {size}");
            }
        }
        for bad in ["zz", "3a", "31", "not-a-cursor"] {
            let (s, e) = face
                .get(&format!("/users/me/webhooks/deliveries?cursor={bad}"))
                .await;
            assert_eq!(s, 400, "{bad}: {e}");
            assert_validation(&e, "error.cursor.invalid");
        }
    }
);
