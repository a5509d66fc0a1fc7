//! Reading the chain transactions of pull payments (seed 004 "Transactions": P19/P22 the report
//! of a business on a network, P20 the transactions of one pull payment, P21 one by its hash).
//! Each carries `pmaBalance`, the treasury wallet's PMA balance read from the network, once per
//! treasury per request.
use crate::pumapay::access::{self, Caller, Intent};
use crate::pumapay::pull_payments;
use crate::pumapay::{fields, networks, paging};
use crate::{App, AppError, ErrorKind};
use alloy_primitives::U256;
use payplane_core::kinds::{PaymentModelType, TxStatus, TxType};
use payplane_store::pumapay::transactions::{self as store, ListFilter, Listed};
use std::collections::HashMap;

/// A transaction and the PMA balance of its treasury wallet (decimal PMA; `None` when the
/// network could not be asked).
#[derive(Debug, Clone)]
pub struct TxRead {
    pub listed: Listed,
    pub pma_balance: Option<String>,
}

/// The report's query as sent (P19 and P22 share the route, so both spellings of the status and
/// type filters are read and joined).
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub products: Vec<String>,
    pub billing_models: Vec<String>,
    /// `transactionStatuses` (P19).
    pub transaction_statuses: Vec<String>,
    /// `statusID` (P22).
    pub status_id: Vec<String>,
    /// `transactionTypes` (P19).
    pub transaction_types: Vec<String>,
    /// `typeID` (P22).
    pub type_id: Vec<String>,
    pub payment_types: Vec<String>,
    pub currency: Option<String>,
    pub start_timestamp: Option<String>,
    pub end_timestamp: Option<String>,
    pub unique_reference_id: Option<String>,
    pub page: Option<String>,
    /// The `next` cursor of an earlier page; `page` is then not used.
    pub cursor: Option<String>,
    pub items_per_page: Option<String>,
}

/// The query of "Transactions by PullPaymentID" (P20).
#[derive(Debug, Clone, Default)]
pub struct PaymentQuery {
    pub status_id: Vec<String>,
    pub type_id: Vec<String>,
    pub page: Option<String>,
    /// The `next` cursor of an earlier page; `page` is then not used.
    pub cursor: Option<String>,
    pub items_per_page: Option<String>,
}

fn statuses(field: &str, v: &[String], errors: &mut Vec<crate::Detail>) -> Vec<TxStatus> {
    paging::int_list(
        field,
        v,
        |s| TxStatus::from_id(s).is_some(),
        "transaction statuses 1 (pending), 2 (failed) or 3 (success)",
        errors,
    )
    .into_iter()
    .filter_map(TxStatus::from_id)
    .collect()
}

fn types(field: &str, v: &[String], errors: &mut Vec<crate::Detail>) -> Vec<TxType> {
    paging::int_list(
        field,
        v,
        |s| TxType::from_id(s).is_some(),
        "transaction types 1 to 5 (register, initial, execute, cancel, register_and_execute)",
        errors,
    )
    .into_iter()
    .filter_map(TxType::from_id)
    .collect()
}

fn timestamp(field: &str, v: Option<&str>, errors: &mut Vec<crate::Detail>) -> Option<i64> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match v.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            errors.push(crate::error::detail(
                field,
                "error.timestamp.invalid",
                &format!("{field} must be a unix timestamp in seconds, got {v:?}"),
            ));
            None
        }
    }
}

fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// One page of the transactions of `business_id` on `network_id`, newest first.
pub async fn report(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    q: ReportQuery,
) -> Result<Vec<TxRead>, AppError> {
    let mut errors = vec![];
    fields::network("networkID", network_id, &mut errors);
    let mut status = statuses("transactionStatuses", &q.transaction_statuses, &mut errors);
    status.extend(statuses("statusID", &q.status_id, &mut errors));
    let mut kinds = types("transactionTypes", &q.transaction_types, &mut errors);
    kinds.extend(types("typeID", &q.type_id, &mut errors));
    let payment_types = paging::int_list(
        "paymentTypes",
        &q.payment_types,
        |t| PaymentModelType::from_id(t).is_some(),
        "payment model types 2 to 8",
        &mut errors,
    );
    let currency = text(q.currency).and_then(|c| fields::currency("currency", &c, &mut errors));
    let from = timestamp("startTimestamp", q.start_timestamp.as_deref(), &mut errors);
    let to = timestamp("endTimestamp", q.end_timestamp.as_deref(), &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.push(crate::error::detail(
            "endTimestamp",
            "error.timestamp.range",
            "endTimestamp must not be before startTimestamp",
        ));
    }
    let page = paging::page(
        &paging::page_params(q.page.as_deref(), q.items_per_page.as_deref(), &mut errors),
        &mut errors,
    );
    let window = paging::window(&page, q.cursor.as_deref(), &mut errors);
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let rows = store::list_page(
        &app.db.read,
        &ListFilter {
            business_id: b.id,
            network_id: Some(network_id),
            product_ids: q.products,
            payment_model_ids: q.billing_models,
            statuses: status,
            types: kinds,
            payment_types,
            currency,
            executed_from: from,
            executed_to: to,
            unique_reference_id: text(q.unique_reference_id),
            window,
            ..Default::default()
        },
    )
    .await?;
    with_balances(app, rows).await
}

