//! Reading pull payments (seed 004 "PullPayments"): the list of a business with its filters, and
//! one pull payment (served with and without the `api-key-auth` segment, as the document's code
//! samples spell it). Also the query reader of the list routes here and in `transactions.rs`.
use super::auth::ApiKey;
use super::envelope::{Envelope, ListReply, Reply, ok, ok_list};
use crate::error::ApiError;
use crate::extract::PathParams;
use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::request::Parts;
use payplane_app::App;
use payplane_app::pumapay::paging;
use payplane_app::pumapay::pull_payments::reads::{self as uc, ListQuery};
use payplane_core::timefmt::iso_millis;
use payplane_store::keyset::{Key, Window};
use payplane_store::pumapay::pull_payments::PullPayment;
use serde::Serialize;
use utoipa::ToSchema;

/// The query string of a list route, read leniently: list filters may be written as the
/// document does (`statuses=[1,2]`), as a plain comma list (`statuses=1,2`), repeated
/// (`statuses=1&statuses=2`) or with brackets in the name (`statuses[]=1`); members may be quoted.
pub struct ListParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(ListParams(
            form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        ))
    }
}

impl ListParams {
    fn named<'a>(&'a self, names: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter_map(move |(k, v)| {
            let k = k.strip_suffix("[]").unwrap_or(k);
            names.contains(&k).then_some(v.as_str())
        })
    }

    /// The members of a list filter given under any of `names`.
    pub fn list(&self, names: &[&str]) -> Vec<String> {
        let mut out = vec![];
        for v in self.named(names) {
            let v = v.trim();
            let v = v.strip_prefix('[').unwrap_or(v);
            let v = v.strip_suffix(']').unwrap_or(v);
            for m in v.split(',') {
                let m = m.trim().trim_matches(|c| c == '"' || c == '\'').trim();
                if !m.is_empty() {
                    out.push(m.to_string());
                }
            }
        }
        out
    }

    /// The first non-empty value of a single-valued parameter given under any of `names`.
    pub fn one(&self, names: &[&str]) -> Option<String> {
        self.named(names)
            .map(str::trim)
            .find(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn page(&self) -> Option<String> {
        self.one(&["page"])
    }

    pub fn items_per_page(&self) -> Option<String> {
        self.one(&["itemsPerPage", "ItemsPerPage"])
    }

    pub fn cursor(&self) -> Option<String> {
        self.one(&["cursor"])
    }

    /// The cursor of the page after `rows` when they filled the page asked for.
    pub fn next<T>(&self, rows: &[T], key: impl Fn(&T) -> Key) -> Option<String> {
        let mut errors = vec![];
        let (page, per) = (self.page(), self.items_per_page());
        let q = paging::page_params(page.as_deref(), per.as_deref(), &mut errors);
        let page = paging::page(&q, &mut errors);
        Window::new(page.limit, 0, None).next(rows, key)
    }
}

/// S-PullPayment. Dates of the schedule are unix seconds as strings (as the document types
/// them), null when there is none; `createdAt`/`updatedAt` are ISO-8601. `paymentModelID` and
/// `statusReason` are additions (the document has no payment model id, though it filters by it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullPaymentView {
    id: String,
    title: Option<String>,
    #[serde(rename = "productID")]
    product_id: String,
    #[serde(rename = "businessID")]
    business_id: String,
    /// The model's description; empty when it has none (the document types it a string).
    description: String,
    /// Cents per pull (per top-up for type 8).
    amount: i64,
    initial_payment_amount: i64,
    /// Seconds.
    trial_period: i64,
    currency: String,
    hd_wallet_index: i64,
    number_of_payments: i64,
    /// Seconds between pulls.
    frequency: i64,
    /// The payment model type, 2–8.
    #[serde(rename = "type")]
    type_id: i64,
    /// 1 initial, 2 running, 3 stopped, 4 cancelled, 5 done, 6 processing, 7 failed.
    status: i64,
    #[serde(rename = "networkID")]
    network_id: i64,
    next_payment_date: Option<String>,
    last_payment_date: Option<String>,
    start_timestamp: Option<String>,
    customer_address: String,
    /// The pull-payment contract's address.
    pull_payment_address: String,
    treasury_wallet: String,
    #[serde(rename = "uniqueReferenceID")]
    unique_reference_id: String,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
    #[serde(rename = "paymentModelID")]
    payment_model_id: String,
    /// Why it stopped, failed or was cancelled, when it did.
    status_reason: Option<String>,
}

pub(crate) fn secs(v: Option<i64>) -> Option<String> {
    v.map(|s| s.to_string())
}

