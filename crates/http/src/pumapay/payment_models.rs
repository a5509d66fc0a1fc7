//! Payment models: create with the per-type rules, list per product, single (served with and
//! without the `api-key-auth` segment).
use super::auth::ApiKey;
use super::envelope::{Envelope, Reply, boolean, check, from_body, int, ok};
use crate::error::ApiError;
use crate::extract::{Body, PathParams, QueryParams};
use axum::extract::State;
use payplane_app::App;
use payplane_app::pumapay::paging::PageQuery;
use payplane_app::pumapay::payment_models::{self as uc, ListQuery, NewModel, SMART_CONTRACT_ID};
use payplane_core::timefmt::iso_millis;
use payplane_store::pumapay::payment_models::PaymentModel;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of "Create Payment Model". Amounts are integer cents, as numbers or numeric strings.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    #[serde(rename = "businessID")]
    #[schema(required = true, nullable = false, pattern = "\\S")]
    business_id: Option<String>,
    /// Required but for type 8, which may name it `paymentID`.
    #[serde(rename = "productID")]
    product_id: Option<String>,
    /// Type 8's name for the product the top-up belongs to.
    #[serde(rename = "paymentID")]
    payment_id: Option<String>,
    /// Required for types 2 to 7.
    #[schema(format = "line", max_length = 200)]
    title: Option<String>,
    #[schema(format = "line", max_length = 200)]
    internal_title: Option<String>,
    #[schema(format = "multiline", max_length = 5000)]
    description: Option<String>,
    /// Cents; the rules of each type decide which of the amounts and counts are required,
    /// zero or positive (`docs/pull-payments-business.md`).
    #[schema(value_type = Option<i64>, format = "integer-text")]
    amount: Option<Value>,
    #[schema(value_type = Option<i64>, format = "integer-text")]
    initial_payment_amount: Option<Value>,
    #[schema(format = "fiat")]
    currency: Option<String>,
    #[schema(value_type = Option<i64>, format = "integer-text")]
    number_of_payments: Option<Value>,
    #[serde(rename = "typeID")]
    #[schema(value_type = i64, required = true, nullable = false, format = "integer-text-enum:2,3,4,5,6,7,8")]
    type_id: Option<Value>,
    /// Seconds between pulls.
    #[schema(value_type = Option<i64>, format = "integer-text")]
    frequency: Option<Value>,
    #[serde(rename = "networkID")]
    #[schema(value_type = i64, required = true, nullable = false, format = "integer-text-enum:1,3")]
    network_id: Option<Value>,
    /// Seconds.
    #[schema(value_type = Option<i64>, format = "integer-text")]
    trial_period: Option<Value>,
    /// Treasury (PMA to the treasury wallet, the default) or Kemix (settled in fiat: priced in
    /// EUR or USD, the PMA goes to the platform's settlement wallet; docs/settlement.md).
    #[schema(pattern = "^\\s*([Tt][Rr][Ee][Aa][Ss][Uu][Rr][Yy]|[Kk][Ee][Mm][Ii][Xx])?\\s*$")]
    destination: Option<String>,
    /// `true` is destination Kemix; it must agree with `destination` when both are given.
    #[schema(value_type = Option<bool>)]
    fiat_settlement_opt_in: Option<Value>,
    #[schema(format = "eth-address")]
    treasury_wallet: Option<String>,
    #[schema(value_type = Option<i64>, format = "integer-text")]
    top_up_threshold: Option<Value>,
    #[schema(format = "fiat")]
    top_up_threshold_currency: Option<String>,
    #[schema(value_type = Option<i64>, format = "integer-text")]
    top_up_suggested_total_limit: Option<Value>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedView {
    id: String,
    #[serde(rename = "businessID")]
    business_id: String,
    fiat_settlement_opt_in: bool,
    #[serde(rename = "productID")]
    product_id: String,
    #[serde(rename = "smartContractID")]
    smart_contract_id: i64,
    title: Option<String>,
    internal_title: Option<String>,
    /// Empty when the business gave none (the document types it a string).
    description: String,
    amount: Option<i64>,
    initial_payment_amount: i64,
    trial_period: i64,
    currency: Option<String>,
    number_of_payments: Option<i64>,
    frequency: Option<i64>,
    #[serde(rename = "statusID")]
    status_id: String,
    #[serde(rename = "typeID")]
    type_id: i64,
    #[serde(rename = "networkID")]
    network_id: i64,
    treasury_wallet: String,
    destination: String,
    top_up_threshold: Option<i64>,
    top_up_threshold_currency: Option<String>,
    top_up_suggested_total_limit: Option<i64>,
    updated_at: String,
    created_at: String,
    deleted_at: Option<String>,
}

