//! The crash soak: money and events under SIGKILL.
//!
//! The server (`payplane serve`: one process with every role, or API and worker processes
//! apart on one PostgreSQL, `processes::Topology`) runs against one database while clients make
//! sandbox deposits and withdrawals with confirmations, a webhook endpoint receives every
//! account event and every postback, and an operator moves the test clock through the periods
//! of customers' subscriptions, so the executor pulls their payments (`pulls`). Every
//! `kill_every` one process is killed with SIGKILL (each in turn) and started again at once.
//! Clients retry each request with its `Idempotency-Key` until it gets a definitive answer, as a
//! real integration would; with several API processes each attempt goes to the next one, so a
//! retry is a replay to another process. Afterwards the processes run until every confirmed
//! withdrawal is final and every event delivered, and the soak checks:
//! - `payplane admin ledger check` passes, and no job was dead-lettered;
//! - each acknowledged deposit is in the account's history exactly once, and nothing else is;
//! - the withdrawals are exactly the acknowledged ones; the balance equals the deposits minus
//!   the succeeded withdrawals (amount + fee), and the hold is exactly the open ones';
//! - the available balance, sampled throughout, never went below zero;
//! - each final withdrawal has exactly one final event (its payout's effect, once);
//! - every event was delivered at least once, each always under one `webhook-id`;
//! - every subscription made exactly its pulls, the treasury holds exactly their PMA on chain,
//!   and each of their transactions was posted back, always under one `webhook-id`.
//!
//! With several processes, also (`tokens`, `replay`): an `Idempotency-Key` replayed to every
//! API process gets the stored answer, and a token revoked through one API process is refused
//! by that one at once and by the others within the token cache time.
//!
//! `bench/src/bin/soak.rs` runs it for minutes (figures in `BENCH.md`); the tests
//! `crates/cli/tests/crash_soak.rs` (one process, both databases) and
//! `crates/cli/tests/multi_process.rs` (2 API + 2 worker processes, PostgreSQL, anvil) run short
//! ones.
use anyhow::{Context, Result, anyhow, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod processes;
mod pulls;
mod tokens;

use processes::Servers;
pub use processes::{TOKEN_CACHE_SECS, Topology};

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
    pub topology: Topology,
    /// The test network's JSON-RPC node (`PAYPLANE_CHAIN_RPC_URL_3`, anvil); `None`: the
    /// embedded network, which only a single process may run.
    pub chain_rpc: Option<String>,
    /// Withdrawals larger than the deposits bring in, so the account runs near empty and many
    /// are refused: the last funds are raced for by every API process's group commit.
    pub scarce_funds: bool,
}

#[derive(Debug, Default)]
pub struct SoakReport {
    /// Server processes running at once.
    pub processes: usize,
    pub kills: u64,
    /// Of which API (or `all`) processes, and worker processes.
    pub kills_api: u64,
    pub kills_worker: u64,
    /// Time from spawning a process to its first answer, ms (p50, max).
    pub restart_ms: (f64, f64),
    pub deposits: u64,
    pub withdrawals: u64,
    pub confirms: u64,
    /// Withdrawals refused for want of funds (402).
    pub refused: u64,
    /// Withdrawals that reached a final status (payouts made or failed), each with exactly one
    /// final event.
    pub payouts: u64,
    /// The lowest available balance (balance + hold) sampled during the load.
    pub min_available: i64,
    /// Answers replayed with their `Idempotency-Key` to every API process, all identical.
    pub replays: u64,
    /// Jobs run to completion (`payplane_jobs{status="done"}`), and dead-lettered.
    pub jobs_done: i64,
    pub jobs_dead: i64,
    /// Token revocations checked across the API processes, and the longest time another
    /// process went on accepting a revoked token, ms.
    pub revocations: u64,
    pub revocation_lag_ms: f64,
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
    /// Pull-payment transactions posted back, postback requests received, and repeats.
    pub postbacks: usize,
    pub postback_requests: u64,
    pub postback_redelivered: u64,
    /// Every check that failed, in words. Empty: nothing lost, nothing doubled.
    pub problems: Vec<String>,
}

