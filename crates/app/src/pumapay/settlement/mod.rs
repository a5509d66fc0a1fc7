//! Fiat settlement (seed 004 "Settlement Layer APIs", decisions.md §2 "Settlement",
//! docs/settlement.md): pulls of Kemix payment models accrue their fiat value on the ledger
//! (`accrual`), a settlement claims every accrued pull not yet settled (`create`), and is paid
//! into the business's linked account of the accounts API or by an operator (`payout`, `link`).
//!
//! Ledger accounts, per business, network (ledger mode) and currency:
//! - `settlement:{business}:{mode}:{currency}`: accrued, in no settlement yet — the settlement
//!   balance a new settlement would hold;
//! - `settlement-claimed:{business}:{mode}:{currency}`: held by pending and unsettled settlements;
//! - `platform:{mode}:settlement:{currency}`: where accruals come from (the fiat value of the PMA
//!   the platform received in its settlement wallet; goes negative, as funding does);
//! - `platform:{mode}:settlement-payout:{currency}`: settlements an operator paid outside the
//!   platform; `platform:{mode}:fees:{currency}`: settlement fees (as withdrawal fees).
pub mod accrual;
pub mod link;
pub mod payout;
pub mod statement;
pub mod view;

use crate::error::detail;
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::{fields, paging, transactions as tx_reads};
use crate::{App, AppError, Detail};
use payplane_core::ids::new_id;
use payplane_core::kinds::{Network, SettlementStatus};
use payplane_core::ledger::transfer;
use payplane_store::keyset::Window;
use payplane_store::ledger::{self, InvariantQuery, KIND_SETTLEMENT};
use payplane_store::pumapay::settlements::{self as store, CLAIM, Settlement, Summary};
use payplane_store::pumapay::transactions::{ListFilter, Listed};
use payplane_store::{Conn, StoreError};
pub use view::SettlementView;

pub use crate::config::SETTLEMENT_CURRENCIES;

pub fn accrued_ledger(business_id: &str, mode: &str, currency: &str) -> String {
    format!("settlement:{business_id}:{mode}:{currency}")
}

pub fn claimed_ledger(business_id: &str, mode: &str, currency: &str) -> String {
    format!("settlement-claimed:{business_id}:{mode}:{currency}")
}

/// A settlement currency from a path or body: EUR or USD (any case).
pub fn currency(field: &str, text: &str, errors: &mut Vec<Detail>) -> Option<String> {
    let c = text.trim().to_ascii_uppercase();
    if SETTLEMENT_CURRENCIES.contains(&c.as_str()) {
        Some(c)
    } else {
        errors.push(detail(
            field,
            "error.settlement.currency.invalid",
            &format!("{field} must be EUR or USD (fiat settlement currencies), not {text:?}"),
        ));
        None
    }
}

/// The `networkID` query parameter of the settlement routes: 1 (the default, the main network)
/// or 3 (the test network).
pub fn network(text: Option<&str>, errors: &mut Vec<Detail>) -> Option<Network> {
    let id = paging::int_param("networkID", text, errors).unwrap_or(Network::Main.id());
    let n = Network::from_id(id);
    if n.is_none() {
        fields::network("networkID", id, errors);
    }
    n
}

/// Reads a currency and a network or answers every error at once.
fn place(currency_text: &str, network_text: Option<&str>) -> Result<(String, Network), AppError> {
    let mut errors = vec![];
    let c = currency("currency", currency_text, &mut errors);
    let n = network(network_text, &mut errors);
    fields::check(errors)?;
    match (c, n) {
        (Some(c), Some(n)) => Ok((c, n)),
        _ => Err(AppError::internal(StoreError::Corrupt(
            "settlement place parsed without errors but incomplete".into(),
        ))),
    }
}

pub fn not_found() -> AppError {
    AppError::not_found("error.settlement.not.found", "Fiat settlement not found")
}

/// Minor units as decimal text with the currency: `12.34 EUR`.
pub fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", decimal(minor))
}

