//! Failed logins, counted per email-and-client-IP pair and per client IP, for the login
//! throttles of the dashboard and the console (each area keeps its own table).
use crate::Result;
use sqlx::{AnyPool, Row};

/// Which login a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The accounts dashboard (`/dashboard`, users of the accounts API).
    Dashboard,
    /// The pull-payment console (`x-access-token` logins of businesses).
    Console,
}

impl Area {
    fn table(self) -> &'static str {
        match self {
            Area::Dashboard => "web_login_failures",
            Area::Console => "console_login_failures",
        }
    }
}

/// Records a failed login and forgets failures older than `forget_before` (only the current
/// window matters, so the table stays small).
pub async fn record(
    pool: &AnyPool,
    area: Area,
    email: &str,
    ip: &str,
    now: i64,
    forget_before: i64,
) -> Result<()> {
    let table = area.table();
    sqlx::query(&format!("DELETE FROM {table} WHERE created_at < $1"))
        .bind(forget_before)
        .execute(pool)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO {table} (id, email, ip, created_at) VALUES ($1,$2,$3,$4)"
    ))
    .bind(payplane_core::ids::new_id())
    .bind(email)
    .bind(ip)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Failures since `since` for this email from this IP, and for this IP whatever the email.
pub async fn count(
    pool: &AnyPool,
    area: Area,
    email: &str,
    ip: &str,
    since: i64,
) -> Result<(i64, i64)> {
    let table = area.table();
    let r = sqlx::query(&format!(
        "SELECT (SELECT COUNT(*) FROM {table} WHERE email = $1 AND ip = $2 AND created_at > $3), \
                (SELECT COUNT(*) FROM {table} WHERE ip = $2 AND created_at > $3)"
    ))
    .bind(email)
    .bind(ip)
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}
