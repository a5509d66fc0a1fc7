//! Pull payments and their chain transactions: the lists with the documented filters (network,
//! status, billing type, product, customer reference; for transactions also transaction type,
//! currency and execution dates), a pull payment with its transactions, and a transaction by
//! its hash (`pull-payments`, `pull-payments/{id}`, `transactions/…`, `transactions/hash/…`).
//! Every transaction links to its hash's page.
use super::onboarding::Choice;
use super::session::BusinessSession;
use crate::web::format;
use crate::web::layout::Layout;
use crate::web::{Ctx, WebError, messages, page, page_with};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use payplane_app::pumapay::paging::PageQuery;
use payplane_app::pumapay::products::{self, ListQuery as ProductQuery};
use payplane_app::pumapay::pull_payments::reads::{self, ListQuery};
use payplane_app::pumapay::pull_payments::requests::money;
use payplane_app::pumapay::pull_payments::summary::status_name;
use payplane_app::pumapay::transactions::{self, PaymentQuery, ReportQuery, TxRead, pma_text};
use payplane_app::{App, AppError, ErrorKind};
use payplane_core::kinds::{PaymentModelType, PullPaymentStatus, TxStatus, TxType};
use payplane_store::pumapay::pull_payments::PullPayment;
use serde::Deserialize;

/// Rows per page of the lists.
const PER_PAGE: &str = "25";

/// The filters of both lists, as the form sends them (empty: no filter).
#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    network: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    billing_type: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    tx_type: String,
    #[serde(default)]
    currency: String,
    /// `YYYY-MM-DD`, UTC.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

impl Filters {
    /// The query string of these filters on page `page`.
    pub fn link(&self, page: i64) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("network", self.network.as_str()),
                ("status", &self.status),
                ("billing_type", &self.billing_type),
                ("product", &self.product),
                ("reference", &self.reference),
                ("tx_type", &self.tx_type),
                ("currency", &self.currency),
                ("from", &self.from),
                ("to", &self.to),
                ("page", &page.to_string()),
            ])
            .finish();
        format!("?{query}")
    }
}

/// A non-empty filter value as the one-member list the use cases take.
fn one(v: &str) -> Vec<String> {
    Some(v.trim().to_string())
        .filter(|v| !v.is_empty())
        .into_iter()
        .collect()
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

fn lower(v: impl std::fmt::Debug) -> String {
    format!("{v:?}").to_lowercase()
}

/// The select lists of the filter forms.
pub struct Options {
    pub statuses: Vec<Choice>,
    pub billing_types: Vec<Choice>,
    pub products: Vec<Choice>,
    pub tx_statuses: Vec<Choice>,
    pub tx_types: Vec<Choice>,
    pub currencies: Vec<&'static str>,
}

async fn options(app: &App, s: &BusinessSession) -> Result<Options, WebError> {
    let q = ProductQuery {
        page: PageQuery {
            items_per_page: Some(100),
            ..PageQuery::default()
        },
        ..ProductQuery::default()
    };
    let list = products::list(app, &s.caller(), s.id(), 3, q).await?;
    Ok(Options {
        statuses: PullPaymentStatus::ALL
            .iter()
            .map(|st| (st.id().to_string(), status_name(*st)))
            .collect(),
        billing_types: (2..=8)
            .filter_map(PaymentModelType::from_id)
            .map(|t| (t.id().to_string(), t.name().to_string()))
            .collect(),
        products: list.into_iter().map(|(p, _)| (p.id, p.name)).collect(),
        tx_statuses: TxStatus::ALL
            .iter()
            .map(|st| (st.id().to_string(), lower(st)))
            .collect(),
        tx_types: TxType::ALL
            .iter()
            .map(|t| (t.id().to_string(), lower(t)))
            .collect(),
        currencies: super::models::model_form_choices().1,
    })
}

pub struct PaymentRow {
    pub id: String,
    pub created: String,
    pub reference: String,
    pub title: String,
    pub kind: String,
    pub amount: String,
    pub status: String,
    pub class: &'static str,
    pub progress: String,
    pub next: String,
    pub network: i64,
}

fn status_class(st: PullPaymentStatus) -> &'static str {
    match st {
        PullPaymentStatus::Running | PullPaymentStatus::Done => "ok",
        PullPaymentStatus::Initial | PullPaymentStatus::Processing => "wait",
        _ => "bad",
    }
}

