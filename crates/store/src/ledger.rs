//! Ledger postings. Balances are cached per ledger account and updated by the same statement
//! sequence, in the same transaction, as the postings; `check` proves the cache equals the sums.
use crate::engine::sql::{self, Arg, Script};
use crate::{Conn, Dialect, Result, StoreError};
use payplane_core::ledger::{Posting, check_balanced};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// Kinds of ledger account. Only platform accounts may go below zero (funding is the mirror of
/// all money that entered); user and hold accounts never can.
pub const KIND_USER: &str = "user";
pub const KIND_HOLD: &str = "hold";
pub const KIND_PLATFORM: &str = "platform";
/// A business's fiat settlement balances (accrued, claimed by settlements): never below zero.
pub const KIND_SETTLEMENT: &str = "settlement";

pub async fn ensure_account(
    conn: &mut Conn,
    id: &str,
    currency: &str,
    mode: &str,
    kind: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ledger_accounts (id, currency, mode, kind, balance, created_at) \
         VALUES ($1,$2,$3,$4,0,$5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(currency)
    .bind(mode)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One ledger transaction to write.
#[derive(Debug, Clone)]
pub struct NewTxn<'a> {
    pub kind: &'a str,
    pub mode: &'a str,
    pub reference: &'a str,
    pub postings: Vec<Posting>,
    pub created_at: i64,
}

/// Writes one balanced ledger transaction and returns its id. Fails with `InsufficientFunds` if
/// any non-platform account would go below zero; the caller's transaction then rolls back.
pub async fn post(
    conn: &mut Conn,
    kind: &str,
    mode: &str,
    reference: &str,
    postings: &[Posting],
    now: i64,
) -> Result<i64> {
    let txn = NewTxn {
        kind,
        mode,
        reference,
        postings: postings.to_vec(),
        created_at: now,
    };
    post_batch(conn, std::slice::from_ref(&txn))
        .await?
        .pop()
        .unwrap_or(Err(StoreError::InsufficientFunds))
}

/// Writes ledger transactions in order with a fixed number of statements whatever their number
/// (group commit). Each is checked against the balances the ones before it leave: one that would
/// take a user or hold account below zero gets `Err(InsufficientFunds)` in its slot and writes
/// nothing, the others are written.
pub async fn post_batch(conn: &mut Conn, txns: &[NewTxn<'_>]) -> Result<Vec<Result<i64>>> {
    let mut script = Script::new(Dialect::of(conn));
    let outcome = prepare_batch(conn, "", txns, &mut script).await?;
    script.run(conn).await?;
    Ok(outcome)
}

/// The deciding half of `post_batch`: locks and reads the touched balances (in id order, so
/// concurrent batches cannot deadlock or overdraw), decides each transaction, reserves ids for
/// the ones that fit and adds their writes to `script`, for the caller to run in the same
/// database transaction with its own writes. `begin` goes before the read, in the same message
/// (`WriteTx::begin`).
pub async fn prepare_batch<'a>(
    conn: &mut Conn,
    begin: &str,
    txns: &'a [NewTxn<'a>],
    script: &mut Script<'a>,
) -> Result<Vec<Result<i64>>> {
    if txns.is_empty() {
        return Ok(vec![]);
    }
    let mut books = Books::read(conn, begin, txns).await?;
    books.prepare(conn, txns, script).await
}

/// Why one transaction of a batch is not written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    InsufficientFunds,
    Overflow(String),
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::InsufficientFunds => StoreError::InsufficientFunds,
            Refusal::Overflow(account) => StoreError::Overflow(account),
        }
    }
}

type Fit = std::result::Result<(), Refusal>;

/// The ledger accounts a batch posts to, as read under lock, then as the batch leaves them. On
/// SQLite they also say what the single writer needs to trust them later (`prepare_if_funded`).
#[derive(Debug, Clone, Default)]
pub struct Books {
    /// id → (currency, may go negative, balance).
    accounts: HashMap<String, (String, bool, i64)>,
    /// SQLite: the last ledger transaction id (its single writer assigns the next ones itself).
    last_id: i64,
    /// SQLite: the connection's `PRAGMA data_version` when read, which changes whenever another
    /// connection (another process) commits.
    version: i64,
}

