//! Account webhook endpoints (seed 000 side): a user's URLs that receive their events.
use super::{at_rest, guard, sign};
use crate::pazemo::auth::Principal;
use crate::{App, AppError};
use payplane_store::webhooks::{self, Endpoint};

const MAX_ENDPOINTS: usize = 16;
/// How long the previous secret keeps signing after a rotation.
const ROTATION_OVERLAP_MICROS: i64 = 24 * 3_600_000_000;

/// `url` as the client sent it: its size is checked as sent (what the document's `maxLength`
/// counts), then the spaces around it are dropped.
pub async fn create(app: &App, p: &Principal, url: &str) -> Result<Endpoint, AppError> {
    crate::limits::pazemo("url", url, payplane_core::text::TextRule::Url)?;
    let url = url.trim();
    guard::check_url(url).map_err(|m| AppError::field("url", "error.url.invalid", m))?;
    if webhooks::list_endpoints(&app.db.read, &p.user_id, p.mode.as_str())
        .await?
        .len()
        >= MAX_ENDPOINTS
    {
        return Err(AppError::conflict(
            "error.webhook.limit",
            format!("At most {MAX_ENDPOINTS} webhook endpoints"),
        ));
    }
    let e = Endpoint {
        id: payplane_core::ids::new_id(),
        owner_id: p.user_id.clone(),
        mode: p.mode.as_str().into(),
        url: url.into(),
        secret: sign::new_secret(),
        previous_secret: None,
        previous_secret_until: None,
        headers: vec![],
        created_at: app.now(),
    };
    let stored = Endpoint {
        secret: at_rest::seal_secret(app, &e.secret)?,
        ..e.clone()
    };
    webhooks::insert_endpoint(app.db.writer(), &stored).await?;
    Ok(e)
}

pub async fn list(app: &App, p: &Principal) -> Result<Vec<Endpoint>, AppError> {
    Ok(webhooks::list_endpoints(&app.db.read, &p.user_id, p.mode.as_str()).await?)
}

pub async fn delete(app: &App, p: &Principal, id: &str) -> Result<(), AppError> {
    if !webhooks::delete_endpoint(&app.db, &p.user_id, p.mode.as_str(), id, app.now()).await? {
        return Err(not_found());
    }
    Ok(())
}

/// A new secret; the old one stays valid for 24 hours (deliveries carry both signatures).
pub async fn rotate(app: &App, p: &Principal, id: &str) -> Result<Endpoint, AppError> {
    let secret = sign::new_secret();
    let until = app.now() + ROTATION_OVERLAP_MICROS;
    webhooks::get_endpoint(&app.db.read, &p.user_id, p.mode.as_str(), id)
        .await?
        .ok_or_else(not_found)?;
    let sealed = at_rest::seal_secret(app, &secret)?;
    webhooks::rotate_secret(app.db.writer(), id, &p.user_id, &sealed, until).await?;
    let e = webhooks::get_endpoint(&app.db.read, &p.user_id, p.mode.as_str(), id)
        .await?
        .ok_or_else(not_found)?;
    at_rest::opened(app, &e)
}

/// Sends a `webhook.test` event to all of the caller's endpoints (through the outbox, like any event).
pub async fn send_test(app: &App, p: &Principal) -> Result<String, AppError> {
    let mut tx = app.db.begin().await?;
    let payload = serde_json::json!({"message": "This is a test event from payplane"});
    let id = payplane_store::events::append(
        &mut tx,
        payplane_store::events::NewEvent {
            kind: "webhook.test",
            owner_id: &p.user_id,
            mode: p.mode.as_str(),
            subject_id: &p.user_id,
            payload: &payload,
        },
        app.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Deliveries to the caller's endpoints, newest first, filtered.
pub async fn deliveries(
    app: &App,
    p: &Principal,
    filter: webhooks::DeliveryFilter<'_>,
) -> Result<Vec<webhooks::DeliveryRow>, AppError> {
    Ok(webhooks::list_deliveries(&app.db.read, &p.user_id, filter).await?)
}

/// Puts one of the caller's deliveries back in the queue for an immediate attempt.
pub async fn redeliver(app: &App, p: &Principal, id: &str) -> Result<(), AppError> {
    let mine =
        webhooks::delivery_owner(&app.db.read, id).await?.as_deref() == Some(p.user_id.as_str());
    if !mine || !webhooks::redeliver(app.db.writer(), id, app.now()).await? {
        return Err(AppError::not_found(
            "error.delivery.not.found",
            "Delivery not found",
        ));
    }
    Ok(())
}

fn not_found() -> AppError {
    AppError::not_found("error.webhook.not.found", "Webhook endpoint not found")
}