fn seconds(secs: i64) -> String {
    format::time(secs.saturating_mul(1_000_000))
}

impl PaymentRow {
    fn of(p: &PullPayment) -> PaymentRow {
        PaymentRow {
            id: p.id.clone(),
            created: format::time(p.created_at),
            reference: p.unique_reference_id.clone(),
            title: p.title.clone().unwrap_or_default(),
            kind: PaymentModelType::from_id(p.type_id)
                .map(|t| t.name().to_string())
                .unwrap_or_default(),
            amount: money(p.amount, &p.currency),
            status: status_name(p.status),
            class: status_class(p.status),
            progress: format!("{} of {}", p.pulls_made, p.number_of_payments),
            next: p.next_payment_at.map(seconds).unwrap_or_default(),
            network: p.network_id,
        }
    }
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct PaymentsPage {
    layout: Layout,
    payments: Vec<PaymentRow>,
    options: Options,
    f: Filters,
    page: i64,
    more: bool,
    errors: Vec<String>,
}

fn page_number(v: &str) -> i64 {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// A refusal of the filters is shown above an empty list; anything else fails the page.
fn filter_errors(e: AppError) -> Result<Vec<String>, WebError> {
    match e.kind {
        ErrorKind::BadRequest => Ok(messages(&e)),
        _ => Err(e.into()),
    }
}

pub async fn list(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let page_no = page_number(&f.page);
    let q = ListQuery {
        network_id: text(&f.network),
        billing_models: vec![],
        billing_types: one(&f.billing_type),
        products: one(&f.product),
        statuses: one(&f.status),
        unique_reference_id: text(&f.reference),
        page: Some(page_no.to_string()),
        cursor: None,
        items_per_page: Some(PER_PAGE.into()),
    };
    let (payments, errors) = match reads::list(&app, &s.caller(), s.id(), q).await {
        Ok(list) => (list.iter().map(PaymentRow::of).collect::<Vec<_>>(), vec![]),
        Err(e) => (vec![], filter_errors(e)?),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page_with(
        status,
        &PaymentsPage {
            layout: Layout::console(ctx, &s, "payments", "Pull payments"),
            more: payments.len() as i64 >= PER_PAGE.parse::<i64>().unwrap_or(25),
            payments,
            options: options(&app, &s).await?,
            f,
            page: page_no,
            errors,
        },
    )
}

pub struct TxRow {
    pub hash: String,
    pub reference_no: i64,
    pub time: String,
    pub kind: String,
    pub status: String,
    pub class: &'static str,
    pub amount: String,
    pub pma: String,
    pub customer: String,
    pub product: String,
    pub pull_payment_id: String,
}

fn tx_class(st: TxStatus) -> &'static str {
    match st {
        TxStatus::Success => "ok",
        TxStatus::Pending => "wait",
        TxStatus::Failed => "bad",
    }
}

/// Token units (decimal text) as PMA.
fn pma(units: Option<&str>) -> String {
    units
        .and_then(|u| payplane_chain::U256::from_str_radix(u, 10).ok())
        .map(|u| format!("{} PMA", pma_text(u)))
        .unwrap_or_default()
}

impl TxRow {
    fn of(r: &TxRead) -> TxRow {
        let t = &r.listed.tx;
        TxRow {
            hash: t.tx_hash.clone().unwrap_or_default(),
            reference_no: t.reference_no,
            time: t
                .execution_date
                .map(seconds)
                .unwrap_or_else(|| format::time(t.created_at)),
            kind: lower(t.tx_type),
            status: lower(t.status),
            class: tx_class(t.status),
            amount: money(t.fiat_amount, &t.currency),
            pma: pma(t.token_amount.as_deref()),
            customer: r.listed.customer_id.clone().unwrap_or_default(),
            product: r.listed.product_name.clone().unwrap_or_default(),
            pull_payment_id: t.pull_payment_id.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/transactions.html")]
struct TransactionsPage {
    layout: Layout,
    transactions: Vec<TxRow>,
    options: Options,
    f: Filters,
    network: String,
    page: i64,
    more: bool,
    errors: Vec<String>,
}

/// `YYYY-MM-DD` (UTC) as unix seconds at its start, or at its end with `end_of_day`; other text
/// is passed on for the use case to refuse in its words.
fn day(v: &str, end_of_day: bool) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let parts: Vec<&str> = v.split('-').collect();
    let parsed = match parts.as_slice() {
        [y, m, d] => (|| {
            let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
            time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
        })(),
        _ => None,
    };
    Some(match parsed {
        Some(date) => {
            let start = date.midnight().assume_utc().unix_timestamp();
            (if end_of_day { start + 86_399 } else { start }).to_string()
        }
        None => v.to_string(),
    })
}

pub async fn transactions(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let page_no = page_number(&f.page);
    let network = if f.network.trim() == "1" { "1" } else { "3" };
    let q = ReportQuery {
        products: one(&f.product),
        transaction_statuses: one(&f.status),
        transaction_types: one(&f.tx_type),
        payment_types: one(&f.billing_type),
        currency: text(&f.currency),
        start_timestamp: day(&f.from, false),
        end_timestamp: day(&f.to, true),
        unique_reference_id: text(&f.reference),
        page: Some(page_no.to_string()),
        items_per_page: Some(PER_PAGE.into()),
        ..ReportQuery::default()
    };
    let network_id = if network == "1" { 1 } else { 3 };
    let (rows, errors) = match transactions::report(&app, &s.caller(), s.id(), network_id, q).await
    {
        Ok(list) => (list.iter().map(TxRow::of).collect::<Vec<_>>(), vec![]),
        Err(e) => (vec![], filter_errors(e)?),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page_with(
        status,
        &TransactionsPage {
            layout: Layout::console(ctx, &s, "transactions", "Transactions"),
            more: rows.len() as i64 >= PER_PAGE.parse::<i64>().unwrap_or(25),
            transactions: rows,
            options: options(&app, &s).await?,
            f,
            network: network.into(),
            page: page_no,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "console/payment.html")]
struct PaymentPage {
    layout: Layout,
    p: PaymentRow,
    customer_address: String,
    treasury: String,
    schedule_end: String,
    reason: String,
    transactions: Vec<TxRow>,
}

pub async fn show(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let p = reads::single(&app, &s.caller(), &id).await?;
    let txs = transactions::of_pull_payment(
        &app,
        &s.caller(),
        &p.business_id,
        &p.id,
        PaymentQuery::default(),
    )
    .await?;
    let row = PaymentRow::of(&p);
    page(&PaymentPage {
        layout: Layout::console(ctx, &s, "payments", "Pull payment"),
        customer_address: p.customer_address.clone(),
        treasury: p.treasury_wallet.clone(),
        schedule_end: seconds(p.end_timestamp),
        reason: p.status_reason.clone().unwrap_or_default(),
        p: row,
        transactions: txs.iter().map(TxRow::of).collect(),
    })
}

#[derive(Template)]
#[template(path = "console/transaction.html")]
struct TransactionPage {
    layout: Layout,
    t: TxRow,
    network: i64,
    block: String,
    sender: String,
    receiver: String,
    rate: String,
    reason: String,
    balance: String,
}

pub async fn by_hash(
    State(app): State<App>,
    s: BusinessSession,
    ctx: Ctx,
    Path(hash): Path<String>,
) -> Result<Response, WebError> {
    let r = transactions::by_hash(&app, &s.caller(), &hash).await?;
    let t = &r.listed.tx;
    page(&TransactionPage {
        layout: Layout::console(ctx, &s, "transactions", "Transaction"),
        network: t.network_id,
        block: t.block_number.map(|b| b.to_string()).unwrap_or_default(),
        sender: t.sender.clone().unwrap_or_default(),
        receiver: t.receiver.clone().unwrap_or_default(),
        rate: match (&t.rate, &t.rate_source) {
            (Some(rate), Some(src)) => format!("1 PMA = {rate} {} ({src})", t.currency),
            (Some(rate), None) => format!("1 PMA = {rate} {}", t.currency),
            _ => String::new(),
        },
        reason: t.reason.clone().unwrap_or_default(),
        balance: r
            .pma_balance
            .as_ref()
            .map(|b| format!("{b} PMA"))
            .unwrap_or_default(),
        t: TxRow::of(&r),
    })
}
