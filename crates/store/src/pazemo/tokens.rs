use crate::Result;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    /// The last characters of the token, so a user can tell tokens apart without the secret.
    pub token_hint: String,
    pub label: String,
    pub mode: String,
    pub access: String,
    pub allow_ips: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, token_hash, token_hint, label, mode, access, allow_ips, created_at, last_used_at, revoked_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ApiToken> {
    let ips: String = r.try_get("allow_ips")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        token_hash: r.try_get("token_hash")?,
        token_hint: r.try_get("token_hint")?,
        label: r.try_get("label")?,
        mode: r.try_get("mode")?,
        access: r.try_get("access")?,
        allow_ips: serde_json::from_str(&ips).unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Inserts a token only while the user has fewer than `max_active` active tokens. The user's row
/// is locked first (PostgreSQL; SQLite has one writer), so two concurrent creations cannot both
/// pass the limit. Returns false when the limit refused it.
pub async fn insert_within_limit(db: &crate::Db, t: &ApiToken, max_active: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    sqlx::query(&format!(
        "SELECT id FROM users WHERE id = $1{}",
        db.dialect.for_update()
    ))
    .bind(&t.user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let done = sqlx::query(&format!(
        "INSERT INTO api_tokens ({COLUMNS}) SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,NULL,NULL \
         WHERE (SELECT COUNT(*) FROM api_tokens WHERE user_id = $2 AND revoked_at IS NULL) < $10"
    ))
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.token_hash)
    .bind(&t.token_hint)
    .bind(&t.label)
    .bind(&t.mode)
    .bind(&t.access)
    .bind(serde_json::to_string(&t.allow_ips).unwrap_or_else(|_| "[]".into()))
    .bind(t.created_at)
    .bind(max_active)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_hash(pool: &AnyPool, hash: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Whether token `id` exists and is not revoked (read in the caller's transaction).
pub async fn is_active(conn: &mut crate::Conn, id: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub async fn list_active(pool: &AnyPool, user_id: &str) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes one of the user's tokens; returns the revoked token's hash, or None if the user has
/// no such active token.
pub async fn revoke(pool: &AnyPool, user_id: &str, id: &str, now: i64) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL \
         RETURNING token_hash",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.try_get("token_hash")).transpose()?)
}

/// Like `revoke`, for a token of `mode` only: a token cannot revoke the other mode's tokens.
pub async fn revoke_in_mode(
    pool: &AnyPool,
    user_id: &str,
    mode: &str,
    id: &str,
    now: i64,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND mode = $4 \
         AND revoked_at IS NULL RETURNING token_hash",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .bind(mode)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.try_get("token_hash")).transpose()?)
}

pub async fn touch(pool: &AnyPool, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
