//! Group commit of new withdrawals, the store's half: one batch of withdrawals written in one
//! transaction of a fixed number of statements (ledger holds, withdrawal rows, `withdrawal.pending`
//! events and their webhook deliveries). Each withdrawal is checked against the balance the ones
//! before it leave, so a batch cannot overdraw; one that does not fit fails alone with
//! `InsufficientFunds`. Which way a batch is written depends on the engine, and is decided here:
//! - PostgreSQL: one statement (`pg_batch`) when the whole batch is funded;
//! - SQLite: one script with no balance read while the books the last batch left are known
//!   (`Writer::known`);
//! - otherwise, on both: read the balances, then one script (`write_each_checked`), which is
//!   also the way of a batch with a request's `Idempotency-Key` to mark.
//!
//! The app crate's `group_commit` gathers the batches; it never sees the engine.
use super::pg_batch;
use super::{Withdrawal, event_of, hold_txn, insert_many};
use crate::engine::sql::Script;
use crate::idempotency::{self, Claim};
use crate::ledger::{self, Books};
use crate::{Db, Dialect, KeptConn, StoreError, WriteTx, WriterConn, events};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The withdrawal as its API shows it: the payload of its `withdrawal.pending` event.
pub type View = fn(&Withdrawal) -> serde_json::Value;

/// Writes batches of new withdrawals on one kept write connection. Cheap to clone.
#[derive(Clone)]
pub struct BatchWriter {
    db: Db,
    view: View,
    writer: Arc<Writer>,
}

/// A withdrawal waiting for its batch, with (on PostgreSQL) its rows of the batch statement.
pub struct Pending {
    withdrawal: Withdrawal,
    rows: Option<pg_batch::Rows>,
    /// The `Idempotency-Key` of the request, whose effect the batch marks.
    claim: Option<Claim>,
}

impl BatchWriter {
    pub fn new(db: Db, view: View) -> Self {
        let writer = Arc::new(Writer {
            conn: KeptConn::writer(),
            books: Mutex::new(None),
        });
        BatchWriter { db, view, writer }
    }

    /// Prepares a withdrawal for its batch. Called in the request's own task, so that the
    /// dispatcher's serial work per batch is only the statement.
    pub fn pending(&self, withdrawal: Withdrawal) -> Pending {
        let rows = match self.db.dialect {
            Dialect::Postgres => pg_rows(&withdrawal, self.view),
            Dialect::Sqlite => None,
        };
        Pending {
            withdrawal,
            rows,
            claim: idempotency::current(),
        }
    }

    /// Writes a batch; each slot is the hold's ledger transaction id or `InsufficientFunds`.
    pub async fn write(
        &self,
        batch: &[&Pending],
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        write(&self.db, &self.writer, self.view, batch).await
    }

    /// Gives the kept write connection back to the pool (when no batch is waiting).
    pub fn release(&self) {
        self.writer.conn.release()
    }
}

/// The dispatcher's write connection and, on SQLite, the books as its last batch left them.
struct Writer {
    conn: KeptConn,
    books: Mutex<Option<KnownBooks>>,
}

/// SQLite: the ledger accounts the batches wrote, as they left them, and how to tell whether
/// anyone else wrote since. Another connection committing moves `data_version`, which the fast
/// path's statements check (`Books::prepare_if_funded`); another writer of this process must
/// have been handed SQLite's one write connection, which moves `Db::handouts`.
struct KnownBooks {
    books: Books,
    /// `Db::handouts` after the batch that left them, while the dispatcher still held the
    /// connection (so nobody else could have been handed one meanwhile).
    handouts: u64,
    /// When the connection they were written on was acquired (`KeptConn`).
    since: Instant,
}

impl Writer {
    /// The books, if nobody but this dispatcher was handed the write connection since: the
    /// same connection kept since, or taken again by this dispatcher alone.
    fn known(&self, db: &Db, since: Instant) -> Option<Books> {
        let known = self.books.lock().ok()?.take()?;
        let acquired = u64::from(known.since != since);
        (db.handouts() == known.handouts + acquired).then_some(known.books)
    }

    fn remember(&self, db: &Db, books: Books, since: Instant) {
        if let Ok(mut b) = self.books.lock() {
            *b = Some(KnownBooks {
                books,
                handouts: db.handouts(),
                since,
            });
        }
    }
}

