//! Developer views of postbacks: the delivery log, redelivery, and a test postback that goes
//! through the real routing.
use super::body;
use super::links::{model_of, product_of};
use super::routing::{KIND_TEST, Published, publish};
use crate::pumapay::access::{self, Caller, Intent};
use crate::{App, AppError};
use payplane_store::keyset::Window;
use payplane_store::webhooks::{self, DeliveryFilter, DeliveryRow};

pub struct LogQuery {
    pub status: Option<String>,
    pub event: Option<String>,
    /// Unix micros.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub window: Window,
}

/// Deliveries to the business's postbacks, newest first.
pub async fn deliveries(
    app: &App,
    caller: &Caller,
    business_id: &str,
    q: &LogQuery,
) -> Result<Vec<DeliveryRow>, AppError> {
    access::authorize(app, caller, business_id, Intent::Read).await?;
    let f = DeliveryFilter {
        status: q.status.as_deref(),
        kind: q.event.as_deref(),
        from: q.from,
        to: q.to,
        window: q.window.clone(),
    };
    Ok(webhooks::list_deliveries(&app.db.read, business_id, f).await?)
}

/// Sends a delivery again now, with the same `webhook-id`.
pub async fn redeliver(
    app: &App,
    caller: &Caller,
    business_id: &str,
    delivery_id: &str,
) -> Result<(), AppError> {
    access::authorize(app, caller, business_id, Intent::Write).await?;
    let mine = webhooks::delivery_owner(&app.db.read, delivery_id)
        .await?
        .as_deref()
        == Some(business_id);
    if !mine || !webhooks::redeliver(app.db.writer(), delivery_id, app.now()).await? {
        return Err(AppError::not_found(
            "error.delivery.not.found",
            "Delivery not found",
        ));
    }
    Ok(())
}

/// A sample "Postback URL Data" body routed exactly like a real pull-payment event.
pub async fn send_test(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    product_id: Option<&str>,
    payment_model_id: Option<&str>,
) -> Result<Published, AppError> {
    access::authorize(app, caller, business_id, Intent::Write).await?;
    if let Some(p) = product_id {
        product_of(app, business_id, p).await?;
    }
    if let Some(m) = payment_model_id {
        model_of(app, business_id, m).await?;
    }
    let now = app.now();
    let sample = body::sample(business_id, network_id, now / 1_000_000);
    let mut tx = app.db.begin().await?;
    let out = publish(
        &mut tx,
        KIND_TEST,
        business_id,
        network_id,
        product_id,
        payment_model_id,
        &sample,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
