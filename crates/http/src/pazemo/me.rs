//! The caller's own settings and history: 2FA enrollment and the event log.
use super::common::PageQuery;
use crate::error::ApiError;
use crate::extract::{Auth, QueryParams};
use axum::Json;
use axum::extract::State;
use payplane_app::{App, pazemo::twofa};
use payplane_core::timefmt::iso_millis;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactor {
    /// Base32 secret, shown only now.
    secret: String,
    /// `otpauth://totp/...` for an authenticator app (or a QR code of it).
    otpauth_uri: String,
}

/// Enroll an authenticator (TOTP, 6 digits, 30 s) for confirming withdrawals; enrolling again
/// replaces the previous one.
#[utoipa::path(post, path = "/users/me/2fa", tag = "Users", security(("bearer" = [])),
    responses((status = 200, body = TwoFactor), (status = 403, description = "Read-only token")))]
pub async fn enroll_2fa(
    State(app): State<App>,
    Auth(p): Auth,
) -> Result<Json<TwoFactor>, ApiError> {
    let e = twofa::enroll(&app, &p).await?;
    Ok(Json(TwoFactor {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    id: String,
    /// e.g. withdrawal.pending, withdrawal.succeeded, beneficiary.active.
    #[serde(rename = "type")]
    kind: String,
    /// The withdrawal or recipient id.
    subject_id: String,
    created_time: String,
    /// The resource as it was after the change.
    #[schema(value_type = Object)]
    data: Value,
}

/// Your events in the token's mode, newest first.
#[utoipa::path(get, path = "/users/me/events", tag = "Users", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = [EventView])))]
pub async fn list_events(
    State(app): State<App>,
    Auth(p): Auth,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let page = q.page()?;
    let list = payplane_store::events::list(
        &app.db.read,
        &p.user_id,
        p.mode.as_str(),
        page.limit,
        page.offset,
    )
    .await?;
    Ok(Json(
        list.into_iter()
            .map(|e| EventView {
                id: e.id,
                kind: e.kind,
                subject_id: e.subject_id,
                created_time: iso_millis(e.created_at),
                data: e.payload,
            })
            .collect(),
    ))
}
