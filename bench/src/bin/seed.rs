//! `seed`: fills a migrated database with the history of one busy tenant, fast, for the list
//! benchmark (issue 20, item 2). Rows go in with multi-row `INSERT`s written straight to the
//! tables, not through the API: 1 M rows of each list in a few minutes.
//!
//! For `--rows N` it writes, for the user, account, business given (made beforehand through the
//! API or the admin CLI, so that tokens and keys are real):
//! - N succeeded withdrawals of the account, each with its two ledger transactions (the hold
//!   main → hold and the payout hold → platform clearing, as the payout job posts them), after
//!   one deposit from the platform funding account that covers them all; the ledger accounts'
//!   balances are moved by the same sums, so `payplane admin ledger check` still passes;
//! - N `withdrawal.succeeded` events of the user (test mode);
//! - N webhook deliveries to one endpoint of the user, and N postback deliveries to one endpoint
//!   of the business;
//! - N pull payments of the business on the test network (one product, one monthly model), each
//!   with one executed pull transaction.
//!
//! Rows are 1 ms apart, the newest now. Prints what it made as JSON, with the key of the middle
//! row of each list (for the benchmark's deep cursor).
//!
//! `seed --database-url URL --rows N --user UID --account ACC --business BID`
use anyhow::{Context, Result, bail};
use sqlx::{AnyPool, Row};
use std::time::Instant;

const USAGE: &str =
    "seed --database-url URL --rows N --user UID --account ACCOUNT_ID --business BUSINESS_ID";
/// Rows per INSERT statement.
const CHUNK: usize = 1000;
const AMOUNT: i64 = 150_000;
const MODE: &str = "test";
const NETWORK: i64 = 3;

struct Args {
    url: String,
    rows: usize,
    user: String,
    account: String,
    business: String,
}

