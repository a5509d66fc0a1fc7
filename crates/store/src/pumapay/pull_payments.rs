//! Pull payments (seed 004 "PullPayments"): what a customer signed for a payment model, its
//! schedule and where it stands, and the wallet requests behind QR codes.
use crate::engine::sql::{marks_in, rows_in};
use crate::keyset::Window;
use crate::{Dialect, Result, StoreError};
use payplane_core::kinds::PullPaymentStatus;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct PullPayment {
    pub id: String,
    /// The contract's `bytes32 paymentId`, 0x-hex.
    pub chain_payment_id: String,
    pub request_id: String,
    pub business_id: String,
    pub payment_model_id: String,
    pub product_id: String,
    pub network_id: i64,
    pub type_id: i64,
    pub status: PullPaymentStatus,
    pub status_reason: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub currency: String,
    /// Cents per recurring pull (per top-up for type 8).
    pub amount: i64,
    pub initial_payment_amount: i64,
    pub trial_period: i64,
    pub frequency: i64,
    pub number_of_payments: i64,
    /// Type 8: the customer's signed total, cents.
    pub top_up_limit: Option<i64>,
    pub customer_address: String,
    pub treasury_wallet: String,
    pub contract_address: String,
    pub hd_wallet_index: i64,
    pub unique_reference_id: String,
    /// The signed terms, JSON.
    pub terms: String,
    pub signature: String,
    /// The signed EIP-2612 permit, JSON, when the customer gave one.
    pub permit: Option<String>,
    /// Unix seconds.
    pub start_timestamp: i64,
    pub end_timestamp: i64,
    pub next_payment_at: Option<i64>,
    pub last_payment_at: Option<i64>,
    /// Successful pulls, the initial one included.
    pub pulls_made: i64,
    pub fiat_pulled: i64,
    pub failed_attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const COLUMNS: &str = "id, chain_payment_id, request_id, business_id, payment_model_id, product_id, network_id, \
    type_id, status, status_reason, title, description, currency, amount, initial_payment_amount, trial_period, frequency, \
    number_of_payments, top_up_limit, customer_address, treasury_wallet, contract_address, hd_wallet_index, \
    unique_reference_id, terms, signature, permit, start_timestamp, end_timestamp, next_payment_at, last_payment_at, \
    pulls_made, fiat_pulled, failed_attempts, created_at, updated_at";

pub fn status_from(id: i64) -> Result<PullPaymentStatus> {
    PullPaymentStatus::from_id(id)
        .ok_or_else(|| StoreError::Corrupt(format!("pull payment status {id}")))
}

pub fn from_row(r: &sqlx::any::AnyRow) -> Result<PullPayment> {
    Ok(PullPayment {
        id: r.try_get("id")?,
        chain_payment_id: r.try_get("chain_payment_id")?,
        request_id: r.try_get("request_id")?,
        business_id: r.try_get("business_id")?,
        payment_model_id: r.try_get("payment_model_id")?,
        product_id: r.try_get("product_id")?,
        network_id: r.try_get("network_id")?,
        type_id: r.try_get("type_id")?,
        status: status_from(r.try_get("status")?)?,
        status_reason: r.try_get("status_reason")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        currency: r.try_get("currency")?,
        amount: r.try_get("amount")?,
        initial_payment_amount: r.try_get("initial_payment_amount")?,
        trial_period: r.try_get("trial_period")?,
        frequency: r.try_get("frequency")?,
        number_of_payments: r.try_get("number_of_payments")?,
        top_up_limit: r.try_get("top_up_limit")?,
        customer_address: r.try_get("customer_address")?,
        treasury_wallet: r.try_get("treasury_wallet")?,
        contract_address: r.try_get("contract_address")?,
        hd_wallet_index: r.try_get("hd_wallet_index")?,
        unique_reference_id: r.try_get("unique_reference_id")?,
        terms: r.try_get("terms")?,
        signature: r.try_get("signature")?,
        permit: r.try_get("permit")?,
        start_timestamp: r.try_get("start_timestamp")?,
        end_timestamp: r.try_get("end_timestamp")?,
        next_payment_at: r.try_get("next_payment_at")?,
        last_payment_at: r.try_get("last_payment_at")?,
        pulls_made: r.try_get("pulls_made")?,
        fiat_pulled: r.try_get("fiat_pulled")?,
        failed_attempts: r.try_get("failed_attempts")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut crate::Conn, p: &PullPayment) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO pull_payments ({COLUMNS}) VALUES ({})",
        crate::engine::sql::marks(1, 36)
    ))
    .bind(&p.id)
    .bind(&p.chain_payment_id)
    .bind(&p.request_id)
    .bind(&p.business_id)
    .bind(&p.payment_model_id)
    .bind(&p.product_id)
    .bind(p.network_id)
    .bind(p.type_id)
    .bind(p.status.id())
    .bind(&p.status_reason)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.currency)
    .bind(p.amount)
    .bind(p.initial_payment_amount)
    .bind(p.trial_period)
    .bind(p.frequency)
    .bind(p.number_of_payments)
    .bind(p.top_up_limit)
    .bind(&p.customer_address)
    .bind(&p.treasury_wallet)
    .bind(&p.contract_address)
    .bind(p.hd_wallet_index)
    .bind(&p.unique_reference_id)
    .bind(&p.terms)
    .bind(&p.signature)
    .bind(&p.permit)
    .bind(p.start_timestamp)
    .bind(p.end_timestamp)
    .bind(p.next_payment_at)
    .bind(p.last_payment_at)
    .bind(p.pulls_made)
    .bind(p.fiat_pulled)
    .bind(p.failed_attempts)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    id: &str,
) -> Result<Option<PullPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pull_payments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Moves a pull payment to `status` only from one of `from`, with the schedule fields given;
/// false when it was in another status (someone else moved it first).
pub async fn transition(
    conn: &mut crate::Conn,
    id: &str,
    from: &[PullPaymentStatus],
    to: &Transition,
) -> Result<bool> {
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 10)).collect();
    let sql = format!(
        "UPDATE pull_payments SET status = $1, status_reason = $2, next_payment_at = $3, \
         last_payment_at = COALESCE($4, last_payment_at), pulls_made = pulls_made + $5, \
         fiat_pulled = fiat_pulled + $6, failed_attempts = $7, updated_at = $8 \
         WHERE id = $9 AND status IN ({})",
        placeholders.join(",")
    );
    let mut q = sqlx::query(&sql)
        .bind(to.status.id())
        .bind(&to.reason)
        .bind(to.next_payment_at)
        .bind(to.last_payment_at)
        .bind(to.add_pulls)
        .bind(to.add_fiat)
        .bind(to.failed_attempts)
        .bind(to.now)
        .bind(id);
    for f in from {
        q = q.bind(f.id());
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// [`transition`] of many payments from `from`, with one statement per [`CHUNK`] payments;
/// the ids it moved (the others were in another status).
pub async fn transition_many(
    conn: &mut crate::Conn,
    from: PullPaymentStatus,
    moves: &[(&str, &Transition)],
) -> Result<Vec<String>> {
    const N: usize = 9;
    let mut moved = Vec::with_capacity(moves.len());
    for chunk in moves.chunks(CHUNK) {
        let dialect = Dialect::of(conn);
        let sql = format!(
            "WITH v(id, status, reason, next_at, last_at, add_pulls, add_fiat, failed, at) AS \
             (VALUES {}) \
             UPDATE pull_payments SET status = v.status, status_reason = v.reason, \
             next_payment_at = v.next_at, \
             last_payment_at = COALESCE(v.last_at, pull_payments.last_payment_at), \
             pulls_made = pull_payments.pulls_made + v.add_pulls, \
             fiat_pulled = pull_payments.fiat_pulled + v.add_fiat, \
             failed_attempts = v.failed, updated_at = v.at \
             FROM v WHERE pull_payments.id = v.id AND pull_payments.status = {} \
             RETURNING pull_payments.id",
            rows_in(dialect, 1, chunk.len(), N),
            marks_in(dialect, chunk.len() * N + 1, 1)
        );
        let mut q = sqlx::query(&sql);
        for (id, to) in chunk {
            q = q
                .bind(*id)
                .bind(to.status.id())
                .bind(&to.reason)
                .bind(to.next_payment_at)
                .bind(to.last_payment_at)
                .bind(to.add_pulls)
                .bind(to.add_fiat)
                .bind(to.failed_attempts)
                .bind(to.now);
        }
        q = q.bind(from.id());
        for r in q.fetch_all(&mut *conn).await? {
            moved.push(r.try_get(0)?);
        }
    }
    Ok(moved)
}

/// Takes over a payment left processing (its `updated_at` still `seen`, as the caller read it)
/// by moving its `updated_at` to `now`: of several workers that find the same stale payment,
/// exactly one gets `true` and reconciles it.
pub async fn take_over(conn: &mut crate::Conn, id: &str, seen: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE pull_payments SET updated_at = $1 WHERE id = $2 AND status = $3 AND updated_at = $4",
    )
    .bind(now)
    .bind(id)
    .bind(PullPaymentStatus::Processing.id())
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Rows per multi-row statement: sqlx's SQLite binding slows down with many parameters.
pub const CHUNK: usize = 100;

/// Moves the pull payments of `ids` that are in `from` to `to` (nothing else changes but their
/// `updated_at`), with one statement per [`CHUNK`] ids; the ids it moved (others were moved by
/// someone else first).
pub async fn claim(
    conn: &mut crate::Conn,
    ids: &[&str],
    from: PullPaymentStatus,
    to: PullPaymentStatus,
    now: i64,
) -> Result<Vec<String>> {
    let dialect = Dialect::of(conn);
    let mut moved = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "UPDATE pull_payments SET status = {}, updated_at = {} WHERE status = {} \
             AND id IN ({}) RETURNING id",
            marks_in(dialect, 1, 1),
            marks_in(dialect, 2, 1),
            marks_in(dialect, 3, 1),
            marks_in(dialect, 4, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(to.id()).bind(now).bind(from.id());
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            moved.push(r.try_get(0)?);
        }
    }
    Ok(moved)
}