/// The model's internal title; its title when the business gave none (P14 lists
/// `internalTitle` only in code samples, A-P20, and documents it a string).
fn internal_title(m: &PaymentModel) -> Option<String> {
    m.internal_title.clone().or_else(|| m.title.clone())
}

pub(crate) fn created(m: &PaymentModel) -> CreatedView {
    CreatedView {
        id: m.id.clone(),
        business_id: m.business_id.clone(),
        fiat_settlement_opt_in: m.destination == "Kemix",
        product_id: m.product_id.clone(),
        smart_contract_id: SMART_CONTRACT_ID,
        title: m.title.clone(),
        internal_title: internal_title(m),
        description: m.description.clone().unwrap_or_default(),
        amount: m.amount,
        initial_payment_amount: m.initial_payment_amount,
        trial_period: m.trial_period,
        currency: m.currency.clone(),
        number_of_payments: m.number_of_payments,
        frequency: m.frequency,
        status_id: m.status.as_str().into(),
        type_id: m.type_id,
        network_id: m.network_id,
        treasury_wallet: m.treasury_wallet.clone(),
        destination: m.destination.clone(),
        top_up_threshold: m.top_up_threshold,
        top_up_threshold_currency: m.top_up_threshold_currency.clone(),
        top_up_suggested_total_limit: m.top_up_suggested_total_limit,
        updated_at: iso_millis(m.updated_at),
        created_at: iso_millis(m.created_at),
        deleted_at: m.deleted_at.map(iso_millis),
    }
}

/// A listed model. With `estimateGas=true` it carries `estimatedGasResultETH` and
/// `estimatedGasResultFial`: the gas of registering one customer, estimated by the network.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListedView {
    id: String,
    #[serde(rename = "productID")]
    product_id: String,
    title: Option<String>,
    internal_title: Option<String>,
    description: String,
    amount: Option<i64>,
    initial_payment_amount: i64,
    trial_period: i64,
    currency: Option<String>,
    number_of_payments: Option<i64>,
    frequency: Option<i64>,
    #[serde(rename = "typeID")]
    type_id: i64,
    status_name: String,
    status_code: String,
    #[serde(rename = "networkID")]
    network_id: i64,
    treasury_wallet: String,
    destination: String,
    top_up_threshold: Option<i64>,
    top_up_threshold_currency: Option<String>,
    top_up_suggested_total_limit: Option<i64>,
    #[serde(
        rename = "estimatedGasResultETH",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>)]
    estimated_gas_result_eth: Option<Value>,
    /// In `currencyEstimateGas` (default: the model's currency) at the configured ETH price.
    #[serde(
        rename = "estimatedGasResultFial",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>)]
    estimated_gas_result_fial: Option<Value>,
}

