//! Executor throughput (issue 14): N customers subscribed to a monthly model through the real
//! wallet flow (QR request, typed data signed by a real key, registration on the embedded
//! network), then the test network's clock moves one period so N pulls are due at once, and the
//! executor's rounds make them all: claim → pull transaction executed → journal fsync'd → receipt
//! and transaction row recorded → postback event written. Baseline in the same run: the devnet's
//! raw PMA transfer rate through the same chain client (estimate, sign, send, receipt).
//!
//! `cargo run --release -p payplane-bench --bin pulls -- N [database-url]`
//!
//! `PULLS_REGISTERED=M` (M > N): M payments registered, of which only the N are due in the
//! measured part (the other M − N subscribe half a period later), to see whether the cost per
//! pull grows with the payments registered.
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result};
use futures::StreamExt;
use payplane_app::config::Secret;
use payplane_app::pumapay::access::Caller;
use payplane_app::pumapay::networks::network;
use payplane_app::pumapay::pull_payments::{executor, requests};
use payplane_app::{App, Config};
use payplane_bench::fresh_pg;
use payplane_chain::{PMA, U256};
use serde_json::{Value, json};
use std::time::Instant;

/// User + system CPU seconds of this process so far (`/proc/self/stat`, clock ticks of 10 ms).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// User + system CPU seconds of this process's threads so far, by thread name (the runtime's
/// workers, SQLite's connection threads, the devnet's sealer, the main thread).
fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let mut by = std::collections::BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        *by.entry(stat[open + 1..close].to_string()).or_insert(0.0) +=
            (ticks(11) + ticks(12)) / 100.0;
    }
    by
}

/// User + system CPU seconds of every `postgres` process on this machine so far (the database's
/// share of a run on PostgreSQL; backends that exit meanwhile are not counted).
fn postgres_cpu_secs() -> f64 {
    let mut total = 0.0;
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        if !stat.contains("(postgres)") {
            continue;
        }
        let after = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        total += (ticks(11) + ticks(12)) / 100.0;
    }
    total
}

