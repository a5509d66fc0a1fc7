//! Operator actions on businesses (admin CLI and API), written to the audit log.
use crate::{App, AppError};
use payplane_store::pumapay::businesses::{self, Business};

/// Operator actions on a business (admin CLI and API), written to the audit log.
pub const OPERATOR_ACTIONS: &[&str] = &[
    "approve-kyc",
    "reject-kyc",
    "request-kyc",
    "approve-details",
    "approve-treasury-wallet",
    "trust",
    "untrust",
    "mark-psp",
    "approve-pride-access",
];

pub async fn operator_action(
    app: &App,
    actor: &str,
    source: &str,
    business_id: &str,
    action: &str,
) -> Result<Business, AppError> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut b = businesses::lock(&mut tx, business_id)
        .await?
        .ok_or_else(|| AppError::not_found("error.business.not.found", "Business not found"))?;
    let f = &mut b.flags;
    match action {
        "approve-kyc" => {
            f.kyc_approved = true;
            f.kyc_rejected = false;
            f.kyc_requested = false;
            f.details_approved = true;
        }
        "reject-kyc" => {
            f.kyc_approved = false;
            f.kyc_rejected = true;
        }
        "request-kyc" => f.kyc_requested = true,
        "approve-details" => f.details_approved = true,
        "approve-treasury-wallet" => {
            if b.treasury_wallet.is_none() {
                return Err(AppError::conflict(
                    "error.treasury.wallet.missing",
                    "The business has no treasury wallet",
                ));
            }
            f.treasury_approved = true;
        }
        "trust" => f.is_trusted = true,
        "untrust" => f.is_trusted = false,
        "approve-pride-access" => f.pride_approved = true,
        "mark-psp" => b.is_psp = true,
        other => {
            return Err(AppError::bad_request(
                "error.action.unknown",
                format!(
                    "Unknown action {other}; one of {}",
                    OPERATOR_ACTIONS.join(", ")
                ),
            ));
        }
    }
    b.status_updated_at = Some(now);
    b.updated_at = now;
    businesses::update(&mut tx, &b).await?;
    payplane_store::audit::record(
        &mut tx,
        actor,
        &format!("business.{action}"),
        &b.id,
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(b)
}

/// Operator verification of a product (`verify` or `unverify`), written to the audit log.
pub async fn product_action(
    app: &App,
    actor: &str,
    source: &str,
    product_id: &str,
    action: &str,
) -> Result<bool, AppError> {
    let verified = match action {
        "verify" => true,
        "unverify" => false,
        other => {
            return Err(AppError::bad_request(
                "error.action.unknown",
                format!("Unknown action {other}; one of verify, unverify"),
            ));
        }
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if !payplane_store::pumapay::products::set_verified(&mut tx, product_id, verified, now).await? {
        return Err(AppError::not_found(
            "error.product.not.found",
            "Product not found",
        ));
    }
    payplane_store::audit::record(
        &mut tx,
        actor,
        &format!("product.{action}"),
        product_id,
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(verified)
}