/// Minor units as decimal text with both decimals: `12.30`.
pub fn decimal(minor: i64) -> String {
    rust_decimal::Decimal::new(minor, 2).to_string()
}

/// "Create Settlement" (P34): a new pending settlement holding every accrued pull of the business
/// on the network in `currency` that no settlement holds yet, when their value reaches the
/// configured threshold; otherwise a 400 saying the balance and the threshold. The accrued
/// balance is locked while the pulls are claimed, so two requests at once create one settlement
/// (the second finds nothing left) and a pull recorded meanwhile waits for the next one. The
/// claim moves the balance to the claimed account in the same transaction, with the `created`
/// postback and the job that pays it into a linked account.
pub async fn create(
    app: &App,
    caller: &Caller,
    business_id: &str,
    currency_text: &str,
    network_text: Option<&str>,
) -> Result<SettlementView, AppError> {
    let (currency, network) = place(currency_text, network_text)?;
    let b = access::authorize(app, caller, business_id, Intent::Write).await?;
    let mode = network.mode();
    let accrued = accrued_ledger(&b.id, mode, &currency);
    let threshold = app.config.settlement.threshold(&currency);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let balance = ledger::lock_balance(&mut tx, &accrued).await?;
    if balance < threshold {
        return Err(AppError::bad_request(
            "error.settlement.below.threshold",
            format!(
                "The {currency} settlement balance on network {} is {}, under the settlement threshold of {} \
                 ({} more to accrue)",
                network.id(),
                money(balance, &currency),
                money(threshold, &currency),
                money(threshold - balance, &currency)
            ),
        )
        .with_arguments(vec![
            balance.to_string(),
            threshold.to_string(),
            currency.clone(),
        ]));
    }
    let s = Settlement {
        id: new_id(),
        business_id: b.id.clone(),
        network_id: network.id(),
        currency: currency.clone(),
        status: SettlementStatus::Pending,
        reference_no: store::next_reference_no(&mut tx).await?,
        fee_bps: app.config.settlement.fee_bps,
        account_id: None,
        payout_reference: None,
        status_reason: None,
        created_at: now,
        updated_at: now,
        settled_at: None,
    };
    store::insert(&mut tx, &s).await?;
    store::claim(&mut tx, &s.id, &b.id, network.id(), &currency).await?;
    let summary = store::get(&mut *tx, &s.id).await?.ok_or_else(not_found)?;
    // The accrued balance is exactly the accrued pulls no settlement holds (a ledger invariant):
    // a difference means the books are wrong, and nothing is written.
    if summary.total_fiat != balance {
        return Err(AppError::internal(StoreError::Corrupt(format!(
            "settlement {}: the accrued balance {accrued} is {balance} but its unsettled pulls total {}",
            s.id, summary.total_fiat
        ))));
    }
    let claimed = claimed_ledger(&b.id, mode, &currency);
    ledger::ensure_account(&mut tx, &claimed, &currency, mode, KIND_SETTLEMENT, now).await?;
    ledger::post(
        &mut tx,
        CLAIM,
        mode,
        &s.id,
        &transfer(&accrued, &claimed, &currency, balance),
        now,
    )
    .await?;
    let view = view_in(&mut tx, app, &summary).await?;
    payout::postback(&mut tx, &view, now).await?;
    crate::jobs::enqueue(
        app,
        &mut tx,
        payout::PAY,
        &serde_json::json!({ "id": s.id }),
        now,
    )
    .await?;
    tx.commit().await?;
    crate::jobs::wake(app);
    Ok(view)
}

/// The settlement view of `s`, reading its pulls' token amounts on `conn`.
pub(crate) async fn view_in(
    conn: &mut Conn,
    app: &App,
    s: &Summary,
) -> Result<SettlementView, AppError> {
    let tokens = store::token_amounts(&mut *conn, &[s.settlement.id.as_str()]).await?;
    let tokens: Vec<Option<String>> = tokens.into_iter().map(|(_, t)| t).collect();
    Ok(SettlementView::of(
        s,
        &tokens,
        statement::public_path(app, &s.settlement.id),
    ))
}

