//! Closed-loop load generator: `concurrency` clients send the same request back to back for
//! `seconds`; successful responses per second and latency percentiles are reported as JSON.
//! With `--targets FILE` (lines `URL<TAB>Header: value`), client i uses line i mod n, so load can
//! be spread over several accounts and tokens; with `--once`, the clients instead take the lines
//! in turn and each line is sent once (confirming each withdrawal once), ending early when all
//! are used. With `--rate R` the load is open-loop: requests are due every 1/R s whatever the
//! answers, and latency is counted from when a request was due, so a slow server cannot hide its
//! queueing (no coordinated omission).
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const USAGE: &str = "loadgen (--url URL | --targets FILE) [--method GET] [--body JSON] [--header 'Name: value']... \
[--concurrency 8] [--seconds 10] [--expect 200] [--label run] [--once true] [--rate REQ_PER_SEC]";

struct Args {
    url: String,
    /// (url, extra header) per client, from `--targets`.
    targets: Vec<(String, Option<String>)>,
    method: String,
    /// JSON body (sent with Content-Type: application/json).
    body: Option<String>,
    headers: Vec<String>,
    concurrency: usize,
    seconds: u64,
    /// Status that counts as success.
    expect: u16,
    label: String,
    /// Each target is sent once, clients taking them in turn.
    once: bool,
    /// Open-loop rate (requests/s over all clients); 0 = closed loop.
    rate: f64,
}

impl Args {
    fn parse() -> Result<Args> {
        let mut a = Args {
            url: String::new(),
            targets: vec![],
            method: "GET".into(),
            body: None,
            headers: vec![],
            concurrency: 8,
            seconds: 10,
            expect: 200,
            label: "run".into(),
            once: false,
            rate: 0.0,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--url" => a.url = value,
                "--targets" => {
                    let text = std::fs::read_to_string(&value)
                        .with_context(|| format!("reading {value}"))?;
                    a.targets = text
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| match l.split_once('\t') {
                            Some((u, h)) => (u.to_string(), Some(h.to_string())),
                            None => (l.to_string(), None),
                        })
                        .collect();
                }
                "--method" => a.method = value,
                "--body" => a.body = Some(value),
                "--header" => a.headers.push(value),
                "--concurrency" => a.concurrency = value.parse()?,
                "--seconds" => a.seconds = value.parse()?,
                "--expect" => a.expect = value.parse()?,
                "--label" => a.label = value,
                "--once" => a.once = value.parse()?,
                "--rate" => a.rate = value.parse()?,
                _ => bail!("unknown flag {flag}\n{USAGE}"),
            }
        }
        if a.url.is_empty() && a.targets.is_empty() {
            bail!("--url or --targets is required\n{USAGE}");
        }
        if a.once && a.rate > 0.0 {
            bail!("--once and --rate do not go together\n{USAGE}");
        }
        if a.targets.is_empty() {
            a.targets.push((a.url.clone(), None));
        }
        Ok(a)
    }
}

/// Open loop: due times paced by an OS thread with the kernel's timer, handed to the clients in
/// order. (tokio's timer ticks every millisecond, so pacing with it sent each request up to 1 ms
/// late, and that lateness was counted as the server's.) A request no client is free to send
/// waits, and its wait counts: latency runs from when it was due.
type Due = Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Instant>>>;

fn pace(rate: f64, start: Instant, deadline: Instant) -> Due {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for slot in 0u64.. {
            let due = start + Duration::from_secs_f64(slot as f64 / rate);
            if due >= deadline {
                break;
            }
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send(due).is_err() {
                break;
            }
        }
    });
    Arc::new(tokio::sync::Mutex::new(rx))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Arc::new(Args::parse()?);
    let method: reqwest::Method = args.method.parse().context("method")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let ok = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    // Shared cursor: the next target (with --once).
    let cursor = Arc::new(AtomicU64::new(0));
    let due = (args.rate > 0.0).then(|| pace(args.rate, start, deadline));
    let mut tasks = vec![];
    for i in 0..args.concurrency {
        let (args, client, method, ok, other, cursor, due) = (
            args.clone(),
            client.clone(),
            method.clone(),
            ok.clone(),
            other.clone(),
            cursor.clone(),
            due.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            while Instant::now() < deadline {
                let (url, extra) = if args.once {
                    match args
                        .targets
                        .get(cursor.fetch_add(1, Ordering::Relaxed) as usize)
                    {
                        Some(t) => t,
                        None => break,
                    }
                } else {
                    &args.targets[i % args.targets.len()]
                };
                let sent = if let Some(due) = &due {
                    match due.lock().await.recv().await {
                        Some(at) => at,
                        None => break,
                    }
                } else {
                    Instant::now()
                };
                let mut req = client.request(method.clone(), url);
                for h in args.headers.iter().chain(extra.iter()) {
                    if let Some((k, v)) = h.split_once(':') {
                        req = req.header(k.trim(), v.trim());
                    }
                }
                if let Some(b) = &args.body {
                    req = req
                        .header("content-type", "application/json")
                        .body(b.clone());
                }
                match req.send().await {
                    Ok(res) if res.status().as_u16() == args.expect => {
                        let _ = res.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(res) => {
                        let _ = res.bytes().await;
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = vec![];
    for t in tasks {
        latencies.extend(t.await?);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| (payplane_bench::percentile(&latencies, p) * 100.0).round() / 100.0;
    let secs = start.elapsed().as_secs_f64();
    let ok = ok.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "label": args.label,
            "concurrency": args.concurrency,
            "seconds": (secs * 100.0).round() / 100.0,
            "ok": ok,
            "other": other.load(Ordering::Relaxed),
            "okPerSec": (ok as f64 / secs).round(),
            "p50ms": pct(50.0),
            "p99ms": pct(99.0),
        })
    );
    Ok(())
}