impl Books {
    /// Locks and reads the balances `txns` post to (`begin` goes first, in the same message).
    pub async fn read(conn: &mut Conn, begin: &str, txns: &[NewTxn<'_>]) -> Result<Books> {
        for t in txns {
            check_balanced(&t.postings)?;
        }
        let mut ids: Vec<&str> = txns
            .iter()
            .flat_map(|t| t.postings.iter().map(|p| p.account.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let dialect = Dialect::of(conn);
        let sql = format!(
            "{begin}SELECT id, currency, kind, balance, {}, {} FROM ledger_accounts WHERE id IN ({}) ORDER BY id{}",
            dialect.last_txn_id(),
            dialect.data_version(),
            sql::marks(1, ids.len()),
            dialect.for_update()
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut books = Books::default();
        for r in q.fetch_all(&mut *conn).await? {
            let kind: String = r.try_get(2)?;
            books.accounts.insert(
                r.try_get(0)?,
                (r.try_get(1)?, kind == KIND_PLATFORM, r.try_get(3)?),
            );
            books.last_id = r.try_get(4)?;
            books.version = r.try_get(5)?;
        }
        Ok(books)
    }

    /// These books with `newer`'s accounts read over them, if both were read at the same
    /// `data_version` (no other connection committed in between); otherwise `newer` alone.
    pub fn merged(mut self, newer: Books) -> Books {
        if self.version != newer.version {
            return newer;
        }
        self.accounts.extend(newer.accounts);
        self.last_id = newer.last_id;
        self
    }

    /// Decides each transaction against the balances the ones before it leave, reserves ids for
    /// the ones that fit, adds their writes to `script`, and moves the books past the batch.
    pub async fn prepare<'a>(
        &mut self,
        conn: &mut Conn,
        txns: &'a [NewTxn<'a>],
        script: &mut Script<'a>,
    ) -> Result<Vec<Result<i64>>> {
        let (fits, after) = self.decide(txns)?;
        let accepted = fits.iter().filter(|f| f.is_ok()).count();
        if accepted == 0 {
            // Nothing fits: every slot is its own refusal.
            return Ok(fits
                .into_iter()
                .map(|f| f.map(|()| 0).map_err(StoreError::from))
                .collect());
        }
        let mut new_ids = match Dialect::of(conn) {
            // The single writer holds the write transaction: the next ids are free.
            Dialect::Sqlite => (self.last_id + 1..=self.last_id + accepted as i64).collect(),
            Dialect::Postgres => reserve_ids(conn, accepted).await?,
        }
        .into_iter();
        let outcome: Vec<Result<i64>> = fits
            .into_iter()
            .map(|fit| match fit {
                Ok(()) => Ok(new_ids.next().unwrap_or_default()),
                Err(r) => Err(r.into()),
            })
            .collect();
        self.write(&outcome, txns, after, script);
        Ok(outcome)
    }

    /// SQLite's single writer, on books it read and has kept up to date since (nothing but its
    /// own batches wrote through its connection): if every transaction fits, adds their writes
    /// to `script` without reading the balances again, each statement conditional on no other
    /// connection having committed since (`data_version` unmoved), and returns their ids; the
    /// script's `check_guard` then says whether they were written. `None` (nothing added) if an
    /// account is not in the books or a transaction does not fit by them. With `Some`, the books
    /// move past the batch as if it were written: a caller that may see the guard fail works on
    /// a copy.
    pub fn prepare_if_funded<'a>(
        &mut self,
        txns: &'a [NewTxn<'a>],
        script: &mut Script<'a>,
    ) -> Result<Option<Vec<i64>>> {
        let known = txns
            .iter()
            .flat_map(|t| &t.postings)
            .all(|p| self.accounts.contains_key(&p.account));
        if !known {
            return Ok(None);
        }
        let (fits, after) = self.decide(txns)?;
        if !fits.iter().all(Result::is_ok) {
            return Ok(None);
        }
        let ids: Vec<i64> = (self.last_id + 1..=self.last_id + txns.len() as i64).collect();
        script.guard(format!(
            "(SELECT data_version FROM pragma_data_version()) = {}",
            self.version
        ));
        let outcome: Vec<Result<i64>> = ids.iter().map(|id| Ok(*id)).collect();
        self.write(&outcome, txns, after, script);
        Ok(Some(ids))
    }

