use crate::dual;
use crate::pazemo::support::*;
use crate::support::*;
use payplane_app::App;
use payplane_app::pazemo::auth::Mode;
use payplane_core::ledger::{Posting, transfer};
use payplane_store::{StoreError, ledger};

async fn open(app: &App, id: &str, kind: &str) {
    let mut tx = app.db.begin().await.unwrap();
    ledger::ensure_account(&mut tx, id, "USD", "test", kind, app.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn post(app: &App, postings: &[Posting]) -> Result<i64, StoreError> {
    let mut tx = app.db.begin().await.unwrap();
    let r = ledger::post(&mut tx, "test", "test", "ref", postings, app.now()).await;
    if r.is_ok() {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
    r
}

/// A funding account and Alice with `amount` USD from it; the id of that transaction.
async fn funded_alice(b: Backend, amount: i64) -> (TestApp, i64) {
    let t = TestApp::start(b).await;
    open(&t.app, "funding", ledger::KIND_PLATFORM).await;
    open(&t.app, "alice", ledger::KIND_USER).await;
    let txn = post(&t.app, &transfer("funding", "alice", "USD", amount))
        .await
        .unwrap();
    (t, txn)
}

/// Alice → Bob `amount`, as one ledger transaction to write.
fn alice_to_bob(t: &TestApp, reference: &'static str, amount: i64) -> [ledger::NewTxn<'static>; 1] {
    [ledger::NewTxn {
        kind: "test",
        mode: "test",
        reference,
        postings: transfer("alice", "bob", "USD", amount),
        created_at: t.app.now(),
    }]
}

dual!(
    balanced_postings_move_money_and_the_books_check,
    async |b| {
        let (t, txn) = funded_alice(b, 10_000).await;
        assert!(txn > 0);
        assert_eq!(
            ledger::balance(&t.app.db.read, "alice").await.unwrap(),
            10_000
        );
        assert_eq!(
            ledger::balance(&t.app.db.read, "funding").await.unwrap(),
            -10_000
        );
        t.assert_ledger_sound().await;
    }
);

/// A funding account, Alice with 500 USD from it and Bob with nothing.
async fn alice_with_500_and_bob(b: Backend) -> TestApp {
    let (t, _) = funded_alice(b, 500).await;
    open(&t.app, "bob", ledger::KIND_USER).await;
    t
}

dual!(
    unbalanced_or_overdrawing_postings_write_nothing,
    async |b| {
        let t = alice_with_500_and_bob(b).await;
        let unbalanced = vec![
            Posting::new("funding", "USD", -5),
            Posting::new("alice", "USD", 6),
        ];
        assert!(matches!(
            post(&t.app, &unbalanced).await,
            Err(StoreError::Ledger(_))
        ));
        assert!(matches!(
            post(&t.app, &transfer("alice", "bob", "USD", 501)).await,
            Err(StoreError::InsufficientFunds)
        ));
        assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 500);
        assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 0);
        let txns: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transactions")
            .fetch_one(&t.app.db.read)
            .await
            .unwrap();
        assert_eq!(txns, 1, "refused transactions left no rows");
        t.assert_ledger_sound().await;
    }
);

dual!(concurrent_debits_never_overdraw, async |b| {
    let t = TestApp::start(b).await;
    open(&t.app, "funding", ledger::KIND_PLATFORM).await;
    open(&t.app, "alice", ledger::KIND_USER).await;
    open(&t.app, "sink", ledger::KIND_USER).await;
    post(&t.app, &transfer("funding", "alice", "USD", 1_000))
        .await
        .unwrap();
    let futs = (0..40).map(|_| {
        let app = t.app.clone();
        async move { post(&app, &transfer("alice", "sink", "USD", 100)).await }
    });
    let results = futures::future::join_all(futs).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(StoreError::InsufficientFunds)))
    );
    assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 0);
    t.assert_ledger_sound().await;
});

dual!(the_check_reports_a_tampered_balance, async |b| {
    let (t, _) = funded_alice(b, 700).await;
    sqlx::query("UPDATE ledger_accounts SET balance = 900 WHERE id = 'alice'")
        .execute(t.app.db.writer())
        .await
        .unwrap();
    let v = payplane_app::ledger::verify(&t.app).await.unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].detail.contains("alice"));
});

