//! Logins of the web dashboard: users' passwords, one-time set-password links, browser sessions
//! and failed login attempts. Tokens are stored as their SHA-256 hashes, never as sent.
use crate::{Result, StoreError};
use sqlx::{AnyPool, Row};

/// The user id and password hash (if a password was ever set) of the user with this email.
pub async fn credentials(pool: &AnyPool, email: &str) -> Result<Option<(String, Option<String>)>> {
    let row = sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Sets the user's password hash, and in the same transaction ends every session of the user
/// and spends every open set-password link: a new password locks out whoever held the old one.
pub async fn set_password(
    conn: &mut crate::Conn,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE web_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE password_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

pub async fn insert_link(
    pool: &AnyPool,
    user_id: &str,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_links (id, user_id, token_hash, created_at, expires_at, used_at) \
         VALUES ($1,$2,$3,$4,$5,NULL)",
    )
    .bind(payplane_core::ids::new_id())
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The user of an unused, unexpired link.
pub async fn link_user(pool: &AnyPool, token_hash: &str, now: i64) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT user_id FROM password_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}

/// Marks a link used if it still is usable, and returns its user: of two concurrent uses of one
/// link, one gets the user and the other `None`.
pub async fn spend_link(
    conn: &mut crate::Conn,
    token_hash: &str,
    now: i64,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE password_links SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}

#[derive(Debug, Clone)]
pub struct WebSession {
    pub id: String,
    pub user_id: String,
    /// `test` or `live`: the mode the dashboard acts in, switched by the user.
    pub mode: String,
    pub expires_at: i64,
}

pub async fn insert_session(
    pool: &AnyPool,
    s: &WebSession,
    token_hash: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_sessions (id, user_id, token_hash, mode, created_at, expires_at, revoked_at) \
         VALUES ($1,$2,$3,$4,$5,$6,NULL)",
    )
    .bind(&s.id)
    .bind(&s.user_id)
    .bind(token_hash)
    .bind(&s.mode)
    .bind(now)
    .bind(s.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// A live (unrevoked, unexpired) session by token hash.
pub async fn live_session(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> Result<Option<WebSession>> {
    let row = sqlx::query(
        "SELECT id, user_id, mode, expires_at FROM web_sessions \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(WebSession {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            mode: r.try_get("mode")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

pub async fn set_session_mode(pool: &AnyPool, id: &str, mode: &str) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET mode = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(mode)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn revoke_session(pool: &AnyPool, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