    /// Whether each transaction fits, in order, and the balances of the accounts the fitting
    /// ones change, after them.
    fn decide(&self, txns: &[NewTxn<'_>]) -> Result<(Vec<Fit>, HashMap<String, i64>)> {
        let mut now: HashMap<String, i64> = HashMap::new();
        let mut fits = Vec::with_capacity(txns.len());
        'txns: for t in txns {
            let mut after: HashMap<&str, i64> = HashMap::new();
            for p in &t.postings {
                let (currency, _, balance) = self.accounts.get(&p.account).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "ledger account {} ({}) does not exist",
                        p.account, p.currency
                    ))
                })?;
                if *currency != p.currency {
                    return Err(StoreError::Corrupt(format!(
                        "ledger account {} is in {currency}, not {}",
                        p.account, p.currency
                    )));
                }
                let b = after
                    .entry(p.account.as_str())
                    .or_insert_with(|| now.get(&p.account).copied().unwrap_or(*balance));
                // Past i64 is this transaction's problem, not the account's: refuse it alone.
                match b.checked_add(p.amount) {
                    Some(v) => *b = v,
                    None => {
                        fits.push(Err(Refusal::Overflow(p.account.clone())));
                        continue 'txns;
                    }
                }
            }
            let funded = !after.iter().any(|(id, b)| *b < 0 && !self.accounts[*id].1);
            if funded {
                for (id, b) in after {
                    now.insert(id.to_string(), b);
                }
                fits.push(Ok(()));
            } else {
                fits.push(Err(Refusal::InsufficientFunds));
            }
        }
        Ok((fits, now))
    }

    /// Adds the writes of the transactions with an id in `outcome` to `script`, and moves the
    /// books to `after`.
    fn write<'a>(
        &mut self,
        outcome: &[Result<i64>],
        txns: &'a [NewTxn<'a>],
        after: HashMap<String, i64>,
        script: &mut Script<'a>,
    ) {
        let written: Vec<(i64, &NewTxn)> = outcome
            .iter()
            .zip(txns)
            .filter_map(|(o, t)| o.as_ref().ok().map(|id| (*id, t)))
            .collect();
        script.insert(
            "ledger_transactions (id, kind, mode, reference, created_at)",
            written.iter().map(|(id, t)| {
                [
                    Arg::Int(*id),
                    Arg::Text(t.kind),
                    Arg::Text(t.mode),
                    Arg::Text(t.reference),
                    Arg::Int(t.created_at),
                ]
            }),
        );
        script.insert(
            "ledger_postings (txn_id, account_id, currency, amount, created_at)",
            written.iter().flat_map(|(id, t)| {
                t.postings.iter().map(move |p| {
                    [
                        Arg::Int(*id),
                        Arg::Text(&p.account),
                        Arg::Text(&p.currency),
                        Arg::Int(p.amount),
                        Arg::Int(t.created_at),
                    ]
                })
            }),
        );
        // The balances were read under lock (PostgreSQL) or in the single writer's transaction
        // (SQLite), so the decision above stands when this runs.
        let mut changed: Vec<(String, i64)> = after
            .into_iter()
            .filter_map(|(id, b)| {
                let account = self.accounts.get_mut(&id)?;
                let delta = b - account.2;
                account.2 = b;
                (delta != 0).then_some((id, delta))
            })
            .collect();
        changed.sort_unstable();
        if !changed.is_empty() {
            let guard = script.guard_clause();
            let or = script.or_rollback();
            let b = script.statement();
            let rows: Vec<String> = changed
                .into_iter()
                .map(|(id, delta)| b.row([Arg::Owned(id), Arg::Int(delta)]))
                .collect();
            b.sql = format!(
                "UPDATE{or} ledger_accounts SET balance = balance + CAST(v.column2 AS BIGINT) FROM (VALUES {}) AS v \
                 WHERE ledger_accounts.id = v.column1{guard}",
                rows.join(",")
            );
        }
        self.last_id = self.last_id.max(written.last().map_or(0, |(id, _)| *id));
    }
}

/// `n` ledger transaction ids from PostgreSQL's sequence, so they can be written into rows and
/// payloads before the statement that uses them (ids drawn and not used are gaps, as with any
/// sequence).
async fn reserve_ids(conn: &mut Conn, n: usize) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT nextval('ledger_transactions_id_seq') FROM generate_series(1, CAST($1 AS BIGINT))",
    )
    .bind(n as i64)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The balance of `account` (0 if it does not exist), locked until the caller's transaction ends
/// (PostgreSQL; SQLite's single writer already serialises write transactions), so a decision on
/// it stands until the caller commits.
pub async fn lock_balance(conn: &mut Conn, account: &str) -> Result<i64> {
    let sql = format!(
        "SELECT balance FROM ledger_accounts WHERE id = $1{}",
        Dialect::of(conn).for_update()
    );
    let row = sqlx::query(&sql).bind(account).fetch_optional(conn).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
}

