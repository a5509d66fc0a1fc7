use crate::error::ApiError;
use crate::extract::{Auth, Body, PathParams, QueryParams};
use crate::middleware::HoldsSecret;
use crate::next_link;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::{Extension, Json};
use payplane_app::pazemo::amounts::Page;
use payplane_app::webhooks::endpoints;
use payplane_app::{App, AppError};
use payplane_core::timefmt::{iso_millis, parse_rfc3339};
use payplane_store::keyset::Key;
use payplane_store::webhooks::{DeliveryRow, Endpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    id: String,
    url: String,
    created_time: String,
    /// The signing secret (`whsec_…`): only in the responses that create or rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

fn view(e: Endpoint, show_secret: bool) -> WebhookView {
    WebhookView {
        id: e.id,
        url: e.url,
        created_time: iso_millis(e.created_at),
        secret: show_secret.then_some(e.secret),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An http(s) URL that receives your events, signed with Standard Webhooks headers.
    #[schema(format = "url")]
    url: String,
}

/// Register a webhook endpoint; the answer carries its signing secret, shown only here.
#[utoipa::path(post, path = "/users/me/webhooks", tag = "Webhooks", security(("bearer" = [])), request_body = CreateWebhook,
    responses((status = 201, body = WebhookView), (status = 400, description = "Invalid URL"),
        (status = 409, description = "Already 16 endpoints (`error.webhook.limit`)")))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    Body(req): Body<CreateWebhook>,
) -> Result<(StatusCode, Extension<HoldsSecret>, Json<WebhookView>), ApiError> {
    let e = endpoints::create(&app, &p, &req.url).await?;
    Ok((
        StatusCode::CREATED,
        Extension(HoldsSecret),
        Json(view(e, true)),
    ))
}

/// List your webhook endpoints (never their secrets).
#[utoipa::path(get, path = "/users/me/webhooks", tag = "Webhooks", security(("bearer" = [])), responses((status = 200, body = [WebhookView])))]
pub async fn list(
    State(app): State<App>,
    Auth(p): Auth,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(
        endpoints::list(&app, &p)
            .await?
            .into_iter()
            .map(|e| view(e, false))
            .collect(),
    ))
}

/// Remove a webhook endpoint; its pending deliveries are dropped.
#[utoipa::path(delete, path = "/users/me/webhooks/{id}", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, description = "No such endpoint")))]
pub async fn delete(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    endpoints::delete(&app, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret: the new one is returned once; the old one keeps signing for 24 hours.
#[utoipa::path(post, path = "/users/me/webhooks/{id}/rotate-secret", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = WebhookView), (status = 404, description = "No such endpoint")))]
pub async fn rotate(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<(Extension<HoldsSecret>, Json<WebhookView>), ApiError> {
    Ok((
        Extension(HoldsSecret),
        Json(view(endpoints::rotate(&app, &p, &id).await?, true)),
    ))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestSent {
    event_id: String,
}

/// Send a `webhook.test` event to every endpoint you have.
#[utoipa::path(post, path = "/users/me/webhooks/test", tag = "Webhooks", security(("bearer" = [])), responses((status = 202, body = TestSent)))]
pub async fn send_test(
    State(app): State<App>,
    Auth(p): Auth,
) -> Result<(StatusCode, Json<TestSent>), ApiError> {
    let event_id = endpoints::send_test(&app, &p).await?;
    Ok((StatusCode::ACCEPTED, Json(TestSent { event_id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFilter {
    /// `pending`, `delivering`, `succeeded` or `dead`.
    status: Option<String>,
    /// Event type, e.g. `withdrawal.succeeded`.
    event: Option<String>,
    /// ISO-8601 lower bound of the creation time.
    #[param(format = DateTime)]
    from: Option<String>,
    /// ISO-8601 upper bound of the creation time.
    #[param(format = DateTime)]
    to: Option<String>,
    /// From 0.
    #[param(minimum = 0)]
    page: Option<i64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    size: Option<i64>,
    /// The page after the one whose `Link: <…>; rel="next"` header gave this cursor (`page` is
    /// then not used).
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    id: String,
    endpoint_id: String,
    event_id: String,
    event: String,
    status: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_time: String,
    delivered_time: Option<String>,
}

pub fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        endpoint_id: d.endpoint_id,
        event_id: d.event_id,
        event: d.event_kind,
        status: d.status,
        attempts: d.attempts,
        last_status_code: d.last_status,
        last_error: d.last_error,
        created_time: iso_millis(d.created_at),
        delivered_time: d.delivered_at.map(iso_millis),
    }
}

fn time_bound(field: &str, v: Option<&str>) -> Result<Option<i64>, AppError> {
    v.map(|s| {
        parse_rfc3339(s).ok_or_else(|| {
            AppError::field(
                field,
                "error.time.invalid",
                format!("{field} must be an ISO-8601 date-time"),
            )
        })
    })
    .transpose()
}

/// Deliveries to your endpoints, newest first (filters: status, event, from, to; `page` from 0, `size` 1 to 100,
/// or the `cursor` of a full page's `Link: <…>; rel="next"` header).
#[utoipa::path(get, path = "/users/me/webhooks/deliveries", tag = "Webhooks", security(("bearer" = [])), params(DeliveryFilter),
    responses((status = 200, body = [DeliveryView])))]
pub async fn deliveries(
    State(app): State<App>,
    Auth(p): Auth,
    QueryParams(f): QueryParams<DeliveryFilter>,
    OriginalUri(uri): OriginalUri,
) -> Result<(HeaderMap, Json<Vec<DeliveryView>>), ApiError> {
    let size = f.size.unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err(
            AppError::field("size", "error.size.invalid", "size is between 1 and 100").into(),
        );
    }
    let page = f.page.unwrap_or(0);
    if page < 0 {
        return Err(AppError::field("page", "error.page.invalid", "page starts at 0").into());
    }
    let filter = payplane_store::webhooks::DeliveryFilter {
        status: f.status.as_deref(),
        kind: f.event.as_deref(),
        from: time_bound("from", f.from.as_deref())?,
        to: time_bound("to", f.to.as_deref())?,
        window: Page {
            limit: size,
            offset: page.saturating_mul(size),
        }
        .window(f.cursor.as_deref())?,
    };
    let w = filter.window.clone();
    let rows = endpoints::deliveries(&app, &p, filter).await?;
    let next = w.next(&rows, |d| Key::new(d.created_at, d.id.as_str()));
    Ok((
        next_link::headers(&uri, next),
        Json(rows.into_iter().map(delivery_view).collect()),
    ))
}

/// Deliver one delivery again now.
#[utoipa::path(post, path = "/users/me/webhooks/deliveries/{id}/redeliver", tag = "Webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 202), (status = 404, description = "No such delivery")))]
pub async fn redeliver(
    State(app): State<App>,
    Auth(p): Auth,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    endpoints::redeliver(&app, &p, &id).await?;
    Ok(StatusCode::ACCEPTED)
}
