//! FX quotes between two accounts of one owner: priced once, honoured until they expire.
use crate::{Conn, Result};
use sqlx::Row;

// The stored spellings of `QuoteStatus`.
pub const OPEN: &str = QuoteStatus::Open.as_str();
pub const CONVERTED: &str = QuoteStatus::Converted.as_str();
use payplane_core::kinds::QuoteStatus;

#[derive(Debug, Clone)]
pub struct Quote {
    pub id: String,
    pub user_id: String,
    pub mode: String,
    pub source_account_id: String,
    pub target_account_id: String,
    pub source_currency: String,
    pub target_currency: String,
    /// Exact decimal text: target units per source unit.
    pub rate: String,
    pub source_amount: i64,
    pub target_amount: i64,
    pub fee_amount: i64,
    pub status: String,
    pub transaction_id: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, user_id, mode, source_account_id, target_account_id, source_currency, \
     target_currency, rate, source_amount, target_amount, fee_amount, status, transaction_id, expires_at, \
     created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Quote> {
    Ok(Quote {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        mode: r.try_get(2)?,
        source_account_id: r.try_get(3)?,
        target_account_id: r.try_get(4)?,
        source_currency: r.try_get(5)?,
        target_currency: r.try_get(6)?,
        rate: r.try_get(7)?,
        source_amount: r.try_get(8)?,
        target_amount: r.try_get(9)?,
        fee_amount: r.try_get(10)?,
        status: r.try_get(11)?,
        transaction_id: r.try_get(12)?,
        expires_at: r.try_get(13)?,
        created_at: r.try_get(14)?,
        updated_at: r.try_get(15)?,
    })
}

pub async fn insert(conn: &mut Conn, q: &Quote) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO quotes ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"
    ))
    .bind(&q.id)
    .bind(&q.user_id)
    .bind(&q.mode)
    .bind(&q.source_account_id)
    .bind(&q.target_account_id)
    .bind(&q.source_currency)
    .bind(&q.target_currency)
    .bind(&q.rate)
    .bind(q.source_amount)
    .bind(q.target_amount)
    .bind(q.fee_amount)
    .bind(&q.status)
    .bind(q.transaction_id)
    .bind(q.expires_at)
    .bind(q.created_at)
    .bind(q.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str, user_id: &str, mode: &str) -> Result<Option<Quote>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quotes WHERE id = $1 AND user_id = $2 AND mode = $3"
    ))
    .bind(id)
    .bind(user_id)
    .bind(mode)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks an open, unexpired quote converted; false if it was not (any more).
pub async fn mark_converted(conn: &mut Conn, id: &str, txn_id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE quotes SET status = 'converted', transaction_id = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'open' AND expires_at > $2",
    )
    .bind(txn_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
