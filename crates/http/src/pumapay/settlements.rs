//! Fiat settlement (seed 004 "Settlement Layer APIs", P34–P37, and the settlement QR code P33),
//! with the settlement statement as JSON or CSV (docs/settlement.md). Every route takes
//! `pma-api-key` and the business id in its path (yours or a sub-business's); `networkID` (query,
//! 1 by default, or 3) picks the network whose settlements are meant.
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, ok};
use super::pull_payment_requests::base_url;
use super::pull_payments::ListParams;
use crate::error::ApiError;
use crate::extract::PathParams;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use payplane_app::pumapay::settlement::statement::{self, Statement};
use payplane_app::pumapay::settlement::{self as uc, ListQuery, SettlementView, line_fee, pma};
use payplane_app::{App, AppError};
use payplane_store::pumapay::transactions::Listed;
use serde::Serialize;
use utoipa::ToSchema;

/// Create Settlement (P34): a pending settlement of every accrued pull in `currency` that no
/// settlement holds yet, when they reach the configured threshold (`[settlement]
/// threshold_minor`); under it, a 400 `error.settlement.below.threshold` giving the balance and
/// the threshold. Paid into the business's linked account at once (job), if it has one.
#[utoipa::path(post, path = "/api/v2/reports/fiat/settlement/{businessID}/{currency}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("currency" = String, Path, format = "settlement-currency", description = "EUR or USD"),
        ("networkID" = Option<i64>, Query, format = "blank-or:network-id", description = "1 (main, the default) or 3 (test)")),
    responses((status = 200, body = Envelope<SettlementView>),
        (status = 400, description = "Not EUR or USD, a bad networkID, or the balance is under the threshold (error.settlement.below.threshold)"),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn create(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, currency)): PathParams<(String, String)>,
    q: ListParams,
) -> Reply<SettlementView> {
    let network = q.one(&["networkID"]);
    let s = uc::create(&app, &c, &business_id, &currency, network.as_deref()).await?;
    ok("Successful fiat settlement inserted.", s)
}

/// P35's balances, minor units of the currency, plus what no settlement holds yet and the
/// threshold a settlement needs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    /// Held by pending settlements.
    pending_fiat_balance: i64,
    /// Paid out by settled settlements (before their fee).
    settled_fiat_balance: i64,
    /// Held by settlements an operator marked unsettled.
    unsettled_fiat_balance: i64,
    /// Accrued and in no settlement yet: what a new settlement would hold.
    available_fiat_balance: i64,
    /// The smallest `availableFiatBalance` a settlement is created for.
    settlement_threshold: i64,
    currency: String,
    #[serde(rename = "networkID")]
    network_id: i64,
}

/// Retrieve Fiat Settlement Balance (P35).
#[utoipa::path(get, path = "/api/v2/reports/fiat/total/{businessID}/{currency}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("currency" = String, Path, format = "settlement-currency", description = "EUR or USD"),
        ("networkID" = Option<i64>, Query, format = "blank-or:network-id", description = "1 (main, the default) or 3 (test)")),
    responses((status = 200, body = Envelope<BalanceView>),
        (status = 400, description = "Not EUR or USD, or a bad networkID"),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn total(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, currency)): PathParams<(String, String)>,
    q: ListParams,
) -> Reply<BalanceView> {
    let network = q.one(&["networkID"]);
    let b = uc::balance(&app, &c, &business_id, &currency, network.as_deref()).await?;
    ok(
        "Successfully retrieved total fiat amount",
        BalanceView {
            pending_fiat_balance: b.pending,
            settled_fiat_balance: b.settled,
            unsettled_fiat_balance: b.unsettled,
            available_fiat_balance: b.available,
            settlement_threshold: b.threshold,
            currency: b.currency,
            network_id: b.network_id,
        },
    )
}

