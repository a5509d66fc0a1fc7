use crate::error::ApiError;
use crate::extract::{Auth, Body, PathParams};
use crate::middleware::HoldsSecret;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::users::{self, NewToken};
use payplane_app::{App, AppError};
use payplane_core::timefmt::iso_millis;
use payplane_store::pazemo::tokens::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    email: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    id: String,
    created_time: String,
    updated_time: String,
    status: String,
    email: String,
    /// Empty when the user has given none: the document types it a string, never null.
    mobile: String,
    name: String,
    /// Empty when the user belongs to no partner (a string, as documented).
    partner_id: String,
    roles: Vec<String>,
    #[schema(value_type = Object)]
    configs: serde_json::Value,
}

/// Get currently logged in user.
#[utoipa::path(get, path = "/users/me", tag = "Users", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, description = "Bad token")))]
pub async fn me(State(app): State<App>, Auth(p): Auth) -> Result<Json<Me>, ApiError> {
    let u = users::get_user(&app, &p.user_id).await?;
    Ok(Json(Me {
        id: u.id,
        email: u.email,
        name: u.name,
    }))
}

/// Get user info by id: your own, or anyone's for an operator.
#[utoipa::path(get, path = "/users/{userId}", tag = "Users", security(("bearer" = [])),
    params(("userId" = String, Path, description = "User ID")),
    responses((status = 200, body = UserInfo), (status = 403, description = "Another user's id")))]
pub async fn get_user(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(user_id): PathParams<String>,
) -> Result<Json<UserInfo>, ApiError> {
    let id = if user_id == "me" {
        p.user_id.clone()
    } else {
        user_id
    };
    if id != p.user_id && !p.admin {
        return Err(
            AppError::forbidden("error.user.forbidden", "You can only read your own user").into(),
        );
    }
    let u = users::get_user(&app, &id).await?;
    Ok(Json(UserInfo {
        id: u.id,
        created_time: iso_millis(u.created_at),
        updated_time: iso_millis(u.updated_at),
        status: u.status,
        email: u.email,
        mobile: u.mobile.unwrap_or_default(),
        name: u.name,
        partner_id: u.partner_id.unwrap_or_default(),
        roles: u.roles,
        configs: u.configs,
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    id: String,
    label: String,
    /// `live` or `test`.
    mode: String,
    /// `full` or `read_only`.
    access: String,
    allowed_ips: Vec<String>,
    /// Last four characters of the token.
    token_hint: String,
    created_time: String,
    last_used_time: Option<String>,
    /// The secret: only in the response that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn view(t: ApiToken, secret: Option<String>) -> TokenView {
    TokenView {
        id: t.id,
        label: t.label,
        mode: t.mode,
        access: t.access,
        allowed_ips: t.allow_ips,
        token_hint: t.token_hint,
        created_time: iso_millis(t.created_at),
        last_used_time: t.last_used_at.map(iso_millis),
        token: secret,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    /// `test` or `live`; defaults to the calling token's mode, and no other is allowed (403).
    #[schema(pattern = "^(test|live)$")]
    mode: Option<String>,
    /// `full` (default) or `read_only`.
    #[schema(pattern = "^(full|read_only)$")]
    access: Option<String>,
    /// IP addresses or CIDR ranges the token may be used from, within the calling token's own.
    #[serde(default)]
    #[schema(format = "ip-or-cidr")]
    allowed_ips: Vec<String>,
    #[serde(default)]
    #[schema(format = "line", max_length = 100)]
    label: String,
}

/// List your active API tokens of the calling token's mode (never their secrets).
#[utoipa::path(get, path = "/users/me/tokens", tag = "Tokens", security(("bearer" = [])), responses((status = 200, body = [TokenView])))]
pub async fn list_tokens(
    State(app): State<App>,
    Auth(p): Auth,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let list = users::list_tokens(&app, &p.user_id, p.mode).await?;
    Ok(Json(list.into_iter().map(|t| view(t, None)).collect()))
}

/// Create an API token; the secret `token` is shown only in this response. At most 5 active.
/// The new token has the caller's mode, no write access if the caller is read-only, and an
/// IP allow-list within the caller's (a replay of its Idempotency-Key is a 409: the secret is
/// not kept).
#[utoipa::path(post, path = "/users/me/tokens", tag = "Tokens", security(("bearer" = [])), request_body = CreateToken,
    responses((status = 201, body = TokenView), (status = 400, description = "Invalid mode, access, address or label"), (status = 403, description = "Read-only token, another mode, or a wider allow-list"), (status = 409, description = "Already 5 active tokens (`error.token.limit`), or an Idempotency-Key replay of a response that held the secret")))]
pub async fn create_token(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<CreateToken>,
) -> Result<(StatusCode, Extension<HoldsSecret>, Json<TokenView>), ApiError> {
    let mode = match req.mode.as_deref() {
        None => p.mode,
        Some(m) => Mode::parse(m).ok_or_else(|| {
            AppError::field("mode", "error.mode.invalid", "mode must be live or test")
        })?,
    };
    let read_only = match req.access.as_deref() {
        None | Some("full") => false,
        Some("read_only") => true,
        Some(_) => {
            return Err(AppError::field(
                "access",
                "error.access.invalid",
                "access must be full or read_only",
            )
            .into());
        }
    };
    let (token, secret) = users::create_token_as(
        &app,
        &p,
        NewToken {
            mode,
            read_only,
            allow_ips: req.allowed_ips,
            label: req.label,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Extension(HoldsSecret),
        Json(view(token, Some(secret))),
    ))
}

/// Revoke one of your tokens of the calling token's mode (another mode's is a 404).
#[utoipa::path(delete, path = "/users/me/tokens/{id}", tag = "Tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "Token ID")), responses((status = 204), (status = 404, description = "No such token")))]
pub async fn revoke_token(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    users::revoke_token(&app, &p.user_id, p.mode, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
