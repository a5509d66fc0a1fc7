//! PostgreSQL's form of a batch of new withdrawals: ledger holds, withdrawal rows, their first
//! events and webhook deliveries written by ONE statement of data-modifying CTEs — one round
//! trip, atomic without BEGIN/COMMIT — but only if every hold fits the balances it draws on.
//! If one does not (or an account is missing), nothing is written and the caller takes the
//! general path (`ledger::post_batch` and friends in a transaction), which decides each
//! withdrawal on its own. SQLite has no data-modifying CTEs and no network round trips to save,
//! so it always takes the general path.
//!
//! Each table's rows travel as one JSON array parameter, so the statement text is the same for
//! every batch size: PostgreSQL prepares and plans it once instead of planning a statement of
//! hundreds of placeholders on every batch.
use crate::events::{NewEvent, envelope};
use crate::ledger::NewTxn;
use crate::sql::Arg;
use crate::withdrawals::{COLUMNS, Withdrawal};
use crate::{Conn, Result};
use serde_json::{Map, Value, json};
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// `locked` takes the balance rows in id order (the lock order of every ledger write), `chk`
/// decides once, and every write after it is conditional on it. Sibling CTEs run in one
/// statement, so the foreign keys between them are checked when it ends. Delivery ids are made
/// as `webhooks::delivery_id` makes them.
const STATEMENT: &str = "\
WITH d AS (SELECT * FROM json_to_recordset(CAST($1 AS JSON)) AS x(id TEXT, delta BIGINT)), \
locked AS (SELECT id, kind, balance FROM ledger_accounts WHERE id IN (SELECT id FROM d) ORDER BY id FOR UPDATE), \
chk AS (SELECT COUNT(*) = (SELECT COUNT(*) FROM d) \
               AND COALESCE(BOOL_AND(l.kind = 'platform' OR l.balance + d.delta >= 0), false) AS ok \
        FROM locked l JOIN d ON d.id = l.id), \
u AS (UPDATE ledger_accounts a SET balance = a.balance + d.delta FROM d \
      WHERE a.id = d.id AND (SELECT ok FROM chk) RETURNING 1), \
t AS (INSERT INTO ledger_transactions (id, kind, mode, reference, created_at) \
      SELECT id, kind, mode, reference, created_at \
      FROM json_populate_recordset(NULL::ledger_transactions, CAST($2 AS JSON)) WHERE (SELECT ok FROM chk) RETURNING 1), \
p AS (INSERT INTO ledger_postings (txn_id, account_id, currency, amount, created_at) \
      SELECT txn_id, account_id, currency, amount, created_at \
      FROM json_populate_recordset(NULL::ledger_postings, CAST($3 AS JSON)) WHERE (SELECT ok FROM chk) RETURNING 1), \
w AS (INSERT INTO withdrawals ({COLUMNS}) SELECT {COLUMNS} \
      FROM json_populate_recordset(NULL::withdrawals, CAST($4 AS JSON)) WHERE (SELECT ok FROM chk) RETURNING 1), \
e AS (INSERT INTO events (id, kind, owner_id, mode, subject_id, payload, created_at, sequence) \
      SELECT id, kind, owner_id, mode, subject_id, payload, created_at, sequence \
      FROM json_populate_recordset(NULL::events, CAST($5 AS JSON)) WHERE (SELECT ok FROM chk) RETURNING 1), \
h AS (INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_kind, payload, status, attempts, \
                                      next_attempt_at, created_at, updated_at) \
      SELECT 'msg_' || v.id || '_' || ep.id, ep.id, v.id, v.kind, v.body, 'pending', 0, \
             v.created_at, v.created_at, v.created_at \
      FROM json_to_recordset(CAST($6 AS JSON)) AS v(id TEXT, kind TEXT, owner_id TEXT, mode TEXT, body TEXT, created_at BIGINT) \
      JOIN webhook_endpoints ep ON ep.owner_id = v.owner_id AND ep.mode = v.mode AND ep.deleted_at IS NULL \
      WHERE (SELECT ok FROM chk) RETURNING 1) \
SELECT ok FROM chk";

static SQL: LazyLock<String> = LazyLock::new(|| STATEMENT.replace("{COLUMNS}", COLUMNS));

/// Writes everything and returns true, or writes nothing and returns false when a hold does not
/// fit. `holds[i]` (with its reserved id) is the hold of `withdrawals[i]`, whose event is
/// `events[i]`; every event's subject is new, so its sequence is 1.
pub async fn write_if_funded(
    conn: &mut Conn,
    holds: &[(i64, NewTxn<'_>)],
    withdrawals: &[Withdrawal],
    events: &[(NewEvent<'_>, i64)],
) -> Result<bool> {
    // Net change per ledger account over the batch.
    let mut net: BTreeMap<&str, i64> = BTreeMap::new();
    for (_, t) in holds {
        for p in &t.postings {
            *net.entry(p.account.as_str()).or_default() += p.amount;
        }
    }
    let deltas: Vec<Value> = net
        .iter()
        .map(|(id, delta)| json!({"id": id, "delta": delta}))
        .collect();
    let txns: Vec<Value> = holds
        .iter()
        .map(|(id, t)| {
            json!({"id": id, "kind": t.kind, "mode": t.mode, "reference": t.reference,
                   "created_at": t.created_at})
        })
        .collect();
    let postings: Vec<Value> = holds
        .iter()
        .flat_map(|(id, t)| {
            t.postings.iter().map(move |p| {
                json!({"txn_id": id, "account_id": p.account, "currency": p.currency,
                       "amount": p.amount, "created_at": t.created_at})
            })
        })
        .collect();
    let rows: Vec<Value> = withdrawals
        .iter()
        .map(|w| {
            let row: Map<String, Value> = COLUMNS
                .split(", ")
                .zip(crate::withdrawals::args(w))
                .map(|(c, a)| (c.to_string(), value(a)))
                .collect();
            Value::Object(row)
        })
        .collect();
    let mut event_rows = vec![];
    let mut deliveries = vec![];
    for (e, now) in events {
        let id = payplane_core::ids::new_id();
        deliveries.push(
            json!({"id": id, "kind": e.kind, "owner_id": e.owner_id, "mode": e.mode,
                               "body": envelope(e, &id, 1, *now), "created_at": now}),
        );
        event_rows.push(
            json!({"id": id, "kind": e.kind, "owner_id": e.owner_id, "mode": e.mode,
                               "subject_id": e.subject_id, "payload": e.payload.to_string(),
                               "created_at": now, "sequence": 1}),
        );
    }
    let row = sqlx::query(&SQL)
        .bind(Value::from(deltas).to_string())
        .bind(Value::from(txns).to_string())
        .bind(Value::from(postings).to_string())
        .bind(Value::from(rows).to_string())
        .bind(Value::from(event_rows).to_string())
        .bind(Value::from(deliveries).to_string())
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

fn value(a: Arg<'_>) -> Value {
    match a {
        Arg::Text(s) => s.into(),
        Arg::Owned(s) => s.into(),
        Arg::Int(i) => i.into(),
        Arg::MaybeText(s) => s.into(),
        Arg::MaybeInt(i) => i.into(),
    }
}
