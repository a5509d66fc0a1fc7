//! Reading transactions (seed 004 "Transactions"): the report of a business on a network (P19,
//! and P22 on the same route, so the union of their filters), the transactions of one pull
//! payment (P20) and one transaction by its hash (P21, an array of one as the document shows).
//!
//! The document types two fields differently per route, and each route follows it: in the
//! report `transactionType` is a string (`"3"`) and `transactionIndex` an integer; in the other
//! two `transactionType` is an integer and `transactionIndex` a string.
use super::auth::ApiKey;
use super::envelope::{Envelope, ListReply, Reply, ok, ok_list};
use super::pull_payments::{ListParams, secs};
use crate::extract::PathParams;
use axum::extract::{OriginalUri, State};
use payplane_app::App;
use payplane_app::pumapay::transactions::{self as uc, PaymentQuery, ReportQuery, TxRead};
use payplane_store::keyset::Key;
use serde::Serialize;
use utoipa::ToSchema;

/// The fields of S-Transaction every route shows alike.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionFields {
    id: String,
    /// The pull payment.
    #[serde(rename = "paymentID")]
    payment_id: String,
    /// The payment model.
    #[serde(rename = "billingID")]
    billing_id: String,
    #[serde(rename = "businessID")]
    business_id: String,
    /// Unix seconds of the block, as a string; null while pending.
    execution_date: Option<String>,
    product_name: Option<String>,
    /// The payment model's title.
    billing_name: Option<String>,
    number_of_payments: Option<i64>,
    /// The pull payment's uniqueReferenceID.
    #[serde(rename = "customerID")]
    customer_id: Option<String>,
    customer_address: Option<String>,
    reference_no: i64,
    tx_hash: Option<String>,
    /// The treasury wallet's current PMA balance on the network, in PMA (null when the network
    /// cannot be asked).
    pma_balance: Option<String>,
    currency: String,
    /// Cents.
    fiat_amount: i64,
    /// Treasury or Kemix (the payment model's).
    destination: Option<String>,
    /// 1 pending, 2 failed, 3 success.
    transaction_status: i64,
    /// The payment model type, 2–8.
    payment_type: Option<i64>,
    next_payment_date: Option<String>,
    last_payment_date: Option<String>,
    frequency: Option<i64>,
    /// Additions: the receipt's block and gas, the PMA moved (token units, 18 decimals), the
    /// rate used (price of one PMA in `currency`), its source and time, and why it failed.
    block_number: Option<i64>,
    gas_used: Option<i64>,
    token_amount: Option<String>,
    rate: Option<String>,
    rate_source: Option<String>,
    /// ISO-8601.
    rate_timestamp: Option<String>,
    reason: Option<String>,
}

/// S-Transaction as the report (P19) types it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportTransactionView {
    #[serde(flatten)]
    fields: TransactionFields,
    /// 1 register, 2 initial, 3 execute, 4 cancel, 5 register_and_execute, as a string.
    transaction_type: String,
    /// The pull's index under its pull payment (null for non-pull transactions).
    transaction_index: Option<i64>,
}

/// S-Transaction as P20–P21 type it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PullPaymentTransactionView)]
pub struct TransactionView {
    #[serde(flatten)]
    fields: TransactionFields,
    /// 1 register, 2 initial, 3 execute, 4 cancel, 5 register_and_execute.
    transaction_type: i64,
    /// The pull's index under its pull payment, as a string (null for non-pull transactions).
    transaction_index: Option<String>,
}

fn fields(r: &TxRead) -> TransactionFields {
    let l = &r.listed;
    let t = &l.tx;
    TransactionFields {
        id: t.id.clone(),
        payment_id: t.pull_payment_id.clone(),
        billing_id: t.payment_model_id.clone(),
        business_id: t.business_id.clone(),
        execution_date: secs(t.execution_date),
        product_name: l.product_name.clone(),
        billing_name: l.billing_name.clone(),
        number_of_payments: l.number_of_payments,
        customer_id: l.customer_id.clone(),
        customer_address: l.customer_address.clone(),
        reference_no: t.reference_no,
        tx_hash: t.tx_hash.clone(),
        pma_balance: r.pma_balance.clone(),
        currency: t.currency.clone(),
        fiat_amount: t.fiat_amount,
        destination: l.destination.clone(),
        transaction_status: t.status.id(),
        payment_type: l.payment_type,
        next_payment_date: secs(l.next_payment_at),
        last_payment_date: secs(l.last_payment_at),
        frequency: l.frequency,
        block_number: t.block_number,
        gas_used: t.gas_used,
        token_amount: t.token_amount.clone(),
        rate: t.rate.clone(),
        rate_source: t.rate_source.clone(),
        rate_timestamp: t.rate_at.map(payplane_core::timefmt::iso_millis),
        reason: t.reason.clone(),
    }
}

fn tx_key(r: &TxRead) -> Key {
    Key::new(r.listed.tx.created_at, r.listed.tx.id.as_str())
}

fn report_view(r: &TxRead) -> ReportTransactionView {
    ReportTransactionView {
        fields: fields(r),
        transaction_type: r.listed.tx.tx_type.id().to_string(),
        transaction_index: r.listed.tx.pull_index,
    }
}

fn view(r: &TxRead) -> TransactionView {
    TransactionView {
        fields: fields(r),
        transaction_type: r.listed.tx.tx_type.id(),
        transaction_index: secs(r.listed.tx.pull_index),
    }
}

