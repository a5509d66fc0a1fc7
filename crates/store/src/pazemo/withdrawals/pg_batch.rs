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
use crate::engine::sql::Arg;
use crate::events::{NewEvent, envelope};
use crate::ledger::NewTxn;
use crate::pazemo::withdrawals::{COLUMNS, Withdrawal};
use crate::{Conn, Result};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// `ids` draws the batch's ledger transaction ids from the sequence, in the same round trip, as
/// one array; each row takes its id by ordinal (`ord`, 1-based, the withdrawal's place in the
/// batch), an array lookup rather than a join. The balance rows are found by `id = ANY(array)`,
/// not by joining `d`: the planner takes a set-returning function for 100 rows, so a join chose a
/// sequential scan of `ledger_accounts`, whose hot rows leave many dead versions behind (a
/// batch's statement took 6–7.6 ms with it and 2.5–3.5 ms without, under load; BENCH.md,
/// issue 20), and which would read every account of a large book. No parameter sets a row count the planner could see, so PostgreSQL settles on one
/// generic plan instead of planning each batch (which cost 0.5 ms). `locked` takes the balance rows in id order (the lock order of every ledger write),
/// `chk` decides once, and every write after it is conditional on it. Sibling CTEs run in one
/// statement, so the foreign keys between them are checked when it ends. Delivery ids are made
/// as `webhooks::delivery_id` makes them.
const STATEMENT: &str = "\
WITH ids AS MATERIALIZED (SELECT array_agg(nextval('ledger_transactions_id_seq')) AS a \
      FROM json_array_elements(CAST($2 AS JSON))), \
d AS (SELECT * FROM json_to_recordset(CAST($1 AS JSON)) AS x(id TEXT, delta BIGINT)), \
locked AS (SELECT id, kind, balance FROM ledger_accounts WHERE id = ANY ((SELECT array_agg(id) FROM d)::TEXT[]) \
      ORDER BY id FOR UPDATE), \
chk AS (SELECT COUNT(*) = (SELECT COUNT(*) FROM d) \
               AND COALESCE(BOOL_AND(l.kind = 'platform' OR l.balance + d.delta >= 0), false) AS ok \
        FROM locked l JOIN d ON d.id = l.id), \
u AS (UPDATE ledger_accounts a SET balance = a.balance + d.delta FROM d \
      WHERE a.id = ANY ((SELECT array_agg(id) FROM d)::TEXT[]) AND a.id = d.id AND (SELECT ok FROM chk) RETURNING 1), \
t AS (INSERT INTO ledger_transactions (id, kind, mode, reference, created_at) \
      SELECT (SELECT a FROM ids)[x.ord], x.kind, x.mode, x.reference, x.created_at \
      FROM json_to_recordset(CAST($2 AS JSON)) AS x(ord BIGINT, kind TEXT, mode TEXT, reference TEXT, created_at BIGINT) \
      WHERE (SELECT ok FROM chk) RETURNING 1), \
p AS (INSERT INTO ledger_postings (txn_id, account_id, currency, amount, created_at) \
      SELECT (SELECT a FROM ids)[x.ord], x.account_id, x.currency, x.amount, x.created_at \
      FROM json_to_recordset(CAST($3 AS JSON)) AS x(ord BIGINT, account_id TEXT, currency TEXT, amount BIGINT, created_at BIGINT) \
      WHERE (SELECT ok FROM chk) RETURNING 1), \
w AS (INSERT INTO withdrawals ({COLUMNS}) SELECT {ROW} \
      FROM json_populate_recordset(NULL::withdrawals, CAST($4 AS JSON)) WITH ORDINALITY AS x \
      WHERE (SELECT ok FROM chk) RETURNING 1), \
v AS (SELECT * FROM json_to_recordset(CAST($5 AS JSON)) AS x(ord BIGINT, id TEXT, kind TEXT, owner_id TEXT, \
      mode TEXT, subject_id TEXT, head TEXT, tail TEXT, body_head TEXT, body_tail TEXT, created_at BIGINT)), \
e AS (INSERT INTO events (id, kind, owner_id, mode, subject_id, payload, created_at, sequence) \
      SELECT v.id, v.kind, v.owner_id, v.mode, v.subject_id, v.head || (SELECT a FROM ids)[v.ord] || v.tail, \
             v.created_at, 1 \
      FROM v WHERE (SELECT ok FROM chk) RETURNING 1), \
h AS (INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_kind, payload, status, attempts, \
                                      next_attempt_at, created_at, updated_at) \
      SELECT 'msg_' || v.id || '_' || ep.id, ep.id, v.id, v.kind, \
             v.body_head || (SELECT a FROM ids)[v.ord] || v.body_tail, \
             'pending', 0, v.created_at, v.created_at, v.created_at \
      FROM v JOIN webhook_endpoints ep ON ep.owner_id = v.owner_id AND ep.mode = v.mode AND ep.deleted_at IS NULL \
      WHERE (SELECT ok FROM chk) RETURNING 1) \
SELECT ok, array_to_string((SELECT a FROM ids), ',') FROM chk";

