//! Fiat settlements (seed 004 "Settlement Layer APIs"), the pulls each one holds, and the accounts
//! of the accounts API they are paid into. Nothing here stores an amount: a settlement's total and
//! fee are sums over its pulls (`transactions.settlement_id`), balances are the ledger's.
use crate::engine::sql;
use crate::{Conn, Result, StoreError};
use payplane_core::kinds::SettlementStatus;
use sqlx::{AnyPool, Row};

/// The ledger transaction kind of a pull's accrual (its reference is the pull's transaction id).
pub const ACCRUAL: &str = "settlement.accrual";
/// The ledger transaction kind that moves a new settlement's pulls from the accrued balance to
/// the claimed one (reference: the settlement id).
pub const CLAIM: &str = "settlement.claim";
/// The ledger transaction kind of a settlement's payment (reference: the settlement id).
pub const PAYOUT: &str = "settlement";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub id: String,
    pub business_id: String,
    pub network_id: i64,
    pub currency: String,
    pub status: SettlementStatus,
    pub reference_no: i64,
    /// The fee in force at creation, in basis points of each line.
    pub fee_bps: i64,
    /// The account of the accounts API it was paid into.
    pub account_id: Option<String>,
    /// The operator's reference of a payment made outside the platform.
    pub payout_reference: Option<String>,
    pub status_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub settled_at: Option<i64>,
}

/// A settlement with what its pulls add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub settlement: Settlement,
    /// How many pulls it holds.
    pub lines: i64,
    /// Their fiat value, minor units of `currency`.
    pub total_fiat: i64,
    /// The sum of each line's fee (`fiat × fee_bps / 10 000`, rounded half up).
    pub fee: i64,
    /// The pull payment all its pulls belong to, when they all belong to one.
    pub payment_id: Option<String>,
}

const COLUMNS: &str = "s.id, s.business_id, s.network_id, s.currency, s.status, s.reference_no, s.fee_bps, \
    s.account_id, s.payout_reference, s.status_reason, s.created_at, s.updated_at, s.settled_at";

/// A line's fee in SQL: `fiat × bps / 10 000`, rounded half up (amounts are never negative).
const LINE_FEE: &str = "(t.fiat_amount * s.fee_bps + 5000) / 10000";

fn summary_select() -> String {
    format!(
        "SELECT {COLUMNS}, CAST(COUNT(t.id) AS BIGINT) AS lines, \
         CAST(COALESCE(SUM(t.fiat_amount), 0) AS BIGINT) AS total_fiat, \
         CAST(COALESCE(SUM({LINE_FEE}), 0) AS BIGINT) AS fee, \
         CAST(COUNT(DISTINCT t.pull_payment_id) AS BIGINT) AS payments, MIN(t.pull_payment_id) AS payment_id \
         FROM fiat_settlements s LEFT JOIN transactions t ON t.settlement_id = s.id"
    )
}

const GROUP_BY: &str = " GROUP BY s.id, s.business_id, s.network_id, s.currency, s.status, s.reference_no, \
    s.fee_bps, s.account_id, s.payout_reference, s.status_reason, s.created_at, s.updated_at, s.settled_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Settlement> {
    Ok(Settlement {
        id: r.try_get("id")?,
        business_id: r.try_get("business_id")?,
        network_id: r.try_get("network_id")?,
        currency: r.try_get("currency")?,
        status: r
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e: payplane_core::kinds::UnknownKind| StoreError::Corrupt(e.to_string()))?,
        reference_no: r.try_get("reference_no")?,
        fee_bps: r.try_get("fee_bps")?,
        account_id: r.try_get("account_id")?,
        payout_reference: r.try_get("payout_reference")?,
        status_reason: r.try_get("status_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        settled_at: r.try_get("settled_at")?,
    })
}

fn summary_from_row(r: &sqlx::any::AnyRow) -> Result<Summary> {
    let payments: i64 = r.try_get("payments")?;
    Ok(Summary {
        settlement: from_row(r)?,
        lines: r.try_get("lines")?,
        total_fiat: r.try_get("total_fiat")?,
        fee: r.try_get("fee")?,
        payment_id: if payments == 1 {
            r.try_get("payment_id")?
        } else {
            None
        },
    })
}