/// Runs `sql` with SQLite's foreign keys off for the statement: tampering that PostgreSQL (which
/// has no foreign keys on these hot tables) would let through anyway.
async fn tamper(t: &TestApp, sql: &str) {
    let mut conn = t.app.db.acquire_writer().await.unwrap();
    let sqlite = t.app.db.dialect == payplane_store::Dialect::Sqlite;
    if sqlite {
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
    if sqlite {
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

dual!(
    the_check_reports_postings_without_their_transaction,
    async |b| {
        let (t, txn) = funded_alice(b, 700).await;
        t.assert_ledger_sound().await;
        tamper(
            &t,
            &format!("DELETE FROM ledger_transactions WHERE id = {txn}"),
        )
        .await;
        let v = payplane_app::ledger::verify(&t.app).await.unwrap();
        assert_eq!(v.len(), 2, "one per orphaned posting: {v:?}");
        assert!(
            v.iter()
                .all(|v| v.check.contains("belongs to a transaction")
                    && v.detail.contains(&format!("txn {txn}"))
                    && v.detail.ends_with("has no transaction")),
            "{v:?}"
        );
    }
);

dual!(
    the_check_reports_a_withdrawal_without_its_account,
    async |b| {
        let t = TestApp::start(b).await;
        let u = t.user(Mode::Test).await;
        let acct = open_account(&t, &u, "IDR").await;
        deposit(&t, &u, &acct, "100000").await;
        let (status, w) = withdraw(&t, &u, &acct, "1000").await;
        assert_eq!(status, 200, "{w}");
        t.assert_ledger_sound().await;
        tamper(
            &t,
            &format!(
                "UPDATE withdrawals SET account_id = 'gone' WHERE id = '{}'",
                w["id"].as_str().unwrap()
            ),
        )
        .await;
        let v = payplane_app::ledger::verify(&t.app).await.unwrap();
        assert!(
            v.iter()
                .any(|v| v.check == "every withdrawal is on an existing account"
                    && v.detail.contains("account gone")),
            "{v:?}"
        );
    }
);

dual!(
    a_batch_checks_each_transaction_against_the_balances_before_it,
    async |b| {
        let t = alice_with_500_and_bob(b).await;
        let txn = |postings| ledger::NewTxn {
            kind: "test",
            mode: "test",
            reference: "batch",
            postings,
            created_at: 1,
        };
        let batch = [
            txn(transfer("alice", "bob", "USD", 300)),
            // 200 left: refused, and leaves nothing behind.
            txn(transfer("alice", "bob", "USD", 300)),
            // Bob pays 100 back, so the next 300 fits.
            txn(transfer("bob", "alice", "USD", 100)),
            txn(transfer("alice", "bob", "USD", 300)),
        ];
        let mut tx = t.app.db.begin().await.unwrap();
        let out = ledger::post_batch(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();
        assert!(matches!(out[1], Err(StoreError::InsufficientFunds)));
        let ids: Vec<i64> = [&out[0], &out[2], &out[3]]
            .iter()
            .map(|r| *r.as_ref().unwrap())
            .collect();
        assert!(
            ids[0] < ids[1] && ids[1] < ids[2],
            "ids in batch order: {ids:?}"
        );
        assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 0);
        assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 500);
        // Each written transaction has exactly its own postings.
        let amounts: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT amount FROM ledger_postings WHERE txn_id = {} ORDER BY amount",
            ids[1]
        ))
        .fetch_all(&t.app.db.read)
        .await
        .unwrap();
        assert_eq!(amounts, vec![-100, 100]);
        t.assert_ledger_sound().await;
    }
);

/// A `WriteTx` posting Alice → Bob 100, dropped or committed.
async fn transfer_in_write_tx(t: &TestApp, commit: bool) -> payplane_store::WriterConn {
    use payplane_store::{WriteTx, engine::sql::Script};
    let conn = t.app.db.acquire_writer().await.unwrap();
    let mut tx = WriteTx::on(conn).await.unwrap();
    let txns = alice_to_bob(t, "write-tx", 100);
    let mut script = Script::new(t.app.db.dialect);
    let begin = tx.begin();
    let outcome = ledger::prepare_batch(tx.conn(), begin, &txns, &mut script)
        .await
        .unwrap();
    assert!(outcome[0].is_ok());
    if commit {
        return tx.commit(script).await.unwrap().0;
    }
    script.run(tx.conn()).await.unwrap();
    drop(tx);
    t.app.db.acquire_writer().await.unwrap()
}

