//! Extractors that own their rejections, so bad input answers in the face's own shape.
use crate::error::{ApiError, body_too_large};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{Method, header, request::Parts};
use payplane_app::pazemo::auth::{Principal, authenticate};
use payplane_app::{App, AppError};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A request body as JSON, or as a form (`application/x-www-form-urlencoded`, which the accounts
/// API document says it accepts). A body that looks like JSON is read as JSON whatever its
/// content type, because `curl -d '{…}'` labels JSON as a form.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError(body_too_large())
            } else {
                ApiError(AppError::bad_request(
                    "error.body.unreadable",
                    "The request body could not be read",
                ))
            }
        })?;
        let trimmed = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|i| &bytes[i..])
            .unwrap_or(&[]);
        if trimmed.is_empty() {
            return parse_json(b"{}");
        }
        if is_form && !matches!(trimmed[0], b'{' | b'[') {
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
            return serde_path_to_error::deserialize(de).map(Body).map_err(|e| {
                ApiError(AppError::field(
                    &e.path().to_string(),
                    "error.body.invalid",
                    format!("{}: {}", e.path(), e.inner()),
                ))
            });
        }
        parse_json(&bytes)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<Body<T>, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError(AppError::bad_request(
            "error.json.malformed",
            format!("The body is not valid JSON: {e}"),
        ))
    })?;
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value)
        .map(Body)
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ApiError(if path == "." {
                AppError::bad_request(
                    "error.json.invalid",
                    format!("The body does not match the expected shape: {inner}"),
                )
            } else {
                AppError::field(&path, "error.json.invalid", format!("{path}: {inner}"))
                    .with_arguments(vec![path.clone()])
            })
        })
}

/// Writes every number of `v` that is a whole number in another spelling (`5.0`, `1e3`,
/// `-2.50e1`) as an integer. JSON has one number type: JSON Schema's `integer` is any number
/// with a zero fractional part, and JavaScript clients may send `5.0` for 5, so an integer field
/// takes them all. Numbers with a fraction, or too large for 64 bits, are left as they are.
pub fn integral_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            if let Some(i) = whole_number(&n.to_string()) {
                *v = Value::from(i);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_numbers),
        Value::Object(o) => o.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// The integer a JSON number's text spells, if it is a whole number within i64.
fn whole_number(text: &str) -> Option<i64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches('-');
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    // The value is digits × 10^(exponent − fraction length).
    let scale = exponent.checked_sub(i32::try_from(frac.len()).ok()?)?;
    let (kept, dropped) = if scale >= 0 {
        if digits.len() + usize::try_from(scale).ok()? > 19 {
            return None;
        }
        (
            format!("{digits}{}", "0".repeat(usize::try_from(scale).ok()?)),
            "",
        )
    } else {
        let cut = digits.len().saturating_sub(usize::try_from(-scale).ok()?);
        (digits[..cut].to_string(), &digits[cut..])
    };
    if dropped.bytes().any(|b| b != b'0') {
        return None;
    }
    let magnitude: i128 = if kept.is_empty() {
        0
    } else {
        kept.parse().ok()?
    };
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// The client address: the socket peer, or `X-Forwarded-For` when the peer is a trusted proxy.
pub fn client_ip(app: &App, parts: &Parts) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !app.trusted_proxies.is_empty()
        && payplane_core::secrets::ip_allowed(&app.trusted_proxies, peer)
    {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer
}

/// The token of `Authorization: Bearer <token>` (scheme word in any case).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
}

/// The caller of the accounts API, from `Authorization: Bearer <token>` (scheme word in any
/// case). A read-only token is refused on every method that changes something.
pub struct Auth(pub Principal);

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let raw = bearer_token(&parts.headers).ok_or_else(|| {
            AppError::unauthorized("Full authentication is required to access this resource")
        })?;
        let ip = client_ip(app, parts);
        let principal = authenticate(app, raw, ip).await?;
        crate::rate_limit::authenticated(parts, crate::rate_limit::Credential::bearer(raw));
        let mutating = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if mutating && principal.read_only {
            return Err(
                AppError::forbidden("error.token.read.only", "This token is read-only").into(),
            );
        }
        Ok(Auth(principal))
    }
}

/// The caller must be an operator (a user with role `admin`).
pub struct Admin(pub Principal);

impl FromRequestParts<App> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Auth(p) = Auth::from_request_parts(parts, app).await?;
        if !p.admin {
            return Err(AppError::forbidden(
                "error.admin.required",
                "This operation is for operators only",
            )
            .into());
        }
        Ok(Admin(p))
    }
}

/// Path parameters with the rejection in our shape.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e| ApiError(AppError::bad_request("error.path.invalid", e.body_text())))
    }
}

/// Query parameters with the rejection in our shape.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                ApiError(AppError::field(
                    &e.path().to_string(),
                    "error.query.invalid",
                    format!("{}: {}", e.path(), e.inner()),
                ))
            })
    }
}

pub fn is_mutating(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The client address as `client_ip` decides it (for audit records: "from where").
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(app, parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn whole_numbers_in_any_spelling_are_integers() {
        for (text, want) in [
            ("5.0", Some(5)),
            ("-641.0", Some(-641)),
            ("1e3", Some(1000)),
            ("-2.50e1", Some(-25)),
            ("1.5e1", Some(15)),
            ("0.0", Some(0)),
            ("1.5", None),
            ("1e-3", None),
            ("100e-2", Some(1)),
            ("-6.175404704256399e+16", Some(-61_754_047_042_563_990)),
            ("1e19", None),
            ("9.223372036854775807e18", Some(i64::MAX)),
        ] {
            assert_eq!(whole_number(text), want, "{text}");
        }
    }
}
