//! Webhook delivery benchmark: deliveries per second to a local receiver that answers 200 at once,
//! and outbox-to-delivery lag, against a raw-HTTP baseline measured in the same run.
//!
//! `cargo run --release -p payplane-bench --bin webhooks -- [events] [database-url]`
use futures::StreamExt;
use payplane_app::config::Secret;
use payplane_app::{App, Config};
use payplane_bench::{fresh_pg, percentile};
use payplane_core::Clock;
use payplane_store::events::{NewEvent, append};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Rx {
    count: AtomicUsize,
    lags_ms: Mutex<Vec<f64>>,
}

async fn receiver(rx: Arc<Rx>) -> anyhow::Result<String> {
    let handler = move |body: String| {
        let rx = rx.clone();
        async move {
            rx.count.fetch_add(1, Ordering::Relaxed);
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body)
                && let Some(created) = v["createdTime"]
                    .as_str()
                    .and_then(payplane_core::timefmt::parse_rfc3339)
            {
                let now = payplane_core::SystemClock.now_micros();
                rx.lags_ms
                    .lock()
                    .map(|mut l| l.push((now - created) as f64 / 1000.0))
                    .ok();
            }
            axum::http::StatusCode::OK
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

async fn wait_count(rx: &Rx, n: usize) {
    while rx.count.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn emit(app: &App, owner: &str, n: usize, per_tx: usize) -> anyhow::Result<()> {
    let payload = serde_json::json!({"amount": 100, "status": "succeeded"});
    let mut left = n;
    while left > 0 {
        let k = per_tx.min(left);
        let mut tx = app.db.begin().await?;
        for _ in 0..k {
            let subject = payplane_core::ids::new_id();
            append(
                &mut tx,
                NewEvent {
                    kind: "bench.event",
                    owner_id: owner,
                    mode: "test",
                    subject_id: &subject,
                    payload: &payload,
                },
                app.now(),
            )
            .await?;
        }
        tx.commit().await?;
        left -= k;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let events: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let base = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = if base.starts_with("sqlite") {
        base.clone()
    } else {
        fresh_pg(&base, "bench_webhooks").await?
    };
    let rx = Arc::new(Rx {
        count: AtomicUsize::new(0),
        lags_ms: Mutex::new(Vec::new()),
    });
    let url = receiver(rx.clone()).await?;

    // Baseline: the same number of POSTs straight from one HTTP client, same concurrency, no database.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    let started = Instant::now();
    let body = serde_json::json!({"createdTime": "x"}).to_string();
    futures::stream::iter(0..events)
        .map(|_| {
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
        })
        .buffer_unordered(256)
        .for_each(|_| async {})
        .await;
    let baseline = events as f64 / started.elapsed().as_secs_f64();
    rx.count.store(0, Ordering::Relaxed);

    let mut config = Config {
        database_url: Secret(db),
        max_connections: 16,
        ..Default::default()
    };
    config.webhooks.allow_private = true;
    config.webhooks.poll_ms = 5;
    config.webhooks.batch = 512;
    let app = App::start_default_clock(config).await?;
    let owner = payplane_core::ids::new_id();
    let endpoint = payplane_store::webhooks::Endpoint {
        id: payplane_core::ids::new_id(),
        owner_id: owner.clone(),
        mode: "test".into(),
        url: url.clone(),
        secret: payplane_app::webhooks::sign::new_secret(),
        previous_secret: None,
        previous_secret_until: None,
        headers: vec![],
        created_at: app.now(),
    };
    payplane_store::webhooks::insert_endpoint(app.db.writer(), &endpoint).await?;

    // Throughput: a backlog of `events` deliveries, drained by two delivery loops.
    emit(&app, &owner, events, 500).await?;
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    for w in 0..2 {
        tokio::spawn(payplane_app::webhooks::deliver::run(
            app.clone(),
            format!("bench-{w}"),
            shutdown.clone(),
        ));
    }
    wait_count(&rx, events).await;
    let rate = events as f64 / started.elapsed().as_secs_f64();

    // Lag: events committed one per transaction at a steady 1 000/s while the loops run.
    rx.count.store(0, Ordering::Relaxed);
    rx.lags_ms.lock().map(|mut l| l.clear()).ok();
    let steady = 5_000;
    let tick = Duration::from_micros(1_000);
    let mut next = Instant::now();
    for _ in 0..steady {
        emit(&app, &owner, 1, 1).await?;
        next += tick;
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(d).await;
        }
    }
    wait_count(&rx, steady).await;
    shutdown.cancel();
    let mut lags = rx.lags_ms.lock().map(|l| l.clone()).unwrap_or_default();
    lags.sort_by(|a, b| a.total_cmp(b));

    println!(
        "backend: {}",
        if base.starts_with("sqlite") {
            "sqlite"
        } else {
            "postgres"
        }
    );
    println!("raw HTTP baseline (same receiver, 256 concurrent): {baseline:.0} req/s");
    println!(
        "deliveries: {events} in backlog, drained at {rate:.0}/s = {:.2}x baseline",
        rate / baseline
    );
    println!(
        "outbox-to-delivery lag at 1000 events/s ({} samples): p50 {:.1} ms, p99 {:.1} ms",
        lags.len(),
        percentile(&lags, 50.0),
        percentile(&lags, 99.0)
    );
    Ok(())
}
