//! Closed-loop load generator: `concurrency` clients send the same request back to back for
//! `seconds`, and the successful responses per second are reported as JSON.
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const USAGE: &str = "loadgen --url URL [--method GET] [--body JSON] [--header 'Name: value']... \
[--concurrency 8] [--seconds 10] [--expect 200] [--label run]";

struct Args {
    url: String,
    method: String,
    /// JSON body (sent with Content-Type: application/json).
    body: Option<String>,
    headers: Vec<String>,
    concurrency: usize,
    seconds: u64,
    /// Status that counts as success.
    expect: u16,
    label: String,
}

impl Args {
    fn parse() -> Result<Args> {
        let mut a = Args {
            url: String::new(),
            method: "GET".into(),
            body: None,
            headers: vec![],
            concurrency: 8,
            seconds: 10,
            expect: 200,
            label: "run".into(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--url" => a.url = value,
                "--method" => a.method = value,
                "--body" => a.body = Some(value),
                "--header" => a.headers.push(value),
                "--concurrency" => a.concurrency = value.parse()?,
                "--seconds" => a.seconds = value.parse()?,
                "--expect" => a.expect = value.parse()?,
                "--label" => a.label = value,
                _ => bail!("unknown flag {flag}\n{USAGE}"),
            }
        }
        if a.url.is_empty() {
            bail!("--url is required\n{USAGE}");
        }
        Ok(a)
    }
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
    let mut tasks = vec![];
    for _ in 0..args.concurrency {
        let (args, client, method, ok, other) = (
            args.clone(),
            client.clone(),
            method.clone(),
            ok.clone(),
            other.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let mut req = client.request(method.clone(), &args.url);
                for h in &args.headers {
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
        }));
    }
    for t in tasks {
        t.await?;
    }
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
        })
    );
    Ok(())
}
