//! Accrual: a successful pull of a Kemix payment model adds its fiat value to the business's
//! settlement balance, in the database transaction that records the pull (the executor's record
//! step calls [`accrue`]), so a recorded pull and its accrual commit together or not at all.
use super::{SETTLEMENT_CURRENCIES, accrued_ledger};
use crate::AppError;
use crate::pazemo::accounts::ensure_platform;
use payplane_core::kinds::{Network, TxStatus};
use payplane_core::ledger::transfer;
use payplane_store::Conn;
use payplane_store::ledger::{self, KIND_SETTLEMENT};
use payplane_store::pumapay::settlements::ACCRUAL;
use payplane_store::pumapay::transactions::Transaction;

/// Books `row`'s accrual when it is a successful pull (a fiat amount moved) of a payment model
/// whose destination is Kemix: `platform:{mode}:settlement:{cur}` → the business's accrued
/// balance, for the pull's fiat amount — its value at the execution rate, which the row carries
/// with its source and time (a Kemix model is priced in EUR or USD, so no second conversion
/// stands between the pull and its settlement). Anything else accrues nothing.
pub async fn accrue(conn: &mut Conn, row: &Transaction, now: i64) -> Result<(), AppError> {
    if row.status != TxStatus::Success || row.fiat_amount <= 0 {
        return Ok(());
    }
    let destination =
        payplane_store::pumapay::payment_models::destination(conn, &row.payment_model_id).await?;
    accrue_to(conn, row, now, destination.as_deref()).await
}

/// [`accrue`] with the destination of `row`'s payment model already read (the executor reads it
/// once per model of a batch).
pub async fn accrue_to(
    conn: &mut Conn,
    row: &Transaction,
    now: i64,
    destination: Option<&str>,
) -> Result<(), AppError> {
    if row.status != TxStatus::Success || row.fiat_amount <= 0 || destination != Some("Kemix") {
        return Ok(());
    }
    let currency = row.currency.as_str();
    let Some(network) = Network::from_id(row.network_id) else {
        return Ok(());
    };
    if !SETTLEMENT_CURRENCIES.contains(&currency) {
        // Refused when the model and its QR code were made; never accrued at some other rate.
        tracing::error!(transaction = %row.id, currency, "Kemix pull not in a settlement currency: not accrued");
        return Ok(());
    }
    let mode = network.mode();
    let source = ensure_platform(conn, mode, "settlement", currency, now).await?;
    let accrued = accrued_ledger(&row.business_id, mode, currency);
    ledger::ensure_account(conn, &accrued, currency, mode, KIND_SETTLEMENT, now).await?;
    ledger::post(
        conn,
        ACCRUAL,
        mode,
        &row.id,
        &transfer(&source, &accrued, currency, row.fiat_amount),
        now,
    )
    .await?;
    Ok(())
}
