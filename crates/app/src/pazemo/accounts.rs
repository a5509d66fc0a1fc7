//! Multi-currency accounts and the money that enters them: sandbox deposits (test mode) and
//! operator credits (live mode), each a ledger transaction from the platform funding account.
use crate::batcher::Batcher;
use crate::pazemo::auth::{Mode, Principal};
use crate::{App, AppError, pazemo::amounts};
use futures::FutureExt;
use payplane_core::ledger::transfer;
use payplane_core::{Currency, ids::new_id};
use payplane_store::Db;
use payplane_store::keyset::Window;
use payplane_store::ledger::{self, KIND_HOLD, KIND_PLATFORM, KIND_USER};
use payplane_store::pazemo::accounts::{self, Account, AccountTxn, hold_ledger, main_ledger};
use payplane_store::{Conn, KeptConn, StoreError};
use rand::Rng;
use std::sync::Arc;

/// Platform ledger accounts, one per mode, purpose and currency: `funding` (mirror of money that
/// entered), `payout` (clearing for money sent out), `fees` (fee revenue), `fx` (conversions).
pub fn platform_ledger(mode: &str, purpose: &str, currency: &str) -> String {
    format!("platform:{mode}:{purpose}:{currency}")
}

pub async fn ensure_platform(
    conn: &mut Conn,
    mode: &str,
    purpose: &str,
    currency: &str,
    now: i64,
) -> Result<String, AppError> {
    let id = platform_ledger(mode, purpose, currency);
    ledger::ensure_account(conn, &id, currency, mode, KIND_PLATFORM, now).await?;
    Ok(id)
}

pub struct NewAccount {
    pub currency: Option<String>,
    pub number: Option<String>,
}

