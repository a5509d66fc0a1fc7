//! Withdrawals. Every status change is a conditional UPDATE on the expected current status, so
//! two concurrent requests can never both move the same withdrawal.
pub mod batch;
pub mod pg_batch;

use crate::engine::sql::{Arg, Script};
use crate::events::NewEvent;
use crate::keyset::Window;
use crate::pazemo::accounts::{hold_ledger, main_ledger};
use crate::{Conn, Result, StoreError, ledger};
use payplane_core::kinds::WithdrawalStatus;
use payplane_core::ledger::transfer;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub mode: String,
    pub currency: String,
    pub transaction_id: i64,
    pub status: WithdrawalStatus,
    pub network: String,
    pub address: String,
    pub address_name: String,
    pub amount: i64,
    pub fee_amount: i64,
    pub notes: String,
    pub prefix: String,
    pub beneficiary_id: Option<i64>,
    pub reference: String,
    pub reference_data: serde_json::Value,
    pub failed_attempts: i64,
    pub network_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const COLUMNS: &str = "id, account_id, user_id, mode, currency, transaction_id, status, network, address, \
     address_name, amount, fee_amount, notes, prefix, beneficiary_id, reference, reference_data, \
     failed_attempts, network_ref, failure_reason, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Withdrawal> {
    let data: String = r.try_get(16)?;
    Ok(Withdrawal {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        user_id: r.try_get(2)?,
        mode: r.try_get(3)?,
        currency: r.try_get(4)?,
        transaction_id: r.try_get(5)?,
        status: r
            .try_get::<String, _>(6)?
            .parse()
            .map_err(|e: payplane_core::kinds::UnknownKind| StoreError::Corrupt(e.to_string()))?,
        network: r.try_get(7)?,
        address: r.try_get(8)?,
        address_name: r.try_get(9)?,
        amount: r.try_get(10)?,
        fee_amount: r.try_get(11)?,
        notes: r.try_get(12)?,
        prefix: r.try_get(13)?,
        beneficiary_id: r.try_get(14)?,
        reference: r.try_get(15)?,
        reference_data: serde_json::from_str(&data)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        failed_attempts: r.try_get(17)?,
        network_ref: r.try_get(18)?,
        failure_reason: r.try_get(19)?,
        created_at: r.try_get(20)?,
        updated_at: r.try_get(21)?,
    })
}

/// The bind values of a withdrawal row, in `COLUMNS` order.
pub fn args(w: &Withdrawal) -> [Arg<'_>; 22] {
    [
        Arg::Text(&w.id),
        Arg::Text(&w.account_id),
        Arg::Text(&w.user_id),
        Arg::Text(&w.mode),
        Arg::Text(&w.currency),
        Arg::Int(w.transaction_id),
        Arg::Text(w.status.as_str()),
        Arg::Text(&w.network),
        Arg::Text(&w.address),
        Arg::Text(&w.address_name),
        Arg::Int(w.amount),
        Arg::Int(w.fee_amount),
        Arg::Text(&w.notes),
        Arg::Text(&w.prefix),
        Arg::MaybeInt(w.beneficiary_id),
        Arg::Text(&w.reference),
        Arg::Owned(w.reference_data.to_string()),
        Arg::Int(w.failed_attempts),
        Arg::MaybeText(w.network_ref.as_deref()),
        Arg::MaybeText(w.failure_reason.as_deref()),
        Arg::Int(w.created_at),
        Arg::Int(w.updated_at),
    ]
}

/// The hold of a new withdrawal: amount + fee from the account's main ledger to its hold ledger
/// (written by `batch`).
pub fn hold_txn(w: &Withdrawal) -> ledger::NewTxn<'_> {
    ledger::NewTxn {
        kind: "hold",
        mode: &w.mode,
        reference: &w.id,
        postings: transfer(
            &main_ledger(&w.account_id),
            &hold_ledger(&w.account_id),
            &w.currency,
            w.amount + w.fee_amount,
        ),
        created_at: w.created_at,
    }
}

/// The outbox event `kind` (`withdrawal.<status>`) of `w` with its `view` as payload.
pub fn event_of<'a>(
    w: &'a Withdrawal,
    kind: &'a str,
    payload: &'a serde_json::Value,
) -> NewEvent<'a> {
    NewEvent {
        kind,
        owner_id: &w.user_id,
        mode: &w.mode,
        subject_id: &w.id,
        payload,
    }
}

/// Adds the insert of `ws` (one statement) to `script`.
pub fn insert_many<'a>(script: &mut Script<'a>, ws: &'a [Withdrawal]) {
    script.insert(&format!("withdrawals ({COLUMNS})"), ws.iter().map(args));
}

/// One withdrawal of one account of one owner in one mode.
pub async fn get(
    conn: &mut Conn,
    id: &str,
    account_id: &str,
    user_id: &str,
    mode: &str,
) -> Result<Option<Withdrawal>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM withdrawals WHERE id = $1 AND account_id = $2 AND user_id = $3 AND mode = $4"
    ))
    .bind(id)
    .bind(account_id)
    .bind(user_id)
    .bind(mode)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_any(conn: &mut Conn, id: &str) -> Result<Option<Withdrawal>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM withdrawals WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Withdrawals of an account, newest first (ids are UUIDv7, so id order is creation order).
/// The cursor key is the id. Each filter is spelled into the SQL only when given, so that the
/// plan walks `withdrawals_account` (or `withdrawals_account_status`) from the right place.
pub async fn list(
    pool: &AnyPool,
    account_id: &str,
    status: Option<WithdrawalStatus>,
    w: &Window,
) -> Result<Vec<Withdrawal>> {
    let mut sql = format!("SELECT {COLUMNS} FROM withdrawals WHERE account_id = $1");
    let mut n = 1;
    if status.is_some() {
        n += 1;
        sql += &format!(" AND status = ${n}");
    }
    if w.after.is_some() {
        n += 1;
        sql += &format!(" AND id < ${n}");
    }
    sql += &format!(" ORDER BY id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2);
    let mut q = sqlx::query(&sql).bind(account_id);
    if let Some(s) = status {
        q = q.bind(s.as_str());
    }
    if let Some(k) = &w.after {
        q = q.bind(k.id.as_str());
    }
    let rows = q.bind(w.limit).bind(w.offset).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// `from` → `to`; false when the withdrawal was not in `from` any more (someone else moved it).
pub async fn transition(
    conn: &mut Conn,
    id: &str,
    from: WithdrawalStatus,
    to: WithdrawalStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE withdrawals SET status = $1, failure_reason = COALESCE($2, failure_reason), updated_at = $3 \
         WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Counts one wrong authorization code on a pending withdrawal; returns the new count, or None
/// when it is no longer pending.
pub async fn count_failed_attempt(conn: &mut Conn, id: &str, now: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE withdrawals SET failed_attempts = failed_attempts + 1, updated_at = $1 \
         WHERE id = $2 AND status = 'pending' RETURNING failed_attempts",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub async fn set_network_ref(conn: &mut Conn, id: &str, network_ref: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE withdrawals SET network_ref = $1, updated_at = $2 WHERE id = $3")
        .bind(network_ref)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