/// What the business's successful pulls in `currency` on the network brought per UTC day (days
/// since the epoch, cents) from `from_secs` on, oldest first; days without any left out.
pub async fn daily_earnings(
    app: &App,
    caller: &Caller,
    business_id: &str,
    network_id: i64,
    currency: &str,
    from_secs: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    Ok(store::daily_fiat(&app.db.read, &b.id, network_id, currency, from_secs).await?)
}

/// One page of the transactions of one pull payment of `business_id`, newest first. A pull
/// payment of another business is a 404, like an unknown one.
pub async fn of_pull_payment(
    app: &App,
    caller: &Caller,
    business_id: &str,
    pull_payment_id: &str,
    q: PaymentQuery,
) -> Result<Vec<TxRead>, AppError> {
    let mut errors = vec![];
    let status = statuses("statusID", &q.status_id, &mut errors);
    let kinds = types("typeID", &q.type_id, &mut errors);
    let page = paging::page(
        &paging::page_params(q.page.as_deref(), q.items_per_page.as_deref(), &mut errors),
        &mut errors,
    );
    let window = paging::window(&page, q.cursor.as_deref(), &mut errors);
    fields::check(errors)?;
    let b = access::authorize(app, caller, business_id, Intent::Read).await?;
    let p = payplane_store::pumapay::pull_payments::get(&app.db.read, pull_payment_id)
        .await?
        .filter(|p| p.business_id == b.id)
        .ok_or_else(pull_payments::not_found)?;
    let rows = store::list_page(
        &app.db.read,
        &ListFilter {
            business_id: b.id,
            pull_payment_id: Some(p.id),
            statuses: status,
            types: kinds,
            window,
            ..Default::default()
        },
    )
    .await?;
    with_balances(app, rows).await
}

/// The transaction with this hash, when it is the caller's or a sub-business's; otherwise (or
/// unknown) 404.
pub async fn by_hash(app: &App, caller: &Caller, hash: &str) -> Result<TxRead, AppError> {
    let hash = hash.trim().to_ascii_lowercase();
    let t = store::listed_by_hash(&app.db.read, &hash)
        .await?
        .ok_or_else(not_found)?;
    match access::authorize(app, caller, &t.tx.business_id, Intent::Read).await {
        Ok(_) => {}
        Err(e) if e.kind == ErrorKind::Forbidden => return Err(not_found()),
        Err(e) => return Err(e),
    }
    let mut v = with_balances(app, vec![t]).await?;
    Ok(v.remove(0))
}

pub fn not_found() -> AppError {
    AppError::not_found("error.transaction.not.found", "Transaction not found")
}

/// Adds each row's treasury balance, asking the network once per (network, treasury).
async fn with_balances(app: &App, rows: Vec<Listed>) -> Result<Vec<TxRead>, AppError> {
    let mut cache: HashMap<(i64, String), Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for listed in rows {
        let pma_balance = match &listed.treasury_wallet {
            None => None,
            Some(w) => {
                let key = (listed.tx.network_id, w.clone());
                match cache.get(&key) {
                    Some(b) => b.clone(),
                    None => {
                        let b = pma_balance(app, key.0, &key.1).await;
                        cache.insert(key, b.clone());
                        b
                    }
                }
            }
        };
        out.push(TxRead {
            listed,
            pma_balance,
        });
    }
    Ok(out)
}

/// The PMA balance of `wallet` on the network, in PMA as decimal text; `None` (logged) when the
/// network is not configured or does not answer, so a read never fails on the chain.
async fn pma_balance(app: &App, network_id: i64, wallet: &str) -> Option<String> {
    let address = match wallet.parse::<alloy_primitives::Address>() {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(wallet, error = %e, "treasury wallet is not an address");
            return None;
        }
    };
    let network = match networks::network(app, network_id).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(network_id, error = %e.message, "pmaBalance: network unavailable");
            return None;
        }
    };
    match network.chain.token_balance(address).await {
        Ok(units) => Some(pma_text(units)),
        Err(e) => {
            tracing::warn!(network_id, wallet, error = %e, "pmaBalance: balance read failed");
            None
        }
    }
}

/// Token units (18 decimals) as PMA: `1.5`, `0`, `0.000000000000000001`.
pub fn pma_text(units: U256) -> String {
    let one = U256::from(10u64).pow(U256::from(18));
    let whole = units / one;
    let frac = units % one;
    if frac.is_zero() {
        return whole.to_string();
    }
    let frac = format!("{:0>18}", frac.to_string());
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_units_print_as_pma() {
        let one = U256::from(10u64).pow(U256::from(18));
        assert_eq!(pma_text(U256::ZERO), "0");
        assert_eq!(pma_text(one * U256::from(12u64)), "12");
        assert_eq!(pma_text(one + one / U256::from(2u64)), "1.5");
        assert_eq!(pma_text(U256::from(1u64)), "0.000000000000000001");
    }
}
