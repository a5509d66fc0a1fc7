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
    let t = TestApp::builder(b)
        .config(|c| {
            c.rate_limit.per_second = 1;
            c.rate_limit.burst = 40;
            // Small, so the whole oversized body is sent before the 413 (no reset mid-upload).
            c.max_body_bytes = 4096;
        })
        .start()
        .await;
    let api_csp = payplane_http::middleware::API_CSP;
    let html_csp = payplane_http::middleware::HTML_CSP;
    let big = "x".repeat(8192);
    let post = |path: &str| t.req(reqwest::Method::POST, path);
    // Successes (JSON, text, the document, Swagger UI and its script), each face's errors
    // (404, 401, 405, 413, 400), in turn.
    let requests: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("/check", t.get("/check"), 200, api_csp),
        ("/ping", t.get("/ping"), 200, api_csp),
        ("/openapi.json", t.get("/openapi.json"), 200, api_csp),
        ("/docs/", t.get("/docs/"), 200, html_csp),
        (
            "/docs/swagger-ui-bundle.js",
            t.get("/docs/swagger-ui-bundle.js"),
            200,
            api_csp,
        ),
        ("404 accounts", t.get("/no/such/route"), 404, api_csp),
        ("404 billing", t.get("/api/v2/no/such/route"), 404, api_csp),
        ("401 accounts", t.get("/users/me"), 401, api_csp),
        (
            "401 billing",
            t.get("/api/v2/api-key-auth/business/x"),
            401,
            api_csp,
        ),
        ("405", t.delete("/ping"), 405, api_csp),
        (
            "413",
            post("/api/v2/console-auth/login").body(big),
            413,
            api_csp,
        ),
        (
            "400",
            post("/api/v2/console-auth/login").body("{"),
            400,
            api_csp,
        ),
    ];
    for (what, request, status, csp) in requests {
        let res = request.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_security_headers(what, res.headers(), csp);
    }
    // And a refusal of the rate limit.
    let mut refused = None;
    for _ in 0..50 {
        let res = t.get("/ping").send().await.unwrap();
        if res.status() == 429 {
            refused = Some(res);
            break;
        }
    }
    let res = refused.expect("a 429");
    assert_security_headers("429", res.headers(), api_csp);
});

fn assert_security_headers(what: &str, h: &reqwest::header::HeaderMap, csp: &str) {
    for (name, want) in [
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", csp),
    ] {
        assert_eq!(
            h.get(name).and_then(|v| v.to_str().ok()),
            Some(want),
            "{name} on {what}"
        );
    }
    let cors: Vec<_> = h
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "CORS headers on {what}: {cors:?}");
}

dual!(cors_is_off_other_sites_pages_get_no_access, async |b| {
    let t = TestApp::start(b).await;
    let u = t.user(payplane_app::pazemo::auth::Mode::Test).await;
    // A preflight from another site's page is not approved...
    let res = t
        .req(reqwest::Method::OPTIONS, "/users/me")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405, "a preflight is not approved");
    assert_security_headers(
        "preflight",
        res.headers(),
        payplane_http::middleware::API_CSP,
    );
    // ...and a simple request's answer carries no Access-Control-Allow-Origin for the browser.
    for path in [
        "/ping",
        "/check",
        "/users/me",
        "/api/v2/open-auth/product-images/x",
    ] {
        let res = t
            .get(path)
            .header("origin", "https://evil.example")
            .header("authorization", u.bearer())
            .send()
            .await
            .unwrap();
        assert_security_headers(path, res.headers(), payplane_http::middleware::API_CSP);
    }
});

/// Swagger UI must work under its CSP: a headless Chromium renders `/docs/` (scripts run, the
/// document is fetched) when one is installed; skipped otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_renders_under_its_csp() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("skipped: no chromium installed");
        return;
    };
    let t = TestApp::start(Backend::Sqlite).await;
    let url = format!("{}/docs/", t.base);
    let out = tokio::process::Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
            &url,
        ])
        .output()
        .await
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-path=\"/users/me\""),
        "Swagger UI did not render the document: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