pub async fn insert(conn: &mut Conn, s: &Settlement) -> Result<()> {
    sqlx::query(
        "INSERT INTO fiat_settlements (id, business_id, network_id, currency, status, reference_no, fee_bps, \
         account_id, payout_reference, status_reason, created_at, updated_at, settled_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(&s.id)
    .bind(&s.business_id)
    .bind(s.network_id)
    .bind(&s.currency)
    .bind(s.status.as_str())
    .bind(s.reference_no)
    .bind(s.fee_bps)
    .bind(&s.account_id)
    .bind(&s.payout_reference)
    .bind(&s.status_reason)
    .bind(s.created_at)
    .bind(s.updated_at)
    .bind(s.settled_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The platform's next settlement `referenceNo`.
pub async fn next_reference_no(conn: &mut Conn) -> Result<i64> {
    crate::platform::next_value(conn, "settlement_reference_no", 1).await
}

/// Gives every accrued pull of the business on the network in `currency` that no settlement
/// holds yet to settlement `id`; returns how many. Only pulls with an accrual on the ledger
/// count, so what is claimed is exactly what the accrued balance holds. Run with the accrued
/// balance locked (`ledger::lock_balance`): an accrual cannot commit in between.
pub async fn claim(
    conn: &mut Conn,
    id: &str,
    business_id: &str,
    network_id: i64,
    currency: &str,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE transactions SET settlement_id = $1 WHERE business_id = $2 AND network_id = $3 \
         AND currency = $4 AND settlement_id IS NULL AND status = 3 AND EXISTS (SELECT 1 FROM \
         ledger_transactions lt WHERE lt.reference = transactions.id AND lt.kind = $5)",
    )
    .bind(id)
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .bind(ACCRUAL)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

pub async fn get<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    id: &str,
) -> Result<Option<Summary>> {
    let row = sqlx::query(&format!("{} WHERE s.id = $1{GROUP_BY}", summary_select()))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(summary_from_row).transpose()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Created,
    Updated,
    Amount,
    ReferenceNo,
}

/// Filters of the settlement list; empty `statuses` and `None` filter nothing.
#[derive(Debug, Clone)]
pub struct Filter {
    pub business_id: String,
    pub network_id: i64,
    pub statuses: Vec<SettlementStatus>,
    pub currency: Option<String>,
    pub order: Order,
    pub ascending: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(pool: &AnyPool, f: &Filter) -> Result<Vec<Summary>> {
    let mut sql = format!(
        "{} WHERE s.business_id = $1 AND s.network_id = $2",
        summary_select()
    );
    let mut n = 3;
    if !f.statuses.is_empty() {
        sql += &format!(" AND s.status IN ({})", sql::marks(n, f.statuses.len()));
        n += f.statuses.len();
    }
    if f.currency.is_some() {
        sql += &format!(" AND s.currency = ${n}");
        n += 1;
    }
    let key = match f.order {
        Order::Created => "s.created_at",
        Order::Updated => "s.updated_at",
        Order::Amount => "total_fiat",
        Order::ReferenceNo => "s.reference_no",
    };
    let dir = if f.ascending { "ASC" } else { "DESC" };
    sql += &format!(
        "{GROUP_BY} ORDER BY {key} {dir}, s.reference_no {dir} LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let mut q = sqlx::query(&sql).bind(&f.business_id).bind(f.network_id);
    for s in &f.statuses {
        q = q.bind(s.as_str());
    }
    if let Some(c) = &f.currency {
        q = q.bind(c.clone());
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(pool).await?;
    rows.iter().map(summary_from_row).collect()
}

/// The balance of the accrued ledger account `accrued` and the fiat value of the business's
/// settlements on the network in `currency` per status, in one statement (one snapshot).
pub async fn totals(
    pool: &AnyPool,
    accrued: &str,
    business_id: &str,
    network_id: i64,
    currency: &str,
) -> Result<(i64, Vec<(SettlementStatus, i64)>)> {
    let rows = sqlx::query(
        "SELECT 'available', CAST(COALESCE((SELECT balance FROM ledger_accounts WHERE id = $1), 0) AS BIGINT) \
         UNION ALL SELECT s.status, CAST(COALESCE(SUM(t.fiat_amount), 0) AS BIGINT) FROM fiat_settlements s \
         JOIN transactions t ON t.settlement_id = s.id \
         WHERE s.business_id = $2 AND s.network_id = $3 AND s.currency = $4 GROUP BY s.status",
    )
    .bind(accrued)
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .fetch_all(pool)
    .await?;
    let mut available = 0;
    let mut per_status = vec![];
    for r in &rows {
        let what: String = r.try_get(0)?;
        let amount: i64 = r.try_get(1)?;
        if what == "available" {
            available = amount;
            continue;
        }
        let status = what
            .parse()
            .map_err(|e: payplane_core::kinds::UnknownKind| StoreError::Corrupt(e.to_string()))?;
        per_status.push((status, amount));
    }
    Ok((available, per_status))
}

/// The token amounts (18-decimal units, text) of the pulls of each of `ids`.
pub async fn token_amounts<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    ids: &[&str],
) -> Result<Vec<(String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT settlement_id, token_amount FROM transactions WHERE settlement_id IN ({})",
        sql::marks(1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// The pulls of a settlement, oldest first (its statement's lines).
pub async fn lines(pool: &AnyPool, id: &str) -> Result<Vec<super::transactions::Transaction>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM transactions WHERE settlement_id = $1 ORDER BY created_at, reference_no",
        super::transactions::COLUMNS
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(super::transactions::from_row).collect()
}

/// `(payment model, type, uniqueReferenceID)` of each distinct combination among the pulls of a
/// settlement (the settlement QR code names each that they all share).
pub async fn line_models(pool: &AnyPool, id: &str) -> Result<Vec<(String, i64, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT pp.payment_model_id, pp.type_id, pp.unique_reference_id FROM transactions t \
         JOIN pull_payments pp ON pp.id = t.pull_payment_id WHERE t.settlement_id = $1",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// How a settlement leaves `pending` (or `unsettled`).
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub to: SettlementStatus,
    pub account_id: Option<&'a str>,
    pub payout_reference: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub now: i64,
}

/// Moves a settlement to `c.to` only from one of `from`; false when it was in another status
/// (someone else moved it first).
pub async fn set_status(
    conn: &mut Conn,
    id: &str,
    from: &[SettlementStatus],
    c: &Change<'_>,
) -> Result<bool> {
    let sql = format!(
        "UPDATE fiat_settlements SET status = $1, account_id = COALESCE($2, account_id), \
         payout_reference = COALESCE($3, payout_reference), status_reason = $4, updated_at = $5, \
         settled_at = $6 WHERE id = $7 AND status IN ({})",
        sql::marks(8, from.len())
    );
    let settled_at = (c.to == SettlementStatus::Settled).then_some(c.now);
    let mut q = sqlx::query(&sql)
        .bind(c.to.as_str())
        .bind(c.account_id)
        .bind(c.payout_reference)
        .bind(c.reason)
        .bind(c.now)
        .bind(settled_at)
        .bind(id);
    for f in from {
        q = q.bind(f.as_str());
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// The pending settlements of a business on a network in a currency, oldest first.
pub async fn pending_ids(
    pool: &AnyPool,
    business_id: &str,
    network_id: i64,
    currency: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM fiat_settlements WHERE business_id = $1 AND network_id = $2 AND currency = $3 \
         AND status = $4 ORDER BY created_at, reference_no",
    )
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .bind(SettlementStatus::Pending.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The account a business's settlements on a network in a currency are paid into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub business_id: String,
    pub network_id: i64,
    pub currency: String,
    pub account_id: String,
    pub user_id: String,
    /// The owner's token that consented.
    pub token_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const LINK_COLUMNS: &str =
    "business_id, network_id, currency, account_id, user_id, token_id, created_at, updated_at";

fn link_from_row(r: &sqlx::any::AnyRow) -> Result<Link> {
    Ok(Link {
        business_id: r.try_get(0)?,
        network_id: r.try_get(1)?,
        currency: r.try_get(2)?,
        account_id: r.try_get(3)?,
        user_id: r.try_get(4)?,
        token_id: r.try_get(5)?,
        created_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
    })
}

/// Links (or re-links) the account; the first link's time is kept.
pub async fn put_link(conn: &mut Conn, l: &Link) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO settlement_accounts ({LINK_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) \
         ON CONFLICT (business_id, network_id, currency) DO UPDATE SET account_id = excluded.account_id, \
         user_id = excluded.user_id, token_id = excluded.token_id, updated_at = excluded.updated_at"
    ))
    .bind(&l.business_id)
    .bind(l.network_id)
    .bind(&l.currency)
    .bind(&l.account_id)
    .bind(&l.user_id)
    .bind(&l.token_id)
    .bind(l.created_at)
    .bind(l.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn link<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    business_id: &str,
    network_id: i64,
    currency: &str,
) -> Result<Option<Link>> {
    let row = sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM settlement_accounts WHERE business_id = $1 AND network_id = $2 AND currency = $3"
    ))
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(link_from_row).transpose()
}

/// Every link of a business, by network and currency.
pub async fn links_of(pool: &AnyPool, business_id: &str) -> Result<Vec<Link>> {
    let rows = sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM settlement_accounts WHERE business_id = $1 ORDER BY network_id, currency"
    ))
    .bind(business_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(link_from_row).collect()
}

/// Removes a link; false if there was none.
pub async fn delete_link(
    conn: &mut Conn,
    business_id: &str,
    network_id: i64,
    currency: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "DELETE FROM settlement_accounts WHERE business_id = $1 AND network_id = $2 AND currency = $3",
    )
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
