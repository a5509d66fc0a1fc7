//! Ledger postings. Balances are cached per ledger account and updated by the same statement
//! sequence, in the same transaction, as the postings; `check` proves the cache equals the sums.
use crate::{Conn, Result, StoreError};
use payplane_core::ledger::{Posting, check_balanced};
use sqlx::{AnyPool, Row};

/// Kinds of ledger account. Only platform accounts may go below zero (funding is the mirror of
/// all money that entered); user and hold accounts never can.
pub const KIND_USER: &str = "user";
pub const KIND_HOLD: &str = "hold";
pub const KIND_PLATFORM: &str = "platform";

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
    check_balanced(postings)?;
    let txn_id: i64 = sqlx::query(
        "INSERT INTO ledger_transactions (kind, mode, reference, created_at) VALUES ($1,$2,$3,$4) RETURNING id",
    )
    .bind(kind)
    .bind(mode)
    .bind(reference)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    // Update balances in account-id order so concurrent transactions lock rows in one order and
    // cannot deadlock on PostgreSQL.
    let mut ordered: Vec<&Posting> = postings.iter().collect();
    ordered.sort_by(|a, b| a.account.cmp(&b.account));
    for p in ordered {
        sqlx::query(
            "INSERT INTO ledger_postings (txn_id, account_id, currency, amount, created_at) VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(txn_id)
        .bind(&p.account)
        .bind(&p.currency)
        .bind(p.amount)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let updated = sqlx::query(
            "UPDATE ledger_accounts SET balance = balance + $1 \
             WHERE id = $2 AND currency = $3 AND (kind = 'platform' OR balance + $1 >= 0)",
        )
        .bind(p.amount)
        .bind(&p.account)
        .bind(&p.currency)
        .execute(&mut *conn)
        .await?;
        if updated.rows_affected() != 1 {
            let exists =
                sqlx::query("SELECT 1 FROM ledger_accounts WHERE id = $1 AND currency = $2")
                    .bind(&p.account)
                    .bind(&p.currency)
                    .fetch_optional(&mut *conn)
                    .await?;
            return Err(match exists {
                Some(_) => StoreError::InsufficientFunds,
                None => StoreError::Corrupt(format!(
                    "ledger account {} ({}) does not exist",
                    p.account, p.currency
                )),
            });
        }
    }
    Ok(txn_id)
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
