//! The OpenAPI document against the running server: every operation lists what it can answer,
//! declares its credential truthfully, and its error examples are real responses.
use crate::dual;
use crate::pazemo::support::open_account;
use crate::pumapay::support::*;
use crate::support::*;
use payplane_app::pazemo::auth::Mode;
use reqwest::Method;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;

const OPERATIONS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn doc() -> Value {
    payplane_http::api().1
}

/// (method, path, operation) of every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in OPERATIONS {
            if let Some(op) = item.get(m) {
                out.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

fn schemes(op: &Value) -> Vec<String> {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r.as_object().unwrap().keys().cloned())
        .collect()
}

#[test]
fn every_operation_lists_the_statuses_its_credential_and_input_imply() {
    let doc = doc();
    let ops = operations(&doc);
    assert!(ops.len() > 100, "{} operations", ops.len());
    for (method, path, op) in &ops {
        let label = format!("{} {path}", method.to_uppercase());
        let responses = op["responses"].as_object().unwrap();
        let has = |s: &str| responses.contains_key(s);
        let pull_payments = path.starts_with("/api/v2/");
        if !schemes(op).is_empty() {
            assert!(has("401") && has("403"), "{label}: 401/403");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "path") {
            assert!(has("400") && has("404"), "{label}: 400/404 for the path");
        }
        if op.get("requestBody").is_some() {
            assert!(
                has("400") && has("408") && has("413"),
                "{label}: body statuses"
            );
        }
        if method != "get" && !schemes(op).is_empty() {
            assert!(has("409"), "{label}: 409 for Idempotency-Key");
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
                "{label}: Idempotency-Key header"
            );
        }
        assert!(has("500"), "{label}: 500");
        for (status, r) in responses {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                continue;
            }
            let media = &r["content"]["application/json"];
            assert!(
                media["schema"].is_object(),
                "{label} {status}: no error body"
            );
            if status == 429 {
                // The rate limiter's own body and `Retry-After`, checked by
                // `rate_limits::the_openapi_document_lists_429_with_retry_after_on_every_operation`.
                continue;
            }
            let schema = media["schema"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{label} {status}: not a named error body"));
            let want = match (pull_payments, status) {
                (true, _) if path.starts_with("/api/v2/open-auth/rpc/") => None,
                (true, _) => Some("ErrorEnvelope"),
                (false, 401) => Some("AuthError"),
                (false, 500 | 503) => Some("SystemError"),
                (false, _) => Some("Errors"),
            };
            if let Some(want) = want {
                assert_eq!(
                    schema,
                    format!("#/components/schemas/{want}"),
                    "{label} {status}"
                );
            }
        }
    }
}

/// A path of the document with every parameter filled with something that names nothing.
fn filled(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                match seg {
                    "{networkID}" => "3",
                    "{userId}" => "me",
                    _ => "0",
                }
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

// Security schemes are declared per operation: without a credential, an operation that declares
// one answers 401 in its face's shape, and one that declares none never does.
dual!(
    an_operation_answers_401_without_a_credential_exactly_when_it_declares_one,
    async |b| {
        let t = TestApp::start(b).await;
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            let m: Method = method.to_uppercase().parse().unwrap();
            let url = filled(&path);
            let mut req = t.req(m, &url);
            if op.get("requestBody").is_some() {
                req = req.json(&j!({}));
            }
            let (s, body) = send(req).await;
            let label = format!("{} {path}", method.to_uppercase());
            if schemes(&op).is_empty() {
                // Its own answers only (the console login's 401 is for a wrong password).
                assert!(
                    op["responses"].get(s.to_string()).is_some(),
                    "{label} declares no credential and answered {s}: {body}"
                );
            } else {
                assert_eq!(s, 401, "{label} declares {:?}: {body}", schemes(&op));
                if path.starts_with("/api/v2/") {
                    assert_eq!(body["success"], false, "{label}: {body}");
                    assert_eq!(body["errors"][0]["code"], "unauthorized", "{label}");
                } else {
                    assert_eq!(body["error"], "unauthorized", "{label}: {body}");
                }
            }
        }
    }
);

/// POSTs a header that announces a body over the limit, and reads the answer without sending the
/// body: the server answers at once, and a client still writing would find its pipe broken.
async fn too_large(t: &TestApp, path: &str, credential: (&str, &str)) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = t.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{}: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        credential.0,
        credential.1,
        t.app.config.max_body_bytes + 1
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![];
    conn.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8(answer).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

