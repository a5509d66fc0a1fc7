//! Console identity: register, log in/out, and the business's API key.
use super::auth::{ClientIp, ConsoleSession};
use super::envelope::{Reply, from_body, ok};
use crate::extract::{Body, PathParams};
use axum::extract::State;
use payplane_app::{App, pumapay::console};
use payplane_core::timefmt::iso_millis;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct RegisterBody {
    /// Company name (`companyName` is accepted too).
    #[serde(alias = "companyName")]
    #[schema(
        required = true,
        nullable = false,
        format = "line",
        min_length = 1,
        max_length = 200
    )]
    company: String,
    #[schema(required = true, nullable = false, format = "email")]
    email: String,
    /// 8 to 256 characters.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 256)]
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Registered {
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "userID")]
    user_id: String,
}

/// Register a standalone business and its admin user.
#[utoipa::path(post, path = "/api/v2/console-auth/register", tag = "Console",
    request_body = RegisterBody,
    responses((status = 200, body = Envelope<Registered>), (status = 400, description = "Invalid field"), (status = 409, description = "Email taken"), (status = 429, description = "Too many registrations from this address")))]
pub async fn register(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Body(v): Body<Value>,
) -> Reply<Registered> {
    let b: RegisterBody = from_body(v)?;
    let r = console::register(&app, &b.company, &b.email, &b.password, &ip.to_string()).await?;
    ok(
        "Successfully registered the business",
        Registered {
            business_id: r.business_id,
            user_id: r.user_id,
        },
    )
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    x_access_token: String,
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(rename = "userID")]
    user_id: String,
    expires_at: String,
}

/// Log in to the console: a session token for `x-access-token`. Failed logins are limited per
/// email-and-client-address pair and per client address (429 beyond the limit).
#[utoipa::path(post, path = "/api/v2/console-auth/login", tag = "Console",
    request_body = LoginBody,
    responses((status = 200, body = Envelope<LoggedIn>), (status = 401, description = "Wrong email or password"), (status = 429, description = "Too many failed logins")))]
pub async fn login(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Body(v): Body<Value>,
) -> Reply<LoggedIn> {
    let b: LoginBody = from_body(v)?;
    let l = console::login(&app, &b.email, &b.password, &ip.to_string()).await?;
    ok(
        "Successfully logged in",
        LoggedIn {
            x_access_token: l.token,
            business_id: l.business_id,
            user_id: l.user_id,
            expires_at: iso_millis(l.expires_at),
        },
    )
}

/// End the console session.
#[utoipa::path(post, path = "/api/v2/console-auth/logout", tag = "Console",
    security(("x-access-token" = [])),
    responses((status = 200, body = Envelope<bool>), (status = 401, description = "No session")))]
pub async fn logout(State(app): State<App>, s: ConsoleSession) -> Reply<bool> {
    console::logout(&app, &s.0).await?;
    ok("Successfully logged out", true)
}

/// Generate API Key: a new `pma-api-key`; the previous key stops working.
#[utoipa::path(get, path = "/api/v2/console-auth/api-keys/generate/{businessID}", tag = "API-Keys",
    security(("x-access-token" = [])),
    params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<String>), (status = 403, description = "Not your business")))]
pub async fn generate_key(
    State(app): State<App>,
    s: ConsoleSession,
    PathParams(business_id): PathParams<String>,
) -> Reply<String> {
    let key = console::generate_api_key(&app, &s.caller(), &business_id).await?;
    ok(
        "Successfully generated the API key. You can now retrieve it",
        key,
    )
}

/// Retrieve API Key: the current `pma-api-key`.
#[utoipa::path(get, path = "/api/v2/console-auth/api-keys/{businessID}", tag = "API-Keys",
    security(("x-access-token" = [])),
    params(("businessID" = String, Path)),
    responses((status = 200, body = Envelope<String>), (status = 404, description = "No key generated yet")))]
pub async fn get_key(
    State(app): State<App>,
    s: ConsoleSession,
    PathParams(business_id): PathParams<String>,
) -> Reply<String> {
    let key = console::current_api_key(&app, &s.caller(), &business_id).await?;
    ok("Successfully retrieved Api Key", key)
}

use super::envelope::Envelope;