/// The views of `list`, reading their pulls' token amounts in one query.
async fn views(app: &App, list: &[Summary]) -> Result<Vec<SettlementView>, AppError> {
    let ids: Vec<&str> = list.iter().map(|s| s.settlement.id.as_str()).collect();
    let mut tokens: std::collections::HashMap<String, Vec<Option<String>>> = Default::default();
    for (id, t) in store::token_amounts(&app.db.read, &ids).await? {
        tokens.entry(id).or_default().push(t);
    }
    Ok(list
        .iter()
        .map(|s| {
            let t = tokens.remove(&s.settlement.id).unwrap_or_default();
            SettlementView::of(s, &t, statement::public_path(app, &s.settlement.id))
        })
        .collect())
}

/// "Retrieve Fiat Settlement Balance" (P35), in minor units of the currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: String,
    pub network_id: i64,
    /// Accrued and in no settlement yet: what a new settlement would hold.
    pub available: i64,
    pub pending: i64,
    pub settled: i64,
    pub unsettled: i64,
    /// The smallest `available` a settlement is created for.
    pub threshold: i64,
}

pub async fn balance(
    app: &App,
    caller: &Caller,
    business_id: &str,
    currency_text: &str,
    network_text: Option<&str>,
) -> Result<Balance, AppError> {
    let (currency, network) = place(currency_text, network_text)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let accrued = accrued_ledger(&b.id, network.mode(), &currency);
    // One statement, one snapshot: a settlement created meanwhile is counted once.
    let (available, per_status) =
        store::totals(&app.db.read, &accrued, &b.id, network.id(), &currency).await?;
    let of = |s: SettlementStatus| {
        per_status
            .iter()
            .filter(|(st, _)| *st == s)
            .map(|(_, v)| *v)
            .sum()
    };
    Ok(Balance {
        available,
        pending: of(SettlementStatus::Pending),
        settled: of(SettlementStatus::Settled),
        unsettled: of(SettlementStatus::Unsettled),
        threshold: app.config.settlement.threshold(&currency),
        currency,
        network_id: network.id(),
    })
}

/// The query of "Retrieve Fiat Settlements" (P36), as sent.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub statuses: Vec<String>,
    pub currency: Option<String>,
    pub network_id: Option<String>,
    pub page: Option<String>,
    pub items_per_page: Option<String>,
    pub order_by: Option<String>,
    pub order_type: Option<String>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    business_id: &str,
    q: ListQuery,
) -> Result<Vec<SettlementView>, AppError> {
    let mut errors = vec![];
    let mut statuses = vec![];
    for s in &q.statuses {
        match s.trim().to_ascii_lowercase().parse::<SettlementStatus>() {
            Ok(st) => statuses.push(st),
            Err(_) => errors.push(detail(
                "statuses",
                "error.filter.invalid",
                &format!(
                    "statuses must be a list of pending, settled, unsettled; {s:?} is not one"
                ),
            )),
        }
    }
    let currency = q
        .currency
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .and_then(|c| currency("currency", c, &mut errors));
    let network = network(q.network_id.as_deref(), &mut errors);
    let mut pq = paging::page_params(q.page.as_deref(), q.items_per_page.as_deref(), &mut errors);
    pq.order_by = q.order_by.clone();
    pq.order_type = q.order_type.clone();
    let page = paging::page(&pq, &mut errors);
    let order = match page.order_by.as_deref() {
        None | Some("date") | Some("createdat") => store::Order::Created,
        Some("updatedat") => store::Order::Updated,
        Some("amount") | Some("price") | Some("totalfiatamount") => store::Order::Amount,
        Some("referenceno") => store::Order::ReferenceNo,
        Some(_) => {
            errors.push(detail(
                "orderBy",
                "error.order.by.invalid",
                "orderBy must be date, updatedAt, amount (also price, totalFiatAmount) or referenceNo",
            ));
            store::Order::Created
        }
    };
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let list = store::list(
        &app.db.read,
        &store::Filter {
            business_id: b.id,
            network_id: network.map_or(Network::Main.id(), Network::id),
            statuses,
            currency,
            order,
            ascending: page.ascending,
            limit: page.limit,
            offset: page.offset,
        },
    )
    .await?;
    views(app, &list).await
}