fn args() -> Result<Args> {
    let mut a = Args {
        url: String::new(),
        rows: 10_000,
        user: String::new(),
        account: String::new(),
        business: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--database-url" => a.url = v,
            "--rows" => a.rows = v.parse()?,
            "--user" => a.user = v,
            "--account" => a.account = v,
            "--business" => a.business = v,
            _ => bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    if a.url.is_empty() || a.user.is_empty() || a.account.is_empty() || a.business.is_empty() {
        bail!("{USAGE}");
    }
    Ok(a)
}

/// A UUIDv7-shaped id whose text order is the order of (`ms`, `n`), as the server's ids are.
fn uuid7(ms: i64, n: u64) -> String {
    let ms = ms as u64 & 0xffff_ffff_ffff;
    format!(
        "{:08x}-{:04x}-7{:03x}-8{:03x}-{:012x}",
        ms >> 16,
        ms & 0xffff,
        (n >> 48) & 0xfff,
        (n >> 36) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// Writes `rows` (each a parenthesised VALUES tuple) into `table (columns)`, CHUNK at a time.
async fn insert(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &str,
    rows: impl Iterator<Item = String>,
) -> Result<()> {
    let mut batch = Vec::with_capacity(CHUNK);
    let flush = |batch: &mut Vec<String>| {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", batch.join(","));
        batch.clear();
        sql
    };
    for r in rows {
        batch.push(r);
        if batch.len() == CHUNK {
            let sql = flush(&mut batch);
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
    }
    if !batch.is_empty() {
        let sql = flush(&mut batch);
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn max_id(pool: &AnyPool, table: &str, column: &str) -> Result<i64> {
    let r = sqlx::query(&format!(
        "SELECT CAST(COALESCE(MAX({column}), 0) AS BIGINT) FROM {table}"
    ))
    .fetch_one(pool)
    .await?;
    Ok(r.try_get(0)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = args()?;
    sqlx::any::install_default_drivers();
    let sqlite = a.url.starts_with("sqlite");
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&a.url)
        .await?;
    let started = Instant::now();
    let n = a.rows;
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_micros() as i64;
    // Row i (0 = oldest) at `at(i)`: 1 ms apart, the newest one now.
    let at = |i: usize| now_us - (n - i) as i64 * 1000;
    let row: Option<sqlx::any::AnyRow> =
        sqlx::query("SELECT currency FROM accounts WHERE id = $1 AND user_id = $2")
            .bind(&a.account)
            .bind(&a.user)
            .fetch_optional(&pool)
            .await?;
    let currency: String = row.context("no such account of that user")?.try_get(0)?;
    let main = format!("acct:{}", a.account);
    let hold = format!("hold:{}", a.account);
    let funding = format!("platform:{MODE}:funding:{currency}");
    let clearing = format!("platform:{MODE}:payout:{currency}");
    let txn0 = max_id(&pool, "ledger_transactions", "id").await? + 1;
    let posting0 = max_id(&pool, "ledger_postings", "id").await? + 1;
    let seq0 = max_id(&pool, "events", "seq").await? + 1;
    let tag = format!("{:x}", now_us);

    let mut conn = pool.acquire().await?;
    let c: &mut sqlx::AnyConnection = &mut conn;
    if sqlite {
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&mut *c)
            .await?;
    }
    sqlx::query("BEGIN").execute(&mut *c).await?;
    for (id, kind) in [(&funding, "platform"), (&clearing, "platform")] {
        sqlx::query(
            "INSERT INTO ledger_accounts (id, currency, mode, kind, balance, created_at) \
             VALUES ($1,$2,$3,$4,0,$5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(&currency)
        .bind(MODE)
        .bind(kind)
        .bind(at(0))
        .execute(&mut *c)
        .await?;
    }

    // The ledger: one deposit covering every withdrawal, then per withdrawal its hold and payout.
    let total = AMOUNT * n as i64;
    let wid = |i: usize| uuid7(at(i) / 1000, i as u64);
    let deposit_at = at(0) - 1000;
    let txns = std::iter::once(format!(
        "({txn0},'deposit','{MODE}','seed-{tag}',{deposit_at})"
    ))
    .chain((0..n).flat_map(|i| {
        let (id, t) = (wid(i), at(i));
        let h = txn0 + 1 + 2 * i as i64;
        [
            format!("({h},'hold','{MODE}','{id}',{t})"),
            format!("({},'payout','{MODE}','{id}',{})", h + 1, t + 1),
        ]
    }));
    insert(
        c,
        "ledger_transactions",
        "id, kind, mode, reference, created_at",
        txns,
    )
    .await?;
    let leg = |p: i64, txn: i64, acct: &str, amount: i64, t: i64| {
        format!("({p},{txn},'{acct}','{currency}',{amount},{t})")
    };
    let postings = [
        leg(posting0, txn0, &funding, -total, deposit_at),
        leg(posting0 + 1, txn0, &main, total, deposit_at),
    ]
    .into_iter()
    .chain((0..n).flat_map(|i| {
        let t = at(i);
        let h = txn0 + 1 + 2 * i as i64;
        let p = posting0 + 2 + 4 * i as i64;
        [
            leg(p, h, &main, -AMOUNT, t),
            leg(p + 1, h, &hold, AMOUNT, t),
            leg(p + 2, h + 1, &hold, -AMOUNT, t + 1),
            leg(p + 3, h + 1, &clearing, AMOUNT, t + 1),
        ]
    }));
    insert(
        c,
        "ledger_postings",
        "id, txn_id, account_id, currency, amount, created_at",
        postings,
    )
    .await?;
    for (id, delta) in [(&funding, -total), (&clearing, total)] {
        sqlx::query("UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2")
            .bind(delta)
            .bind(id.as_str())
            .execute(&mut *c)
            .await?;
    }
    let withdrawals = (0..n).map(|i| {
        let t = at(i);
        format!(
            "('{}','{}','{}','{MODE}','{currency}',{},'succeeded','bank','{:010}','Seed Recipient {i}',\
             {AMOUNT},0,'','bca',NULL,'seed-{i}','{{}}',0,'ref-{i}',NULL,{t},{})",
            wid(i),
            a.account,
            a.user,
            txn0 + 1 + 2 * i as i64,
            1_000_000_000 + i,
            t + 1
        )
    });
    insert(
        c,
        "withdrawals",
        "id, account_id, user_id, mode, currency, transaction_id, status, network, address, \
         address_name, amount, fee_amount, notes, prefix, beneficiary_id, reference, reference_data, \
         failed_attempts, network_ref, failure_reason, created_at, updated_at",
        withdrawals,
    )
    .await?;
    eprintln!(
        "ledger and withdrawals: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Events of the user, and their deliveries to one endpoint; postback deliveries of the business.
    let eid = |i: usize| uuid7(at(i) / 1000, (1 << 40) | i as u64);
    let events = (0..n).map(|i| {
        format!(
            "({},'{}','withdrawal.succeeded','{}','{MODE}','{}',\
             '{{\"id\":\"{}\",\"status\":\"succeeded\",\"amount\":1500,\"currency\":\"{currency}\"}}',{},2)",
            seq0 + i as i64,
            eid(i),
            a.user,
            wid(i),
            wid(i),
            at(i) + 2
        )
    });
    insert(
        c,
        "events",
        "seq, id, kind, owner_id, mode, subject_id, payload, created_at, sequence",
        events,
    )
    .await?;
    let webhook = format!("seed-wh-{tag}");
    let postback = format!("seed-pb-{tag}");
    for (id, owner) in [(&webhook, &a.user), (&postback, &a.business)] {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, owner_id, mode, url, secret, headers, created_at) \
             VALUES ($1,$2,$3,'https://hooks.example.com/payplane','sealed-elsewhere','{}',$4)",
        )
        .bind(id.as_str())
        .bind(owner.as_str())
        .bind(MODE)
        .bind(at(0))
        .execute(&mut *c)
        .await?;
    }
    for (endpoint, kind, salt) in [
        (&webhook, "withdrawal.succeeded", 2u64 << 40),
        (&postback, "pull.executed", 3u64 << 40),
    ] {
        let rows = (0..n).map(|i| {
            let t = at(i) + 3;
            format!(
                "('{}','{endpoint}','{}','{kind}','{{}}','succeeded',1,{t},NULL,NULL,200,NULL,{t},{},{})",
                uuid7(at(i) / 1000, salt | i as u64),
                eid(i),
                t + 5000,
                t + 5000
            )
        });
        insert(
            c,
            "webhook_deliveries",
            "id, endpoint_id, event_id, event_kind, payload, status, attempts, next_attempt_at, \
             lease_until, locked_by, last_status, last_error, created_at, updated_at, delivered_at",
            rows,
        )
        .await?;
    }
    eprintln!(
        "events and deliveries: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Pull payments of the business (one product, one monthly model) and their pulls.
    let pid = |i: usize| uuid7(at(i) / 1000, (4 << 40) | i as u64);
    let (product, model) = (format!("seed-product-{tag}"), format!("seed-model-{tag}"));
    let wallet = "0x5eed00000000000000000000000000000000beef";
    let pulls = (0..n).map(|i| {
        let t = at(i);
        // Mostly active (3); every tenth cancelled (5), as a business's history looks.
        let status = if i % 10 == 9 { 5 } else { 3 };
        format!(
            "('{}','0x{:064x}','seed-req-{tag}-{i}','{}','{model}','{product}',{NETWORK},3,{status},NULL,\
             'Monthly','Seed plan','USD',1299,0,0,2592000,12,NULL,'0x{:040x}','{wallet}',\
             '0x0000000000000000000000000000000000000001',{i},'customer-{i}','{{}}','0x','0x',{},{},{},{},1,1299,0,{t},{t})",
            pid(i),
            (1u128 << 100) + i as u128,
            a.business,
            0xc0ffee_u64 << 32 | i as u64,
            t / 1_000_000,
            t / 1_000_000 + 31_104_000,
            t / 1_000_000 + 2_592_000,
            t / 1_000_000
        )
    });
    insert(
        c,
        "pull_payments",
        "id, chain_payment_id, request_id, business_id, payment_model_id, product_id, network_id, \
         type_id, status, status_reason, title, description, currency, amount, initial_payment_amount, \
         trial_period, frequency, number_of_payments, top_up_limit, customer_address, treasury_wallet, \
         contract_address, hd_wallet_index, unique_reference_id, terms, signature, permit, start_timestamp, \
         end_timestamp, next_payment_at, last_payment_at, pulls_made, fiat_pulled, failed_attempts, \
         created_at, updated_at",
        pulls,
    )
    .await?;
    let txs = (0..n).map(|i| {
        let t = at(i) + 10;
        format!(
            "('{}','{}','{}','{product}','{model}',{NETWORK},3,3,1,{},'0x{:064x}',{},'USD',1299,\
             '100000000000000000000','0.01299','seed',{},{},{t},{t})",
            uuid7(t / 1000, (5 << 40) | i as u64),
            pid(i),
            a.business,
            i + 1,
            (2u128 << 100) + i as u128,
            1_000 + i,
            t,
            t / 1_000_000
        )
    });
    insert(
        c,
        "transactions",
        "id, pull_payment_id, business_id, product_id, payment_model_id, network_id, type_id, status, \
         pull_index, reference_no, tx_hash, block_number, currency, fiat_amount, token_amount, rate, \
         rate_source, rate_at, execution_date, created_at, updated_at",
        txs,
    )
    .await?;
    sqlx::query("COMMIT").execute(&mut *c).await?;
    if !sqlite {
        for (table, column) in [
            ("ledger_transactions", "id"),
            ("ledger_postings", "id"),
            ("events", "seq"),
        ] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 (SELECT MAX({column}) FROM {table}))"
            ))
            .execute(&mut *c)
            .await?;
        }
        sqlx::query("ANALYZE").execute(&mut *c).await?;
    } else {
        sqlx::query("ANALYZE").execute(&mut *c).await?;
        // Fold the write-ahead log into the database file and empty it. Left behind (this
        // process ends without closing the pool), a 1 M-row seed leaves gigabytes of WAL that
        // the server would re-index at start and checkpoint in the background while the lists
        // are measured: a benchmark artifact, not the lists' cost.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *c)
            .await?;
    }
    let mid = n / 2;
    println!(
        "{}",
        serde_json::json!({
            "rows": n,
            "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "webhookEndpoint": webhook,
            "postbackEndpoint": postback,
            // Keys of the middle row of each list, as the lists' cursors encode them.
            "middle": {
                "withdrawal": [0, wid(mid)],
                "accountTransaction": [txn0 + 1 + 2 * mid as i64, ""],
                "event": [seq0 + mid as i64, ""],
                "webhookDelivery": [at(mid) + 3, uuid7(at(mid) / 1000, (2 << 40) | mid as u64)],
                "postbackDelivery": [at(mid) + 3, uuid7(at(mid) / 1000, (3 << 40) | mid as u64)],
                "pullPayment": [at(mid), pid(mid)],
                "transaction": [at(mid) + 10, uuid7((at(mid) + 10) / 1000, (5 << 40) | mid as u64)],
            }
        })
    );
    Ok(())
}