pub fn view(p: &PullPayment) -> PullPaymentView {
    PullPaymentView {
        id: p.id.clone(),
        title: p.title.clone(),
        product_id: p.product_id.clone(),
        business_id: p.business_id.clone(),
        description: p.description.clone().unwrap_or_default(),
        amount: p.amount,
        initial_payment_amount: p.initial_payment_amount,
        trial_period: p.trial_period,
        currency: p.currency.clone(),
        hd_wallet_index: p.hd_wallet_index,
        number_of_payments: p.number_of_payments,
        frequency: p.frequency,
        type_id: p.type_id,
        status: p.status.id(),
        network_id: p.network_id,
        next_payment_date: secs(p.next_payment_at),
        last_payment_date: secs(p.last_payment_at),
        start_timestamp: secs(Some(p.start_timestamp)),
        customer_address: p.customer_address.clone(),
        pull_payment_address: p.contract_address.clone(),
        treasury_wallet: p.treasury_wallet.clone(),
        unique_reference_id: p.unique_reference_id.clone(),
        created_at: iso_millis(p.created_at),
        updated_at: iso_millis(p.updated_at),
        deleted_at: None,
        payment_model_id: p.payment_model_id.clone(),
        status_reason: p.status_reason.clone(),
    }
}

/// Retrieve PullPayments List: the pull payments of a business (yours or a sub-business's),
/// newest first. List filters take `[a,b]`, `a,b` or repeated parameters. A full page has a
/// `Link: <…>; rel="next"` header whose `cursor` reads the next one.
#[utoipa::path(get, path = "/api/v2/api-key-auth/pull-payments/business/{businessID}", tag = "Pull Payments",
    security(("pma-api-key" = [])),
    params(("businessID" = String, Path),
        ("networkID" = Option<i64>, Query, format = "blank-or:network-id", description = "1 (main) or 3 (test)"),
        ("billingModels" = Option<String>, Query, description = "Payment model ids: [id,id]"),
        ("billingTypes" = Option<String>, Query, format = "digit-list:2-8", description = "Payment model types 2–8: [2,3]"),
        ("products" = Option<String>, Query, description = "Product ids: [id,id]"),
        ("statuses" = Option<String>, Query, format = "digit-list:1-7", description = "Pull-payment statuses 1–7: [1,2]"),
        ("uniqueReferenceID" = Option<String>, Query),
        ("page" = Option<i64>, Query, format = "blank-or:", minimum = 1), ("itemsPerPage" = Option<i64>, Query, format = "blank-or:", minimum = 1, maximum = 100, description = "1–100, default 20 (also ItemsPerPage)"),
        ("cursor" = Option<String>, Query, description = "The page after the one whose `Link: <…>; rel=\"next\"` header gave this cursor (`page` is then not used)")),
    responses((status = 200, body = Envelope<Vec<PullPaymentView>>),
        (status = 400, description = "A filter is invalid (the error names it)"),
        (status = 403, description = "Not your business nor a sub-business")))]
pub async fn list(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(business_id): PathParams<String>,
    q: ListParams,
    OriginalUri(uri): OriginalUri,
) -> ListReply<Vec<PullPaymentView>> {
    let query = ListQuery {
        network_id: q.one(&["networkID"]),
        billing_models: q.list(&["billingModels"]),
        billing_types: q.list(&["billingTypes"]),
        products: q.list(&["products"]),
        statuses: q.list(&["statuses"]),
        unique_reference_id: q.one(&["uniqueReferenceID"]),
        page: q.page(),
        cursor: q.cursor(),
        items_per_page: q.items_per_page(),
    };
    let items = uc::list(&app, &c, &business_id, query).await?;
    let next = q.next(&items, |p| Key::new(p.created_at, p.id.as_str()));
    ok_list(
        "Successfully retrieved all payments",
        items.iter().map(view).collect(),
        &uri,
        next,
    )
}

/// Retrieve a Single PullPayment of your business or a sub-business (404 otherwise).
#[utoipa::path(get, path = "/api/v2/api-key-auth/pull-payments/{pullPaymentID}", tag = "Pull Payments",
    security(("pma-api-key" = [])),
    params(("pullPaymentID" = String, Path)),
    responses((status = 200, body = Envelope<PullPaymentView>),
        (status = 404, description = "No such pull payment of yours")))]
pub async fn single(
    State(app): State<App>,
    ApiKey(c): ApiKey,
    PathParams(id): PathParams<String>,
) -> Reply<PullPaymentView> {
    let p = uc::single(&app, &c, &id).await?;
    ok("Successfully retrieved payment", view(&p))
}

/// The code samples' spelling of "Retrieve a Single PullPayment", without `api-key-auth`.
#[utoipa::path(get, path = "/api/v2/pull-payments/{paymentID}", tag = "Pull Payments",
    security(("pma-api-key" = [])),
    params(("paymentID" = String, Path)),
    responses((status = 200, body = Envelope<PullPaymentView>),
        (status = 404, description = "No such pull payment of yours")))]
pub async fn single_alias(
    state: State<App>,
    key: ApiKey,
    path: PathParams<String>,
) -> Reply<PullPaymentView> {
    single(state, key, path).await
}