/// Retrieve All Transactions (also "Transaction Report by Business", the same route): the
/// transactions of a business (yours or a sub-business's) on a network, newest first.
#[utoipa::path(get, path = "/api/v2/api-key-auth/transactions/report/all/{businessID}/{networkID}", tag = "Transactions",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("networkID" = i64, Path, format = "network-id", description = "1 (main) or 3 (test)"),
        ("products" = Option<String>, Query, description = "Product ids: [id,id]"),
        ("billingModels" = Option<String>, Query, description = "Payment model ids: [id,id]"),
        ("transactionStatuses" = Option<String>, Query, format = "digit-list:1-3", description = "1 pending, 2 failed, 3 success: [1,3]"),
        ("statusID" = Option<String>, Query, format = "digit-list:1-3", description = "The same filter, P22's name"),
        ("transactionTypes" = Option<String>, Query, format = "digit-list:1-5", description = "1 register … 5 register_and_execute: [3]"),
        ("typeID" = Option<String>, Query, format = "digit-list:1-5", description = "The same filter, P22's name"),
        ("paymentTypes" = Option<String>, Query, format = "digit-list:2-8", description = "Payment model types 2–8"),
        ("currency" = Option<String>, Query, format = "fiat-or-empty"),
        ("startTimestamp" = Option<i64>, Query, format = "blank-or:", minimum = 0, description = "Executed at or after, unix seconds"),
        ("endTimestamp" = Option<i64>, Query, format = "blank-or:", minimum = 0, description = "Executed at or before, unix seconds (not before startTimestamp)"),
        ("uniqueReferenceID" = Option<String>, Query),
        ("page" = Option<i64>, Query, format = "blank-or:", minimum = 1), ("itemsPerPage" = Option<i64>, Query, format = "blank-or:", minimum = 1, maximum = 100, description = "1–100, default 20"),
        ("cursor" = Option<String>, Query, description = "The page after the one whose `Link: <…>; rel=\"next\"` header gave this cursor (`page` is then not used)")),
    responses((status = 200, body = Envelope<Vec<ReportTransactionView>>),
        (status = 400, description = "A filter is invalid (the error names it)"),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn report(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, network_id)): PathParams<(String, i64)>,
    q: ListParams,
    OriginalUri(uri): OriginalUri,
) -> ListReply<Vec<ReportTransactionView>> {
    let query = ReportQuery {
        products: q.list(&["products"]),
        billing_models: q.list(&["billingModels"]),
        transaction_statuses: q.list(&["transactionStatuses"]),
        status_id: q.list(&["statusID"]),
        transaction_types: q.list(&["transactionTypes"]),
        type_id: q.list(&["typeID"]),
        payment_types: q.list(&["paymentTypes"]),
        currency: q.one(&["currency"]),
        start_timestamp: q.one(&["startTimestamp"]),
        end_timestamp: q.one(&["endTimestamp"]),
        unique_reference_id: q.one(&["uniqueReferenceID"]),
        page: q.page(),
        cursor: q.cursor(),
        items_per_page: q.items_per_page(),
    };
    let rows = uc::report(&app, &c, &business_id, network_id, query).await?;
    let next = q.next(&rows, tx_key);
    ok_list(
        "Successfully retrieved transactions",
        rows.iter().map(report_view).collect(),
        &uri,
        next,
    )
}

/// Transactions by PullPaymentID, newest first.
#[utoipa::path(get, path = "/api/v2/api-key-auth/transactions/pull-payment/{businessID}/{pullpaymentID}", tag = "Transactions",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("pullpaymentID" = String, Path),
        ("statusID" = Option<String>, Query, format = "digit-list:1-3", description = "Transaction status 1 pending, 2 failed, 3 success (or a list)"),
        ("typeID" = Option<String>, Query, format = "digit-list:1-5", description = "Transaction types 1–5: [2,3]"),
        ("page" = Option<i64>, Query, format = "blank-or:", minimum = 1), ("itemsPerPage" = Option<i64>, Query, format = "blank-or:", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "The page after the one whose `Link: <…>; rel=\"next\"` header gave this cursor (`page` is then not used)")),
    responses((status = 200, body = Envelope<Vec<TransactionView>>),
        (status = 400, description = "A filter is invalid (the error names it)"),
        (status = 403, description = "Not your business nor a sub-business"),
        (status = 404, description = "No such pull payment of this business")))]
pub async fn of_pull_payment(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, pull_payment_id)): PathParams<(String, String)>,
    q: ListParams,
    OriginalUri(uri): OriginalUri,
) -> ListReply<Vec<TransactionView>> {
    let query = PaymentQuery {
        status_id: q.list(&["statusID"]),
        type_id: q.list(&["typeID"]),
        page: q.page(),
        cursor: q.cursor(),
        items_per_page: q.items_per_page(),
    };
    let rows = uc::of_pull_payment(&app, &c, &business_id, &pull_payment_id, query).await?;
    let next = q.next(&rows, tx_key);
    ok_list(
        "Successfully retrieved transactions",
        rows.iter().map(view).collect(),
        &uri,
        next,
    )
}

/// Single Transaction by Hash: an array holding the one transaction, as the document shows.
#[utoipa::path(get, path = "/api/v2/api-key-auth/transactions/single/{transactionHash}", tag = "Transactions",
    security(("pma-api-key" = [])),
    params(("transactionHash" = String, Path)),
    responses((status = 200, body = Envelope<Vec<TransactionView>>),
        (status = 404, description = "No such transaction of yours")))]
pub async fn by_hash(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(hash): PathParams<String>,
) -> Reply<Vec<TransactionView>> {
    let r = uc::by_hash(&app, &c, &hash).await?;
    ok("Successfully retrieved transaction", vec![view(&r)])
}