/// The pull payments of `ids` (those that exist), in no particular order.
pub async fn get_many(conn: &mut crate::Conn, ids: &[&str]) -> Result<Vec<PullPayment>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT {COLUMNS} FROM pull_payments WHERE id IN ({})",
            marks_in(Dialect::of(conn), 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(from_row(&r)?);
        }
    }
    Ok(out)
}

/// The payment as `to` leaves it: what [`transition`] writes, applied to `self`.
impl PullPayment {
    pub fn after(&self, to: &Transition) -> PullPayment {
        PullPayment {
            status: to.status,
            status_reason: to.reason.clone(),
            next_payment_at: to.next_payment_at,
            last_payment_at: to.last_payment_at.or(self.last_payment_at),
            pulls_made: self.pulls_made + to.add_pulls,
            fiat_pulled: self.fiat_pulled + to.add_fiat,
            failed_attempts: to.failed_attempts,
            updated_at: to.now,
            ..self.clone()
        }
    }
}

/// The new state of a pull payment after an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub status: PullPaymentStatus,
    pub reason: Option<String>,
    pub next_payment_at: Option<i64>,
    /// Set when a pull was made (otherwise the last one stays).
    pub last_payment_at: Option<i64>,
    pub add_pulls: i64,
    pub add_fiat: i64,
    pub failed_attempts: i64,
    pub now: i64,
}