/// What one receiver URL saw: what each request was about (an event id; a postback's
/// transaction hash) → the `webhook-id`s it came with, and the request count.
#[derive(Default)]
pub(crate) struct Seen {
    pub ids: HashMap<String, HashSet<String>>,
    pub requests: u64,
}

impl Seen {
    fn record(&mut self, about: String, webhook_id: String) {
        self.requests += 1;
        self.ids.entry(about).or_default().insert(webhook_id);
    }

    /// How many things came under more than one `webhook-id` (delivered as different messages).
    pub fn unstable(&self) -> usize {
        self.ids.values().filter(|w| w.len() > 1).count()
    }

    pub fn redelivered(&self) -> u64 {
        self.requests.saturating_sub(self.ids.len() as u64)
    }
}

/// The key of a postback of a transaction without a hash (refused before it reached the chain).
pub(crate) const NO_HASH: &str = "no-hash:";

/// What the receiver saw: account events at `/hook`, postbacks at `/postback`.
#[derive(Default)]
pub(crate) struct Received {
    pub events: Seen,
    pub postbacks: Seen,
}

/// The receiver; returns its base URL (`…/hook` takes events, `…/postback` postbacks).
async fn receiver(rx: Arc<Mutex<Received>>) -> Result<String> {
    let webhook_id = |headers: &axum::http::HeaderMap| {
        headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let events = {
        let rx = rx.clone();
        move |headers: axum::http::HeaderMap, body: String| {
            let rx = rx.clone();
            async move {
                let event = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    .unwrap_or_default();
                let mut r = rx.lock().unwrap_or_else(|e| e.into_inner());
                r.events.record(event, webhook_id(&headers));
                axum::http::StatusCode::OK
            }
        }
    };
    let postbacks = move |headers: axum::http::HeaderMap, body: String| {
        let rx = rx.clone();
        async move {
            // A transaction refused before it reached the chain has no hash.
            let hash = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| {
                    v["transactionData"]["transactionHash"]
                        .as_str()
                        .filter(|h| !h.is_empty())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| format!("{NO_HASH}{}", payplane_core::ids::new_id()));
            let mut r = rx.lock().unwrap_or_else(|e| e.into_inner());
            r.postbacks.record(hash, webhook_id(&headers));
            axum::http::StatusCode::OK
        }
    };
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(events))
        .route("/postback", axum::routing::post(postbacks));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// A client of the accounts API that retries a request with the same `Idempotency-Key` until
/// it gets a definitive answer: the server may be dead or starting at any moment. With several
/// API processes, requests take them in turn and each retry goes to the next one.
#[derive(Clone)]
struct Api {
    http: Client,
    bases: Arc<Vec<String>>,
    turn: Arc<AtomicUsize>,
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
        let first = self.turn.fetch_add(1, Ordering::Relaxed);
        self.call_from(first, method, path, body, key).await
    }

    /// `call`, the first attempt to API process `first` (modulo their number).
    async fn call_from(
        &self,
        first: usize,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Result<(StatusCode, Value)> {
        let started = Instant::now();
        for attempt in first.. {
            let base = &self.bases[attempt % self.bases.len()];
            let mut req = self
                .http
                .request(method.clone(), format!("{base}{path}"))
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
        unreachable!("the attempts never run out")
    }

    /// Replays a request that got `answer` with its `Idempotency-Key` to every API process:
    /// each must give the stored answer. Returns the differences.
    async fn replay(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        key: &str,
        answer: &(StatusCode, Value),
    ) -> Result<Vec<String>> {
        let mut problems = vec![];
        for i in 0..self.bases.len() {
            let again = self
                .call_from(i, method.clone(), path, Some(body.clone()), Some(key))
                .await?;
            if &again != answer {
                problems.push(format!(
                    "{method} {path} with key {key} replayed to {}: {} {}, first answered {} {}",
                    self.bases[i], again.0, again.1, answer.0, answer.1
                ));
            }
        }
        Ok(problems)
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
    refused: u64,
    replays: u64,
    /// Replays whose answer differed from the first.
    replay_problems: Vec<String>,
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

/// Every how many acknowledged deposits and withdrawals one is replayed to every API process.
const REPLAY_EVERY: u64 = 5;

#[allow(clippy::too_many_arguments)]
async fn client_loop(
    api: Api,
    account: String,
    beneficiary: i64,
    n: usize,
    scarce: bool,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Acked>>,
) -> Result<()> {
    let replays = api.bases.len() > 1;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let key = format!("soak-{n}-{i}");
        let replay = replays && i.is_multiple_of(REPLAY_EVERY);
        if !i.is_multiple_of(3) {
            let amount = 10_000 + (i as i64 * 7_919 + n as i64 * 104_729) % 90_000;
            let path = format!("/sandbox/accounts/{account}/deposit");
            let body = json!({"amount": amount, "reference": key});
            let (s, v) = api
                .call(Method::POST, &path, Some(body.clone()), Some(&key))
                .await?;
            let differ = if replay && s.is_success() {
                api.replay(Method::POST, &path, &body, &key, &(s, v.clone()))
                    .await?
            } else {
                vec![]
            };
            let mut a = acked.lock().unwrap_or_else(|e| e.into_inner());
            if interrupted(s, &v) {
                a.interrupted.push(Interrupted::Deposit { key, amount });
            } else if s.is_success() {
                a.deposits.insert(key, amount);
                a.replays += u64::from(replay);
                a.replay_problems.extend(differ);
            } else {
                bail!("deposit: {s} {v}");
            }
            continue;
        }
        // Scarce: 40 000–200 000 against two deposits of 10 000–100 000 between withdrawals,
        // so the account runs dry again and again (about a tenth of the withdrawals refused).
        let amount = if scarce {
            40_000 + (i as i64 * 35_711 + n as i64 * 7_919) % 160_000
        } else {
            5_000 + (i as i64 * 3_571) % 20_000
        };
        let path = format!("/accounts/{account}/withdraw");
        let body = json!({"beneficiaryId": beneficiary, "amount": amount, "notes": key});
        let (s, v) = api
            .call(Method::POST, &path, Some(body.clone()), Some(&key))
            .await?;
        if s == StatusCode::PAYMENT_REQUIRED {
            // Not enough available: refused, nothing changed.
            acked.lock().unwrap_or_else(|e| e.into_inner()).refused += 1;
            continue;
        }
        if replay && s.is_success() {
            let differ = api
                .replay(Method::POST, &path, &body, &key, &(s, v.clone()))
                .await?;
            let mut a = acked.lock().unwrap_or_else(|e| e.into_inner());
            a.replays += 1;
            a.replay_problems.extend(differ);
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
    let mut servers = Servers::new(cfg.clone())?;
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
    let token = token["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token: {token}"))?
        .to_string();
    let anon = Api {
        http: Client::new(),
        bases: Arc::new(servers.bases()),
        turn: Arc::default(),
        auth: None,
        requests: Arc::default(),
        retries: Arc::default(),
    };
    let api = anon.with_token(&token);
    servers.start_all().await?;
    let (s, v) = api
        .call(
            Method::POST,
            "/users/me/webhooks",
            Some(json!({"url": format!("{hook}/hook")})),
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
            let postback = format!("{hook}/postback");
            let subs = pulls::subscribe(&anon, n, &postback, cfg.chain_rpc.clone()).await?;
            Some((subs, operator))
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
                cfg.scarce_funds,
                stop.clone(),
                acked.clone(),
            ))
        })
        .collect();
    let sampler = tokio::spawn(min_available(
        api.clone(),
        format!("/users/{user_id}/accounts/{account}"),
        stop.clone(),
    ));
    let revocations = (api.bases.len() > 1).then(|| {
        tokio::spawn(tokens::revocations(
            api.clone(),
            token.clone(),
            Duration::from_secs(TOKEN_CACHE_SECS),
            stop.clone(),
        ))
    });
    let began = Instant::now();
    let mut kills = 0;
    while began.elapsed() < cfg.duration {
        tokio::time::sleep(cfg.kill_every).await;
        servers.kill_next().await?;
        kills += 1;
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
        processes: servers.len(),
        kills,
        kills_api: servers.kills_api,
        kills_worker: servers.kills_worker,
        min_available: sampler.await??,
        ..Default::default()
    };
    if let Some(r) = revocations {
        let r = r.await??;
        report.revocations = r.rounds;
        report.revocation_lag_ms = r.max_lag_ms;
        report.problems.extend(r.problems);
    }
    if report.min_available < 0 {
        report.problems.push(format!(
            "the account's available balance was seen at {}: overdrawn",
            report.min_available
        ));
    }
    let settle = Instant::now();
    let mut acked = std::mem::take(&mut *acked.lock().unwrap_or_else(|e| e.into_inner()));
    report.interrupted = acked.interrupted.len() as u64;
    report.refused = acked.refused;
    report.replays = acked.replays;
    report.problems.append(&mut acked.replay_problems);
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
        Ok(event_ids.iter().all(|id| r.events.ids.contains_key(id)))
    })
    .await;
    report.settle_secs = settle.elapsed().as_secs_f64();

    // Checks.
    if delivered.is_err() {
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        let missing = event_ids
            .iter()
            .filter(|id| !r.events.ids.contains_key(*id))
            .count();
        report.problems.push(format!(
            "{missing} of {} events never delivered",
            event_ids.len()
        ));
    }
    {
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        let unstable = r.events.unstable();
        if unstable > 0 {
            report.problems.push(format!(
                "{unstable} events delivered under more than one webhook-id"
            ));
        }
        report.deliveries = r.events.requests;
        report.redelivered = r.events.redelivered();
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
    report.payouts = final_events(&withdrawals, &events, &mut report.problems);
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
        let posted = subs.check_postbacks(&rx, &mut report.problems).await?;
        let r = rx.lock().unwrap_or_else(|e| e.into_inner());
        report.postbacks = posted;
        report.postback_requests = r.postbacks.requests;
        report.postback_redelivered = r.postbacks.redelivered();
    }
    (report.jobs_done, report.jobs_dead) = jobs(&api).await?;
    if report.jobs_dead > 0 {
        report
            .problems
            .push(format!("{} jobs dead-lettered", report.jobs_dead));
    }
    servers.kill_all()?;
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

