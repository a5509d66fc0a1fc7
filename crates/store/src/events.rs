//! The outbox: events written in the same transaction as the change that causes them.
use crate::{Conn, Result};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub owner_id: String,
    pub mode: String,
    pub subject_id: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub owner_id: &'a str,
    pub mode: &'a str,
    pub subject_id: &'a str,
    pub payload: &'a serde_json::Value,
}

/// Appends an event and, in the same transaction, a webhook delivery for every endpoint its owner
/// has in that mode — so an event can never be committed without its deliveries.
pub async fn append(conn: &mut Conn, e: NewEvent<'_>, now: i64) -> Result<String> {
    let id = payplane_core::ids::new_id();
    // Per-object sequence number, so receivers can order deliveries that arrive out of order.
    let sequence: i64 =
        sqlx::query("SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE subject_id = $1")
            .bind(e.subject_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    sqlx::query(
        "INSERT INTO events (id, kind, owner_id, mode, subject_id, payload, created_at, sequence) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(&id)
    .bind(e.kind)
    .bind(e.owner_id)
    .bind(e.mode)
    .bind(e.subject_id)
    .bind(e.payload.to_string())
    .bind(now)
    .bind(sequence)
    .execute(&mut *conn)
    .await?;
    let body = serde_json::json!({
        "id": id,
        "type": e.kind,
        "createdTime": payplane_core::timefmt::iso_millis(now),
        "sequence": sequence,
        "data": e.payload,
    });
    crate::webhooks::fan_out(
        conn,
        &id,
        e.kind,
        e.owner_id,
        e.mode,
        &body.to_string(),
        now,
    )
    .await?;
    Ok(id)
}

/// Events of one owner in one mode, newest first.
pub async fn list(
    pool: &AnyPool,
    owner_id: &str,
    mode: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT seq, id, kind, owner_id, mode, subject_id, payload, created_at FROM events \
         WHERE owner_id = $1 AND mode = $2 ORDER BY seq DESC LIMIT $3 OFFSET $4",
    )
    .bind(owner_id)
    .bind(mode)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get(6)?;
            Ok(Event {
                seq: r.try_get(0)?,
                id: r.try_get(1)?,
                kind: r.try_get(2)?,
                owner_id: r.try_get(3)?,
                mode: r.try_get(4)?,
                subject_id: r.try_get(5)?,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                created_at: r.try_get(7)?,
            })
        })
        .collect()
}
