use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use payplane_app::App;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    greeting: String,
    date: String,
    url: String,
    headers: BTreeMap<String, String>,
}

/// The only request headers echoed back. An allow-list, because credentials travel in headers
/// no deny-list can enumerate (`Proxy-Authorization`, `X-Api-Key`, a proxy's own token…).
const ECHOED: [&str; 9] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "content-length",
    "content-type",
    "host",
    "user-agent",
    "x-request-id",
    "idempotency-key",
];

fn check_body(app: &App, uri: &Uri, headers: &HeaderMap, greeting: &str) -> CheckResponse {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    CheckResponse {
        greeting: greeting.into(),
        date: payplane_core::timefmt::iso_millis(app.now()),
        url: format!("http://{host}{uri}"),
        headers: headers
            .iter()
            .filter(|(n, _)| ECHOED.contains(&n.as_str()))
            .filter_map(|(n, v)| Some((canonical(n.as_str()), v.to_str().ok()?.to_string())))
            .collect(),
    }
}

/// `content-type` → `Content-Type`, as the document shows header names.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Ping the server and retrieve the server version.
#[utoipa::path(get, path = "/ping", tag = "Pings", responses((status = 200, description = "Server version", body = String, content_type = "text/plain")))]
pub async fn ping() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Check server: greeting, date, the request URL and headers.
#[utoipa::path(get, path = "/check", tag = "Pings", responses((status = 200, body = CheckResponse)))]
pub async fn check(State(app): State<App>, uri: Uri, headers: HeaderMap) -> Json<CheckResponse> {
    Json(check_body(&app, &uri, &headers, "Hello from payplane"))
}

/// Enqueues a job and answers once a worker has run it (503 if none does within 5 s).
#[utoipa::path(get, path = "/pingQueue", tag = "Pings", responses((status = 200, body = CheckResponse), (status = 503, description = "No worker answered")))]
pub async fn ping_queue(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<CheckResponse>, ApiError> {
    payplane_app::health::ping_queue(&app, Duration::from_secs(5)).await?;
    Ok(Json(check_body(
        &app,
        &uri,
        &headers,
        "Hello from the payplane job queue",
    )))
}
