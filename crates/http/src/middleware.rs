//! Cross-cutting layers: request ids and logging, error rendering per face, idempotency keys.
use crate::error::{ErrorBody, Face, from_status, render};
use crate::metrics::{Metrics, RoutePattern};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use payplane_app::{App, AppError, ErrorKind};
use payplane_core::secrets::sha256_hex;
use payplane_store::idempotency::{self, Begin, Stored};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tracing::Instrument;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub static REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

#[derive(Clone)]
pub struct RequestId(pub String);

/// Gives every request an id (the client's `X-Request-Id` if it is sane), a log span carrying
/// it, a log line when it ends, and request metrics.
pub async fn trace_requests(
    State(metrics): State<Arc<Metrics>>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let route = res
        .extensions()
        .get::<RoutePattern>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".into());
    metrics.observe(method.as_str(), &route, res.status().as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    res
}

/// Records the matched route pattern on the response, for metrics by route.
pub async fn mark_route(req: Request, next: Next) -> Response {
    let pattern = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(p) = pattern {
        res.extensions_mut().insert(RoutePattern(p));
    }
    res
}

/// Writes the body of every error response in the shape of the face the path belongs to: errors
/// from handlers (`ErrorBody` extension) and those the framework produced (404, 405, 413, panics).
pub async fn render_errors(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let body = match res.extensions().get::<ErrorBody>() {
        Some(b) => b.clone(),
        // A body the handler wrote itself: JSON of its own, or a page for a browser.
        None if is_json(&res) || is_html(&res) => return res,
        None => match from_status(status, &method, &path) {
            Some(b) => b,
            None => return res,
        },
    };
    let mut rendered = render(Face::of(&path), &path, &body, app.now());
    if let Some(route) = res.extensions().get::<RoutePattern>() {
        rendered.extensions_mut().insert(route.clone());
    }
    for (name, value) in res.headers() {
        if name == header::ALLOW || name == header::RETRY_AFTER {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

fn is_html(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The answer to a method a path does not serve (`Allow` is added by the router; the body by
/// `render_errors`).
pub async fn method_not_allowed() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A panic inside a handler becomes a bare 500 that `render_errors` turns into the system shape.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(ErrorBody::from(&AppError::new(
        ErrorKind::Internal,
        "error.internal",
        "An internal error occurred",
    )));
    res
}

/// `Idempotency-Key` on POST/PUT/PATCH/DELETE of either face: the first response is stored per
/// authenticated principal; the same key with the same request replays it, with a different
/// request is a 409. A response holding a secret is not kept (see `HoldsSecret`).
pub async fn idempotency(State(app): State<App>, req: Request, next: Next) -> Response {
    if !crate::extract::is_mutating(req.method()) {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    let fail = |e: AppError| render(Face::of(&path), &path, &ErrorBody::from(&e), app.now());
    if key.is_empty() || key.len() > 255 {
        return fail(AppError::field(
            "Idempotency-Key",
            "error.idempotency.key.invalid",
            "Idempotency-Key must be 1 to 255 characters",
        ));
    }
    let (parts, body) = req.into_parts();
    let Some(scope) = principal_scope(&app, &parts).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let credential = sha256_hex(scope.as_bytes());
    let bytes = match axum::body::to_bytes(body, app.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return fail(crate::error::body_too_large()),
    };
    let request_hash = {
        let mut h = Vec::with_capacity(bytes.len() + 64);
        h.extend_from_slice(parts.method.as_str().as_bytes());
        h.push(b' ');
        h.extend_from_slice(parts.uri.to_string().as_bytes());
        h.push(b'\n');
        h.extend_from_slice(&bytes);
        sha256_hex(&h)
    };
    let ttl = app.config.idempotency_ttl_hours * 3_600_000_000;
    let abandon = app.config.idempotency_abandon_secs * 1_000_000;
    let now = app.now();
    match idempotency::begin(&app.db, &credential, &key, &request_hash, now, ttl, abandon).await {
        Err(e) => fail(e.into()),
        Ok(Begin::Mismatch) => fail(AppError::conflict(
            "error.idempotency.key.reused",
            "This Idempotency-Key was already used with a different request",
        )),
        Ok(Begin::InFlight) => fail(AppError::conflict(
            "error.idempotency.in.progress",
            "A request with this Idempotency-Key is still being processed",
        )),
        Ok(Begin::Interrupted) => fail(AppError::conflict(
            "error.idempotency.interrupted",
            "The first request with this Idempotency-Key took effect, but the server stopped \
             before answering it, so its answer is lost; it will not run again. Read the \
             object to see the outcome",
        )),
        Ok(Begin::Replay(stored)) if stored.withheld => fail(AppError::conflict(
            "error.idempotency.secret.not.replayable",
            "The first response to this Idempotency-Key held a secret, which is not kept, so it \
             cannot be replayed; the request did run. Use a new key to run it again",
        )),
        Ok(Begin::Replay(stored)) => replay(stored),
        Ok(Begin::Started) => {
            let claim = idempotency::Claim {
                credential: credential.clone(),
                key: key.clone(),
                claimed_at: now,
            };
            let res = idempotency::scope(
                claim.clone(),
                next.run(Request::from_parts(parts, Body::from(bytes))),
            )
            .await;
            let (res_parts, res_body) = res.into_parts();
            let body = axum::body::to_bytes(res_body, 16 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let outcome = if res_parts.status.is_server_error() {
                idempotency::abandon(&app.db, &claim).await
            } else {
                let headers = res_parts
                    .headers
                    .iter()
                    .filter(|(n, _)| *n == header::CONTENT_TYPE || *n == header::LOCATION)
                    .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_string())))
                    .collect();
                let withheld = res_parts.status.is_success()
                    && res_parts.extensions.get::<HoldsSecret>().is_some();
                let stored = if withheld {
                    Stored {
                        status: res_parts.status.as_u16(),
                        headers: vec![],
                        body: vec![],
                        withheld,
                    }
                } else {
                    Stored {
                        status: res_parts.status.as_u16(),
                        headers,
                        body: body.to_vec(),
                        withheld,
                    }
                };
                idempotency::finish(&app.db, &claim, &stored).await
            };
            if let Err(e) = outcome {
                tracing::error!(error = %e, "could not record idempotent response");
            }
            Response::from_parts(res_parts, Body::from(body))
        }
    }
}

/// The whole request body must arrive within `http_body_timeout_secs` of the header, however it
/// is trickled: past the deadline reading it fails, and the answer is a 408 in the face's shape
/// with the connection closed (whatever the handler made of the failed read).
pub async fn body_deadline(State(app): State<App>, req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let secs = app.config.http_body_timeout_secs;
    let path = req.uri().path().to_string();
    let fired = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = Body::new(DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(Duration::from_secs(secs))),
        fired: fired.clone(),
    });
    let res = next.run(Request::from_parts(parts, body)).await;
    if !fired.load(Ordering::Acquire) {
        return res;
    }
    let e = AppError::new(
        ErrorKind::RequestTimeout,
        "error.request.timeout",
        format!("The request body did not arrive within {secs} s"),
    );
    let mut res = render(Face::of(&path), &path, &ErrorBody::from(&e), app.now());
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    fired: Arc<AtomicBool>,
}

#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

impl axum::body::HttpBody for DeadlineBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.fired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn replay(stored: Stored) -> Response {
    let mut res = Response::new(Body::from(stored.body));
    *res.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (n, v) in stored.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(n), HeaderValue::try_from(v)) {
            res.headers_mut().insert(n, v);
        }
    }
    res.headers_mut()
        .insert(REPLAYED.clone(), HeaderValue::from_static("true"));
    res
}

