//! The crash soak: money and events under SIGKILL.
//!
//! A server process (`payplane serve`, every role) runs against one database while clients make
//! sandbox deposits and withdrawals with confirmations, a webhook endpoint receives every
//! account event, and an operator moves the test clock through the periods of customers'
//! subscriptions, so the executor pulls their payments (`pulls`). Every `kill_every` the process is killed with SIGKILL and a new one started at
//! once. Clients retry each request with its `Idempotency-Key` until it gets a definitive answer,
//! as a real integration would. Afterwards a last process runs until every confirmed withdrawal
//! is final and every event delivered, and the soak checks:
//! - `payplane admin ledger check` passes;
//! - each acknowledged deposit is in the account's history exactly once, and nothing else is;
//! - the withdrawals are exactly the acknowledged ones; the balance equals the deposits minus
//!   the succeeded withdrawals (amount + fee), and the hold is exactly the open ones';
//! - every event was delivered at least once, each always under one `webhook-id`;
//! - every subscription made exactly its pulls, and the treasury holds exactly their PMA on chain.
//!
//! `bench/src/bin/soak.rs` runs it for minutes (figures in `BENCH.md`); the test
//! `crates/cli/tests/crash_soak.rs` runs a short one on both databases.
use anyhow::{Context, Result, anyhow, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod pulls;

pub struct SoakConfig {
    /// The `payplane` binary.
    pub bin: PathBuf,
    pub database_url: String,
    /// How long clients make requests while the server is being killed.
    pub duration: Duration,
    pub kill_every: Duration,
    /// Concurrent clients.
    pub clients: usize,
    /// Customers subscribed to a pull payment whose pulls come due while the server is killed.
    pub customers: usize,
}

#[derive(Debug, Default)]
pub struct SoakReport {
    pub kills: u64,
    /// Time from spawning a process to its first answer, ms (p50, max).
    pub restart_ms: (f64, f64),
    pub deposits: u64,
    pub withdrawals: u64,
    pub confirms: u64,
    /// Requests answered definitively (after retries), and retries that a kill caused.
    pub requests: u64,
    pub retries: u64,
    pub events: usize,
    /// Webhook requests received, and how many of them repeated an event already received.
    pub deliveries: u64,
    pub redelivered: u64,
    /// Requests answered `error.idempotency.interrupted` (took effect, answer lost), each
    /// checked against what the server holds.
    pub interrupted: u64,
    /// Time after the last kill until everything settled and was delivered, s.
    pub settle_secs: f64,
    /// Server CPU time (user + sys) of every process, s.
    pub server_cpu_secs: f64,
    /// Pull payments, the test-clock periods moved during the kills, and the pulls they made.
    pub subscriptions: usize,
    pub clock_steps: i64,
    pub pulls: i64,
    /// Every check that failed, in words. Empty: nothing lost, nothing doubled.
    pub problems: Vec<String>,
}

/// What the webhook receiver saw: event id → the `webhook-id`s it came with, and request count.
#[derive(Default)]
struct Received {
    ids: HashMap<String, HashSet<String>>,
    requests: u64,
}

async fn receiver(rx: Arc<Mutex<Received>>) -> Result<String> {
    let handler = move |headers: axum::http::HeaderMap, body: String| {
        let rx = rx.clone();
        async move {
            let webhook_id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let event = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
                .unwrap_or_default();
            let mut r = rx.lock().unwrap_or_else(|e| e.into_inner());
            r.requests += 1;
            r.ids.entry(event).or_default().insert(webhook_id);
            axum::http::StatusCode::OK
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The server processes: one at a time, killed and replaced on demand.
struct Servers {
    cfg: Arc<SoakConfig>,
    port: u16,
    /// The embedded test network's journal, kept across the processes (removed at the end).
    chain_dir: PathBuf,
    current: Option<Child>,
    restart_ms: Vec<f64>,
    cpu_secs: f64,
}

impl Servers {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.cfg.bin);
        c.env("PAYPLANE_DATABASE_URL", &self.cfg.database_url)
            .env("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
            // A killed process's leases expire quickly, so its work is taken over soon.
            .env("PAYPLANE_WEBHOOKS_LEASE_SECS", "2")
            .env("PAYPLANE_WORKER_LEASE_SECS", "2")
            .env("PAYPLANE_IDEMPOTENCY_ABANDON_SECS", "3")
            .env("PAYPLANE_RATE_LIMIT_PER_SECOND", "0")
            .env("PAYPLANE_CHAIN_DATA_DIR", &self.chain_dir)
            .env("PAYPLANE_PUMAPAY_AUTO_APPROVE_TEST_NETWORK", "true")
            .env("PAYPLANE_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    async fn start(&mut self) -> Result<()> {
        let began = Instant::now();
        let child = self
            .command()
            .args(["serve", "--role", "all"])
            .env("PAYPLANE_LISTEN", format!("127.0.0.1:{}", self.port))
            .spawn()
            .context("starting the server")?;
        self.current = Some(child);
        let url = format!("http://127.0.0.1:{}/ping", self.port);
        for _ in 0..2000 {
            if reqwest::get(&url).await.is_ok() {
                self.restart_ms.push(began.elapsed().as_secs_f64() * 1e3);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("the server did not answer within 10 s of starting")
    }

    fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.current.take() {
            Command::new("kill")
                .args(["-KILL", &c.id().to_string()])
                .status()?;
            self.cpu_secs += child_cpu_secs(&mut c)?;
        }
        Ok(())
    }

    /// A CLI command against the soak's database (JSON out).
    fn cli(&self, args: &[&str]) -> Result<Value> {
        let out = self
            .command()
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .output()?;
        if !out.status.success() {
            bail!(
                "payplane {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    }
}

/// Waits for a killed child and reads its CPU time (user + sys) from `wait4`'s rusage, through
/// `/proc` of the child before it is reaped.
fn child_cpu_secs(c: &mut Child) -> Result<f64> {
    let ticks = std::fs::read_to_string(format!("/proc/{}/stat", c.id()))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start after the last ')'.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            Some(rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    c.wait()?;
    Ok(ticks / 100.0)
}

/// A client of the accounts API that retries a request with the same `Idempotency-Key` until
/// it gets a definitive answer: the server may be dead or starting at any moment.
#[derive(Clone)]
struct Api {
    http: Client,
    base: String,
    /// The credential header sent with every request, if any.
    auth: Option<(&'static str, String)>,
    requests: Arc<AtomicU64>,
    retries: Arc<AtomicU64>,
}

impl Api {
    /// The same client with a bearer token (none if empty).
    fn with_token(&self, token: &str) -> Api {
        Api {
            auth: (!token.is_empty()).then(|| ("authorization", format!("Bearer {token}"))),
            ..self.clone()
        }
    }

    /// The same client with another credential header (`pma-api-key`, `x-access-token`).
    fn with_header(&self, name: &'static str, value: &str) -> Api {
        Api {
            auth: Some((name, value.to_string())),
            ..self.clone()
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Result<(StatusCode, Value)> {
        let started = Instant::now();
        loop {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .timeout(Duration::from_secs(10));
            if let Some((name, value)) = &self.auth {
                req = req.header(*name, value);
            }
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let retry = match req.send().await {
                Ok(r) => {
                    let status = r.status();
                    // 409 in progress: the first attempt's process may have died holding the
                    // key; it is released when its lease ends.
                    let in_progress = status == StatusCode::CONFLICT;
                    if !status.is_server_error() && !in_progress {
                        let v = r.json::<Value>().await.unwrap_or(Value::Null);
                        self.requests.fetch_add(1, Ordering::Relaxed);
                        return Ok((status, v));
                    }
                    let v = r.text().await.unwrap_or_default();
                    if in_progress && !v.contains("in.progress") {
                        // Definitive too (`error.idempotency.interrupted`): the caller decides.
                        self.requests.fetch_add(1, Ordering::Relaxed);
                        return Ok((status, serde_json::from_str(&v).unwrap_or(Value::Null)));
                    }
                    format!("{status} {v}")
                }
                Err(e) => e.to_string(),
            };
            if started.elapsed() > Duration::from_secs(120) {
                bail!("{method} {path}: no definitive answer in 120 s (last: {retry})");
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every item of a paginated list.
    async fn all(&self, path: &str) -> Result<Vec<Value>> {
        let mut out = vec![];
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let (s, v) = self
                .call(
                    Method::GET,
                    &format!("{path}{sep}page={page}&size=100"),
                    None,
                    None,
                )
                .await?;
            if s != StatusCode::OK {
                bail!("GET {path}: {s} {v}");
            }
            let items = v
                .as_array()
                .cloned()
                .or_else(|| v["data"].as_array().cloned())
                .unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }
}

/// What clients were told: the effects the server acknowledged, and the requests whose answer
/// was lost after they took effect (`error.idempotency.interrupted`), checked at the end.
#[derive(Default)]
struct Acked {
    deposits: HashMap<String, i64>,
    withdrawals: HashMap<String, i64>,
    confirmed: HashSet<String>,
    interrupted: Vec<Interrupted>,
}

enum Interrupted {
    Deposit { key: String, amount: i64 },
    Withdrawal { key: String, amount: i64 },
    Confirm { id: String },
}

fn interrupted(s: StatusCode, v: &Value) -> bool {
    s == StatusCode::CONFLICT && v.to_string().contains("error.idempotency.interrupted")
}

const FEE: i64 = 2_500;

async fn client_loop(
    api: Api,
    account: String,
    beneficiary: i64,
    n: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Acked>>,
) -> Result<()> {
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let key = format!("soak-{n}-{i}");
        if !i.is_multiple_of(3) {
            let amount = 10_000 + (i as i64 * 7_919 + n as i64 * 104_729) % 90_000;
            let (s, v) = api
                .call(
                    Method::POST,
                    &format!("/sandbox/accounts/{account}/deposit"),
                    Some(json!({"amount": amount, "reference": key})),
                    Some(&key),
                )
                .await?;
            let mut a = acked.lock().unwrap_or_else(|e| e.into_inner());
            if interrupted(s, &v) {
                a.interrupted.push(Interrupted::Deposit { key, amount });
            } else if s.is_success() {
                a.deposits.insert(key, amount);
            } else {
                bail!("deposit: {s} {v}");
            }
            continue;
        }
        let amount = 5_000 + (i as i64 * 3_571) % 20_000;
        let (s, v) = api
            .call(
                Method::POST,
                &format!("/accounts/{account}/withdraw"),
                Some(json!({"beneficiaryId": beneficiary, "amount": amount, "notes": key})),
                Some(&key),
            )
            .await?;
        if s == StatusCode::PAYMENT_REQUIRED {
            continue; // not enough available: refused, nothing changed
        }
        if interrupted(s, &v) {
            let mut a = acked.lock().unwrap_or_else(|e| e.into_inner());
            a.interrupted.push(Interrupted::Withdrawal { key, amount });
            continue;
        }
        if !s.is_success() {
            bail!("withdraw: {s} {v}");
        }
        let id = v["id"]
            .as_str()
            .ok_or_else(|| anyhow!("withdrawal without id: {v}"))?
            .to_string();
        acked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .withdrawals
            .insert(id.clone(), amount);
        let (s, v) = api
            .call(
                Method::POST,
                &format!("/accounts/{account}/withdraw/{id}/confirm"),
                Some(json!({"authorizationCode": "000000"})),
                Some(&format!("{key}-confirm")),
            )
            .await?;
        let mut a = acked.lock().unwrap_or_else(|e| e.into_inner());
        if interrupted(s, &v) {
            a.interrupted.push(Interrupted::Confirm { id });
        } else if s.is_success() {
            a.confirmed.insert(id);
        } else {
            bail!("confirm: {s} {v}");
        }
    }
    Ok(())
}

pub async fn run(cfg: SoakConfig) -> Result<SoakReport> {
    let cfg = Arc::new(cfg);
    let rx = Arc::new(Mutex::new(Received::default()));
    let hook = receiver(rx.clone()).await?;
    let mut servers = Servers {
        cfg: cfg.clone(),
        port: free_port()?,
        chain_dir: std::env::temp_dir().join(format!(
            "payplane-soak-chain-{}-{}",
            std::process::id(),
            payplane_core::ids::new_id()
        )),
        current: None,
        restart_ms: vec![],
        cpu_secs: 0.0,
    };
    let user = servers.cli(&[
        "admin",
        "user",
        "create",
        "--email",
        "soak@example.com",
        "--name",
        "Soak",
    ])?;
    let user_id = user["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no user id: {user}"))?
        .to_string();
    let token = servers.cli(&[
        "admin", "token", "create", "--user", &user_id, "--mode", "test",
    ])?;
    let anon = Api {
        http: Client::new(),
        base: format!("http://127.0.0.1:{}", servers.port),
        auth: None,
        requests: Arc::default(),
        retries: Arc::default(),
    };
    let api = anon.with_token(
        token["token"]
            .as_str()
            .ok_or_else(|| anyhow!("no token: {token}"))?,
    );
    servers.start().await?;
    let (s, v) = api
        .call(
            Method::POST,
            "/users/me/webhooks",
            Some(json!({"url": hook})),
            Some("soak-hook"),
        )
        .await?;
    if s != StatusCode::CREATED {
        bail!("webhook endpoint: {s} {v}");
    }
    let (_, acc) = api
        .call(
            Method::POST,
            "/users/me/accounts",
            Some(json!({"currencyId": "IDR"})),
            Some("soak-account"),
        )
        .await?;
    let account = acc["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no account: {acc}"))?
        .to_string();
    let (_, ben) = api
        .call(Method::POST, "/beneficiaries", Some(json!({"accountId": account, "bankId": "bca", "address": "1234567890", "name": "Soak Recipient", "email": "soak@example.com", "label": "soak", "type": "personal"})), Some("soak-beneficiary"))
        .await?;
    let beneficiary = ben["id"]
        .as_i64()
        .ok_or_else(|| anyhow!("no recipient: {ben}"))?;
    wait_until(Duration::from_secs(30), || async {
        let (_, b) = api
            .call(
                Method::GET,
                &format!("/beneficiaries/{beneficiary}"),
                None,
                None,
            )
            .await?;
        Ok(b["status"] == "active")
    })
    .await
    .context("the recipient did not become active")?;

    // Subscriptions whose pulls come due during the kills, by an operator's test clock.
    let subscriptions = match cfg.customers {
        0 => None,
        n => {
            let op = servers.cli(&[
                "admin",
                "user",
                "create",
                "--email",
                "ops@example.com",
                "--name",
                "Ops",
                "--role",
                "admin",
            ])?;
            let op_id = op["id"]
                .as_str()
                .ok_or_else(|| anyhow!("no operator: {op}"))?;
            let t = servers.cli(&[
                "admin", "token", "create", "--user", op_id, "--mode", "live",
            ])?;
            let operator = anon.with_token(
                t["token"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no token: {t}"))?,
            );
            Some((pulls::subscribe(&anon, n).await?, operator))
        }
    };

    // Load and kills.
    let stop = Arc::new(AtomicBool::new(false));
    let clock = subscriptions.as_ref().map(|(_, operator)| {
        // Out of step with the kills, so that pulls are under way when one comes.
        let every = cfg.kill_every * 3 / 5;
        tokio::spawn(pulls::move_clock(operator.clone(), every))
    });
    let acked = Arc::new(Mutex::new(Acked::default()));
    let clients: Vec<_> = (0..cfg.clients)
        .map(|n| {
            tokio::spawn(client_loop(
                api.clone(),
                account.clone(),
                beneficiary,
                n,
                stop.clone(),
                acked.clone(),
            ))
        })
        .collect();
    let began = Instant::now();
    let mut kills = 0;
    while began.elapsed() < cfg.duration {
        tokio::time::sleep(cfg.kill_every).await;
        servers.kill()?;
        kills += 1;
        servers.start().await?;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await??;
    }
    let clock_steps = match clock {
        Some(c) => c.await??,
        None => 0,
    };

    // Settle: every confirmed withdrawal final, every event delivered.
    let mut report = SoakReport {
        kills,
        ..Default::default()
    };
    let settle = Instant::now();
    let mut acked = std::mem::take(&mut *acked.lock().unwrap_or_else(|e| e.into_inner()));
    report.interrupted = acked.interrupted.len() as u64;
    reconcile(&api, &user_id, &account, &mut acked, &mut report.problems).await?;
    let finals = wait_until(Duration::from_secs(180), || async {
        let all = api.all(&format!("/accounts/{account}/withdraw")).await?;
        Ok(all.iter().all(|w| {
            !acked.confirmed.contains(w["id"].as_str().unwrap_or(""))
                || matches!(w["status"].as_str(), Some("succeeded" | "failed"))
        }))
    })
    .await;
    if finals.is_err() {
        report
            .problems
            .push("confirmed withdrawals still not final 180 s after the last kill".into());
    }
    let events = api.all("/users/me/events").await?;
    let event_ids: HashSet<String> = events
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    let delivered = wait_until(Duration::from_secs(180), || async {
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        Ok(event_ids.iter().all(|id| r.ids.contains_key(id)))
    })
    .await;
    report.settle_secs = settle.elapsed().as_secs_f64();

    // Checks.
    if delivered.is_err() {
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        let missing = event_ids
            .iter()
            .filter(|id| !r.ids.contains_key(*id))
            .count();
        report.problems.push(format!(
            "{missing} of {} events never delivered",
            event_ids.len()
        ));
    }
    {
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        let unstable = r.ids.values().filter(|w| w.len() > 1).count();
        if unstable > 0 {
            report.problems.push(format!(
                "{unstable} events delivered under more than one webhook-id"
            ));
        }
        report.deliveries = r.requests;
        report.redelivered = r.requests.saturating_sub(r.ids.len() as u64);
    }
    let history = api
        .all(&format!("/users/{user_id}/accounts/{account}/transactions"))
        .await?;
    let mut deposits_seen: HashMap<String, (usize, i64)> = HashMap::new();
    for t in history.iter().filter(|t| t["type"] == "deposit") {
        let e = deposits_seen
            .entry(t["reference"].as_str().unwrap_or("").to_string())
            .or_default();
        e.0 += 1;
        e.1 += t["amount"].as_i64().unwrap_or(0);
    }
    for (key, amount) in &acked.deposits {
        match deposits_seen.get(key) {
            None => report
                .problems
                .push(format!("acknowledged deposit {key} is not in the history")),
            Some((1, a)) if a == amount => {}
            Some((n, a)) => report.problems.push(format!(
                "deposit {key}: {n} entries, {a} in all, {amount} acknowledged"
            )),
        }
    }
    let unasked = deposits_seen
        .keys()
        .filter(|k| !acked.deposits.contains_key(*k))
        .count();
    if unasked > 0 {
        report.problems.push(format!(
            "{unasked} deposits in the history that no client was told of"
        ));
    }
    let withdrawals = api.all(&format!("/accounts/{account}/withdraw")).await?;
    let ids: HashSet<&str> = withdrawals
        .iter()
        .filter_map(|w| w["id"].as_str())
        .collect();
    let known: HashSet<&str> = acked.withdrawals.keys().map(String::as_str).collect();
    if ids != known {
        report.problems.push(format!(
            "withdrawals: {} on the server, {} acknowledged, {} not acknowledged, {} missing",
            ids.len(),
            known.len(),
            ids.difference(&known).count(),
            known.difference(&ids).count()
        ));
    }
    let total = |status: &[&str]| -> i64 {
        withdrawals
            .iter()
            .filter(|w| status.contains(&w["status"].as_str().unwrap_or("")))
            .map(|w| w["amount"].as_i64().unwrap_or(0) + w["feeAmount"].as_i64().unwrap_or(FEE))
            .sum()
    };
    let (_, acc) = api
        .call(
            Method::GET,
            &format!("/users/{user_id}/accounts/{account}"),
            None,
            None,
        )
        .await?;
    let deposited: i64 = acked.deposits.values().sum();
    let expect_balance = deposited - total(&["succeeded"]);
    let expect_locked = -total(&["pending", "processing"]);
    if acc["balance"].as_i64() != Some(expect_balance)
        || acc["locked"].as_i64() != Some(expect_locked)
    {
        report.problems.push(format!(
            "account: balance {} locked {}, expected {expect_balance} and {expect_locked} from what clients were told",
            acc["balance"], acc["locked"]
        ));
    }
    if let Some((subs, operator)) = &subscriptions {
        report.subscriptions = subs.ids.len();
        report.clock_steps = clock_steps;
        report.pulls = subs.check(operator, &mut report.problems).await?;
    }
    servers.kill()?;
    let _ = std::fs::remove_dir_all(&servers.chain_dir);
    if let Err(e) = servers.cli(&["admin", "ledger", "check"]) {
        report.problems.push(format!("ledger check: {e}"));
    }

    let mut r = servers.restart_ms.clone();
    r.sort_by(f64::total_cmp);
    report.restart_ms = (
        crate::percentile(&r, 50.0),
        r.last().copied().unwrap_or(f64::NAN),
    );
    report.deposits = acked.deposits.len() as u64;
    report.withdrawals = acked.withdrawals.len() as u64;
    report.confirms = acked.confirmed.len() as u64;
    report.requests = api.requests.load(Ordering::Relaxed);
    report.retries = api.retries.load(Ordering::Relaxed);
    report.events = event_ids.len();
    report.server_cpu_secs = servers.cpu_secs;
    Ok(report)
}

/// A request answered "interrupted" must have taken effect exactly once: finds it by its key
/// (deposit `reference`, withdrawal `notes`) and counts it as acknowledged.
async fn reconcile(
    api: &Api,
    user_id: &str,
    account: &str,
    acked: &mut Acked,
    problems: &mut Vec<String>,
) -> Result<()> {
    if acked.interrupted.is_empty() {
        return Ok(());
    }
    let history = api
        .all(&format!("/users/{user_id}/accounts/{account}/transactions"))
        .await?;
    let withdrawals = api.all(&format!("/accounts/{account}/withdraw")).await?;
    for i in std::mem::take(&mut acked.interrupted) {
        match i {
            Interrupted::Deposit { key, amount } => {
                if history
                    .iter()
                    .any(|t| t["type"] == "deposit" && t["reference"] == key.as_str())
                {
                    acked.deposits.insert(key, amount);
                } else {
                    problems.push(format!(
                        "deposit {key} answered interrupted but did not take effect"
                    ));
                }
            }
            Interrupted::Withdrawal { key, amount } => {
                match withdrawals.iter().find(|w| w["notes"] == key.as_str()) {
                    Some(w) => {
                        acked
                            .withdrawals
                            .insert(w["id"].as_str().unwrap_or("").to_string(), amount);
                    }
                    None => problems.push(format!(
                        "withdrawal {key} answered interrupted but did not take effect"
                    )),
                }
            }
            Interrupted::Confirm { id } => {
                let w = withdrawals.iter().find(|w| w["id"] == id.as_str());
                if w.is_some_and(|w| w["status"] != "pending") {
                    acked.confirmed.insert(id);
                } else {
                    problems.push(format!(
                        "confirmation of {id} answered interrupted but did not take effect"
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let start = Instant::now();
    loop {
        if check().await? {
            return Ok(());
        }
        if start.elapsed() > limit {
            bail!("not reached within {} s", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