/// The withdrawal row with its transaction id taken from `ids`.
static SQL: LazyLock<String> = LazyLock::new(|| {
    let row: Vec<String> = COLUMNS
        .split(", ")
        .map(|c| match c {
            "transaction_id" => "(SELECT a FROM ids)[x.ordinality]".to_string(),
            c => format!("x.{c}"),
        })
        .collect();
    STATEMENT
        .replace("{COLUMNS}", COLUMNS)
        .replace("{ROW}", &row.join(", "))
});

/// The transaction id the withdrawals and event payloads of a batch carry until the statement
/// draws the real ones: a value no ledger id takes, spliced out of each payload (see `split`).
pub const PENDING_TXN_ID: i64 = -7_361_029_458_613_872_149;

/// One withdrawal's part of the batch statement, serialized by its own request before it joins
/// a batch: the dispatcher, which writes one batch at a time, then only joins strings. `txn`,
/// each of `posting_rows` and `event` are a JSON object's members after its opening brace, to
/// which `numbered` prepends `{"ord":N,` (the withdrawal's place in the batch); `row` is a whole
/// object, since the withdrawal row takes its ordinal from `WITH ORDINALITY`.
pub struct Rows {
    /// The hold's postings (ledger account, amount): summed per account over the batch.
    postings: Vec<(String, i64)>,
    txn: String,
    posting_rows: Vec<String>,
    event: String,
    row: String,
}

/// The rows of one withdrawal, its hold and its `withdrawal.pending` event, all carrying
/// `PENDING_TXN_ID` as their transaction id (every event's subject is new, so its sequence is 1).
/// `None` if the payload is not as expected (the withdrawal then takes the general path).
///
/// Each row is serialized straight from borrowed fields (no `serde_json::Value` tree is built
/// and copied): this runs once per request, and building the trees was a sixth of the server's
/// CPU per creation (profile in BENCH.md, issue 20).
pub fn rows(hold: &NewTxn<'_>, w: &Withdrawal, event: &NewEvent<'_>, now: i64) -> Option<Rows> {
    #[derive(Serialize)]
    struct Txn<'a> {
        kind: &'a str,
        mode: &'a str,
        reference: &'a str,
        created_at: i64,
    }
    #[derive(Serialize)]
    struct PostingRow<'a> {
        account_id: &'a str,
        currency: &'a str,
        amount: i64,
        created_at: i64,
    }
    #[derive(Serialize)]
    struct EventRow<'a> {
        id: &'a str,
        kind: &'a str,
        owner_id: &'a str,
        mode: &'a str,
        subject_id: &'a str,
        head: &'a str,
        tail: &'a str,
        body_head: &'a str,
        body_tail: &'a str,
        created_at: i64,
    }
    let txn = members(&Txn {
        kind: hold.kind,
        mode: hold.mode,
        reference: hold.reference,
        created_at: hold.created_at,
    })?;
    let posting_rows = hold
        .postings
        .iter()
        .map(|p| {
            members(&PostingRow {
                account_id: &p.account,
                currency: &p.currency,
                amount: p.amount,
                created_at: hold.created_at,
            })
        })
        .collect::<Option<Vec<String>>>()?;
    let id = payplane_core::ids::new_id();
    let payload = event.payload.to_string();
    let body = envelope(event, &id, 1, now);
    let ((head, tail), (body_head, body_tail)) = (split(&payload)?, split(&body)?);
    let event = members(&EventRow {
        id: &id,
        kind: event.kind,
        owner_id: event.owner_id,
        mode: event.mode,
        subject_id: event.subject_id,
        head,
        tail,
        body_head,
        body_tail,
        created_at: now,
    })?;
    Some(Rows {
        postings: hold
            .postings
            .iter()
            .map(|p| (p.account.clone(), p.amount))
            .collect(),
        txn,
        posting_rows,
        event,
        row: object(COLUMNS, crate::pazemo::withdrawals::args(w))?,
    })
}

