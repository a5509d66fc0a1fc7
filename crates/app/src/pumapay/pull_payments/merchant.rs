//! What a business does with its customers' pull payments: top up a type-8 payment when the
//! customer's balance in its system ran low (`PUT /api/v2/api-key-auth/pull-payments`), and stop
//! one (`DELETE /api/v2/api-key-auth/business/stop/{paymentID}`, the cancel transaction).
use super::executor::{self, Canceller, Pulled};
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::networks::network;
use crate::{App, AppError};
use payplane_core::kinds::{PaymentModelType, PullPaymentStatus};
use payplane_store::pumapay::pull_payments::{self as store, PullPayment};
use payplane_store::pumapay::transactions::Transaction;

/// A pull payment the caller may act for; another tenant's id answers exactly as an unknown one.
pub async fn owned(
    app: &App,
    caller: &Caller,
    id: &str,
    intent: Intent,
) -> Result<PullPayment, AppError> {
    let pp = store::get(&app.db.read, id)
        .await?
        .ok_or_else(super::not_found)?;
    match access::authorize(app, caller, &pp.business_id, intent).await {
        Ok(_) => Ok(pp),
        Err(e)
            if e.kind == crate::ErrorKind::Forbidden && e.code() != "error.business.disabled" =>
        {
            Err(super::not_found())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone)]
pub struct TopUp {
    pub pull_payment_id: String,
    /// Cents; the payment's amount when absent.
    pub amount: Option<i64>,
}

/// A top-up pull of a running type-8 payment, now, within the customer's signed limit.
pub async fn top_up(
    app: &App,
    caller: &Caller,
    input: TopUp,
) -> Result<(PullPayment, Transaction), AppError> {
    let pp = owned(app, caller, &input.pull_payment_id, Intent::Write).await?;
    if pp.type_id != PaymentModelType::TopUp.id() {
        return Err(AppError::field(
            "pullPaymentID",
            "error.pull.payment.not.topup",
            format!(
                "pullPaymentID must name a top-up pull payment (typeID 8); this one is typeID {}",
                pp.type_id
            ),
        ));
    }
    let cents = input.amount.unwrap_or(pp.amount);
    if cents <= 0 {
        return Err(AppError::field(
            "amount",
            "error.field.must.be.positive",
            "amount must be more than 0 cents",
        ));
    }
    let limit = pp.top_up_limit.unwrap_or(0);
    if pp.fiat_pulled.saturating_add(cents) > limit {
        return Err(AppError::field(
            "amount",
            "error.topup.limit.exceeded",
            format!(
                "amount would pass the customer's signed limit of {limit} cents ({} already pulled; at most {} more)",
                pp.fiat_pulled,
                (limit - pp.fiat_pulled).max(0)
            ),
        ));
    }
    match pp.status {
        PullPaymentStatus::Running => {}
        PullPaymentStatus::Processing | PullPaymentStatus::Initial => {
            return Err(AppError::conflict(
                "error.pull.payment.busy",
                "The pull payment is not registered yet or a transaction is in flight; try again in a moment",
            ));
        }
        s => {
            return Err(AppError::conflict(
                "error.pull.payment.final",
                format!("The pull payment is final (status {})", s.id()),
            ));
        }
    }
    let net = network(app, pp.network_id).await?;
    match executor::pull(app, &net, &pp.id, Some(cents)).await? {
        Pulled::Made(t) => {
            let t = *t;
            let after = store::get(&app.db.read, &pp.id)
                .await?
                .ok_or_else(super::not_found)?;
            Ok((after, t))
        }
        Pulled::Refused { reason, .. } => Err(AppError::payment_required(
            "error.topup.refused",
            format!("The pull was refused on chain: {reason}"),
        )),
        Pulled::Skipped => Err(AppError::conflict(
            "error.pull.payment.busy",
            "A transaction of this pull payment is in flight; try again in a moment",
        )),
    }
}

/// The business stops a customer's pull payment: the cancel transaction, then status 4.
pub async fn stop(app: &App, caller: &Caller, id: &str) -> Result<PullPayment, AppError> {
    let pp = owned(app, caller, id, Intent::Write).await?;
    executor::cancel(app, &pp.id, Canceller::Business).await
}
