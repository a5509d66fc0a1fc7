//! The caller's own settings and history: 2FA enrolment (two steps) and the event log.
use super::common::PageQuery;
use crate::error::ApiError;
use crate::extract::{Auth, Body, QueryParams};
use crate::middleware::HoldsSecret;
use crate::next_link;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use payplane_app::{App, AppError, pazemo::twofa};
use payplane_core::timefmt::iso_millis;
use payplane_store::keyset::Key;
use serde::{Deserialize, Serialize};
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

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct EnrollTwoFactor {
    /// A current code of the enrolled authenticator: required to replace one.
    #[schema(pattern = "^[0-9]{6}$")]
    code: Option<String>,
}

/// Start enrolling an authenticator (TOTP, 6 digits, 30 s) for confirming withdrawals. The new
/// secret takes effect once a code from it is sent to `POST /users/me/2fa/confirm`; until then
/// the current authenticator (if any) stays in force. Replacing an enrolled authenticator needs a
/// current `code` from it (lost it: an operator runs `payplane admin user reset-2fa`). Live-mode
/// tokens only: the authenticator guards live withdrawals.
#[utoipa::path(post, path = "/users/me/2fa", tag = "Users", security(("bearer" = [])), request_body = EnrollTwoFactor,
    responses((status = 200, body = TwoFactor),
        (status = 400, description = "An authenticator is enrolled and `code` is missing, wrong or used"),
        (status = 403, description = "Read-only or test-mode token"),
        (status = 409, description = "Idempotency-Key replay: the secret is not kept")))]
pub async fn enroll_2fa(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<EnrollTwoFactor>,
) -> Result<(Extension<HoldsSecret>, Json<TwoFactor>), ApiError> {
    let e = twofa::begin_enrollment(&app, &p, req.code.as_deref()).await?;
    Ok((
        Extension(HoldsSecret),
        Json(TwoFactor {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
        }),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmTwoFactor {
    /// A current code of the authenticator just enrolled.
    #[schema(required = true, nullable = false, pattern = "^[0-9]{6}$")]
    code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TwoFactorStatus {
    /// `active`: codes of the new authenticator now confirm withdrawals; the previous one's no
    /// longer do.
    status: String,
}

/// Confirm a pending enrolment with a code from the new authenticator: it becomes the one that
/// confirms withdrawals. Live-mode tokens only.
#[utoipa::path(post, path = "/users/me/2fa/confirm", tag = "Users", security(("bearer" = [])), request_body = ConfirmTwoFactor,
    responses((status = 200, body = TwoFactorStatus),
        (status = 400, description = "`code` missing or not a current code of the pending authenticator"),
        (status = 403, description = "Read-only or test-mode token"),
        (status = 409, description = "No enrolment is pending")))]
pub async fn confirm_2fa(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<ConfirmTwoFactor>,
) -> Result<Json<TwoFactorStatus>, ApiError> {
    let code = req.code.as_deref().map(str::trim).unwrap_or("");
    if code.is_empty() {
        return Err(AppError::field(
            "code",
            "error.authorizationCode.required",
            "code is required: a current code of the authenticator just enrolled",
        )
        .into());
    }
    twofa::confirm_enrollment(&app, &p, code).await?;
    Ok(Json(TwoFactorStatus {
        status: "active".into(),
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

/// Your events in the token's mode, newest first. A full page has a `Link: <…>; rel="next"`
/// header whose `cursor` reads the next one.
#[utoipa::path(get, path = "/users/me/events", tag = "Users", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = [EventView])))]
pub async fn list_events(
    State(app): State<App>,
    Auth(p): Auth,
    QueryParams(q): QueryParams<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<EventView>>), ApiError> {
    let w = q.window()?;
    let list = payplane_store::events::list(&app.db.read, &p.user_id, p.mode.as_str(), &w).await?;
    let next = w.next(&list, |e| Key::new(e.seq, ""));
    Ok((
        next_link::headers(&uri, next),
        Json(
            list.into_iter()
                .map(|e| EventView {
                    id: e.id,
                    kind: e.kind,
                    subject_id: e.subject_id,
                    created_time: iso_millis(e.created_at),
                    data: e.payload,
                })
                .collect(),
        ),
    ))
}