/// A JSON object's members after its opening brace (see `Rows`).
fn members(row: &impl Serialize) -> Option<String> {
    serde_json::to_string(row)
        .ok()?
        .strip_prefix('{')
        .map(str::to_string)
}

/// The JSON object `{"column": value, …}` of a row's columns (as `COLUMNS` lists them) and
/// their bind values.
fn object<'a>(columns: &str, args: impl IntoIterator<Item = Arg<'a>>) -> Option<String> {
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (i, (column, arg)) in columns.split(", ").zip(args).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, column).ok()?;
        out.push(b':');
        match arg {
            Arg::Text(s) | Arg::MaybeText(Some(s)) => serde_json::to_writer(&mut out, s),
            Arg::Owned(s) => serde_json::to_writer(&mut out, &s),
            Arg::Int(n) | Arg::MaybeInt(Some(n)) => serde_json::to_writer(&mut out, &n),
            Arg::MaybeText(None) | Arg::MaybeInt(None) => serde_json::to_writer(&mut out, &()),
        }
        .ok()?;
    }
    out.push(b'}');
    String::from_utf8(out).ok()
}

/// Writes every withdrawal of the batch with its hold and event, and returns the ledger
/// transaction ids drawn for the holds, in order; or writes nothing and returns `None` when a
/// hold does not fit.
pub async fn write_if_funded(conn: &mut Conn, batch: &[&Rows]) -> Result<Option<Vec<i64>>> {
    // Net change per ledger account over the batch. A sum past i64 goes to the checked path,
    // which refuses only the transaction that overflows.
    let mut net: BTreeMap<&str, i64> = BTreeMap::new();
    for r in batch {
        for (account, amount) in &r.postings {
            let sum = net.entry(account.as_str()).or_default();
            let Some(s) = sum.checked_add(*amount) else {
                return Ok(None);
            };
            *sum = s;
        }
    }
    #[derive(Serialize)]
    struct Delta<'a> {
        id: &'a str,
        delta: i64,
    }
    let deltas: Vec<Delta> = net
        .iter()
        .map(|(&id, &delta)| Delta { id, delta })
        .collect();
    let ords = || (1..).zip(batch.iter());
    let txns = numbered(ords().map(|(o, r)| (o, r.txn.as_str())));
    let postings =
        numbered(ords().flat_map(|(o, r)| r.posting_rows.iter().map(move |p| (o, p.as_str()))));
    let events = numbered(ords().map(|(o, r)| (o, r.event.as_str())));
    let rows: Vec<&str> = batch.iter().map(|r| r.row.as_str()).collect();
    let rows = format!("[{}]", rows.join(","));
    let row = sqlx::query(&SQL)
        .bind(
            serde_json::to_string(&deltas)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        )
        .bind(txns)
        .bind(postings)
        .bind(rows)
        .bind(events)
        .fetch_one(conn)
        .await?;
    if !row.try_get::<bool, _>(0)? {
        return Ok(None);
    }
    let ids: String = row.try_get(1)?;
    let ids = ids
        .split(',')
        .map(|id| id.parse())
        .collect::<std::result::Result<Vec<i64>, _>>()
        .map_err(|e| crate::StoreError::Corrupt(format!("batch ids {ids:?}: {e}")))?;
    Ok(Some(ids))
}

