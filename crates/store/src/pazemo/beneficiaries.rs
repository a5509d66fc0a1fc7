//! Withdrawal recipients. Deleting one is soft: it disappears from reads but old withdrawals
//! still name it.
use crate::{Conn, Result};
use sqlx::{AnyPool, Row};

use payplane_core::kinds::RecipientStatus;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Beneficiary {
    pub id: i64,
    pub account_id: String,
    pub user_id: String,
    pub mode: String,
    pub bank_id: String,
    pub address: String,
    pub name: String,
    pub email: String,
    pub label: String,
    pub status: RecipientStatus,
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, account_id, user_id, mode, bank_id, address, name, email, label, status, type, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Beneficiary> {
    Ok(Beneficiary {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        user_id: r.try_get(2)?,
        mode: r.try_get(3)?,
        bank_id: r.try_get(4)?,
        address: r.try_get(5)?,
        name: r.try_get(6)?,
        email: r.try_get(7)?,
        label: r.try_get(8)?,
        status: r.try_get::<String, _>(9)?.parse().map_err(
            |e: payplane_core::kinds::UnknownKind| crate::StoreError::Corrupt(e.to_string()),
        )?,
        kind: r.try_get(10)?,
        created_at: r.try_get(11)?,
        updated_at: r.try_get(12)?,
    })
}

/// Inserts and returns the new id.
pub async fn insert(conn: &mut Conn, b: &Beneficiary) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO beneficiaries (account_id, user_id, mode, bank_id, address, name, email, label, status, type, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
    )
    .bind(&b.account_id)
    .bind(&b.user_id)
    .bind(&b.mode)
    .bind(&b.bank_id)
    .bind(&b.address)
    .bind(&b.name)
    .bind(&b.email)
    .bind(&b.label)
    .bind(b.status.as_str())
    .bind(&b.kind)
    .bind(b.created_at)
    .bind(b.updated_at)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// One live (not deleted) recipient of one owner in one mode.
pub async fn get(
    conn: &mut Conn,
    id: i64,
    user_id: &str,
    mode: &str,
) -> Result<Option<Beneficiary>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM beneficiaries WHERE id = $1 AND user_id = $2 AND mode = $3 AND deleted_at IS NULL"
    ))
    .bind(id)
    .bind(user_id)
    .bind(mode)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Any recipient by id (for the background inquiry).
pub async fn get_any(conn: &mut Conn, id: i64) -> Result<Option<Beneficiary>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM beneficiaries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(
    pool: &AnyPool,
    user_id: &str,
    mode: &str,
    account_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Beneficiary>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM beneficiaries WHERE user_id = $1 AND mode = $2 AND deleted_at IS NULL \
         AND ($3 = '' OR account_id = $3) ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(user_id)
    .bind(mode)
    .bind(account_id.unwrap_or(""))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Moves a recipient out of `pending`; false when it was no longer pending (or was deleted).
pub async fn settle(
    conn: &mut Conn,
    id: i64,
    status: RecipientStatus,
    name: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE beneficiaries SET status = $1, name = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'pending' AND deleted_at IS NULL",
    )
    .bind(status.as_str())
    .bind(name)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn soft_delete(
    conn: &mut Conn,
    id: i64,
    user_id: &str,
    mode: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE beneficiaries SET deleted_at = $1, updated_at = $1 \
         WHERE id = $2 AND user_id = $3 AND mode = $4 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .bind(mode)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
