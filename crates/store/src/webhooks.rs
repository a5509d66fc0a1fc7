//! Webhook endpoints, deliveries and their attempts: the durable half of the delivery engine.
use crate::engine::sql::{Arg, Script};
use crate::keyset::Window;
use crate::{Conn, Db, Result};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub owner_id: String,
    pub mode: String,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    /// Extra headers sent with every delivery (a postback's `authorization` pairs).
    pub headers: Vec<(String, String)>,
    pub created_at: i64,
}

const ENDPOINT_COLUMNS: &str =
    "id, owner_id, mode, url, secret, previous_secret, previous_secret_until, headers, created_at";

fn endpoint(r: &sqlx::any::AnyRow) -> Result<Endpoint> {
    let headers: String = r.try_get("headers")?;
    Ok(Endpoint {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        mode: r.try_get("mode")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        previous_secret: r.try_get("previous_secret")?,
        previous_secret_until: r.try_get("previous_secret_until")?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_endpoint(pool: &AnyPool, e: &Endpoint) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    ))
    .bind(&e.id)
    .bind(&e.owner_id)
    .bind(&e.mode)
    .bind(&e.url)
    .bind(&e.secret)
    .bind(&e.previous_secret)
    .bind(e.previous_secret_until)
    .bind(serde_json::to_string(&e.headers).unwrap_or_else(|_| "[]".into()))
    .bind(e.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn list_endpoints(pool: &AnyPool, owner_id: &str, mode: &str) -> Result<Vec<Endpoint>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner_id = $1 AND mode = $2 AND deleted_at IS NULL \
         ORDER BY created_at"
    ))
    .bind(owner_id)
    .bind(mode)
    .fetch_all(pool)
    .await?;
    rows.iter().map(endpoint).collect()
}

pub async fn get_endpoint(
    pool: &AnyPool,
    owner_id: &str,
    mode: &str,
    id: &str,
) -> Result<Option<Endpoint>> {
    let row = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND owner_id = $2 AND mode = $3 AND deleted_at IS NULL"
    ))
    .bind(id)
    .bind(owner_id)
    .bind(mode)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(endpoint).transpose()
}

/// Soft-deletes an endpoint; its pending deliveries are dropped. Returns false if none matched.
pub async fn delete_endpoint(
    db: &Db,
    owner_id: &str,
    mode: &str,
    id: &str,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $1 WHERE id = $2 AND owner_id = $3 AND mode = $4 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(owner_id)
    .bind(mode)
    .execute(&mut *tx)
    .await?;
    let deleted = done.rows_affected() == 1;
    // Only the owner's deletion ends the endpoint's deliveries: another user naming its id
    // changes nothing (the isolation test found this ran for any id).
    if deleted {
        kill_pending(&mut tx, id, "endpoint deleted", now).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Marks every pending delivery to an endpoint `dead` with `reason` (the endpoint is going away).
pub async fn kill_pending(
    conn: &mut Conn,
    endpoint_id: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'dead', last_error = $1, updated_at = $2 \
         WHERE endpoint_id = $3 AND status = 'pending'",
    )
    .bind(reason)
    .bind(now)
    .bind(endpoint_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the signing secret; the old one stays valid (signed alongside) until `until`.
pub async fn rotate_secret(
    pool: &AnyPool,
    id: &str,
    owner_id: &str,
    new_secret: &str,
    until: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, secret = $2 \
         WHERE id = $3 AND owner_id = $4 AND deleted_at IS NULL",
    )
    .bind(until)
    .bind(new_secret)
    .bind(id)
    .bind(owner_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event to deliver to every live endpoint its owner has in its mode.
pub struct NewDelivery<'a> {
    pub event_id: String,
    pub kind: &'a str,
    pub owner_id: &'a str,
    pub mode: &'a str,
    pub body: String,
    pub created_at: i64,
}

/// Adds to `script` one delivery per live endpoint of each event's owner in its mode (one
/// statement whatever the number of events). The delivery id is the Standard Webhooks
/// `webhook-id` (as `delivery_id` makes it): stable across retries, so receivers can dedupe.
pub fn fan_out<'a>(script: &mut Script<'a>, events: Vec<NewDelivery<'a>>) {
    if events.is_empty() {
        return;
    }
    let b = script.statement();
    let rows: Vec<String> = events
        .into_iter()
        .map(|e| {
            b.row([
                Arg::Owned(e.event_id),
                Arg::Text(e.kind),
                Arg::Text(e.owner_id),
                Arg::Text(e.mode),
                Arg::Owned(e.body),
                Arg::Int(e.created_at),
            ])
        })
        .collect();
    b.sql = format!(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_kind, payload, status, attempts, \
         next_attempt_at, created_at, updated_at) \
         SELECT 'msg_' || v.column1 || '_' || ep.id, ep.id, v.column1, v.column2, v.column5, 'pending', 0, \
         CAST(v.column6 AS BIGINT), CAST(v.column6 AS BIGINT), CAST(v.column6 AS BIGINT) \
         FROM (VALUES {}) AS v JOIN webhook_endpoints ep \
         ON ep.owner_id = v.column3 AND ep.mode = v.column4 AND ep.deleted_at IS NULL",
        rows.join(",")
    );
}

/// The id (Standard Webhooks `webhook-id`) of the delivery of an event to an endpoint.
pub fn delivery_id(event_id: &str, endpoint_id: &str) -> String {
    format!("msg_{event_id}_{endpoint_id}")
}

/// Creates a delivery of `body` to one endpoint (postback routing picks endpoints itself).
pub async fn enqueue_one(
    conn: &mut Conn,
    endpoint_id: &str,
    event_id: &str,
    kind: &str,
    body: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_kind, payload, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,'pending',0,$6,$6,$6) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(delivery_id(event_id, endpoint_id))
    .bind(endpoint_id)
    .bind(event_id)
    .bind(kind)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub endpoint_id: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Claims due deliveries (and those whose worker died mid-flight) for `worker`.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: i64,
    lease_micros: i64,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'delivering', lease_until = $1, locked_by = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE (status = 'pending' AND next_attempt_at <= $3) \
                      OR (status = 'delivering' AND lease_until < $3) ORDER BY next_attempt_at LIMIT $4{}) \
         RETURNING id, endpoint_id, payload, attempts, created_at",
        db.dialect.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_micros)
        .bind(worker)
        .bind(now)
        .bind(limit)
        .fetch_all(db.writer())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get(0)?,
                endpoint_id: r.try_get(1)?,
                payload: r.try_get(2)?,
                attempts: r.try_get(3)?,
                created_at: r.try_get(4)?,
            })
        })
        .collect()
}

