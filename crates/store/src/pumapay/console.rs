//! Console identity of the pull-payment API: business users, sessions, login failures, API keys.
use crate::{Result, StoreError};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct BusinessUser {
    pub id: String,
    pub business_id: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub job_title: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const USER_COLUMNS: &str = "id, business_id, email, password_hash, first_name, last_name, phone_number, job_title, created_at, updated_at";

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<BusinessUser> {
    Ok(BusinessUser {
        id: r.try_get("id")?,
        business_id: r.try_get("business_id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        phone_number: r.try_get("phone_number")?,
        job_title: r.try_get("job_title")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert_user(conn: &mut crate::Conn, u: &BusinessUser) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO business_users ({USER_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
    ))
    .bind(&u.id)
    .bind(&u.business_id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(&u.phone_number)
    .bind(&u.job_title)
    .bind(u.created_at)
    .bind(u.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn user_by_email(pool: &AnyPool, email: &str) -> Result<Option<BusinessUser>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM business_users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn user_get(conn: &mut crate::Conn, id: &str) -> Result<Option<BusinessUser>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM business_users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The first (admin) user of a business: the one created with it.
pub async fn admin_user(pool: &AnyPool, business_id: &str) -> Result<Option<BusinessUser>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM business_users WHERE business_id = $1 ORDER BY created_at, id LIMIT 1"
    ))
    .bind(business_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn update_user_contact(conn: &mut crate::Conn, u: &BusinessUser) -> Result<()> {
    sqlx::query(
        "UPDATE business_users SET first_name=$1, last_name=$2, phone_number=$3, job_title=$4, updated_at=$5 WHERE id=$6",
    )
    .bind(&u.first_name)
    .bind(&u.last_name)
    .bind(&u.phone_number)
    .bind(&u.job_title)
    .bind(u.updated_at)
    .bind(&u.id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub business_id: String,
    pub expires_at: i64,
}

pub async fn insert_session(pool: &AnyPool, s: &Session, token_hash: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO console_sessions (id, user_id, business_id, token_hash, created_at, expires_at, revoked_at) \
         VALUES ($1,$2,$3,$4,$5,$6,NULL)",
    )
    .bind(&s.id)
    .bind(&s.user_id)
    .bind(&s.business_id)
    .bind(token_hash)
    .bind(now)
    .bind(s.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// A live (unrevoked, unexpired) session by token hash.
pub async fn live_session(pool: &AnyPool, token_hash: &str, now: i64) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT id, user_id, business_id, expires_at FROM console_sessions \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Session {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            business_id: r.try_get("business_id")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

pub async fn revoke_session(pool: &AnyPool, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE console_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a registration attempt from `ip` (forgetting those before `forget_before`) and
/// returns how many attempts `ip` made since `since`, this one included. Recording first makes
/// concurrent attempts see each other.
pub async fn record_registration(
    pool: &AnyPool,
    ip: &str,
    now: i64,
    since: i64,
    forget_before: i64,
) -> Result<i64> {
    sqlx::query("DELETE FROM console_registrations WHERE created_at < $1")
        .bind(forget_before)
        .execute(pool)
        .await?;
    sqlx::query("INSERT INTO console_registrations (id, ip, created_at) VALUES ($1,$2,$3)")
        .bind(payplane_core::ids::new_id())
        .bind(ip)
        .bind(now)
        .execute(pool)
        .await?;
    let r =
        sqlx::query("SELECT COUNT(*) FROM console_registrations WHERE ip = $1 AND created_at > $2")
            .bind(ip)
            .bind(since)
            .fetch_one(pool)
            .await?;
    Ok(r.try_get(0)?)
}

/// Replaces the business's active API key: the old one stops working in the same transaction.
pub async fn replace_api_key(
    conn: &mut crate::Conn,
    business_id: &str,
    key_hash: &str,
    key_sealed: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE business_api_keys SET revoked_at = $1 WHERE business_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(business_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO business_api_keys (id, business_id, key_hash, key_sealed, created_at, revoked_at) \
         VALUES ($1,$2,$3,$4,$5,NULL)",
    )
    .bind(payplane_core::ids::new_id())
    .bind(business_id)
    .bind(key_hash)
    .bind(key_sealed)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The sealed form of the business's active key, if it has one.
pub async fn active_key_sealed(pool: &AnyPool, business_id: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT key_sealed FROM business_api_keys WHERE business_id = $1 AND revoked_at IS NULL",
    )
    .bind(business_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}

/// The business an active key belongs to.
pub async fn business_of_key(pool: &AnyPool, key_hash: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT business_id FROM business_api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}
