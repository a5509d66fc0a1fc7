//! Chain transactions of pull payments (seed 004 "Transactions"). A pull's row is written,
//! pending and with its on-chain pull index, before its transaction is sent.
use crate::engine::sql::rows_in;
use crate::keyset::Window;
use crate::{Dialect, Result, StoreError};
use payplane_core::kinds::{TxStatus, TxType};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub id: String,
    pub pull_payment_id: String,
    pub business_id: String,
    pub product_id: String,
    pub payment_model_id: String,
    pub network_id: i64,
    pub tx_type: TxType,
    pub status: TxStatus,
    /// The contract's 0-based pull index, for pulls.
    pub pull_index: Option<i64>,
    /// The platform's running number of transactions (`referenceNo`).
    pub reference_no: i64,
    pub tx_hash: Option<String>,
    pub sender: Option<String>,
    pub receiver: Option<String>,
    pub block_number: Option<i64>,
    pub block_hash: Option<String>,
    pub transaction_index: Option<i64>,
    pub gas_used: Option<i64>,
    pub cumulative_gas_used: Option<i64>,
    /// Wei, decimal text.
    pub effective_gas_price: Option<String>,
    /// The receipt's logs, JSON array.
    pub logs: Option<String>,
    pub logs_bloom: Option<String>,
    pub currency: String,
    pub fiat_amount: i64,
    /// Token units (18 decimals), decimal text.
    pub token_amount: Option<String>,
    /// Price of one PMA in `currency`, exact decimal text, with its source and time (µs).
    pub rate: Option<String>,
    pub rate_source: Option<String>,
    pub rate_at: Option<i64>,
    /// Why it failed (the contract's decoded error), when it did.
    pub reason: Option<String>,
    /// Unix seconds of the block.
    pub execution_date: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const COLUMNS: &str = "id, pull_payment_id, business_id, product_id, payment_model_id, network_id, type_id, status, \
    pull_index, reference_no, tx_hash, sender, receiver, block_number, block_hash, transaction_index, gas_used, \
    cumulative_gas_used, effective_gas_price, logs, logs_bloom, currency, fiat_amount, token_amount, rate, rate_source, \
    rate_at, reason, execution_date, created_at, updated_at";