/// Error bodies recorded from the server, keyed by face and status (`examples.json`).
async fn real_error_bodies(b: Backend) -> BTreeMap<(&'static str, u16), Value> {
    let t = TestApp::start(b).await;
    let mut out = BTreeMap::new();
    let u = t.user(Mode::Test).await;
    let ro = t.user_with(Mode::Test, true, vec![]).await;

    // The accounts API.
    let a = "accounts";
    let (s, body) = send(
        t.pazemo(&u)
            .req(Method::POST, "/users/me/tokens")
            .header("content-type", "application/json")
            .body("{bad"),
    )
    .await;
    out.insert((a, s), body);
    let (s, body) = send(t.get("/users/me")).await;
    out.insert((a, s), body);
    let acct = open_account(&t, &u, "IDR").await;
    let (s, body) = t
        .pazemo(&u)
        .post_raw(
            &format!("/accounts/{acct}/withdraw"),
            r#"{"address": "1234567890", "addressName": "Budi Santoso", "prefix": "bca", "amount": 150000}"#,
        )
        .await;
    out.insert((a, s), body);
    let (s, body) = t.pazemo(&ro).post("/users/me/tokens", &j!({})).await;
    out.insert((a, s), body);
    let (s, body) = t
        .pazemo(&u)
        .get("/quotes/00000000-0000-0000-0000-000000000000")
        .await;
    out.insert((a, s), body);
    for label in ["first", "second"] {
        let (s, body) = send(
            t.pazemo(&u)
                .req(Method::POST, "/users/me/tokens")
                .header("Idempotency-Key", "example")
                .json(&j!({ "label": label })),
        )
        .await;
        out.insert((a, s), body);
    }
    let bearer = u.bearer();
    let (s, body) = too_large(&t, "/users/me/tokens", ("Authorization", &bearer)).await;
    out.insert((a, s), body);

    // The pull-payment API.
    let p = "pull-payments";
    let (s, body) = send(t.post("/api/v2/console-auth/register").json(&j!({}))).await;
    out.insert((p, s), body);
    let (s, body) = send(t.get("/api/v2/api-key-auth/business/x")).await;
    out.insert((p, s), body);
    let biz = business(&t).await;
    let (s, body) = t
        .pumapay(&biz)
        .get("/api-key-auth/business/01900000-0000-7000-8000-000000000000")
        .await;
    out.insert((p, s), body);
    let (s, body) = t
        .pumapay(&biz)
        .get("/api-key-auth/pull-payments/00000000-0000-0000-0000-000000000000")
        .await;
    out.insert((p, s), body);
    for name in ["First", "Second"] {
        let (s, body) = send(
            t.pumapay(&biz)
                .req(Method::POST, &format!("/api-key-auth/products/{}", biz.id))
                .header("Idempotency-Key", "example")
                .json(&j!({"categoryID": 1, "productName": name, "networkID": 3})),
        )
        .await;
        out.insert((p, s), body);
    }
    let (s, body) = too_large(
        &t,
        &format!("/api/v2/api-key-auth/products/{}", biz.id),
        ("pma-api-key", &biz.key),
    )
    .await;
    out.insert((p, s), body);
    for _ in 0..=t.app.config.pumapay.login_max_failures {
        let (s, body) = send(
            t.post("/api/v2/console-auth/login")
                .json(&j!({"email": biz.email, "password": "wrong password"})),
        )
        .await;
        if s == 429 {
            out.insert((p, s), body);
        }
    }

    // A handler that fails, on each face.
    let failing = || async {
        if true {
            panic!("failing on purpose")
        }
    };
    let routes = axum::Router::new()
        .route("/users/me/failing", axum::routing::get(failing))
        .route("/api/v2/failing", axum::routing::get(failing));
    let router = payplane_http::with_layers(routes, t.app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(payplane_http::serve_router(
        router,
        listener,
        tokio_util::sync::CancellationToken::new(),
    ));
    for (face, path) in [(a, "/users/me/failing"), (p, "/api/v2/failing")] {
        let (s, mut body) = json(reqwest::get(format!("{base}{path}")).await.unwrap()).await;
        if face == a {
            body["timestamp"] = j!("2026-01-01T00:00:00.000+0000");
        }
        out.insert((face, s), body);
    }
    // Successes are not examples of errors.
    out.retain(|(_, s), _| *s >= 400);
    out
}

// "Examples come from real responses": each error example of the document is what the server
// answered to a real request. `UPDATE_EXAMPLES=1` rewrites `crates/http/src/openapi/examples.json`
// from this run (read the diff).
dual!(error_examples_are_real_responses, async |b| {
    let real = real_error_bodies(b).await;
    let mut file: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
    for ((face, status), body) in &real {
        file.entry(face)
            .or_default()
            .insert(status.to_string(), body.clone());
    }
    let wanted = [
        (
            "accounts",
            [400, 401, 402, 403, 404, 409, 413, 500].as_slice(),
        ),
        (
            "pull-payments",
            [400, 401, 403, 404, 409, 413, 429, 500].as_slice(),
        ),
    ];
    for (face, statuses) in wanted {
        for s in statuses {
            assert!(
                real.contains_key(&(face, *s)),
                "no real {face} {s}: {real:#?}"
            );
        }
    }
    if std::env::var("UPDATE_EXAMPLES").is_ok() && b == Backend::Sqlite {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/openapi/examples.json");
        let text = serde_json::to_string_pretty(&file).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
        return;
    }
    let recorded: Value = serde_json::from_str(payplane_http::openapi::EXAMPLES).unwrap();
    assert_eq!(
        serde_json::to_value(&file).unwrap(),
        recorded,
        "the error examples changed: run with UPDATE_EXAMPLES=1 and read the diff"
    );
    // And the document shows them.
    let doc = doc();
    let shown = &doc["paths"]["/users/me"]["get"]["responses"]["401"]["content"]["application/json"]
        ["example"];
    assert_eq!(shown, &recorded["accounts"]["401"]);
});