/// Up to `limit` running pull payments of a network whose next pull is due at `now` (network
/// seconds), oldest due first.
pub async fn due(
    pool: &AnyPool,
    network_id: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<PullPayment>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pull_payments WHERE network_id = $1 AND status = $2 \
         AND next_payment_at IS NOT NULL AND next_payment_at <= $3 ORDER BY next_payment_at, id LIMIT $4"
    ))
    .bind(network_id)
    .bind(PullPaymentStatus::Running.id())
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Ids of a network's pull payments in `status` (crash recovery looks at those left processing
/// or initial).
pub async fn in_status(
    pool: &AnyPool,
    network_id: i64,
    status: PullPaymentStatus,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM pull_payments WHERE network_id = $1 AND status = $2 ORDER BY updated_at, id LIMIT $3",
    )
    .bind(network_id)
    .bind(status.id())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Whether a network has any pull payment in `status`: an existence check on the
/// `(network_id, status, …)` index, without sorting (the executor asks it every round).
pub async fn any_in_status(
    pool: &AnyPool,
    network_id: i64,
    status: PullPaymentStatus,
) -> Result<bool> {
    let row =
        sqlx::query("SELECT 1 FROM pull_payments WHERE network_id = $1 AND status = $2 LIMIT 1")
            .bind(network_id)
            .bind(status.id())
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// Ids of the pull payments of a business (`column` = "business_id") or of a payment model
/// ("payment_model_id") that are not final yet.
pub async fn live_of(pool: &AnyPool, column: LiveOf, id: &str) -> Result<Vec<String>> {
    let column = match column {
        LiveOf::Business => "business_id",
        LiveOf::PaymentModel => "payment_model_id",
    };
    let rows = sqlx::query(&format!(
        "SELECT id FROM pull_payments WHERE {column} = $1 AND status IN ($2, $3, $4)"
    ))
    .bind(id)
    .bind(PullPaymentStatus::Initial.id())
    .bind(PullPaymentStatus::Running.id())
    .bind(PullPaymentStatus::Processing.id())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveOf {
    Business,
    PaymentModel,
}

/// A QR code's request: what the wallet is asked to sign.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: String,
    pub payment_model_id: String,
    pub business_id: String,
    pub network_id: i64,
    pub unique_reference_id: String,
    /// Dynamic models: the values given at QR time.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Fixed by the first wallet read (unix seconds; token units as decimal text).
    pub start_time: Option<i64>,
    pub token_cap: Option<String>,
    pub terms_expiry: Option<i64>,
    /// Microseconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub pull_payment_id: Option<String>,
}

const REQUEST_COLUMNS: &str = "id, payment_model_id, business_id, network_id, unique_reference_id, amount, currency, \
    title, description, start_time, token_cap, terms_expiry, created_at, expires_at, used_at, pull_payment_id";

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        payment_model_id: r.try_get("payment_model_id")?,
        business_id: r.try_get("business_id")?,
        network_id: r.try_get("network_id")?,
        unique_reference_id: r.try_get("unique_reference_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        start_time: r.try_get("start_time")?,
        token_cap: r.try_get("token_cap")?,
        terms_expiry: r.try_get("terms_expiry")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        pull_payment_id: r.try_get("pull_payment_id")?,
    })
}