/// A JSON array of objects, each given as its members after the opening brace, with `ord` added.
fn numbered<'a>(members: impl Iterator<Item = (usize, &'a str)>) -> String {
    let mut out = String::from("[");
    for (ord, m) in members {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&format!("{{\"ord\":{ord},"));
        out.push_str(m);
    }
    out.push(']');
    out
}

/// `text` cut around its one `"transactionId":PENDING_TXN_ID`, so the database can put the real
/// id between the halves. Inside a JSON string a quote is always escaped, so the key can only be
/// a real key; the placeholder's value keeps a nested user object with the same key apart.
/// `None` unless it occurs exactly once.
fn split(text: &str) -> Option<(&str, &str)> {
    const KEY: &str = "\"transactionId\":";
    static NEEDLE: LazyLock<String> = LazyLock::new(|| format!("{KEY}{PENDING_TXN_ID}"));
    let at = text.find(NEEDLE.as_str())?;
    let (head, tail) = (&text[..at + KEY.len()], &text[at + NEEDLE.len()..]);
    (!tail.contains(NEEDLE.as_str())).then_some((head, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn numbered_adds_each_members_ordinal() {
        let a = json!({"kind": "hold", "amount": 5}).to_string();
        let b = json!({"kind": "hold", "amount": 7}).to_string();
        let text = numbered([(1, &a[1..]), (2, &b[1..])].into_iter());
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!([{"ord": 1, "kind": "hold", "amount": 5}, {"ord": 2, "kind": "hold", "amount": 7}])
        );
        assert_eq!(numbered(std::iter::empty()), "[]");
    }

    #[test]
    fn split_cuts_around_the_one_pending_id() {
        let text = json!({"id": "w1", "transactionId": PENDING_TXN_ID, "notes": "x"}).to_string();
        let (head, tail) = split(&text).unwrap();
        let spliced = format!("{head}42{tail}");
        assert_eq!(
            serde_json::from_str::<Value>(&spliced).unwrap(),
            json!({"id": "w1", "transactionId": 42, "notes": "x"})
        );
    }

    #[test]
    fn split_leaves_user_text_alone() {
        // A user's string can hold the key only escaped; a user's object can hold it with
        // another value. Either way only the real key is cut.
        let text = json!({
            "notes": format!("\"transactionId\":{PENDING_TXN_ID}"),
            "referenceData": {"transactionId": 7},
            "transactionId": PENDING_TXN_ID,
        })
        .to_string();
        let (head, tail) = split(&text).unwrap();
        let spliced: Value = serde_json::from_str(&format!("{head}42{tail}")).unwrap();
        assert_eq!(spliced["transactionId"], 42);
        assert_eq!(spliced["referenceData"]["transactionId"], 7);
        assert_eq!(
            spliced["notes"],
            format!("\"transactionId\":{PENDING_TXN_ID}")
        );
    }

    #[test]
    fn split_refuses_text_without_exactly_one_pending_id() {
        assert_eq!(split(r#"{"transactionId":5}"#), None);
        let twice = format!(
            r#"{{"transactionId":{PENDING_TXN_ID},"x":{{"transactionId":{PENDING_TXN_ID}}}}}"#
        );
        assert_eq!(split(&twice), None);
    }
}