dual!(
    a_write_tx_dropped_before_its_commit_writes_nothing_and_frees_the_writer,
    async |b| {
        let t = alice_with_500_and_bob(b).await;
        // Dropped after its writes ran: closing its connection rolls them back, and the write
        // pool (one connection on SQLite) serves the next writer.
        drop(transfer_in_write_tx(&t, false).await);
        assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 0);
        post(&t.app, &transfer("alice", "bob", "USD", 50))
            .await
            .unwrap();
        // Committed: the money moved, and the connection it hands back is clean.
        let conn = transfer_in_write_tx(&t, true).await;
        drop(conn);
        assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 150);
        assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 350);
        t.assert_ledger_sound().await;
    }
);

dual!(
    a_kept_writer_is_given_back_so_other_writers_get_their_turn,
    async |b| {
        let t = alice_with_500_and_bob(b).await;
        let kept = payplane_store::KeptConn::writer();
        let (conn, since) = kept.take(&t.app.db).await.unwrap();
        kept.keep(conn, since);
        // Still kept: the same connection comes back (SQLite's write pool has no other).
        let (conn, again) = kept.take(&t.app.db).await.unwrap();
        assert_eq!(since, again);
        kept.keep(conn, again);
        // Another writer waits for it until it is released.
        let app = t.app.clone();
        let other =
            tokio::spawn(async move { post(&app, &transfer("alice", "bob", "USD", 10)).await });
        if t.backend == Backend::Sqlite {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert!(!other.is_finished(), "the one SQLite writer is kept");
        }
        kept.release();
        other.await.unwrap().unwrap();
        // Kept longer than its limit: given back before a new one is taken.
        let (conn, since) = kept.take(&t.app.db).await.unwrap();
        kept.keep(conn, since);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let (_conn, fresh) = kept.take(&t.app.db).await.unwrap();
        assert!(fresh > since);
        assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 10);
    }
);

/// SQLite's single writer posting Alice → Bob `amount` from books it read earlier, without
/// reading them again (`Books::prepare_if_funded`); `Some(written)` if they covered it.
async fn transfer_from_books(t: &TestApp, books: &mut ledger::Books, amount: i64) -> Option<bool> {
    use payplane_store::{WriteTx, engine::sql::Script};
    let txns = alice_to_bob(t, "from-books", amount);
    let mut script = Script::new(t.app.db.dialect);
    books.prepare_if_funded(&txns, &mut script).unwrap()?;
    script.check_guard();
    let conn = t.app.db.acquire_writer().await.unwrap();
    let (_, written) = WriteTx::on(conn)
        .await
        .unwrap()
        .commit(script)
        .await
        .unwrap();
    Some(written)
}

#[tokio::test]
async fn books_kept_by_the_sqlite_writer_write_nothing_once_another_connection_committed() {
    use payplane_store::{WriteTx, engine::sql::Script};
    let t = alice_with_500_and_bob(Backend::Sqlite).await;
    // Read (and move past one transfer of 100) in the writer's transaction.
    let txns = alice_to_bob(&t, "read", 100);
    let mut tx = WriteTx::on(t.app.db.acquire_writer().await.unwrap())
        .await
        .unwrap();
    let mut script = Script::new(t.app.db.dialect);
    let begin = tx.begin();
    let mut books = ledger::Books::read(tx.conn(), begin, &txns).await.unwrap();
    assert!(books.prepare(tx.conn(), &txns, &mut script).await.unwrap()[0].is_ok());
    tx.commit(script).await.unwrap();
    // Nothing else wrote: the books are trusted, and the transfer is written without a read.
    assert_eq!(transfer_from_books(&t, &mut books, 100).await, Some(true));
    assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 300);
    // More than the books say Alice has: not attempted.
    assert_eq!(transfer_from_books(&t, &mut books, 301).await, None);
    // Another process (another connection) takes 250 from Alice.
    let other = payplane_store::Db::connect(&t.database_url, 2)
        .await
        .unwrap();
    let mut otx = other.begin().await.unwrap();
    ledger::post(
        &mut otx,
        "test",
        "test",
        "other",
        &transfer("alice", "bob", "USD", 250),
        1,
    )
    .await
    .unwrap();
    otx.commit().await.unwrap();
    other.close().await;
    // The books still say 300, so 100 fits by them; but the guard sees the other commit and
    // nothing is written: Alice keeps her 50 instead of going to -50.
    assert_eq!(transfer_from_books(&t, &mut books, 100).await, Some(false));
    assert_eq!(ledger::balance(&t.app.db.read, "alice").await.unwrap(), 50);
    assert_eq!(ledger::balance(&t.app.db.read, "bob").await.unwrap(), 450);
    t.assert_ledger_sound().await;
}
