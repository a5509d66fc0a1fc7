//! The outbox: events written in the same transaction as the change that causes them.
use crate::engine::sql::{self, Arg, Script};
use crate::keyset::Window;
use crate::{Conn, Dialect, Result};
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
    let events = [(e, now)];
    let mut script = Script::new(Dialect::of(conn));
    let mut ids = append_many(conn, &events, &mut script).await?;
    script.run(conn).await?;
    Ok(ids.pop().unwrap_or_default())
}

/// Reads the subjects' last sequence numbers, then adds the events (each with its time) and
/// their webhook deliveries to `script`, in order; returns their ids.
pub async fn append_many<'a>(
    conn: &mut Conn,
    events: &'a [(NewEvent<'a>, i64)],
    script: &mut Script<'a>,
) -> Result<Vec<String>> {
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
    let sequences = events.iter().map(|(e, _)| {
        let sequence = last.entry(e.subject_id.to_string()).or_insert(0);
        *sequence += 1;
        *sequence
    });
    Ok(add(script, events, sequences.collect()))
}

/// Adds the first events of new subjects (sequence 1, nothing to read) and their webhook
/// deliveries to `script`; returns their ids.
pub fn append_first<'a>(script: &mut Script<'a>, events: &'a [(NewEvent<'a>, i64)]) -> Vec<String> {
    add(script, events, vec![1; events.len()])
}

fn add<'a>(
    script: &mut Script<'a>,
    events: &'a [(NewEvent<'a>, i64)],
    sequences: Vec<i64>,
) -> Vec<String> {
    if events.is_empty() {
        return vec![];
    }
    let ids: Vec<String> = events
        .iter()
        .map(|_| payplane_core::ids::new_id())
        .collect();
    script.insert(
        "events (id, kind, owner_id, mode, subject_id, payload, created_at, sequence)",
        events
            .iter()
            .zip(&ids)
            .zip(&sequences)
            .map(|(((e, now), id), seq)| {
                [
                    Arg::Owned(id.clone()),
                    Arg::Text(e.kind),
                    Arg::Text(e.owner_id),
                    Arg::Text(e.mode),
                    Arg::Text(e.subject_id),
                    Arg::Owned(e.payload.to_string()),
                    Arg::Int(*now),
                    Arg::Int(*seq),
                ]
            }),
    );
    let deliveries: Vec<crate::webhooks::NewDelivery> = events
        .iter()
        .zip(&ids)
        .zip(sequences)
        .map(|(((e, now), id), seq)| crate::webhooks::NewDelivery {
            event_id: id.clone(),
            kind: e.kind,
            owner_id: e.owner_id,
            mode: e.mode,
            body: envelope(e, id, seq, *now),
            created_at: *now,
        })
        .collect();
    crate::webhooks::fan_out(script, deliveries);
    ids
}

/// The webhook body of an event: its id, type, time, per-object sequence and data. Serialized
/// from a borrowed payload (a `json!` body would copy the payload's whole tree first); members in
/// alphabetical order, as earlier bodies had them.
pub fn envelope(e: &NewEvent<'_>, id: &str, sequence: i64, now: i64) -> String {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        #[serde(rename = "createdTime")]
        created_time: String,
        data: &'a serde_json::Value,
        id: &'a str,
        sequence: i64,
        #[serde(rename = "type")]
        kind: &'a str,
    }
    serde_json::to_string(&Envelope {
        created_time: payplane_core::timefmt::iso_millis(now),
        data: e.payload,
        id,
        sequence,
        kind: e.kind,
    })
    .unwrap_or_default()
}

/// Events of one owner in one mode, newest first (`events_owner_mode`); the cursor key is `seq`.
pub async fn list(pool: &AnyPool, owner_id: &str, mode: &str, w: &Window) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT seq, id, kind, owner_id, mode, subject_id, payload, created_at FROM events \
         WHERE owner_id = $1 AND mode = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4 OFFSET $5",
    )
    .bind(owner_id)
    .bind(mode)
    .bind(w.after.as_ref().map_or(i64::MAX, |k| k.at))
    .bind(w.limit)
    .bind(w.offset)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_envelope_is_the_same_text_as_a_json_object_of_its_members() {
        let payload = json!({"id": "w1", "amount": 12.5, "notes": "a \"quoted\" note"});
        let e = NewEvent {
            kind: "withdrawal.pending",
            owner_id: "u1",
            mode: "test",
            subject_id: "w1",
            payload: &payload,
        };
        let expected = json!({
            "id": "ev1",
            "type": "withdrawal.pending",
            "createdTime": payplane_core::timefmt::iso_millis(1_700_000_000_000_000),
            "sequence": 3,
            "data": payload,
        })
        .to_string();
        assert_eq!(envelope(&e, "ev1", 3, 1_700_000_000_000_000), expected);
    }
}