pub async fn balance(pool: &AnyPool, account: &str) -> Result<i64> {
    let row = sqlx::query("SELECT balance FROM ledger_accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
}

/// One failed invariant, in words an operator can act on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Violation {
    pub check: String,
    pub detail: String,
}

/// Extra invariant queries contributed by capabilities (each returns rows of one text column
/// describing a violation; no rows means the invariant holds).
pub type InvariantQuery = (&'static str, &'static str);

const CORE_INVARIANTS: &[InvariantQuery] = &[
    (
        "transactions sum to zero per currency",
        "SELECT 'txn ' || CAST(txn_id AS TEXT) || ' ' || currency || ' sums to ' || CAST(SUM(amount) AS TEXT) \
         FROM ledger_postings GROUP BY txn_id, currency HAVING SUM(amount) <> 0",
    ),
    (
        "cached balance equals the sum of postings",
        "SELECT 'account ' || a.id || ' caches ' || CAST(a.balance AS TEXT) || ' but postings sum to ' || \
         CAST(COALESCE((SELECT SUM(p.amount) FROM ledger_postings p WHERE p.account_id = a.id), 0) AS TEXT) \
         FROM ledger_accounts a \
         WHERE a.balance <> COALESCE((SELECT SUM(p.amount) FROM ledger_postings p WHERE p.account_id = a.id), 0)",
    ),
    (
        "no user or hold account is negative",
        "SELECT 'account ' || id || ' is ' || CAST(balance AS TEXT) FROM ledger_accounts \
         WHERE kind <> 'platform' AND balance < 0",
    ),
    (
        "postings match their account's currency",
        "SELECT 'posting ' || CAST(p.id AS TEXT) || ' in ' || p.currency || ' on a ' || a.currency || ' account' \
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.currency <> p.currency",
    ),
    (
        "every posting belongs to a transaction and a ledger account",
        "SELECT 'posting ' || CAST(p.id AS TEXT) || ' of txn ' || CAST(p.txn_id AS TEXT) || ' on ' || p.account_id || \
         CASE WHEN t.id IS NULL THEN ' has no transaction' ELSE ' has no ledger account' END \
         FROM ledger_postings p LEFT JOIN ledger_transactions t ON t.id = p.txn_id \
         LEFT JOIN ledger_accounts a ON a.id = p.account_id WHERE t.id IS NULL OR a.id IS NULL",
    ),
    (
        "every transaction has at least two postings",
        "SELECT 'txn ' || CAST(t.id AS TEXT) || ' has ' || CAST(COUNT(p.id) AS TEXT) || ' postings' \
         FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.txn_id = t.id GROUP BY t.id HAVING COUNT(p.id) < 2",
    ),
];

/// Runs every ledger invariant (the core ones and `extra`) and returns the violations found.
pub async fn check(pool: &AnyPool, extra: &[InvariantQuery]) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    for (name, sql) in CORE_INVARIANTS.iter().chain(extra) {
        for row in sqlx::query(sql).fetch_all(pool).await? {
            out.push(Violation {
                check: name.to_string(),
                detail: row.try_get(0)?,
            });
        }
    }
    Ok(out)
}

/// Postings of one ledger account, newest first, with their transaction's kind and reference.
#[derive(Debug, Clone)]
pub struct Entry {
    pub posting_id: i64,
    pub txn_id: i64,
    pub kind: String,
    pub reference: String,
    pub amount: i64,
    pub created_at: i64,
}

pub async fn entries(
    pool: &AnyPool,
    accounts: &[&str],
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>> {
    let placeholders: Vec<String> = (0..accounts.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT p.id, p.txn_id, t.kind, t.reference, p.amount, p.created_at FROM ledger_postings p \
         JOIN ledger_transactions t ON t.id = p.txn_id WHERE p.account_id IN ({}) \
         ORDER BY p.id DESC LIMIT $1 OFFSET $2",
        placeholders.join(",")
    );
    let mut q = sqlx::query(&sql).bind(limit).bind(offset);
    for a in accounts {
        q = q.bind(*a);
    }
    let rows = q.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                posting_id: r.try_get(0)?,
                txn_id: r.try_get(1)?,
                kind: r.try_get(2)?,
                reference: r.try_get(3)?,
                amount: r.try_get(4)?,
                created_at: r.try_get(5)?,
            })
        })
        .collect()
}