/// Writes a batch; each slot is the hold's ledger transaction id or `InsufficientFunds`.
/// On the kept write connection, which is kept again only if all went well.
async fn write(
    db: &Db,
    writer: &Writer,
    view: View,
    batch: &[&Pending],
) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
    let (mut conn, since) = writer.conn.take(db).await?;
    // Marking a key's effect takes a statement of its own, which only the checked path writes.
    let claims: Vec<Option<&Claim>> = batch.iter().map(|p| p.claim.as_ref()).collect();
    let marks = claims.iter().any(Option::is_some);
    let known = match db.dialect {
        _ if marks => None,
        Dialect::Postgres => {
            let rows: Option<Vec<&pg_batch::Rows>> =
                batch.iter().map(|p| p.rows.as_ref()).collect();
            if let Some(rows) = rows
                && let Some(ids) = pg_batch::write_if_funded(&mut conn, &rows).await?
            {
                writer.conn.keep(conn, since);
                return Ok(ids.into_iter().map(Ok).collect());
            }
            None
        }
        Dialect::Sqlite => writer.known(db, since),
    };
    let ws: Vec<&Withdrawal> = batch.iter().map(|p| &p.withdrawal).collect();
    let ws = ws.as_slice();
    if let Some(mut books) = known.clone() {
        let (c, ids) = write_if_known_funded(conn, view, &mut books, ws).await?;
        conn = c;
        if let Some(ids) = ids {
            writer.remember(db, books, since);
            writer.conn.keep(conn, since);
            return Ok(ids.into_iter().map(Ok).collect());
        }
    }
    let (conn, books, outcome) = write_each_checked(conn, view, ws, &claims).await?;
    if db.dialect == Dialect::Sqlite {
        let books = match known {
            Some(known) => known.merged(books),
            None => books,
        };
        writer.remember(db, books, since);
    }
    writer.conn.keep(conn, since);
    Ok(outcome)
}

/// PostgreSQL: the withdrawal's rows of the one-statement batch (see `pg_batch`), which writes
/// a batch when all of it is funded and draws the holds' ledger transaction ids.
fn pg_rows(w: &Withdrawal, view: View) -> Option<pg_batch::Rows> {
    let w = stamped(w, pg_batch::PENDING_TXN_ID);
    let payload = view(&w);
    let event = event_of(&w, "withdrawal.pending", &payload);
    pg_batch::rows(&hold_txn(&w), &w, &event, w.created_at)
}

/// SQLite, on books nothing else wrote since (`Writer::known`), when every withdrawal of the
/// batch is funded by them: one script, one hand-off to the writer's thread, with no balance
/// read — `BEGIN IMMEDIATE`, the writes (each conditional on no other connection having
/// committed since the books were read), a check of that condition, `COMMIT`. `None` if a
/// withdrawal does not fit or an account is not in the books (nothing written), or if another
/// connection did commit (nothing written either; the books are then out of date).
async fn write_if_known_funded(
    conn: WriterConn,
    view: View,
    books: &mut Books,
    ws: &[&Withdrawal],
) -> Result<(WriterConn, Option<Vec<i64>>), StoreError> {
    let holds: Vec<ledger::NewTxn> = ws.iter().map(|w| hold_txn(w)).collect();
    let mut script = Script::new(Dialect::Sqlite);
    let Some(ids) = books.prepare_if_funded(&holds, &mut script)? else {
        return Ok((conn, None));
    };
    let created: Vec<Withdrawal> = ws.iter().zip(&ids).map(|(w, id)| stamped(w, *id)).collect();
    let payloads: Vec<serde_json::Value> = created.iter().map(view).collect();
    let events = pending_events(&created, &payloads);
    insert_many(&mut script, &created);
    events::append_first(&mut script, &events);
    script.check_guard();
    let (conn, written) = WriteTx::on(conn).await?.commit(script).await?;
    Ok((conn, written.then_some(ids)))
}