pub fn from_row(r: &sqlx::any::AnyRow) -> Result<Transaction> {
    let type_id: i64 = r.try_get("type_id")?;
    let status: i64 = r.try_get("status")?;
    Ok(Transaction {
        id: r.try_get("id")?,
        pull_payment_id: r.try_get("pull_payment_id")?,
        business_id: r.try_get("business_id")?,
        product_id: r.try_get("product_id")?,
        payment_model_id: r.try_get("payment_model_id")?,
        network_id: r.try_get("network_id")?,
        tx_type: TxType::from_id(type_id)
            .ok_or_else(|| StoreError::Corrupt(format!("transaction type {type_id}")))?,
        status: TxStatus::from_id(status)
            .ok_or_else(|| StoreError::Corrupt(format!("transaction status {status}")))?,
        pull_index: r.try_get("pull_index")?,
        reference_no: r.try_get("reference_no")?,
        tx_hash: r.try_get("tx_hash")?,
        sender: r.try_get("sender")?,
        receiver: r.try_get("receiver")?,
        block_number: r.try_get("block_number")?,
        block_hash: r.try_get("block_hash")?,
        transaction_index: r.try_get("transaction_index")?,
        gas_used: r.try_get("gas_used")?,
        cumulative_gas_used: r.try_get("cumulative_gas_used")?,
        effective_gas_price: r.try_get("effective_gas_price")?,
        logs: r.try_get("logs")?,
        logs_bloom: r.try_get("logs_bloom")?,
        currency: r.try_get("currency")?,
        fiat_amount: r.try_get("fiat_amount")?,
        token_amount: r.try_get("token_amount")?,
        rate: r.try_get("rate")?,
        rate_source: r.try_get("rate_source")?,
        rate_at: r.try_get("rate_at")?,
        reason: r.try_get("reason")?,
        execution_date: r.try_get("execution_date")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut crate::Conn, t: &Transaction) -> Result<()> {
    insert_many(conn, std::slice::from_ref(t)).await
}

/// Inserts rows with one statement per 32 rows (a batch of pulls' pending rows; 31 parameters
/// a row).
pub async fn insert_many(conn: &mut crate::Conn, rows: &[Transaction]) -> Result<()> {
    const N: usize = 31;
    for chunk in rows.chunks(32) {
        let sql = format!(
            "INSERT INTO transactions ({COLUMNS}) VALUES {}",
            rows_in(Dialect::of(conn), 1, chunk.len(), N)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = bind_row(q, t);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_row<'q>(q: Query<'q>, t: &'q Transaction) -> Query<'q> {
    q.bind(&t.id)
        .bind(&t.pull_payment_id)
        .bind(&t.business_id)
        .bind(&t.product_id)
        .bind(&t.payment_model_id)
        .bind(t.network_id)
        .bind(t.tx_type.id())
        .bind(t.status.id())
        .bind(t.pull_index)
        .bind(t.reference_no)
        .bind(&t.tx_hash)
        .bind(&t.sender)
        .bind(&t.receiver)
        .bind(t.block_number)
        .bind(&t.block_hash)
        .bind(t.transaction_index)
        .bind(t.gas_used)
        .bind(t.cumulative_gas_used)
        .bind(&t.effective_gas_price)
        .bind(&t.logs)
        .bind(&t.logs_bloom)
        .bind(&t.currency)
        .bind(t.fiat_amount)
        .bind(&t.token_amount)
        .bind(&t.rate)
        .bind(&t.rate_source)
        .bind(t.rate_at)
        .bind(&t.reason)
        .bind(t.execution_date)
        .bind(t.created_at)
        .bind(t.updated_at)
}

/// Rewrites a transaction's outcome: status, hash and receipt fields, rate and reason.
pub async fn update(conn: &mut crate::Conn, t: &Transaction) -> Result<()> {
    update_many(conn, &[t]).await
}

/// [`update`] of many rows, with one statement per 50 rows (21 parameters a row).
pub async fn update_many(conn: &mut crate::Conn, rows: &[&Transaction]) -> Result<()> {
    const N: usize = 21;
    for chunk in rows.chunks(50) {
        let sql = format!(
            "WITH v(id, status, tx_hash, sender, receiver, block_number, block_hash, \
             transaction_index, gas_used, cumulative_gas_used, effective_gas_price, logs, \
             logs_bloom, token_amount, rate, rate_source, rate_at, reason, execution_date, \
             type_id, updated_at) AS (VALUES {}) \
             UPDATE transactions SET status = v.status, tx_hash = v.tx_hash, sender = v.sender, \
             receiver = v.receiver, block_number = v.block_number, block_hash = v.block_hash, \
             transaction_index = v.transaction_index, gas_used = v.gas_used, \
             cumulative_gas_used = v.cumulative_gas_used, \
             effective_gas_price = v.effective_gas_price, logs = v.logs, \
             logs_bloom = v.logs_bloom, token_amount = v.token_amount, rate = v.rate, \
             rate_source = v.rate_source, rate_at = v.rate_at, reason = v.reason, \
             execution_date = v.execution_date, type_id = v.type_id, updated_at = v.updated_at \
             FROM v WHERE transactions.id = v.id",
            rows_in(Dialect::of(conn), 1, chunk.len(), N)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(&t.id)
                .bind(t.status.id())
                .bind(&t.tx_hash)
                .bind(&t.sender)
                .bind(&t.receiver)
                .bind(t.block_number)
                .bind(&t.block_hash)
                .bind(t.transaction_index)
                .bind(t.gas_used)
                .bind(t.cumulative_gas_used)
                .bind(&t.effective_gas_price)
                .bind(&t.logs)
                .bind(&t.logs_bloom)
                .bind(&t.token_amount)
                .bind(&t.rate)
                .bind(&t.rate_source)
                .bind(t.rate_at)
                .bind(&t.reason)
                .bind(t.execution_date)
                .bind(t.tx_type.id())
                .bind(t.updated_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn get<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    id: &str,
) -> Result<Option<Transaction>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM transactions WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The pending transactions of a pull payment (at most one pull is in flight at a time).
pub async fn pending_of<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    pull_payment_id: &str,
) -> Result<Vec<Transaction>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM transactions WHERE pull_payment_id = $1 AND status = $2 ORDER BY created_at, id"
    ))
    .bind(pull_payment_id)
    .bind(TxStatus::Pending.id())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The platform's next `referenceNo`.
pub async fn next_reference_no(conn: &mut crate::Conn) -> Result<i64> {
    crate::platform::next_value(conn, "transaction_reference_no", 1).await
}

/// The first of `count` consecutive `referenceNo`s taken at once (a batch of pulls).
pub async fn next_reference_nos(conn: &mut crate::Conn, count: i64) -> Result<i64> {
    crate::platform::next_values(conn, "transaction_reference_no", 1, count).await
}

/// A transaction as the read APIs show it: the row, with what its pull payment, payment model and
/// product say about it (`None` only if those rows are missing).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub tx: Transaction,
    pub product_name: Option<String>,
    /// The payment model's title (its internal title when it has none).
    pub billing_name: Option<String>,
    /// The payment model's destination (Treasury or Kemix).
    pub destination: Option<String>,
    pub number_of_payments: Option<i64>,
    /// The pull payment's `uniqueReferenceID`.
    pub customer_id: Option<String>,
    pub customer_address: Option<String>,
    pub treasury_wallet: Option<String>,
    /// The pull payment's type (the payment model type, 2–8).
    pub payment_type: Option<i64>,
    /// Unix seconds.
    pub next_payment_at: Option<i64>,
    pub last_payment_at: Option<i64>,
    pub frequency: Option<i64>,
}

/// Filters of the transaction reads (seed 004, P19–P22). Empty lists and `None` filter nothing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub business_id: String,
    pub network_id: Option<i64>,
    pub pull_payment_id: Option<String>,
    /// The settlement holding the pulls.
    pub settlement_id: Option<String>,
    pub product_ids: Vec<String>,
    pub payment_model_ids: Vec<String>,
    pub statuses: Vec<TxStatus>,
    pub types: Vec<TxType>,
    /// The pull payment's type (payment model type).
    pub payment_types: Vec<i64>,
    pub currency: Option<String>,
    /// Execution date range, unix seconds, both ends included.
    pub executed_from: Option<i64>,
    pub executed_to: Option<i64>,
    pub unique_reference_id: Option<String>,
    pub window: Window,
}

#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

fn listed_select() -> String {
    let cols: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("t.{}", c.trim()))
        .collect();
    format!(
        "SELECT {}, pr.name AS product_name, COALESCE(pm.title, pm.internal_title) AS billing_name, \
         pm.destination AS model_destination, pp.number_of_payments AS pp_number_of_payments, \
         pp.unique_reference_id AS pp_unique_reference_id, pp.customer_address AS pp_customer_address, \
         pp.treasury_wallet AS pp_treasury_wallet, pp.type_id AS pp_type_id, \
         pp.next_payment_at AS pp_next_payment_at, pp.last_payment_at AS pp_last_payment_at, \
         pp.frequency AS pp_frequency \
         FROM transactions t \
         LEFT JOIN pull_payments pp ON pp.id = t.pull_payment_id \
         LEFT JOIN payment_models pm ON pm.id = t.payment_model_id \
         LEFT JOIN products pr ON pr.id = t.product_id",
        cols.join(", ")
    )
}

fn listed_from_row(r: &sqlx::any::AnyRow) -> Result<Listed> {
    Ok(Listed {
        tx: from_row(r)?,
        product_name: r.try_get("product_name")?,
        billing_name: r.try_get("billing_name")?,
        destination: r.try_get("model_destination")?,
        number_of_payments: r.try_get("pp_number_of_payments")?,
        customer_id: r.try_get("pp_unique_reference_id")?,
        customer_address: r.try_get("pp_customer_address")?,
        treasury_wallet: r.try_get("pp_treasury_wallet")?,
        payment_type: r.try_get("pp_type_id")?,
        next_payment_at: r.try_get("pp_next_payment_at")?,
        last_payment_at: r.try_get("pp_last_payment_at")?,
        frequency: r.try_get("pp_frequency")?,
    })
}

fn any_of(sql: &mut String, args: &mut Vec<Arg>, column: &str, values: Vec<Arg>) {
    if values.is_empty() {
        return;
    }
    let start = args.len() + 1;
    let marks: Vec<String> = (start..start + values.len())
        .map(|i| format!("${i}"))
        .collect();
    *sql += &format!(" AND {column} IN ({})", marks.join(","));
    args.extend(values);
}

fn one(sql: &mut String, args: &mut Vec<Arg>, condition: &str, value: Arg) {
    args.push(value);
    *sql += &format!(" AND {condition} ${}", args.len());
}

/// One page of a business's transactions, newest first.
pub async fn list_page(pool: &sqlx::AnyPool, f: &ListFilter) -> Result<Vec<Listed>> {
    // The page's ids first, then their rows with the joined names: OFFSET then skips entries of
    // `transactions_business` (which holds the usual filters' columns), instead of rows that
    // each read the table and look up their payment, model and product.
    let pp_filter = !f.payment_types.is_empty() || f.unique_reference_id.is_some();
    let mut sql = format!(
        "SELECT t.id FROM transactions t{} WHERE t.business_id = $1",
        if pp_filter {
            " JOIN pull_payments pp ON pp.id = t.pull_payment_id"
        } else {
            ""
        }
    );
    let mut args = vec![Arg::Text(f.business_id.clone())];
    if let Some(n) = f.network_id {
        one(&mut sql, &mut args, "t.network_id =", Arg::Int(n));
    }
    if let Some(p) = &f.pull_payment_id {
        one(
            &mut sql,
            &mut args,
            "t.pull_payment_id =",
            Arg::Text(p.clone()),
        );
    }
    if let Some(s) = &f.settlement_id {
        one(
            &mut sql,
            &mut args,
            "t.settlement_id =",
            Arg::Text(s.clone()),
        );
    }
    any_of(
        &mut sql,
        &mut args,
        "t.product_id",
        f.product_ids.iter().cloned().map(Arg::Text).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "t.payment_model_id",
        f.payment_model_ids.iter().cloned().map(Arg::Text).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "t.status",
        f.statuses.iter().map(|s| Arg::Int(s.id())).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "t.type_id",
        f.types.iter().map(|s| Arg::Int(s.id())).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "pp.type_id",
        f.payment_types.iter().copied().map(Arg::Int).collect(),
    );
    if let Some(c) = &f.currency {
        one(&mut sql, &mut args, "t.currency =", Arg::Text(c.clone()));
    }
    if let Some(from) = f.executed_from {
        one(&mut sql, &mut args, "t.execution_date >=", Arg::Int(from));
    }
    if let Some(to) = f.executed_to {
        one(&mut sql, &mut args, "t.execution_date <=", Arg::Int(to));
    }
    if let Some(r) = &f.unique_reference_id {
        one(
            &mut sql,
            &mut args,
            "pp.unique_reference_id =",
            Arg::Text(r.clone()),
        );
    }
    if let Some(k) = &f.window.after {
        // The cursor: strictly after the last row shown, found by the index seek.
        args.push(Arg::Int(k.at));
        args.push(Arg::Text(k.id.clone()));
        sql += &format!(
            " AND t.created_at <= ${a} AND (t.created_at < ${a} OR t.id < ${})",
            args.len(),
            a = args.len() - 1
        );
    }
    let order = " ORDER BY t.created_at DESC, t.id DESC";
    let sql = format!(
        "{} WHERE t.id IN ({sql}{order} LIMIT ${} OFFSET ${}){order}",
        listed_select(),
        args.len() + 1,
        args.len() + 2
    );
    let mut q = sqlx::query(&sql);
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    let rows = q
        .bind(f.window.limit)
        .bind(f.window.offset)
        .fetch_all(pool)
        .await?;
    rows.iter().map(listed_from_row).collect()
}

/// The transaction with this on-chain hash (compared as stored: lowercase 0x-hex).
/// Fiat cents of the business's successful pulls (status 3) in `currency` on the network, per
/// UTC day (days since the epoch) from `from_secs` on, oldest first; days without any left out.
pub async fn daily_fiat(
    pool: &sqlx::AnyPool,
    business_id: &str,
    network_id: i64,
    currency: &str,
    from_secs: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT execution_date / 86400 AS day, CAST(SUM(fiat_amount) AS BIGINT) AS cents \
         FROM transactions \
         WHERE business_id = $1 AND network_id = $2 AND status = 3 AND currency = $3 \
           AND execution_date >= $4 \
         GROUP BY execution_date / 86400 ORDER BY day",
    )
    .bind(business_id)
    .bind(network_id)
    .bind(currency)
    .bind(from_secs)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("day")?, r.try_get("cents")?)))
        .collect()
}

pub async fn listed_by_hash(pool: &sqlx::AnyPool, tx_hash: &str) -> Result<Option<Listed>> {
    let row = sqlx::query(&format!("{} WHERE t.tx_hash = $1", listed_select()))
        .bind(tx_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(listed_from_row).transpose()
}
