use crate::dual;
use crate::support::*;

dual!(ping_returns_the_version_as_text, async |b| {
    let t = TestApp::start(b).await;
    let res = t.get("/ping").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.text().await.unwrap(), env!("CARGO_PKG_VERSION"));
});

dual!(
    check_echoes_url_and_headers_but_not_credentials,
    async |b| {
        let t = TestApp::start(b).await;
        let res = t
            .get("/check?x=1")
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer secret")
            .send()
            .await
            .unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, 200);
        assert!(body["greeting"].as_str().unwrap().len() > 3);
        assert!(payplane_core::timefmt::parse_rfc3339(body["date"].as_str().unwrap()).is_some());
        assert!(body["url"].as_str().unwrap().ends_with("/check?x=1"));
        assert_eq!(body["headers"]["Content-Type"], "application/json");
        assert!(body["headers"].get("Authorization").is_none());
    }
);

dual!(ping_queue_answers_after_a_worker_ran_the_job, async |b| {
    let t = TestApp::builder(b).worker().start().await;
    let (status, body) = json(t.get("/pingQueue").send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["greeting"].is_string() && body["headers"].is_object());
    let done: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'ping' AND status = 'done'")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
    assert_eq!(done, 1);
});

dual!(
    ping_queue_is_503_in_system_shape_without_a_worker,
    async |b| {
        let t = TestApp::start(b).await;
        let (status, body) = json(t.get("/pingQueue").send().await.unwrap()).await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], 503);
        assert_eq!(body["error"], "Service Unavailable");
        assert_eq!(body["path"], "/pingQueue");
        assert!(body["timestamp"].as_str().unwrap().ends_with("+0000"));
        assert!(body["exception"].is_string() && body["message"].is_string());
    }
);

dual!(
    metrics_count_requests_by_route_and_show_queue_depth,
    async |b| {
        let t = TestApp::start(b).await;
        t.get("/ping").send().await.unwrap();
        t.get("/users/me").send().await.unwrap();
        let text = t
            .get("/metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(
                "payplane_http_requests_total{method=\"GET\",route=\"/ping\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("route=\"/users/me\",status=\"401\""),
            "{text}"
        );
        assert!(
            text.contains(
                "payplane_http_request_duration_seconds_bucket{route=\"/ping\",le=\"+Inf\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE payplane_jobs gauge"), "{text}");
    }
);

dual!(
    openapi_lists_every_route_and_swagger_ui_is_served,
    async |b| {
        let t = TestApp::start(b).await;
        let (status, doc) = json(t.get("/openapi.json").send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.1.0");
        for p in [
            "/ping",
            "/check",
            "/pingQueue",
            "/users/me",
            "/users/{userId}",
            "/users/me/tokens",
            "/users/me/tokens/{id}",
            "/metrics",
            "/api/v2/api-key-auth/qr/pull-payment/{pullPaymentModelID}/{uniqueReferenceID}",
            "/api/v2/open-auth/pull-payment-requests/{requestID}",
            "/api/v2/open-auth/pull-payment-requests/{requestID}/status",
            "/api/v2/open-auth/pull-payments/{pullPaymentID}/cancel",
            "/api/v2/admin/test-clock/advance",
            "/api/v2/reports/fiat/settlement/{businessID}/{currency}",
            "/api/v2/reports/fiat/total/{businessID}/{currency}",
            "/api/v2/reports/fiat/all/{businessID}",
            "/api/v2/reports/fiat/transactions/{businessID}/{fiatSettlementID}",
            "/api/v2/open-auth/qr/settlement/{businessID}/{settlementID}/{currency}",
            "/api/v2/api-key-auth/business/settlement-account",
        ] {
            assert!(doc["paths"].get(p).is_some(), "missing {p}");
        }
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids are unique");
        let ui = t.get("/docs/").send().await.unwrap();
        assert_eq!(ui.status(), 200);
        assert!(ui.text().await.unwrap().contains("swagger"));
    }
);

dual!(check_echoes_only_allow_listed_headers, async |b| {
    let t = TestApp::start(b).await;
    let res = t
        .get("/check")
        .header("Accept", "application/json")
        .header("Proxy-Authorization", "Basic c2VjcmV0")
        .header("X-Api-Key", "secret-key")
        .header("X-Auth-Token", "secret-token")
        .header("X-Custom", "anything")
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, 200);
    let headers = body["headers"].as_object().unwrap();
    assert_eq!(headers["Accept"], "application/json");
    for hidden in [
        "Proxy-Authorization",
        "X-Api-Key",
        "X-Auth-Token",
        "X-Custom",
    ] {
        assert!(!headers.contains_key(hidden), "{hidden} echoed: {body}");
    }
    assert!(
        !body.to_string().contains("secret"),
        "a credential was echoed: {body}"
    );
});

dual!(every_answer_carries_the_security_headers, async |b| {
    let t = TestApp::start(b).await;
    // A success, an error of each face, and the document.
    for path in [
        "/check",
        "/no/such/route",
        "/api/v2/no/such/route",
        "/openapi.json",
    ] {
        let res = t.get(path).send().await.unwrap();
        let h = res.headers();
        for (name, want) in [
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                h.get(name).and_then(|v| v.to_str().ok()),
                Some(want),
                "{name} on {path}"
            );
        }
    }
});