pub async fn endpoints_by_id(pool: &AnyPool, ids: &[&str]) -> Result<Vec<Endpoint>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id IN ({})",
        marks.join(",")
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(pool).await?.iter().map(endpoint).collect()
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivery_id: String,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_snippet: Option<String>,
    pub error: Option<String>,
    /// `succeeded`, `pending` (retry at `next_attempt_at`) or `dead`.
    pub next_status: &'static str,
    pub next_attempt_at: i64,
}

/// Records a batch of attempts in one transaction: multi-row statements, so a batch of hundreds
/// of deliveries costs a handful of round trips.
pub async fn record(db: &Db, worker: &str, outcomes: &[Outcome], now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    for chunk in outcomes.chunks(200) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 6 + 2;
                format!(
                    "(${},${},${},${},${},${},$1)",
                    b,
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, latency_ms, response_snippet, error, created_at) \
             VALUES {}",
            rows.join(",")
        );
        let mut q = sqlx::query(&sql).bind(now);
        for o in chunk {
            q = q
                .bind(&o.delivery_id)
                .bind(o.attempt)
                .bind(o.status_code)
                .bind(o.latency_ms)
                .bind(&o.response_snippet)
                .bind(&o.error);
        }
        q.execute(&mut *tx).await?;

        // VALUES columns are column1…column6 on both engines.
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 6 + 3;
                format!(
                    "(${},${},${},${},${},${})",
                    b,
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "UPDATE webhook_deliveries SET status = v.column2, attempts = CAST(v.column3 AS BIGINT), \
             next_attempt_at = CAST(v.column4 AS BIGINT), last_status = CAST(v.column5 AS BIGINT), \
             last_error = v.column6, lease_until = NULL, locked_by = NULL, updated_at = $1, \
             delivered_at = CASE WHEN v.column2 = 'succeeded' THEN $1 ELSE webhook_deliveries.delivered_at END \
             FROM (VALUES {}) AS v WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.locked_by = $2",
            rows.join(",")
        );
        let mut q = sqlx::query(&sql).bind(now).bind(worker);
        for o in chunk {
            q = q
                .bind(&o.delivery_id)
                .bind(o.next_status)
                .bind(o.attempt)
                .bind(o.next_attempt_at)
                .bind(o.status_code)
                .bind(&o.error);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The owner of the endpoint a delivery goes to.
pub async fn delivery_owner(pool: &AnyPool, id: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT e.owner_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Puts a delivery back in the queue for an immediate attempt (operator or developer redelivery).
pub async fn redeliver(pool: &AnyPool, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1 \
         WHERE id = $2 AND status <> 'delivering'",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter<'a> {
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub window: Window,
}

/// Deliveries to the endpoints of one owner, newest first, filtered; the cursor key is
/// (`created_at`, `id`).
///
/// Each endpoint's newest deliveries come from `webhook_deliveries_endpoint_created` separately,
/// at most offset + limit of them, and only those are merged: a join on the owner would make
/// PostgreSQL sort every delivery of every endpoint before the first page. A filter is spelled
/// into the SQL only when given, so the plan is the same whatever the other filters are.
pub async fn list_deliveries(
    pool: &AnyPool,
    owner_id: &str,
    f: DeliveryFilter<'_>,
) -> Result<Vec<DeliveryRow>> {
    let endpoints: Vec<String> =
        sqlx::query("SELECT id FROM webhook_endpoints WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    if endpoints.is_empty() {
        return Ok(vec![]);
    }
    const COLUMNS: &str = "id, endpoint_id, event_id, event_kind, status, attempts, last_status, last_error, \
         created_at, delivered_at";
    let (status, kind) = (
        f.status.filter(|s| !s.is_empty()),
        f.kind.filter(|s| !s.is_empty()),
    );
    // $1 from, $2 to, $3 per-endpoint limit, $4 limit, $5 offset, then the filters, then one
    // per endpoint.
    let mut filters = String::new();
    let mut n = 5;
    for (value, column) in [(status, "status"), (kind, "event_kind")] {
        if value.is_some() {
            n += 1;
            filters += &format!(" AND {column} = ${n}");
        }
    }
    if f.window.after.is_some() {
        filters += &format!(
            " AND (created_at < ${a} OR (created_at = ${a} AND id < ${}))",
            n + 2,
            a = n + 1
        );
        n += 2;
    }
    let sides: Vec<String> = (0..endpoints.len())
        .map(|i| {
            format!(
                "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ${} \
                 AND created_at >= $1 AND created_at <= $2{filters} \
                 ORDER BY created_at DESC, id DESC LIMIT $3) AS e{i}",
                n + 1 + i
            )
        })
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM ({}) AS d ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
        sides.join(" UNION ALL ")
    );
    let to = f.to.unwrap_or(i64::MAX);
    // With a cursor, `created_at <= at` also bounds the index seek.
    let to = f.window.after.as_ref().map_or(to, |k| to.min(k.at));
    let mut q = sqlx::query(&sql)
        .bind(f.from.unwrap_or(i64::MIN))
        .bind(to)
        .bind(f.window.limit.saturating_add(f.window.offset))
        .bind(f.window.limit)
        .bind(f.window.offset);
    for v in [status, kind].into_iter().flatten() {
        q = q.bind(v);
    }
    if let Some(k) = &f.window.after {
        q = q.bind(k.at).bind(k.id.as_str());
    }
    for e in &endpoints {
        q = q.bind(e.as_str());
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: r.try_get(0)?,
                endpoint_id: r.try_get(1)?,
                event_id: r.try_get(2)?,
                event_kind: r.try_get(3)?,
                status: r.try_get(4)?,
                attempts: r.try_get(5)?,
                last_status: r.try_get(6)?,
                last_error: r.try_get(7)?,
                created_at: r.try_get(8)?,
                delivered_at: r.try_get(9)?,
            })
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct DeadDelivery {
    pub id: String,
    /// The user (account webhooks) or business (postbacks) the endpoint belongs to.
    pub owner_id: String,
    pub url: String,
    pub event_kind: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// Deliveries of every owner that used up their attempts, most recent first.
pub async fn dead_deliveries(pool: &AnyPool, limit: i64) -> Result<Vec<DeadDelivery>> {
    let rows = sqlx::query(
        "SELECT d.id, e.owner_id, e.url, d.event_kind, d.attempts, d.last_status, d.last_error, d.updated_at \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'dead' ORDER BY d.updated_at DESC, d.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeadDelivery {
                id: r.try_get(0)?,
                owner_id: r.try_get(1)?,
                url: r.try_get(2)?,
                event_kind: r.try_get(3)?,
                attempts: r.try_get(4)?,
                last_status: r.try_get(5)?,
                last_error: r.try_get(6)?,
                updated_at: r.try_get(7)?,
            })
        })
        .collect()
}
