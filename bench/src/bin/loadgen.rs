//! Closed-loop load generator: `concurrency` clients send the same request back to back for
//! `seconds`, and the successful responses per second are reported as JSON.
use anyhow::{Context, Result};
use clap::Parser;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "GET")]
    method: String,
    /// JSON body (sent with Content-Type: application/json).
    #[arg(long)]
    body: Option<String>,
    /// `Name: value`, repeatable.
    #[arg(long = "header")]
    headers: Vec<String>,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Status that counts as success.
    #[arg(long, default_value_t = 200)]
    expect: u16,
    /// Label printed with the result.
    #[arg(long, default_value = "run")]
    label: String,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Arc::new(Args::parse());
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
