//! The test clock of each network: how far its time runs ahead of the wall clock.
use crate::Result;
use sqlx::{AnyPool, Row};

/// How far the test clock moved a network ahead of the wall clock, seconds (0 when never).
pub async fn offset(pool: &AnyPool, network_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT offset_secs FROM network_clocks WHERE network_id = $1")
        .bind(network_id)
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => 0,
    })
}

pub async fn set_offset(
    conn: &mut crate::Conn,
    network_id: i64,
    offset_secs: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO network_clocks (network_id, offset_secs, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (network_id) DO UPDATE SET offset_secs = excluded.offset_secs, updated_at = excluded.updated_at",
    )
    .bind(network_id)
    .bind(offset_secs)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a network's clock `secs` further ahead in one statement (so two concurrent advances
/// both count) and returns the new offset.
pub async fn advance(conn: &mut crate::Conn, network_id: i64, secs: i64, now: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO network_clocks (network_id, offset_secs, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (network_id) DO UPDATE SET offset_secs = network_clocks.offset_secs + excluded.offset_secs, \
         updated_at = excluded.updated_at RETURNING offset_secs",
    )
    .bind(network_id)
    .bind(secs)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}