/// A settlement of `business_id` (or of a sub-business the caller acts for); another's is a
/// 404, like an unknown one.
pub async fn find(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
) -> Result<Summary, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    store::get(&app.db.read, id)
        .await?
        .filter(|s| s.settlement.business_id == b.id)
        .ok_or_else(not_found)
}

pub async fn single(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
) -> Result<SettlementView, AppError> {
    let s = find(app, caller, business_id, id).await?;
    Ok(views(app, std::slice::from_ref(&s)).await?.remove(0))
}

/// "Retrieve All Transactions From a Single Fiat Settlement" (P37): the settlement and one page
/// of its pulls, newest first as the other transaction reads.
pub async fn transactions(
    app: &App,
    caller: &Caller,
    business_id: &str,
    id: &str,
    page: Option<&str>,
    items_per_page: Option<&str>,
) -> Result<(SettlementView, Vec<Listed>), AppError> {
    let mut errors = vec![];
    let page = paging::page(
        &paging::page_params(page, items_per_page, &mut errors),
        &mut errors,
    );
    fields::check(errors)?;
    let s = find(app, caller, business_id, id).await?;
    let rows = payplane_store::pumapay::transactions::list_page(
        &app.db.read,
        &ListFilter {
            business_id: s.settlement.business_id.clone(),
            settlement_id: Some(s.settlement.id.clone()),
            window: Window::new(page.limit, page.offset, None),
            ..Default::default()
        },
    )
    .await?;
    let view = views(app, std::slice::from_ref(&s)).await?.remove(0);
    Ok((view, rows))
}

/// A line's fee: `fiat × bps / 10 000`, rounded half up (the store sums the same per line).
pub fn line_fee(fiat: i64, fee_bps: i64) -> i64 {
    (fiat * fee_bps + 5000) / 10000
}

/// Token units of a line as PMA.
pub fn pma(token_amount: Option<&str>) -> Option<String> {
    token_amount
        .and_then(|t| t.parse::<alloy_primitives::U256>().ok())
        .map(tx_reads::pma_text)
}

