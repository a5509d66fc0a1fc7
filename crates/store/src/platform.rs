//! Platform-wide state: sealed secrets (the HD wallet seed) and atomic counters.
use crate::{Result, StoreError};
use sqlx::{AnyPool, Row};

/// Stores a sealed secret unless one of that name exists; returns the stored one either way, so
/// two processes starting at once agree on a single value.
pub async fn secret_get_or_insert(
    pool: &AnyPool,
    name: &str,
    sealed: &str,
    now: i64,
) -> Result<String> {
    sqlx::query(
        "INSERT INTO platform_secrets (name, sealed, created_at) VALUES ($1,$2,$3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(pool)
    .await?;
    secret_get(pool, name).await?.ok_or(StoreError::NotFound)
}

pub async fn secret_get(pool: &AnyPool, name: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT sealed FROM platform_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}

/// Takes `count` consecutive values of a counter (created at `start` when new) and returns the
/// first: one statement, so concurrent callers never share a value.
pub async fn next_values(
    conn: &mut crate::Conn,
    name: &str,
    start: i64,
    count: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO platform_counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = platform_counters.value + $3 RETURNING value",
    )
    .bind(name)
    .bind(start + count - 1)
    .bind(count)
    .fetch_one(conn)
    .await?;
    let last: i64 = r.try_get(0)?;
    Ok(last - count + 1)
}

/// Increments a counter (created at `start` when new) and returns the new value. One statement,
/// so concurrent callers never get the same value.
pub async fn next_value(conn: &mut crate::Conn, name: &str, start: i64) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO platform_counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = platform_counters.value + 1 RETURNING value",
    )
    .bind(name)
    .bind(start)
    .fetch_one(conn)
    .await?;
    Ok(r.try_get(0)?)
}