/// Retrieve Fiat Settlements (P36): the business's settlements on the network, newest first.
#[utoipa::path(get, path = "/api/v2/reports/fiat/all/{businessID}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path),
        ("statuses" = Option<String>, Query, format = "word-list:pending|settled|unsettled", description = "pending, settled, unsettled: [pending,settled] or a comma list"),
        ("currency" = Option<String>, Query, format = "blank-or:settlement-currency", description = "EUR or USD"),
        ("networkID" = Option<i64>, Query, format = "blank-or:network-id", description = "1 (main, the default) or 3 (test)"),
        ("page" = Option<i64>, Query, format = "blank-or:", minimum = 1), ("itemsPerPage" = Option<i64>, Query, format = "blank-or:", minimum = 1, maximum = 100, description = "1–100, default 20"),
        ("orderBy" = Option<String>, Query, format = "blank-or:any-case:date|createdAt|updatedAt|amount|price|totalFiatAmount|referenceNo", description = "date (default), updatedAt, amount (also price) or referenceNo"),
        ("orderType" = Option<String>, Query, format = "blank-or:order-type", description = "ASC or DESC (default)")),
    responses((status = 200, body = Envelope<Vec<SettlementView>>),
        (status = 400, description = "A filter is invalid (the error names it)"),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn all(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business_id): PathParams<String>,
    q: ListParams,
) -> Reply<Vec<SettlementView>> {
    let query = ListQuery {
        statuses: q.list(&["statuses", "status"]),
        currency: q.one(&["currency"]),
        network_id: q.one(&["networkID"]),
        page: q.page(),
        items_per_page: q.items_per_page(),
        order_by: q.one(&["orderBy"]),
        order_type: q.one(&["orderType"]),
    };
    let list = uc::list(&app, &c, &business_id, query).await?;
    ok("Successfully retrieved fiat settlement transactions", list)
}

/// One pull of a settlement, with P37's fields (`pmaBalance` is the PMA the pull moved, as the
/// route describes it) and the statement's (`tokenAmount` in token units, the rate and its
/// source, the settlement `fee`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettlementTransactionView {
    id: String,
    /// The payment model.
    #[serde(rename = "billingID")]
    billing_id: String,
    billing_name: Option<String>,
    #[serde(rename = "businessID")]
    business_id: String,
    /// Which execution of its pull payment it is (1 for the first pull).
    current_payment: Option<i64>,
    customer_address: Option<String>,
    /// The pull payment's uniqueReferenceID.
    #[serde(rename = "customerID")]
    customer_id: Option<String>,
    /// Unix seconds of the block.
    execution_date: Option<i64>,
    /// Minor units of `currency`.
    fiat_amount: i64,
    currency: String,
    /// The settlement fee on it, minor units.
    fee: i64,
    last_payment_date: Option<i64>,
    next_payment_date: Option<i64>,
    #[serde(rename = "paymentID")]
    payment_id: String,
    /// The payment model type, 2–8.
    payment_type: Option<i64>,
    /// The PMA it moved, in PMA.
    pma_balance: Option<String>,
    product_name: Option<String>,
    /// The transaction's referenceNo, as a string (as P37 types it).
    reference_no: String,
    /// 2 initial, 3 execute.
    transaction_type: i64,
    /// The pull's index under its pull payment.
    transaction_index: Option<i64>,
    tx_hash: Option<String>,
    block_number: Option<i64>,
    /// Token units (18 decimals).
    token_amount: Option<String>,
    /// The execution rate (price of one PMA in `currency`), its source and time (ISO-8601).
    rate: Option<String>,
    rate_source: Option<String>,
    rate_timestamp: Option<String>,
}

