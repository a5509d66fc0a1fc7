//! Credentials of the pull-payment API: `pma-api-key` (a business, and for a PSP its
//! sub-businesses) and `x-access-token` (a console session).
use crate::error::ApiError;
use crate::rate_limit::{Credential, authenticated};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use payplane_app::pumapay::access::Caller;
use payplane_app::{App, AppError, pumapay::console};
use payplane_store::pumapay::console::Session;
use std::net::IpAddr;

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The business a `pma-api-key` acts as. Use `payplane_app::pumapay::access::authorize` with it for every
/// business id a request names.
pub struct ApiKey(pub Caller);

impl FromRequestParts<App> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let raw = header(parts, "pma-api-key")
            .ok_or_else(|| AppError::unauthorized("The pma-api-key header is required"))?;
        let caller = console::api_key_caller(app, raw).await?;
        authenticated(parts, Credential::api_key(raw));
        Ok(ApiKey(caller))
    }
}

/// A console session from `x-access-token`.
pub struct ConsoleSession(pub Session);

impl ConsoleSession {
    pub fn caller(&self) -> Caller {
        Caller {
            business_id: self.0.business_id.clone(),
        }
    }
}

impl FromRequestParts<App> for ConsoleSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let raw = header(parts, "x-access-token")
            .ok_or_else(|| AppError::unauthorized("The x-access-token header is required"))?;
        let session = console::session(app, raw).await?;
        payplane_app::pumapay::access::caller_business(app, &session.business_id).await?;
        authenticated(parts, Credential::session(raw));
        Ok(ConsoleSession(session))
    }
}

/// The client address (for login rate limits).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(crate::extract::client_ip(app, parts)))
    }
}
