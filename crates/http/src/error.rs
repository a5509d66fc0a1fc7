//! Errors leave handlers as `ApiError`; `render` turns them into the body of the face the path
//! belongs to: the accounts API's three shapes or the pull-payment API's envelope.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use payplane_app::{AppError, Detail, ErrorKind};
use serde_json::json;

/// A handler error. Rendering needs the request path (the system-error shape names it), so the
/// response carries the error as an extension and `middleware::render_errors` writes the body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The renderable part of an error (the internal cause is logged, never sent).
#[derive(Debug, Clone)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
    pub details: Vec<Detail>,
    pub retry_after_secs: Option<u64>,
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> Self {
        ErrorBody {
            kind: e.kind,
            message: e.message.clone(),
            details: e.details.clone(),
            retry_after_secs: e.retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0.kind == ErrorKind::Internal {
            tracing::error!(error = %self.0, cause = ?self.0.source, "internal error");
        }
        let status =
            StatusCode::from_u16(self.0.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = status.into_response();
        res.extensions_mut().insert(ErrorBody::from(&self.0));
        res
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Seed 000, served at the root.
    Accounts,
    /// Seed 004, served under `/api/v2`.
    PullPayments,
}

impl Face {
    pub fn of(path: &str) -> Face {
        if path == "/api/v2" || path.starts_with("/api/v2/") {
            Face::PullPayments
        } else {
            Face::Accounts
        }
    }
}

/// Renders an error body in the face's documented shape.
pub fn render(face: Face, path: &str, e: &ErrorBody, now_micros: i64) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match face {
        Face::PullPayments => json!({
            "success": false,
            "status": status.as_u16(),
            "message": e.message,
            "errors": e.details.iter().map(|d| json!({
                "field": d.field,
                "code": d.code,
                "message": d.message,
            })).collect::<Vec<_>>(),
        }),
        Face::Accounts => match e.kind {
            ErrorKind::Unauthorized => {
                json!({"error": "unauthorized", "error_description": e.message})
            }
            // Like the authentication shape: it concerns the caller, not the request's data.
            ErrorKind::TooManyRequests => {
                json!({"error": "too_many_requests", "error_description": e.message})
            }
            ErrorKind::Internal | ErrorKind::Unavailable => json!({
                "timestamp": spring_timestamp(now_micros),
                "status": status.as_u16(),
                "error": status.canonical_reason().unwrap_or("Error"),
                "exception": exception_name(e.kind),
                "message": e.message,
                "path": path,
            }),
            _ => json!({
                "errors": e.details.iter().map(|d| json!({
                    "code": d.code,
                    "message": d.message,
                    "arguments": d.arguments,
                })).collect::<Vec<_>>(),
            }),
        },
    };
    let mut res = (status, axum::Json(body)).into_response();
    if let Some(secs) = e.retry_after_secs {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if e.kind == ErrorKind::Unauthorized && face == Face::Accounts {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

/// An error kind name for the system shape's `exception` (never a stack trace).
fn exception_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Unavailable => "payplane.ServiceUnavailable",
        _ => "payplane.InternalError",
    }
}

/// The document's system-error timestamp: `2017-02-02T13:07:39.644+0000`.
fn spring_timestamp(micros: i64) -> String {
    payplane_core::timefmt::iso_millis(micros).replace('Z', "+0000")
}

/// Maps a status the framework produced on its own (no `ErrorBody`) to an error.
pub fn from_status(status: StatusCode, method: &str, path: &str) -> Option<ErrorBody> {
    let e = match status {
        StatusCode::NOT_FOUND => AppError::not_found(
            "error.route.not.found",
            format!("No route for {method} {path}"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            ErrorKind::MethodNotAllowed,
            "error.method.not.allowed",
            format!("Method {method} is not allowed on {path}"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            ErrorKind::UnsupportedMediaType,
            "error.content.type",
            "Send the body as application/json or application/x-www-form-urlencoded",
        ),
        StatusCode::INTERNAL_SERVER_ERROR => AppError::new(
            ErrorKind::Internal,
            "error.internal",
            "An internal error occurred",
        ),
        _ => return None,
    };
    Some(ErrorBody::from(&e))
}

pub fn body_too_large() -> AppError {
    AppError::new(
        ErrorKind::PayloadTooLarge,
        "error.body.too.large",
        "The request body is larger than this server takes (max_body_bytes)",
    )
}
