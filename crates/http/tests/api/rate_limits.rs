//! Rate limits (issue #17, item 4): a burst from one credential, or from one address without
//! one, gets 429 in the face's error shape with `Retry-After`; after that wait it passes again.
//! Small limits here (1 request a second, a burst of 10); the defaults are generous.
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::{RequestBuilder, Response};
use serde_json::Value;
use std::time::Duration;

const BURST: u32 = 10;

async fn start(b: Backend) -> TestApp {
    TestApp::builder(b)
        .config(|c| {
            c.rate_limit.per_second = 1;
            c.rate_limit.burst = BURST;
            c.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .start()
        .await
}

/// Sends `request()` until it is refused; returns how many passed and the refusal.
async fn until_refused(request: impl Fn() -> RequestBuilder) -> (u32, Response) {
    for passed in 0..3 * BURST {
        let res = request().send().await.unwrap();
        if res.status() == 429 {
            return (passed, res);
        }
        assert!(res.status().is_success(), "{}", res.status());
    }
    panic!("no 429 after {} requests", 3 * BURST);
}

/// The refusal's `Retry-After` (whole seconds, at least 1) and JSON body.
async fn refusal(res: Response) -> (u64, Value) {
    let secs = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=2).contains(&secs), "Retry-After {secs}");
    let (status, body) = json(res).await;
    assert_eq!(status, 429);
    (secs, body)
}

fn assert_accounts_shape(body: &Value) {
    assert_eq!(body["error"], "too_many_requests", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Too many requests")),
        "{body}"
    );
}

fn assert_envelope(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["status"], 429, "{body}");
    assert_eq!(body["errors"][0]["code"], "error.rate.limited", "{body}");
}

/// A credential's burst: its first request counts against the address (it is not known to have
/// authenticated yet), the next `BURST` against the credential.
fn assert_burst(passed: u32) {
    assert!(
        (BURST..=BURST + 2).contains(&passed),
        "{passed} passed before the 429"
    );
}

dual!(
    a_burst_from_one_token_gets_429_then_passes_after_retry_after,
    async |b| {
        let t = start(b).await;
        let u = t.user(Mode::Test).await;
        let other = t.user(Mode::Test).await;
        let (passed, res) =
            until_refused(|| t.pazemo(&u).req(reqwest::Method::GET, "/users/me")).await;
        assert_burst(passed);
        let (secs, body) = refusal(res).await;
        assert_accounts_shape(&body);
        // Per token: another token is not affected, nor is an anonymous request from elsewhere.
        let (s, body) = t.pazemo(&other).get("/users/me").await;
        assert_eq!(s, 200, "{body}");
        let res = t
            .get("/ping")
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let (s, body) = t.pazemo(&u).get("/users/me").await;
        assert_eq!(s, 200, "after Retry-After: {body}");
    }
);

dual!(
    a_burst_from_one_api_key_or_console_session_gets_429_in_the_envelope,
    async |b| {
        let t = start(b).await;
        let biz = business(&t).await;
        let key_read = || {
            t.pumapay(&biz).req(
                reqwest::Method::GET,
                &format!("/api-key-auth/business/{}", biz.id),
            )
        };
        let (passed, res) = until_refused(key_read).await;
        assert_burst(passed);
        let (secs, body) = refusal(res).await;
        assert_envelope(&body);
        // The console session is counted on its own.
        let session_read = || {
            t.get(&format!("/api/v2/console-auth/api-keys/{}", biz.id))
                .header("x-access-token", &biz.token)
        };
        let (passed, res) = until_refused(session_read).await;
        assert_burst(passed);
        let (_, body) = refusal(res).await;
        assert_envelope(&body);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let res = key_read().send().await.unwrap();
        assert_eq!(res.status(), 200, "after Retry-After");
    }
);

dual!(
    anonymous_requests_are_limited_per_client_address,
    async |b| {
        let t = start(b).await;
        let t = &t;
        let from = |ip: &'static str, path: &'static str| {
            move || t.get(path).header("x-forwarded-for", ip)
        };
        // Each face's anonymous routes, in its own error shape.
        let (passed, res) = until_refused(from("203.0.113.7", "/ping")).await;
        assert!((BURST..=BURST + 1).contains(&passed), "{passed}");
        let (secs, body) = refusal(res).await;
        assert_accounts_shape(&body);
        let res = from("203.0.113.7", "/api/v2/open-auth/product-images/none")()
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            429,
            "one budget per address, across routes and faces"
        );
        let (_, body) = refusal(res).await;
        assert_envelope(&body);
        // A made-up credential buys no budget of its own: it counts against the address.
        for n in 0..3 {
            let res = from("203.0.113.7", "/ping")()
                .header("authorization", format!("Bearer made-up-{n}"))
                .header("pma-api-key", format!("made-up-{n}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 429);
        }
        // Another address has its own budget.
        let res = from("203.0.113.8", "/ping")().send().await.unwrap();
        assert_eq!(res.status(), 200);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let res = from("203.0.113.7", "/ping")().send().await.unwrap();
        assert_eq!(res.status(), 200, "after Retry-After");
    }
);

dual!(guessing_tokens_is_limited_per_client_address, async |b| {
    let t = start(b).await;
    let guess = || {
        t.get("/users/me")
            .header("x-forwarded-for", "198.51.100.4")
            .header(
                "authorization",
                format!("Bearer {}", payplane_core::ids::new_id()),
            )
    };
    let mut unauthorized = 0;
    loop {
        let res = guess().send().await.unwrap();
        if res.status() == 429 {
            break;
        }
        assert_eq!(res.status(), 401);
        unauthorized += 1;
        assert!(unauthorized <= BURST + 1, "guesses were not limited");
    }
    assert!(unauthorized >= BURST, "{unauthorized}");
});

dual!(
    the_openapi_document_lists_429_with_retry_after_on_every_operation,
    async |b| {
        let t = TestApp::start(b).await;
        let (s, doc) = json(t.get("/openapi.json").send().await.unwrap()).await;
        assert_eq!(s, 200);
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(r) = op["responses"].get("429") else {
                    panic!("{method} {path} has no 429");
                };
                operations += 1;
                if path.starts_with("/api/v2/open-auth/rpc/") {
                    continue; // its own 429: a JSON-RPC error object
                }
                let content = &r["content"]["application/json"];
                assert!(content["schema"].is_object(), "{method} {path}: {r}");
                if path.starts_with("/api/v2/") {
                    assert_eq!(content["example"]["status"], 429, "{method} {path}");
                } else {
                    assert_eq!(
                        content["example"]["error"], "too_many_requests",
                        "{method} {path}"
                    );
                }
                assert!(
                    r["headers"]["Retry-After"].is_object(),
                    "{method} {path}: {r}"
                );
            }
        }
        assert!(operations > 50, "{operations}");
    }
);