/// The exact JSON number of a decimal.
pub(crate) fn number(d: impl ToString) -> Value {
    d.to_string()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A listed model, with its gas estimate when asked for.
async fn listed_with_gas(
    app: &App,
    m: &PaymentModel,
    gas: Option<&Option<String>>,
) -> Result<ListedView, ApiError> {
    let mut v = listed(m);
    if let Some(currency) = gas {
        let e = payplane_app::pumapay::gas::for_model(app, m, currency.as_deref()).await?;
        v.estimated_gas_result_eth = Some(number(e.eth));
        v.estimated_gas_result_fial = e.fiat.map(number);
    }
    Ok(v)
}

fn listed(m: &PaymentModel) -> ListedView {
    ListedView {
        id: m.id.clone(),
        product_id: m.product_id.clone(),
        title: m.title.clone(),
        internal_title: internal_title(m),
        description: m.description.clone().unwrap_or_default(),
        amount: m.amount,
        initial_payment_amount: m.initial_payment_amount,
        trial_period: m.trial_period,
        currency: m.currency.clone(),
        number_of_payments: m.number_of_payments,
        frequency: m.frequency,
        type_id: m.type_id,
        status_name: m.status.name().into(),
        status_code: m.status.as_str().into(),
        network_id: m.network_id,
        treasury_wallet: m.treasury_wallet.clone(),
        destination: m.destination.clone(),
        top_up_threshold: m.top_up_threshold,
        top_up_threshold_currency: m.top_up_threshold_currency.clone(),
        top_up_suggested_total_limit: m.top_up_suggested_total_limit,
        estimated_gas_result_eth: None,
        estimated_gas_result_fial: None,
    }
}

/// Create Payment Model. Every broken rule of its type is reported as a field error.
#[utoipa::path(post, path = "/api/v2/api-key-auth/pull-payment-models", tag = "Payment Models",
    security(("pma-api-key" = [])), request_body = CreateBody,
    responses((status = 200, body = Envelope<CreatedView>), (status = 400, description = "A rule of the type is broken"),
        (status = 403, description = "Not your business"), (status = 409, description = "Product hidden")))]
pub async fn create(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    Body(v): Body<Value>,
) -> Reply<CreatedView> {
    let b: CreateBody = from_body(v)?;
    let mut e = vec![];
    let input = NewModel {
        business_id: b.business_id,
        product_id: b.product_id.or(b.payment_id),
        title: b.title,
        internal_title: b.internal_title,
        description: b.description,
        amount: int("amount", &b.amount, &mut e),
        initial_payment_amount: int("initialPaymentAmount", &b.initial_payment_amount, &mut e),
        currency: b.currency,
        number_of_payments: int("numberOfPayments", &b.number_of_payments, &mut e),
        type_id: int("typeID", &b.type_id, &mut e),
        frequency: int("frequency", &b.frequency, &mut e),
        network_id: int("networkID", &b.network_id, &mut e),
        trial_period: int("trialPeriod", &b.trial_period, &mut e),
        destination: b.destination,
        fiat_settlement_opt_in: boolean("fiatSettlementOptIn", &b.fiat_settlement_opt_in, &mut e),
        treasury_wallet: b.treasury_wallet,
        top_up_threshold: int("topUpThreshold", &b.top_up_threshold, &mut e),
        top_up_threshold_currency: b.top_up_threshold_currency,
        top_up_suggested_total_limit: int(
            "topUpSuggestedTotalLimit",
            &b.top_up_suggested_total_limit,
            &mut e,
        ),
    };
    check(e)?;
    let m = uc::create(&app, &c, input).await?;
    ok("Successful Payment Model inserted.", created(&m))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(rename = "typeID")]
    type_id: Option<i64>,
    #[serde(rename = "statusCode")]
    status_code: Option<String>,
    currency: Option<String>,
    page: Option<i64>,
    #[serde(rename = "itemsPerPage", alias = "ItemsPerPage")]
    items_per_page: Option<i64>,
    #[serde(rename = "orderBy")]
    order_by: Option<String>,
    #[serde(rename = "orderType")]
    order_type: Option<String>,
    /// `true` adds the gas estimate of each model (the document also spells it `estimageGas`).
    #[serde(rename = "estimateGas", alias = "estimageGas")]
    estimate_gas: Option<String>,
    /// Fiat currency of `estimatedGasResultFial` (default: the model's currency).
    #[serde(rename = "currencyEstimateGas")]
    currency_estimate_gas: Option<String>,
}

impl ListParams {
    /// `Some(currencyEstimateGas)` when gas estimates are asked for.
    fn gas(&self) -> Option<Option<String>> {
        self.estimate_gas
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            .then(|| self.currency_estimate_gas.clone())
    }

