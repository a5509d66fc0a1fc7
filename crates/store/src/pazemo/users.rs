use crate::{Result, StoreError};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub mobile: Option<String>,
    pub status: String,
    pub partner_id: Option<String>,
    pub roles: Vec<String>,
    pub configs: serde_json::Value,
    pub totp_secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }
}

const COLUMNS: &str = "id, email, name, mobile, status, partner_id, roles, configs, totp_secret, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<User> {
    let roles: String = r.try_get("roles")?;
    let configs: String = r.try_get("configs")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        mobile: r.try_get("mobile")?,
        status: r.try_get("status")?,
        partner_id: r.try_get("partner_id")?,
        roles: serde_json::from_str(&roles).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        configs: serde_json::from_str(&configs).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        totp_secret: r.try_get("totp_secret")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(pool: &AnyPool, u: &User) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO users ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
    ))
    .bind(&u.id)
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.mobile)
    .bind(&u.status)
    .bind(&u.partner_id)
    .bind(serde_json::to_string(&u.roles).unwrap_or_else(|_| "[]".into()))
    .bind(u.configs.to_string())
    .bind(&u.totp_secret)
    .bind(u.created_at)
    .bind(u.updated_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_totp_secret(pool: &AnyPool, id: &str, secret: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, updated_at = $2 WHERE id = $3")
        .bind(secret)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Compare-and-swap of a user's TOTP state (see `payplane_app::pazemo::twofa`): writes `new` only if the
/// stored value is still `old`, so two requests cannot both consume a code.
pub async fn swap_totp_state(pool: &AnyPool, id: &str, old: &str, new: &str) -> Result<bool> {
    let r = sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The sealed secret of an enrolment waiting for its first code, if any.
pub async fn pending_totp(pool: &AnyPool, id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT totp_pending FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<String>, _>(0))
        .transpose()?
        .flatten())
}

pub async fn set_pending_totp(pool: &AnyPool, id: &str, sealed: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET totp_pending = $1, updated_at = $2 WHERE id = $3")
        .bind(sealed)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Makes the pending enrolment the active TOTP state, only if it is still `pending` (a
/// concurrent new enrolment wins). Returns whether it was activated.
pub async fn activate_pending_totp(
    pool: &AnyPool,
    id: &str,
    pending: &str,
    active: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_pending = NULL, updated_at = $2 \
         WHERE id = $3 AND totp_pending = $4",
    )
    .bind(active)
    .bind(now)
    .bind(id)
    .bind(pending)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes the active and any pending authenticator (operator reset).
pub async fn clear_totp(conn: &mut crate::Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