fn line(l: &Listed, fee_bps: i64) -> SettlementTransactionView {
    let t = &l.tx;
    SettlementTransactionView {
        id: t.id.clone(),
        billing_id: t.payment_model_id.clone(),
        billing_name: l.billing_name.clone(),
        business_id: t.business_id.clone(),
        current_payment: t.pull_index.map(|i| i + 1),
        customer_address: l.customer_address.clone(),
        customer_id: l.customer_id.clone(),
        execution_date: t.execution_date,
        fiat_amount: t.fiat_amount,
        currency: t.currency.clone(),
        fee: line_fee(t.fiat_amount, fee_bps),
        last_payment_date: l.last_payment_at,
        next_payment_date: l.next_payment_at,
        payment_id: t.pull_payment_id.clone(),
        payment_type: l.payment_type,
        pma_balance: pma(t.token_amount.as_deref()),
        product_name: l.product_name.clone(),
        reference_no: t.reference_no.to_string(),
        transaction_type: t.tx_type.id(),
        transaction_index: t.pull_index,
        tx_hash: t.tx_hash.clone(),
        block_number: t.block_number,
        token_amount: t.token_amount.clone(),
        rate: t.rate.clone(),
        rate_source: t.rate_source.clone(),
        rate_timestamp: t.rate_at.map(payplane_core::timefmt::iso_millis),
    }
}

/// P37: the settlement's fields and its pulls.
#[derive(Serialize, ToSchema)]
pub struct SettlementTransactionsView {
    #[serde(flatten)]
    settlement: SettlementView,
    transactions: Vec<SettlementTransactionView>,
}

/// Retrieve All Transactions From a Single Fiat Settlement (P37): the settlement and one page of
/// its pulls, newest first (every pull of a settlement appears in it and in no other).
#[utoipa::path(get, path = "/api/v2/reports/fiat/transactions/{businessID}/{fiatSettlementID}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("fiatSettlementID" = String, Path),
        ("page" = Option<i64>, Query, format = "blank-or:", minimum = 1), ("itemsPerPage" = Option<i64>, Query, format = "blank-or:", minimum = 1, maximum = 100, description = "1–100, default 20")),
    responses((status = 200, body = Envelope<SettlementTransactionsView>),
        (status = 403, description = "Not your business nor a sub-business"),
        (status = 404, description = "No such settlement of this business")))]
pub async fn transactions(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, id)): PathParams<(String, String)>,
    q: ListParams,
) -> Reply<SettlementTransactionsView> {
    let (settlement, rows) = uc::transactions(
        &app,
        &c,
        &business_id,
        &id,
        q.page().as_deref(),
        q.items_per_page().as_deref(),
    )
    .await?;
    let fee_bps = settlement.fee_basis_points;
    ok(
        "Successfully retrieved fiat settlement transactions",
        SettlementTransactionsView {
            transactions: rows.iter().map(|l| line(l, fee_bps)).collect(),
            settlement,
        },
    )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettlementQrView {
    /// The payment model every pull of the settlement belongs to, when there is one.
    #[serde(rename = "pullPaymentModelID")]
    pull_payment_model_id: Option<String>,
    /// The customer reference every pull shares, when there is one.
    #[serde(rename = "uniqueReferenceID")]
    unique_reference_id: Option<String>,
    /// The settlement's amount in PMA (its `assetAmount`), as the exact decimal JSON number
    /// the document types it.
    #[schema(value_type = f64)]
    amount: serde_json::Value,
    /// The asset the settlement is made from: `PMA`.
    currency: String,
    /// The payment model type every pull shares, when there is one.
    #[serde(rename = "typeID")]
    type_id: Option<i64>,
    #[serde(rename = "settlementID")]
    settlement_id: String,
    #[serde(rename = "businessID")]
    business_id: String,
    /// EUR or USD, and the settlement's value in it (minor units).
    fiat_currency: String,
    total_fiat_amount: i64,
    /// The signed statement URL the code encodes.
    url: String,
    /// The QR code: a base64 PNG.
    qr_code: String,
}

/// Get Settlement QR Code (P33): a QR code (base64 PNG) of the settlement's signed statement
/// link, which anyone holding it can open to check the settlement; `currency` must be the
/// settlement's. Takes the business's `pma-api-key`, as the document's samples send it.
#[utoipa::path(get, path = "/api/v2/open-auth/qr/settlement/{businessID}/{settlementID}/{currency}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("settlementID" = String, Path), ("currency" = String, Path, format = "settlement-currency", description = "The settlement's currency, EUR or USD")),
    responses((status = 200, body = Envelope<SettlementQrView>),
        (status = 400, description = "Not the settlement's currency"),
        (status = 404, description = "No such settlement of this business")))]