async fn call(
    c: &reqwest::Client,
    m: reqwest::Method,
    url: String,
    h: &[(&str, &str)],
    body: Option<Value>,
) -> Result<Value> {
    let mut rb = c.request(m, url);
    for (k, v) in h {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await?;
    let status = res.status();
    let v: Value = res.json().await?;
    anyhow::ensure!(status.is_success(), "{status}: {v}");
    Ok(v)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let base = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = if base.starts_with("sqlite") {
        base.clone()
    } else {
        fresh_pg(&base, "bench_pulls").await?
    };
    let chain_dir =
        std::env::temp_dir().join(format!("payplane-bench-pulls-{}", std::process::id()));
    let mut config = Config {
        database_url: Secret(db),
        max_connections: 16,
        ..Default::default()
    };
    config.chain.data_dir = chain_dir.to_string_lossy().into_owned();
    config.pumapay.auto_approve_test_network = true;
    let app = App::start_default_clock(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(payplane_http::serve(
        app.clone(),
        listener,
        shutdown.clone(),
    ));
    let c = reqwest::Client::new();
    use reqwest::Method;

    // A merchant with a monthly model (12 payments of 12.99 USD), auto-approved on network 3.
    let email = format!("bench{}@example.com", std::process::id());
    let r = call(
        &c,
        Method::POST,
        format!("{url}/api/v2/console-auth/register"),
        &[],
        Some(json!({"company": "Bench", "email": email, "password": "correct horse battery"})),
    )
    .await?;
    let biz = r["data"]["businessID"]
        .as_str()
        .context("businessID")?
        .to_string();
    let r = call(
        &c,
        Method::POST,
        format!("{url}/api/v2/console-auth/login"),
        &[],
        Some(json!({"email": email, "password": "correct horse battery"})),
    )
    .await?;
    let token = r["data"]["xAccessToken"]
        .as_str()
        .context("token")?
        .to_string();
    let r = call(
        &c,
        Method::GET,
        format!("{url}/api/v2/console-auth/api-keys/generate/{biz}"),
        &[("x-access-token", &token)],
        None,
    )
    .await?;
    let key = r["data"].as_str().context("key")?.to_string();
    let k = [("pma-api-key", key.as_str())];
    let r = call(&c, Method::POST, format!("{url}/api/v2/api-key-auth/products/{biz}"), &k, Some(json!({"categoryID": 1, "tags": ["a"], "productName": "Plan", "productDescription": "d", "productUrl": "https://example.com/p", "networkID": 3}))).await?;
    let product = r["data"]["productID"]
        .as_str()
        .context("productID")?
        .to_string();
    let r = call(&c, Method::POST, format!("{url}/api/v2/api-key-auth/pull-payment-models"), &k, Some(json!({"businessID": biz, "productID": product, "networkID": 3, "typeID": 3, "title": "Monthly", "amount": 1299, "currency": "USD", "numberOfPayments": 12, "frequency": 2_592_000, "treasuryWallet": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}))).await?;
    let model = r["data"]["id"].as_str().context("model id")?.to_string();

    // One customer with plenty of PMA, who approved the contract once (no permits needed).
    let net = network(&app, 3).await?;
    let chain = net.chain.clone();
    let customer = PrivateKeySigner::random();
    chain.signers().add(customer.clone());
    chain
        .transfer_eth(net.executor, customer.address(), payplane_chain::ETHER)
        .await?;
    chain
        .mint_tokens(
            net.executor,
            customer.address(),
            PMA * U256::from(1_000_000_000u64),
        )
        .await?;
    let approve = payplane_chain::contracts::PMAToken::approveCall {
        spender: chain.contracts().pull_payments,
        value: U256::MAX,
    };
    use alloy::sol_types::SolCall;
    chain
        .transact(
            customer.address(),
            payplane_chain::CallRequest::call(chain.contracts().token, approve.abi_encode()),
        )
        .await?;

    // Baseline: raw PMA transfers through the same client, 16 in flight, as many as pulls.
    let to = PrivateKeySigner::random().address();
    let (t0, c0) = (Instant::now(), cpu_secs());
    futures::stream::iter(0..n)
        .map(|_| chain.erc20_transfer(customer.address(), to, PMA))
        .buffer_unordered(16)
        .for_each(|r| async move {
            r.expect("transfer");
        })
        .await;
    let base_secs = t0.elapsed().as_secs_f64();
    let base_cpu = cpu_secs() - c0;

    // N subscriptions through the wallet flow, registered (with their first pull) by the jobs;
    // then, half a period later, the M − N others.
    let registered: usize = std::env::var("PULLS_REGISTERED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
        .max(n);
    let caller = Caller {
        business_id: biz.clone(),
    };
    let started = Instant::now();
    for i in 0..registered {
        if i == n {
            while payplane_app::jobs::worker::run_due(&app, "bench").await? > 0 {}
            while executor::run_due(&app).await? > 0 {}
            payplane_app::pumapay::test_clock::advance(&app, "bench", "bench", 3, 1_296_000)
                .await?;
        }
        let qr = requests::create_qr(
            &app,
            &caller,
            requests::QrInput {
                model_id: model.clone(),
                unique_reference_id: format!("c{i}"),
                base_url: url.clone(),
                ..Default::default()
            },
        )
        .await?;
        let addr = customer.address().to_checksum(None);
        let view = requests::wallet_view(&app, &qr.request.id, Some(&addr)).await?;
        let typed: alloy::dyn_abi::TypedData = serde_json::from_value(view.consent.clone())?;
        let sig = customer.sign_hash_sync(&typed.eip712_signing_hash()?)?;
        requests::sign(
            &app,
            &qr.request.id,
            requests::Signatures {
                customer_address: Some(addr),
                consent_signature: Some(format!("0x{}", alloy::hex::encode(sig.as_bytes()))),
                permit_signature: None,
            },
        )
        .await?;
    }
    while payplane_app::jobs::worker::run_due(&app, "bench").await? > 0 {}
    while executor::run_due(&app).await? > 0 {}
    let setup = started.elapsed().as_secs_f64();

    // One period after the first N subscribed, they are due (and only they): the measured part.
    let rest = if registered > n { 1_296_000 } else { 2_592_000 };
    payplane_app::pumapay::test_clock::advance(&app, "bench", "bench", 3, rest).await?;
    let (t0, c0, by0, pg0) = (
        Instant::now(),
        cpu_secs(),
        cpu_by_thread(),
        postgres_cpu_secs(),
    );
    let mut rounds = 0;
    while executor::run_due(&app).await? > 0 {
        rounds += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs() - c0;
    let pg = postgres_cpu_secs() - pg0;
    let mut threads: Vec<String> = cpu_by_thread()
        .into_iter()
        .map(|(name, secs)| (name.clone(), secs - by0.get(&name).copied().unwrap_or(0.0)))
        .filter(|(_, secs)| *secs > 0.0)
        .map(|(name, secs)| format!("{name} {:.0}", secs * 1e6 / n as f64))
        .collect();
    if pg > 0.0 {
        threads.push(format!(
            "postgres (other processes) {:.0}",
            pg * 1e6 / n as f64
        ));
    }
    let made: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM transactions WHERE status = 3 AND pull_index = 1")
            .fetch_one(&app.db.read)
            .await?;
    anyhow::ensure!(made as usize == n, "{made} of {n} second pulls were made");
    println!(
        "registered {registered}, due {n} (setup {setup:.1} s); baseline {:.0} transfers/s ({:.0} µs CPU each); executor {:.0} pulls/s ({:.0} µs CPU each) in {rounds} rounds; ratio {:.2}×; CPU µs per pull by thread: {}",
        n as f64 / base_secs,
        base_cpu * 1e6 / n as f64,
        n as f64 / secs,
        cpu * 1e6 / n as f64,
        (n as f64 / secs) / (n as f64 / base_secs),
        threads.join(", ")
    );
    shutdown.cancel();
    let _ = std::fs::remove_dir_all(&chain_dir);
    Ok(())
}
