//! The outbox: events written in the same transaction as the change that causes them.
use crate::{Conn, Result, sql};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

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
    let mut ids = append_many(conn, &[(e, now)]).await?;
    Ok(ids.pop().unwrap_or_default())
}

/// Appends events (each with its time) and their webhook deliveries with a fixed number of
/// statements, in order; returns their ids.
pub async fn append_many(conn: &mut Conn, events: &[(NewEvent<'_>, i64)]) -> Result<Vec<String>> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    // Per-object sequence numbers, so receivers can order deliveries that arrive out of order.
    let mut subjects: Vec<&str> = events.iter().map(|(e, _)| e.subject_id).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let sql = format!(
        "SELECT subject_id, MAX(sequence) FROM events WHERE subject_id IN ({}) GROUP BY subject_id",
        sql::marks(1, subjects.len())
    );
    let mut q = sqlx::query(&sql);
    for s in &subjects {
        q = q.bind(*s);
    }
    let mut last: HashMap<String, i64> = HashMap::new();
    for r in q.fetch_all(&mut *conn).await? {
        last.insert(r.try_get(0)?, r.try_get(1)?);
    }
    let rows: Vec<(String, i64, String)> = events
        .iter()
        .map(|(e, now)| {
            let sequence = last.entry(e.subject_id.to_string()).or_insert(0);
            *sequence += 1;
            let id = payplane_core::ids::new_id();
            let body = envelope(e, &id, *sequence, *now);
            (id, *sequence, body)
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (id, kind, owner_id, mode, subject_id, payload, created_at, sequence) VALUES {}",
        sql::rows(1, events.len(), 8)
    );
    let mut q = sqlx::query(&sql);
    for ((e, now), (id, sequence, _)) in events.iter().zip(&rows) {
        q = q
            .bind(id)
            .bind(e.kind)
            .bind(e.owner_id)
            .bind(e.mode)
            .bind(e.subject_id)
            .bind(e.payload.to_string())
            .bind(*now)
            .bind(*sequence);
    }
    q.execute(&mut *conn).await?;
    let deliveries: Vec<crate::webhooks::NewDelivery> = events
        .iter()
        .zip(&rows)
        .map(|((e, now), (id, _, body))| crate::webhooks::NewDelivery {
            event_id: id,
            kind: e.kind,
            owner_id: e.owner_id,
            mode: e.mode,
            body,
            created_at: *now,
        })
        .collect();
    crate::webhooks::fan_out(conn, &deliveries).await?;
    Ok(rows.into_iter().map(|(id, _, _)| id).collect())
}

/// The webhook body of an event: its id, type, time, per-object sequence and data.
pub fn envelope(e: &NewEvent<'_>, id: &str, sequence: i64, now: i64) -> String {
    serde_json::json!({
        "id": id,
        "type": e.kind,
        "createdTime": payplane_core::timefmt::iso_millis(now),
        "sequence": sequence,
        "data": e.payload,
    })
    .to_string()
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