pub async fn qr(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    headers: HeaderMap,
    PathParams((business_id, id, currency)): PathParams<(String, String, String)>,
) -> Reply<SettlementQrView> {
    let code = statement::qr(
        &app,
        &c,
        &business_id,
        &id,
        &currency,
        &base_url(&app, &headers),
    )
    .await?;
    let qr_code = code.png_base64();
    ok(
        "Successfully retrieved the QR code.",
        SettlementQrView {
            pull_payment_model_id: code.model_id,
            unique_reference_id: code.unique_reference_id,
            amount: super::payment_models::number(&code.settlement.asset_amount),
            currency: "PMA".into(),
            type_id: code.type_id,
            settlement_id: code.settlement.id.clone(),
            business_id: code.settlement.business_id.clone(),
            fiat_currency: code.settlement.currency.clone(),
            total_fiat_amount: code.settlement.total_fiat_amount,
            url: code.url,
            qr_code,
        },
    )
}

/// `?format=json` (the default: the pull-payment envelope) or `csv` (a file).
fn statement_reply(s: Statement, q: &ListParams) -> Result<Response, ApiError> {
    match q
        .one(&["format"])
        .map(|f| f.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("json") => {
            Ok(ok("Successfully retrieved the settlement statement", s)?.into_response())
        }
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"settlement-{}.csv\"",
                        s.settlement.reference_no
                    ),
                ),
            ],
            statement::csv(&s),
        )
            .into_response()),
        Some(other) => Err(AppError::field(
            "format",
            "error.format.invalid",
            format!("format must be json or csv, not {other:?}"),
        )
        .into()),
    }
}

/// The settlement statement: the settlement and each pull's fiat amount, fee, token amount,
/// rate, rate source, hash and block time; `?format=csv` for CSV (fiat in decimal units).
#[utoipa::path(get, path = "/api/v2/reports/fiat/statement/{businessID}/{fiatSettlementID}", tag = "Settlement",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("fiatSettlementID" = String, Path),
        ("format" = Option<String>, Query, format = "blank-or:any-case:json|csv", description = "json (default) or csv")),
    responses((status = 200, body = Envelope<Statement>, description = "JSON; with format=csv a text/csv file"),
        (status = 404, description = "No such settlement of this business")))]
pub async fn statement_keyed(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((business_id, id)): PathParams<(String, String)>,
    q: ListParams,
) -> Result<Response, ApiError> {
    let s = statement::of_business(&app, &c, &business_id, &id).await?;
    statement_reply(s, &q)
}

/// The statement behind a settlement's signed link (its `documentPath`, its QR code): no key;
/// a signature that is not the settlement's is a 404.
#[utoipa::path(get, path = "/api/v2/open-auth/settlement-statement/{settlementID}/{signature}", tag = "Settlement",
    params(("settlementID" = String, Path), ("signature" = String, Path),
        ("format" = Option<String>, Query, format = "blank-or:any-case:json|csv", description = "json (default) or csv")),
    responses((status = 200, body = Envelope<Statement>, description = "JSON; with format=csv a text/csv file"),
        (status = 404, description = "No such settlement, or the link is not its own")))]
pub async fn statement_public(
    State(app): State<App>,
    PathParams((id, signature)): PathParams<(String, String)>,
    q: ListParams,
) -> Result<Response, ApiError> {
    let s = statement::public(&app, &id, &signature).await?;
    statement_reply(s, &q)
}
