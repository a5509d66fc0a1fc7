//! What an operator watches: the review queues of both families, work that failed for good
//! (dead jobs and deliveries), and redelivery of a dead delivery. The decisions themselves are
//! the CLI's use cases (`pumapay::business_operator`, `pumapay::payment_models::operator_action`).
use crate::{App, AppError};
use payplane_store::jobs::DeadJob;
use payplane_store::pumapay::businesses::Business;
use payplane_store::pumapay::payment_models::PaymentModel;
use payplane_store::webhooks::DeadDelivery;

/// How many rows of each list the operator pages show.
pub const LIST_LIMIT: i64 = 100;

/// Businesses waiting for a KYC, details or treasury-wallet decision.
pub async fn businesses_awaiting(app: &App) -> Result<Vec<Business>, AppError> {
    Ok(payplane_store::pumapay::businesses::awaiting_review(&app.db.read, LIST_LIMIT).await?)
}

/// Payment models waiting for review (PND).
pub async fn models_awaiting(app: &App) -> Result<Vec<PaymentModel>, AppError> {
    Ok(payplane_store::pumapay::payment_models::awaiting_review(&app.db.read, LIST_LIMIT).await?)
}

pub async fn dead_jobs(app: &App) -> Result<Vec<DeadJob>, AppError> {
    Ok(payplane_store::jobs::dead(&app.db, LIST_LIMIT).await?)
}

pub async fn dead_deliveries(app: &App) -> Result<Vec<DeadDelivery>, AppError> {
    Ok(payplane_store::webhooks::dead_deliveries(&app.db.read, LIST_LIMIT).await?)
}

/// Puts a delivery of any owner back in the queue for an immediate attempt, audit-logged.
pub async fn redeliver(app: &App, actor: &str, source: &str, id: &str) -> Result<(), AppError> {
    let now = app.now();
    if !payplane_store::webhooks::redeliver(app.db.writer(), id, now).await? {
        return Err(AppError::not_found(
            "error.delivery.not.found",
            "Delivery not found",
        ));
    }
    let mut tx = app.db.begin().await?;
    payplane_store::audit::record(&mut tx, actor, "delivery.redeliver", id, source, now).await?;
    tx.commit().await?;
    Ok(())
}