pub async fn create(app: &App, p: &Principal, req: NewAccount) -> Result<Account, AppError> {
    let currency = amounts::currency("currencyId", req.currency.as_deref())?;
    let wanted = match req.number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) if (11..=12).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) => {
            Some(n.to_string())
        }
        Some(n) => {
            return Err(AppError::field(
                "number",
                "error.account.number.invalid",
                "An account number is 11 or 12 digits",
            )
            .with_arguments(vec![n.to_string()]));
        }
    };
    let mode = p.mode.as_str();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if accounts::by_currency(&mut tx, &p.user_id, mode, currency.code())
        .await?
        .is_some()
    {
        return Err(currency_taken(currency));
    }
    let number = match wanted {
        Some(n) => {
            if accounts::number_taken(&mut tx, &n).await? {
                return Err(number_taken(&n));
            }
            n
        }
        None => loop {
            let n = generate_number();
            if !accounts::number_taken(&mut tx, &n).await? {
                break n;
            }
        },
    };
    let account = Account {
        id: new_id(),
        user_id: p.user_id.clone(),
        mode: mode.into(),
        currency: currency.code().into(),
        number,
        created_at: now,
        updated_at: now,
        available: 0,
        held: 0,
    };
    accounts::insert(&mut tx, &account)
        .await
        .map_err(|e| match e {
            // A concurrent request won the race the checks above could not see.
            StoreError::Conflict(what) if what.contains("number") => number_taken(&account.number),
            StoreError::Conflict(_) => currency_taken(currency),
            e => e.into(),
        })?;
    let cur = currency.code();
    ledger::ensure_account(
        &mut tx,
        &main_ledger(&account.id),
        cur,
        mode,
        KIND_USER,
        now,
    )
    .await?;
    ledger::ensure_account(
        &mut tx,
        &hold_ledger(&account.id),
        cur,
        mode,
        KIND_HOLD,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

fn currency_taken(c: Currency) -> AppError {
    AppError::conflict(
        "error.account.currency.exists",
        format!("You already have an account in {c} in this mode"),
    )
    .with_arguments(vec![c.to_string()])
}

fn number_taken(n: &str) -> AppError {
    AppError::conflict(
        "error.account.number.taken",
        "This account number is already taken",
    )
    .with_arguments(vec![n.to_string()])
}

/// 12 digits starting with 11, like the document's samples.
fn generate_number() -> String {
    let mut rng = rand::thread_rng();
    format!("11{:010}", rng.gen_range(0..10_000_000_000u64))
}

pub async fn list(app: &App, p: &Principal, user_id: &str) -> Result<Vec<Account>, AppError> {
    Ok(accounts::list(&app.db.read, user_id, p.mode.as_str()).await?)
}

/// An account of `user_id` in the caller's mode with its balances; anything else is 404.
/// What never changes comes from the in-process cache after the first read, so a read costs
/// one one-row lookup of the account's ledger balances.
pub async fn get(app: &App, p: &Principal, user_id: &str, id: &str) -> Result<Account, AppError> {
    if let Some(a) = cached(app, p, user_id, id) {
        let a = a?;
        let (available, held) = app.balance_reads.read(id).await?;
        return Ok(Account {
            available,
            held,
            ..a
        });
    }
    let a = accounts::get(&app.db.read, id, user_id, p.mode.as_str())
        .await?
        .ok_or_else(not_found)?;
    remember(app, &a);
    Ok(a)
}

/// Balance reads, batched: concurrent reads share one statement (one round trip, one message
/// from SQLite's worker) instead of one each; a read that finds no batch running runs at once.
/// Each read still starts after its request arrived, so it sees every write committed before.
pub struct BalanceReads(Batcher<String, Result<(i64, i64), Arc<StoreError>>>);

/// Most accounts per read. One read runs at a time: with 32 clients that measured 26k `GET`/s
/// on PostgreSQL and 33k/s on SQLite; two at a time 20k and 27k, four 18k and 26k (smaller
/// batches, more statements for the same reads).
const READ_BATCH: usize = 128;

impl BalanceReads {
    pub fn new(db: Db) -> Self {
        // One read runs at a time, so one read connection serves them all: kept across
        // consecutive batches, it spares each the test sqlx makes of a connection given back.
        let reader = Arc::new(KeptConn::reader());
        let idle = reader.clone();
        BalanceReads(
            Batcher::new(READ_BATCH, move |ids: Vec<String>| {
                let (db, reader) = (db.clone(), reader.clone());
                async move {
                    let mut distinct: Vec<&str> = ids.iter().map(String::as_str).collect();
                    distinct.sort_unstable();
                    distinct.dedup();
                    match read_many(&db, &reader, &distinct).await {
                        Ok(found) => ids
                            .iter()
                            .map(|id| Ok(found.get(id).copied().unwrap_or((0, 0))))
                            .collect(),
                        Err(e) => {
                            let e = Arc::new(e);
                            ids.iter().map(|_| Err(e.clone())).collect()
                        }
                    }
                }
                .boxed()
            })
            .on_idle(move || idle.release()),
        )
    }

    /// `(available, held)` of account `id`.
    pub async fn read(&self, id: &str) -> Result<(i64, i64), AppError> {
        match self.0.submit(id.to_string()).await {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(AppError::internal(e)),
            None => Err(crate::batcher::lost()),
        }
    }
}

/// Balances of `ids` on the kept read connection, which is kept again only if the read worked.
async fn read_many(
    db: &Db,
    reader: &KeptConn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, (i64, i64)>, StoreError> {
    let (mut conn, since) = reader.take(db).await?;
    let found = accounts::balances_many(&mut conn, ids).await?;
    reader.keep(conn, since);
    Ok(found)
}

/// The currency of an account of the caller (own user, caller's mode); anything else is 404.
/// Needs no database read once the account is cached, which spares withdrawal creation a round
/// trip.
pub async fn owned(app: &App, p: &Principal, id: &str) -> Result<Currency, AppError> {
    let a = match cached(app, p, &p.user_id, id) {
        Some(a) => a?,
        None => get(app, p, &p.user_id, id).await?,
    };
    currency_of(&a)
}

/// The cached account `id` if it is `user_id`'s in the caller's mode, 404 if it is someone
/// else's, `None` if it is not cached. Accounts are never deleted and never change owner, mode,
/// currency, number or times, so those can be cached in process for good; balances never are.
fn cached(app: &App, p: &Principal, user_id: &str, id: &str) -> Option<Result<Account, AppError>> {
    let a = app.account_facts.lock().ok()?.get(id).cloned()?;
    Some(if a.user_id == user_id && a.mode == p.mode.as_str() {
        Ok(a)
    } else {
        Err(not_found())
    })
}

fn remember(app: &App, a: &Account) {
    if let Ok(mut c) = app.account_facts.lock() {
        if c.len() > 100_000 {
            c.clear();
        }
        c.insert(a.id.clone(), a.clone());
    }
}

pub fn not_found() -> AppError {
    AppError::not_found("error.account.not.found", "Account not found")
}

pub fn currency_of(a: &Account) -> Result<Currency, AppError> {
    a.currency
        .parse()
        .map_err(|_| AppError::internal(StoreError::Corrupt(format!("currency {}", a.currency))))
}

/// Test mode only: credits an account from the sandbox funding account.
pub async fn sandbox_deposit(
    app: &App,
    p: &Principal,
    account_id: &str,
    amount: Option<&serde_json::Value>,
    reference: Option<String>,
) -> Result<Account, AppError> {
    if p.mode != Mode::Test {
        return Err(AppError::forbidden(
            "error.sandbox.live.token",
            "Sandbox deposits need a test-mode token; live accounts are credited by an operator",
        ));
    }
    let account = get(app, p, &p.user_id, account_id).await?;
    let minor = amounts::parse("amount", amount, currency_of(&account)?)?;
    let reference = reference.unwrap_or_else(new_id);
    let mut tx = app.db.begin().await?;
    fund(app, &mut tx, &account, "deposit", &reference, minor).await?;
    tx.commit().await?;
    get(app, p, &p.user_id, account_id).await
}

/// Operator credit of any account (live money that arrived outside the API), audit-logged.
/// Idempotent on `reference`: the same reference twice for one account is a 409.
pub async fn operator_credit(
    app: &App,
    actor: &str,
    source: &str,
    account_id: &str,
    amount: Option<&serde_json::Value>,
    reference: &str,
) -> Result<Account, AppError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(AppError::field(
            "reference",
            "error.reference.required",
            "An operator credit needs the reference of the incoming payment",
        ));
    }
    let mut tx = app.db.begin().await?;
    let account = accounts::get_any(&mut tx, account_id)
        .await?
        .ok_or_else(not_found)?;
    let minor = amounts::parse("amount", amount, currency_of(&account)?)?;
    if accounts::has_txn(&mut tx, account_id, "credit", reference).await? {
        return Err(AppError::conflict(
            "error.credit.duplicate",
            "This account was already credited with this reference",
        )
        .with_arguments(vec![reference.to_string()]));
    }
    fund(app, &mut tx, &account, "credit", reference, minor).await?;
    payplane_store::audit::record(
        &mut tx,
        actor,
        "account.credit",
        &format!(
            "{account_id} {} {} ref={reference}",
            payplane_core::money::from_minor(minor, 2),
            account.currency
        ),
        source,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    let mut conn = app.db.read.acquire().await?;
    accounts::get_any(&mut conn, account_id)
        .await?
        .ok_or_else(not_found)
}

async fn fund(
    app: &App,
    conn: &mut Conn,
    account: &Account,
    kind: &str,
    reference: &str,
    minor: i64,
) -> Result<i64, AppError> {
    let now = app.now();
    let funding = ensure_platform(conn, &account.mode, "funding", &account.currency, now).await?;
    let postings = transfer(
        &funding,
        &main_ledger(&account.id),
        &account.currency,
        minor,
    );
    Ok(ledger::post(conn, kind, &account.mode, reference, &postings, now).await?)
}

pub async fn transactions(
    app: &App,
    p: &Principal,
    user_id: &str,
    account_id: &str,
    w: Window,
) -> Result<Vec<AccountTxn>, AppError> {
    get(app, p, user_id, account_id).await?;
    Ok(accounts::transactions(&app.db.read, account_id, &w).await?)
}