/// One transaction: the holds, each checked against the balances the ones before it leave, then
/// the rows and `withdrawal.pending` events of the withdrawals whose hold was written, and the
/// marks of their requests' keys (`claims`, one per withdrawal) — read once, then written as one
/// script. Also returns the books as the batch left them.
async fn write_each_checked(
    conn: WriterConn,
    view: View,
    ws: &[&Withdrawal],
    claims: &[Option<&Claim>],
) -> Result<(WriterConn, Books, Vec<Result<i64, StoreError>>), StoreError> {
    let mut tx = WriteTx::on(conn).await?;
    let holds: Vec<ledger::NewTxn> = ws.iter().map(|w| hold_txn(w)).collect();
    let mut script = Script::new(Dialect::of(tx.conn()));
    let begin = tx.begin();
    let mut books = Books::read(tx.conn(), begin, &holds).await?;
    let outcome = books.prepare(tx.conn(), &holds, &mut script).await?;
    let created: Vec<Withdrawal> = ws
        .iter()
        .zip(&outcome)
        .filter_map(|(w, o)| o.as_ref().ok().map(|&txn| stamped(w, txn)))
        .collect();
    let payloads: Vec<serde_json::Value> = created.iter().map(view).collect();
    let events = pending_events(&created, &payloads);
    insert_many(&mut script, &created);
    events::append_first(&mut script, &events);
    for (claim, o) in claims.iter().zip(&outcome) {
        if let (Some(claim), Ok(_)) = (claim, o) {
            idempotency::mark_effect_in(&mut script, claim);
        }
    }
    let (conn, _) = tx.commit(script).await?;
    Ok((conn, books, outcome))
}

/// The withdrawal as written: with its hold's ledger transaction id.
fn stamped(w: &Withdrawal, transaction_id: i64) -> Withdrawal {
    Withdrawal {
        transaction_id,
        ..w.clone()
    }
}

/// The `withdrawal.pending` event of each new withdrawal, with its view as payload.
fn pending_events<'a>(
    created: &'a [Withdrawal],
    payloads: &'a [serde_json::Value],
) -> Vec<(events::NewEvent<'a>, i64)> {
    created
        .iter()
        .zip(payloads)
        .map(|(w, payload)| (event_of(w, "withdrawal.pending", payload), w.created_at))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The books are trusted only while nobody but the dispatcher was handed the write connection.
    #[tokio::test]
    async fn books_are_forgotten_once_another_writer_of_the_process_took_the_write_path() {
        let path = std::env::temp_dir().join(format!(
            "payplane-books-{}.db",
            payplane_core::ids::new_id()
        ));
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 4)
            .await
            .unwrap();
        let w = Writer {
            conn: KeptConn::writer(),
            books: Mutex::new(None),
        };
        // A batch on a new connection, then one on the same connection kept.
        let (conn, since) = w.conn.take(&db).await.unwrap();
        w.remember(&db, Books::default(), since);
        w.conn.keep(conn, since);
        let (conn, kept) = w.conn.take(&db).await.unwrap();
        assert_eq!(kept, since);
        assert!(w.known(&db, kept).is_some(), "kept, nobody else wrote");
        w.remember(&db, Books::default(), kept);
        w.conn.keep(conn, kept);
        // Given back when idle and taken again, with nobody else writing in between.
        w.conn.release();
        let (conn, fresh) = w.conn.take(&db).await.unwrap();
        assert!(
            w.known(&db, fresh).is_some(),
            "only the dispatcher acquired it"
        );
        w.remember(&db, Books::default(), fresh);
        w.conn.keep(conn, fresh);
        w.conn.release();
        // Another writer of this process (a deposit, a confirmation) wrote in between.
        db.begin().await.unwrap().commit().await.unwrap();
        let (conn, held) = w.conn.take(&db).await.unwrap();
        assert!(w.known(&db, held).is_none(), "someone else wrote");
        // Or asked for the connection while the dispatcher held it, and wrote once it was
        // given back: counted when handed over, not when asked for.
        w.remember(&db, Books::default(), held);
        let waiting = {
            let db = db.clone();
            tokio::spawn(async move { db.begin().await.unwrap().commit().await.unwrap() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        w.remember(&db, Books::default(), held);
        w.conn.keep(conn, held);
        w.conn.release();
        waiting.await.unwrap();
        let (conn, again) = w.conn.take(&db).await.unwrap();
        assert!(
            w.known(&db, again).is_none(),
            "someone else was handed it after asking"
        );
        // And the books are gone, not kept for later.
        assert!(w.known(&db, again).is_none());
        drop(conn);
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
