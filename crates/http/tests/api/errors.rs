use crate::dual;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;

dual!(unknown_routes_are_404_in_each_face_shape, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(t.get("/nope").send().await.unwrap()).await;
    assert_eq!(s, 404);
    assert_validation(&body, "error.route.not.found");
    let (s, body) = json(t.get("/api/v2/nope").send().await.unwrap()).await;
    assert_eq!(s, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["status"], 404);
    assert_eq!(body["errors"][0]["code"], "error.route.not.found");
});

dual!(wrong_method_is_405_in_face_shape, async |b| {
    let t = TestApp::start(b).await;
    let (s, body) = json(t.req(reqwest::Method::PUT, "/ping").send().await.unwrap()).await;
    assert_eq!(s, 405);
    assert_validation(&body, "error.method.not.allowed");
});

dual!(
    malformed_and_mistyped_json_is_400_and_changes_nothing,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let (s, body) = json(
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .header("Content-Type", "application/json")
                .body("{bad")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 400);
        assert_validation(&body, "error.json.malformed");
        let (s, body) = json(
            t.post("/users/me/tokens")
                .header("Authorization", u.bearer())
                .json(&serde_json::json!({"label": 5}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 400);
        let e = assert_validation(&body, "error.json.invalid");
        assert_eq!(e["arguments"][0], "label");
        let (_, list) = json(
            t.get("/users/me/tokens")
                .header("Authorization", u.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "no token was created by bad requests"
        );
    }
);

/// Sends an oversized body. The server answers 413 before reading it and closes the
/// connection, so the client can see a reset while still writing: retry on transport errors.
async fn send_oversized(t: &TestApp, path: &str, auth: Option<&str>) -> (u16, serde_json::Value) {
    let big = format!("{{\"label\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    for _ in 0..10 {
        let mut r = t
            .post(path)
            .header("Content-Type", "application/json")
            .body(big.clone());
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        if let Ok(res) = r.send().await {
            return json(res).await;
        }
    }
    panic!("no answer to an oversized body after 10 tries");
}

dual!(bodies_over_one_mib_are_413, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(Mode::Test).await;
    let (s, body) = send_oversized(&t, "/users/me/tokens", Some(&u.bearer())).await;
    assert_eq!(s, 413);
    assert_validation(&body, "error.body.too.large");
    let (s, body) = send_oversized(&t, "/api/v2/anything", None).await;
    assert!(s == 413 || s == 404, "{s}");
    assert_eq!(body["success"], false);
});

dual!(
    a_panic_is_a_500_in_system_shape_without_internals,
    async |b| {
        let t = TestApp::start(b).await;
        let routes = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("secret internal detail")
                    }
                }),
            )
            .route(
                "/api/v2/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("secret internal detail")
                    }
                }),
            );
        let router = payplane_http::with_layers(routes, t.app.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(payplane_http::serve_router(
            router,
            listener,
            tokio_util::sync::CancellationToken::new(),
        ));
        let res = reqwest::get(format!("{base}/boom")).await.unwrap();
        let (s, body) = json(res).await;
        assert_eq!(s, 500);
        assert_eq!(body["status"], 500);
        assert_eq!(body["error"], "Internal Server Error");
        assert_eq!(body["path"], "/boom");
        assert!(!body.to_string().contains("secret internal detail"));
        let (s, body) = json(reqwest::get(format!("{base}/api/v2/boom")).await.unwrap()).await;
        assert_eq!(s, 500);
        assert_eq!(body["success"], false);
        assert!(!body.to_string().contains("secret"));
    }
);