    fn query(self) -> ListQuery {
        ListQuery {
            type_id: self.type_id,
            status: self.status_code,
            currency: self.currency,
            page: PageQuery {
                page: self.page,
                items_per_page: self.items_per_page,
                order_by: self.order_by,
                order_type: self.order_type,
            },
        }
    }
}

/// Retrieve Payment Models List of a product on one network.
#[utoipa::path(get, path = "/api/v2/api-key-auth/pull-payment-models/all/{businessID}/{networkID}/{productID}", tag = "Payment Models",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("networkID" = i64, Path, format = "network-id"), ("productID" = String, Path),
        ("typeID" = Option<i64>, Query, minimum = 2, maximum = 8), ("statusCode" = Option<String>, Query, format = "any-case:PND|APR|REJ|SUP"),
        ("currency" = Option<String>, Query, format = "fiat"),
        ("page" = Option<i64>, Query, minimum = 1), ("itemsPerPage" = Option<i64>, Query, minimum = 1, maximum = 100),
        ("orderBy" = Option<String>, Query, format = "any-case:date|createdAt|price|amount|title", description = "date (default), price or title"),
        ("orderType" = Option<String>, Query, format = "order-type", description = "ASC or DESC (default)"),
        ("estimateGas" = Option<String>, Query, description = "`true` adds each model's gas estimate"),
        ("currencyEstimateGas" = Option<String>, Query, format = "fiat", description = "Fiat currency of the estimate")),
    responses((status = 200, body = Envelope<Vec<ListedView>>), (status = 404, description = "No such product")))]
pub async fn list(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, network, product)): PathParams<(String, i64, String)>,
    QueryParams(q): QueryParams<ListParams>,
) -> Reply<Vec<ListedView>> {
    let gas = q.gas();
    let items = uc::list(&app, &c, &id, network, &product, q.query()).await?;
    let mut out = Vec::with_capacity(items.len());
    for m in &items {
        out.push(listed_with_gas(&app, m, gas.as_ref()).await?);
    }
    ok("Successfully retrieved Payment Models", out)
}

/// Retrieve Single Payment Model; the list filters act as conditions (404 when unmet).
#[utoipa::path(get, path = "/api/v2/api-key-auth/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}", tag = "Payment Models",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("networkID" = i64, Path, format = "network-id"), ("paymentModelID" = String, Path),
        ("typeID" = Option<i64>, Query, minimum = 2, maximum = 8), ("statusCode" = Option<String>, Query, format = "any-case:PND|APR|REJ|SUP"),
        ("currency" = Option<String>, Query, format = "fiat"),
        ("estimateGas" = Option<String>, Query, description = "`true` adds the model's gas estimate"),
        ("currencyEstimateGas" = Option<String>, Query, format = "fiat", description = "Fiat currency of the estimate")),
    responses((status = 200, body = Envelope<ListedView>), (status = 404, description = "No such model on this network")))]
pub async fn single(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams((id, network, model)): PathParams<(String, i64, String)>,
    QueryParams(q): QueryParams<ListParams>,
) -> Reply<ListedView> {
    let gas = q.gas();
    let m = uc::single(&app, &c, &id, network, &model, q.query()).await?;
    ok(
        "Successfully retrieved Payment Model",
        listed_with_gas(&app, &m, gas.as_ref()).await?,
    )
}

/// The document's spelling of "Retrieve Single Payment Model", without `api-key-auth`.
#[utoipa::path(get, path = "/api/v2/pull-payment-models/single/{businessID}/{networkID}/{paymentModelID}", tag = "Payment Models",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path), ("networkID" = i64, Path, format = "network-id"), ("paymentModelID" = String, Path)),
    responses((status = 200, body = Envelope<ListedView>)))]
pub async fn single_alias(
    state: State<App>,
    key: ApiKey,
    path: PathParams<(String, i64, String)>,
    query: QueryParams<ListParams>,
) -> Reply<ListedView> {
    single(state, key, path, query).await
}
