//! Multi-currency accounts of the accounts API. Balances are not stored here: they are the
//! ledger balances of the account's main and hold ledger accounts.
use crate::keyset::Window;
use crate::{Conn, Result};
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub user_id: String,
    pub mode: String,
    pub currency: String,
    pub number: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Ledger balance of the main ledger account (what is available).
    pub available: i64,
    /// Ledger balance of the hold ledger account (open withdrawals with their fees).
    pub held: i64,
}

/// Ledger account that holds an account's available money.
pub fn main_ledger(account_id: &str) -> String {
    format!("acct:{account_id}")
}

/// Ledger account that holds the money reserved by an account's open withdrawals.
pub fn hold_ledger(account_id: &str) -> String {
    format!("hold:{account_id}")
}

const SELECT: &str = "SELECT a.id, a.user_id, a.mode, a.currency, a.number, a.created_at, a.updated_at, \
     COALESCE(m.balance, 0), COALESCE(h.balance, 0) FROM accounts a \
     LEFT JOIN ledger_accounts m ON m.id = 'acct:' || a.id \
     LEFT JOIN ledger_accounts h ON h.id = 'hold:' || a.id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Account> {
    Ok(Account {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        mode: r.try_get(2)?,
        currency: r.try_get(3)?,
        number: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
        available: r.try_get(7)?,
        held: r.try_get(8)?,
    })
}

pub async fn insert(conn: &mut Conn, a: &Account) -> Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, user_id, mode, currency, number, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(&a.id)
    .bind(&a.user_id)
    .bind(&a.mode)
    .bind(&a.currency)
    .bind(&a.number)
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn number_taken(conn: &mut Conn, number: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM accounts WHERE number = $1")
        .bind(number)
        .fetch_optional(conn)
        .await?
        .is_some())
}

pub async fn by_currency(
    conn: &mut Conn,
    user_id: &str,
    mode: &str,
    currency: &str,
) -> Result<Option<String>> {
    let row =
        sqlx::query("SELECT id FROM accounts WHERE user_id = $1 AND mode = $2 AND currency = $3")
            .bind(user_id)
            .bind(mode)
            .bind(currency)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub async fn list(pool: &AnyPool, user_id: &str, mode: &str) -> Result<Vec<Account>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE a.user_id = $1 AND a.mode = $2 ORDER BY a.created_at, a.id"
    ))
    .bind(user_id)
    .bind(mode)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One account of one owner in one mode: another user's or another mode's id is simply absent.
pub async fn get(pool: &AnyPool, id: &str, user_id: &str, mode: &str) -> Result<Option<Account>> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE a.id = $1 AND a.user_id = $2 AND a.mode = $3"
    ))
    .bind(id)
    .bind(user_id)
    .bind(mode)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// `(available, held)` of each account in `ids` (missing accounts read as zero), one row per
/// account, in one statement: concurrent reads are batched into it (see `app::accounts`).
/// The ledger account ids are built in SQL as `main_ledger` and `hold_ledger` build them.
pub async fn balances_many(
    conn: &mut crate::Conn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, (i64, i64)>> {
    let dialect = crate::Dialect::of(conn);
    let sql = format!(
        "SELECT j.value, \
         COALESCE((SELECT balance FROM ledger_accounts WHERE id = 'acct:' || j.value), 0), \
         COALESCE((SELECT balance FROM ledger_accounts WHERE id = 'hold:' || j.value), 0) \
         FROM {}",
        dialect.json_values("$1")
    );
    let rows = sqlx::query(&sql)
        .bind(serde_json::to_string(ids).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect()
}

/// Any account by id, for operators.
pub async fn get_any(conn: &mut Conn, id: &str) -> Result<Option<Account>> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// One ledger transaction as seen from an account: its effect on the main and hold ledgers.
#[derive(Debug, Clone)]
pub struct AccountTxn {
    pub txn_id: i64,
    pub kind: String,
    pub reference: String,
    pub created_at: i64,
    pub available_change: i64,
    pub held_change: i64,
}

/// Ledger transactions touching an account, newest first; the cursor key is the transaction id.
///
/// The page's transaction ids are picked first, from each of the account's two ledgers
/// separately (`ledger_postings_account_txn` hands them over newest first, so each side reads at
/// most offset + limit entries), and only those transactions are then summed: the cost follows
/// the page's depth, not the account's history.
pub async fn transactions(pool: &AnyPool, account_id: &str, w: &Window) -> Result<Vec<AccountTxn>> {
    let side = |ledger: &str| {
        format!(
            "SELECT txn_id FROM (SELECT DISTINCT txn_id FROM ledger_postings WHERE account_id = {ledger} AND txn_id < $5 \
             ORDER BY txn_id DESC LIMIT $4) AS s{}",
            &ledger[1..]
        )
    };
    let sql = format!(
        "SELECT t.id, t.kind, t.reference, t.created_at, \
         CAST(COALESCE(SUM(CASE WHEN p.account_id = $1 THEN p.amount ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN p.account_id = $2 THEN p.amount ELSE 0 END), 0) AS BIGINT) \
         FROM (SELECT txn_id FROM ({} UNION {}) AS u ORDER BY txn_id DESC LIMIT $3 OFFSET $6) AS pg \
         JOIN ledger_transactions t ON t.id = pg.txn_id JOIN ledger_postings p ON p.txn_id = t.id \
         WHERE p.account_id IN ($1, $2) GROUP BY t.id, t.kind, t.reference, t.created_at \
         ORDER BY t.id DESC",
        side("$1"),
        side("$2")
    );
    let rows = sqlx::query(&sql)
        .bind(main_ledger(account_id))
        .bind(hold_ledger(account_id))
        .bind(w.limit)
        .bind(w.limit.saturating_add(w.offset))
        .bind(w.after.as_ref().map_or(i64::MAX, |k| k.at))
        .bind(w.offset)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(AccountTxn {
                txn_id: r.try_get(0)?,
                kind: r.try_get(1)?,
                reference: r.try_get(2)?,
                created_at: r.try_get(3)?,
                available_change: r.try_get(4)?,
                held_change: r.try_get(5)?,
            })
        })
        .collect()
}

/// Whether a ledger transaction of `kind` with `reference` already touched this account
/// (operator credits are idempotent on their reference).
pub async fn has_txn(
    conn: &mut Conn,
    account_id: &str,
    kind: &str,
    reference: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM ledger_transactions t JOIN ledger_postings p ON p.txn_id = t.id \
         WHERE t.kind = $1 AND t.reference = $2 AND p.account_id = $3",
    )
    .bind(kind)
    .bind(reference)
    .bind(main_ledger(account_id))
    .fetch_optional(conn)
    .await?
    .is_some())
}