pub async fn insert_request(conn: &mut crate::Conn, r: &Request) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO pull_payment_requests ({REQUEST_COLUMNS}) VALUES ({})",
        crate::engine::sql::marks(1, 16)
    ))
    .bind(&r.id)
    .bind(&r.payment_model_id)
    .bind(&r.business_id)
    .bind(r.network_id)
    .bind(&r.unique_reference_id)
    .bind(r.amount)
    .bind(&r.currency)
    .bind(&r.title)
    .bind(&r.description)
    .bind(r.start_time)
    .bind(&r.token_cap)
    .bind(r.terms_expiry)
    .bind(r.created_at)
    .bind(r.expires_at)
    .bind(r.used_at)
    .bind(&r.pull_payment_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_request<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    conn: E,
    id: &str,
) -> Result<Option<Request>> {
    let row = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM pull_payment_requests WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(request_from_row).transpose()
}

/// Fixes the terms' start, cap and expiry on the first read; later reads keep the first values.
pub async fn fix_terms(
    conn: &mut crate::Conn,
    id: &str,
    start_time: i64,
    token_cap: &str,
    terms_expiry: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE pull_payment_requests SET start_time = $1, token_cap = $2, terms_expiry = $3 \
         WHERE id = $4 AND start_time IS NULL",
    )
    .bind(start_time)
    .bind(token_cap)
    .bind(terms_expiry)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the request used by `pull_payment_id`; false when it already was (a replay).
pub async fn use_request(
    conn: &mut crate::Conn,
    id: &str,
    pull_payment_id: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE pull_payment_requests SET used_at = $1, pull_payment_id = $2 WHERE id = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(pull_payment_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A bind value of a filtered list (the filters decide how many there are).
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// ` AND {column} IN ($n, …)` for a non-empty list, its values pushed onto `args`.
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

/// Filters of "Retrieve PullPayments List" (seed 004, P17). Empty lists and `None` filter nothing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub business_id: String,
    pub network_id: Option<i64>,
    pub payment_model_ids: Vec<String>,
    pub type_ids: Vec<i64>,
    pub product_ids: Vec<String>,
    pub statuses: Vec<PullPaymentStatus>,
    pub unique_reference_id: Option<String>,
    pub window: Window,
}

/// One page of a business's pull payments, newest first.
pub async fn list_page(pool: &AnyPool, f: &ListFilter) -> Result<Vec<PullPayment>> {
    let mut sql = format!("SELECT {COLUMNS} FROM pull_payments WHERE business_id = $1");
    let mut args = vec![Arg::Text(f.business_id.clone())];
    if let Some(n) = f.network_id {
        args.push(Arg::Int(n));
        sql += &format!(" AND network_id = ${}", args.len());
    }
    any_of(
        &mut sql,
        &mut args,
        "payment_model_id",
        f.payment_model_ids.iter().cloned().map(Arg::Text).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "type_id",
        f.type_ids.iter().copied().map(Arg::Int).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "product_id",
        f.product_ids.iter().cloned().map(Arg::Text).collect(),
    );
    any_of(
        &mut sql,
        &mut args,
        "status",
        f.statuses.iter().map(|s| Arg::Int(s.id())).collect(),
    );
    if let Some(r) = &f.unique_reference_id {
        args.push(Arg::Text(r.clone()));
        sql += &format!(" AND unique_reference_id = ${}", args.len());
    }
    if let Some(k) = &f.window.after {
        // The cursor: strictly after the last row shown, found by the index seek.
        args.push(Arg::Int(k.at));
        args.push(Arg::Text(k.id.clone()));
        sql += &format!(
            " AND created_at <= ${a} AND (created_at < ${a} OR id < ${})",
            args.len(),
            a = args.len() - 1
        );
    }
    sql += &format!(
        " ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
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
    rows.iter().map(from_row).collect()
}
