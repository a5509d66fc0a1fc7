//! What a business does with a running pull payment: top up (type 8) and stop (cancel).
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, check, from_body, int, ok, required};
use crate::extract::{Body, PathParams};
use axum::extract::State;
use payplane_app::App;
use payplane_app::pumapay::pull_payments::merchant;
use payplane_store::pumapay::pull_payments::PullPayment;
use payplane_store::pumapay::transactions::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct TopUpBody {
    /// The type-8 pull payment to top up (`paymentID` is accepted too).
    #[serde(rename = "pullPaymentID", alias = "paymentID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    pull_payment_id: String,
    /// Cents to pull now (integer or numeric string); the payment's amount when absent.
    #[schema(value_type = Option<i64>, format = "integer-text")]
    amount: Option<Value>,
}

/// The top-up pull that was made and where the payment stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopUpView {
    #[serde(rename = "paymentID")]
    payment_id: String,
    #[serde(rename = "transactionID")]
    transaction_id: String,
    transaction_hash: Option<String>,
    block_number: Option<i64>,
    currency: String,
    fiat_amount: i64,
    /// Token units (18 decimals) pulled, as a decimal string.
    token_amount: Option<String>,
    /// Price of one PMA in `currency` used for the conversion, and its source.
    rate: Option<String>,
    rate_source: Option<String>,
    /// Cents pulled so far and the customer's signed limit.
    total_pulled: i64,
    top_up_limit: Option<i64>,
    status: i64,
}

/// Top Up Payment: the customer's balance in the business's system fell under the model's
/// threshold; pull `amount` cents now, within the customer's signed limit.
#[utoipa::path(put, path = "/api/v2/api-key-auth/pull-payments", tag = "Top Up Payment",
    security(("pma-api-key" = [])), request_body = TopUpBody,
    responses((status = 200, body = Envelope<TopUpView>),
        (status = 400, description = "Not a top-up payment, bad amount, or over the signed limit"),
        (status = 402, description = "The contract refused the pull (balance or allowance)"),
        (status = 404, description = "No such pull payment of yours"),
        (status = 409, description = "Not running, or a transaction is in flight")))]
pub async fn top_up(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<TopUpView> {
    let body: TopUpBody = from_body(v)?;
    let mut errors = vec![];
    required("pullPaymentID", &body.pull_payment_id, &mut errors);
    let amount = int("amount", &body.amount, &mut errors);
    check(errors)?;
    let (pp, t) = merchant::top_up(
        &app,
        &c,
        merchant::TopUp {
            pull_payment_id: body.pull_payment_id,
            amount,
        },
    )
    .await?;
    ok("Successfully created payment", top_up_view(&pp, t))
}

fn top_up_view(pp: &PullPayment, t: Transaction) -> TopUpView {
    TopUpView {
        payment_id: pp.id.clone(),
        transaction_id: t.id,
        transaction_hash: t.tx_hash,
        block_number: t.block_number,
        currency: t.currency,
        fiat_amount: t.fiat_amount,
        token_amount: t.token_amount,
        rate: t.rate,
        rate_source: t.rate_source,
        total_pulled: pp.fiat_pulled,
        top_up_limit: pp.top_up_limit,
        status: pp.status.id(),
    }
}

/// A stopped payment: its new status (4 cancelled) and why.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedView {
    #[serde(rename = "paymentID")]
    payment_id: String,
    status: i64,
    status_reason: Option<String>,
}

/// PullPayment Cancellation: the business (or its PSP) cancels a customer's pull payment. The
/// cancel transaction is sent and waited for; no pull follows.
#[utoipa::path(delete, path = "/api/v2/api-key-auth/business/stop/{paymentID}", tag = "PSP",
    security(("pma-api-key" = [])), params(("paymentID" = String, Path)),
    responses((status = 200, body = Envelope<StoppedView>),
        (status = 404, description = "No such pull payment of yours"),
        (status = 409, description = "Already final, or a transaction is in flight")))]
pub async fn stop(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<StoppedView> {
    let pp = merchant::stop(&app, &c, &id).await?;
    ok(
        "Successfully cancelled the pull payment",
        StoppedView {
            payment_id: pp.id,
            status: pp.status.id(),
            status_reason: pp.status_reason,
        },
    )
}

/// The code samples' spelling, with the literal `paymentID` segment kept.
#[utoipa::path(delete, path = "/api/v2/api-key-auth/business/stop/paymentID/{paymentID}", tag = "PSP",
    security(("pma-api-key" = [])), params(("paymentID" = String, Path)),
    responses((status = 200, body = Envelope<StoppedView>), (status = 404, description = "No such pull payment of yours")))]
pub async fn stop_alias(
    app: State<App>,
    key: ApiKey,
    id: PathParams<String>,
) -> Reply<StoppedView> {
    stop(app, key, id).await
}