/// Marks a successful response that carries a secret (a new token, signing secret or
/// authenticator seed). The idempotency layer keeps no copy of such a body: a replay of its key
/// answers 409 `error.idempotency.secret.not.replayable` instead.
#[derive(Clone, Copy, Debug)]
pub struct HoldsSecret;

/// The principal an `Idempotency-Key` belongs to, or None for a request with no valid
/// credential (the handler answers it, and nothing is recorded). Scoping to who is calling
/// rather than to the header text means `bearer x` and `Bearer x`, or two tokens of one user and
/// mode, cannot run the same request twice under one key.
async fn principal_scope(app: &App, parts: &axum::http::request::Parts) -> Option<String> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if parts.uri.path().starts_with("/api/v2/") {
        if let Some(key) = header("pma-api-key") {
            let caller = payplane_app::pumapay::console::api_key_caller(app, key)
                .await
                .ok()?;
            return Some(format!("pumapay:key:{}", caller.business_id));
        }
        if let Some(token) = header("x-access-token") {
            let session = payplane_app::pumapay::console::session(app, token)
                .await
                .ok()?;
            return Some(format!("pumapay:console:{}", session.user_id));
        }
        // Otherwise an operator route of this face, with a bearer token like the accounts API.
    }
    let raw = crate::extract::bearer_token(&parts.headers)?;
    let ip = crate::extract::client_ip(app, parts);
    let p = payplane_app::pazemo::auth::authenticate(app, raw, ip)
        .await
        .ok()?;
    Some(format!("pazemo:{}:{}", p.user_id, p.mode.as_str()))
}

/// Headers every answer carries unless its handler set its own: an API body is never sniffed as
/// another type, stored by a cache, framed by another site, or sent the calling page's URL; an
/// HTML page (Swagger UI) runs only scripts and styles served from here; any other body loads
/// nothing at all if a browser ever renders it. No CORS header is ever sent: browsers keep other
/// sites' pages from reading any answer (the APIs are for servers and wallets, not for pages).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = if html { HTML_CSP } else { API_CSP };
    let headers = res.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, csp),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    res
}

/// The policy of HTML pages: scripts, styles, fonts and fetches from this server only (Swagger
/// UI's React sets inline style attributes, hence `'unsafe-inline'` for styles, never scripts);
/// images also as `data:` URIs (Swagger UI's icons).
pub const HTML_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'; form-action 'self'";

/// The policy of every other answer (JSON, text): nothing may load, nothing may frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