/// The lowest available balance (balance + hold, which is negative) of the account, read every
/// 100 ms until `stop`.
async fn min_available(api: Api, path: String, stop: Arc<AtomicBool>) -> Result<i64> {
    let mut min = i64::MAX;
    while !stop.load(Ordering::Relaxed) {
        let (s, v) = api.call(Method::GET, &path, None, None).await?;
        if s == StatusCode::OK
            && let (Some(b), Some(l)) = (v["balance"].as_i64(), v["locked"].as_i64())
        {
            min = min.min(b + l);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(min)
}

/// Each final withdrawal (its payout made or failed: the `withdrawal.submit` and
/// `withdrawal.settle` jobs' effect) must have exactly one final event, and no other withdrawal
/// any; returns how many are final.
fn final_events(withdrawals: &[Value], events: &[Value], problems: &mut Vec<String>) -> u64 {
    let mut finals: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in events {
        if let Some(kind @ ("withdrawal.succeeded" | "withdrawal.failed")) = e["type"].as_str() {
            finals
                .entry(e["subjectId"].as_str().unwrap_or(""))
                .or_default()
                .push(kind);
        }
    }
    let mut n = 0;
    for w in withdrawals {
        let id = w["id"].as_str().unwrap_or("");
        let status = w["status"].as_str().unwrap_or("");
        let seen = finals.remove(id).unwrap_or_default();
        let expected: &[&str] = match status {
            "succeeded" => &["withdrawal.succeeded"],
            "failed" => &["withdrawal.failed"],
            _ => &[],
        };
        n += u64::from(!expected.is_empty());
        if seen != expected {
            problems.push(format!(
                "withdrawal {id} ({status}): final events {seen:?}, expected {expected:?}"
            ));
        }
    }
    if !finals.is_empty() {
        problems.push(format!(
            "{} final events of withdrawals that do not exist",
            finals.len()
        ));
    }
    n
}

/// Jobs done and dead-lettered, from `/metrics` (`payplane_jobs{status}`).
async fn jobs(api: &Api) -> Result<(i64, i64)> {
    let text = api
        .http
        .get(format!("{}/metrics", api.bases[0]))
        .timeout(Duration::from_secs(10))
        .send()
        .await?
        .text()
        .await?;
    let count = |status: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("payplane_jobs{{status=\"{status}\"}} ")))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0) as i64
    };
    Ok((count("done"), count("dead")))
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