/// Invariants of fiat settlement, checked by `payplane admin ledger check` with the rest.
pub const INVARIANTS: &[InvariantQuery] = &[
    (
        "every successful pull of a Kemix model in EUR or USD is accrued exactly once",
        "WITH acc AS (SELECT reference, COUNT(*) AS n FROM ledger_transactions \
         WHERE kind = 'settlement.accrual' GROUP BY reference) \
         SELECT 'pull ' || t.id || ' is accrued ' || CAST(COALESCE(a.n, 0) AS TEXT) || ' times' \
         FROM transactions t JOIN payment_models pm ON pm.id = t.payment_model_id \
         LEFT JOIN acc a ON a.reference = t.id \
         WHERE t.status = 3 AND t.fiat_amount > 0 AND pm.destination = 'Kemix' \
         AND t.currency IN ('EUR', 'USD') AND COALESCE(a.n, 0) <> 1",
    ),
    (
        "every accrual is a successful Kemix pull's fiat amount, on its business's accrued balance",
        "SELECT 'accrual txn ' || CAST(lt.id AS TEXT) || ' of ' || lt.reference || ' posts ' || \
         CAST(p.amount AS TEXT) || ' to ' || p.account_id \
         FROM ledger_transactions lt JOIN ledger_postings p ON p.txn_id = lt.id AND p.amount > 0 \
         LEFT JOIN transactions t ON t.id = lt.reference \
         LEFT JOIN payment_models pm ON pm.id = t.payment_model_id \
         WHERE lt.kind = 'settlement.accrual' AND (t.id IS NULL OR t.status <> 3 \
         OR pm.destination IS NULL OR pm.destination <> 'Kemix' OR p.amount <> t.fiat_amount \
         OR p.account_id <> 'settlement:' || t.business_id || ':' || \
         CASE t.network_id WHEN 1 THEN 'live' ELSE 'test' END || ':' || t.currency)",
    ),
    (
        "an accrued settlement balance equals its accrued pulls in no settlement",
        "WITH open AS (SELECT 'settlement:' || t.business_id || ':' || \
         CASE t.network_id WHEN 1 THEN 'live' ELSE 'test' END || ':' || t.currency AS id, \
         SUM(t.fiat_amount) AS total FROM transactions t \
         WHERE t.settlement_id IS NULL AND EXISTS (SELECT 1 FROM ledger_transactions lt \
         WHERE lt.reference = t.id AND lt.kind = 'settlement.accrual') GROUP BY 1) \
         SELECT 'account ' || a.id || ' holds ' || CAST(a.balance AS TEXT) || \
         ' but its accrued pulls in no settlement total ' || CAST(COALESCE(o.total, 0) AS TEXT) \
         FROM ledger_accounts a LEFT JOIN open o ON o.id = a.id \
         WHERE a.id LIKE 'settlement:%' AND a.balance <> COALESCE(o.total, 0)",
    ),
    (
        "a claimed settlement balance equals the pulls of its pending and unsettled settlements",
        "WITH held AS (SELECT 'settlement-claimed:' || s.business_id || ':' || \
         CASE s.network_id WHEN 1 THEN 'live' ELSE 'test' END || ':' || s.currency AS id, \
         SUM(t.fiat_amount) AS total FROM fiat_settlements s JOIN transactions t ON t.settlement_id = s.id \
         WHERE s.status IN ('pending', 'unsettled') GROUP BY 1) \
         SELECT 'account ' || a.id || ' holds ' || CAST(a.balance AS TEXT) || \
         ' but its open settlements total ' || CAST(COALESCE(h.total, 0) AS TEXT) \
         FROM ledger_accounts a LEFT JOIN held h ON h.id = a.id \
         WHERE a.id LIKE 'settlement-claimed:%' AND a.balance <> COALESCE(h.total, 0)",
    ),
    (
        "every settlement claimed its total once, and a settled one was paid it once",
        "WITH moved AS (SELECT lt.reference AS id, lt.kind, COUNT(DISTINCT lt.id) AS n, \
         SUM(CASE WHEN p.account_id LIKE 'settlement-claimed:%' THEN p.amount ELSE 0 END) AS amount \
         FROM ledger_transactions lt JOIN ledger_postings p ON p.txn_id = lt.id \
         WHERE lt.kind IN ('settlement.claim', 'settlement') GROUP BY lt.reference, lt.kind), \
         tot AS (SELECT settlement_id AS id, SUM(fiat_amount) AS total FROM transactions \
         WHERE settlement_id IS NOT NULL GROUP BY settlement_id) \
         SELECT 'settlement ' || s.id || ' (' || s.status || ', total ' || CAST(COALESCE(tt.total, 0) AS TEXT) || \
         ') claimed ' || CAST(COALESCE(c.amount, 0) AS TEXT) || ' in ' || CAST(COALESCE(c.n, 0) AS TEXT) || \
         ' transaction(s) and paid ' || CAST(-COALESCE(pd.amount, 0) AS TEXT) || ' in ' || \
         CAST(COALESCE(pd.n, 0) AS TEXT) FROM fiat_settlements s \
         LEFT JOIN tot tt ON tt.id = s.id \
         LEFT JOIN moved c ON c.id = s.id AND c.kind = 'settlement.claim' \
         LEFT JOIN moved pd ON pd.id = s.id AND pd.kind = 'settlement' \
         WHERE COALESCE(tt.total, 0) = 0 OR COALESCE(c.n, 0) <> 1 OR COALESCE(c.amount, 0) <> tt.total \
         OR (s.status = 'settled' AND (COALESCE(pd.n, 0) <> 1 OR -COALESCE(pd.amount, 0) <> tt.total)) \
         OR (s.status <> 'settled' AND COALESCE(pd.n, 0) <> 0)",
    ),
];
