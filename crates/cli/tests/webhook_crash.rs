//! At-least-once delivery survives SIGKILL: 5 000 events, the server killed twice mid-delivery.
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_payplane");
const EVENTS: usize = 5_000;

type Seen = Arc<Mutex<HashMap<String, usize>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let handler = move |headers: axum::http::HeaderMap| {
        let s = s.clone();
        async move {
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            *s.lock().unwrap().entry(id).or_default() += 1;
            axum::http::StatusCode::OK
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, seen)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server(db: &str, port: u16, role: &str) -> Child {
    Command::new(BIN)
        .args(["serve", "--role", role])
        .env("PAYPLANE_DATABASE_URL", db)
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
        .env("PAYPLANE_WEBHOOKS_LEASE_SECS", "2")
        .env("PAYPLANE_LOG", "warn")
        .env("PAYPLANE_RATE_LIMIT_PER_SECOND", "0") // a burst of events from one token
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(c: &mut Child) {
    Command::new("kill")
        .args(["-KILL", &c.id().to_string()])
        .status()
        .unwrap();
    c.wait().unwrap();
}

async fn wait_ready(base: &str) {
    for _ in 0..400 {
        if reqwest::get(format!("{base}/ping")).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not start");
}

async fn wait_for(seen: &Seen, n: usize, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let got = seen.lock().unwrap().len();
        if got >= n || start.elapsed() > limit {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn crash_test(db: String) {
    let (url, seen) = receiver().await;
    let cli = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(BIN)
            .args(args)
            .env("PAYPLANE_DATABASE_URL", &db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let user = cli(&[
        "admin",
        "user",
        "create",
        "--email",
        "crash@example.com",
        "--name",
        "Crash",
    ]);
    let token = cli(&[
        "admin",
        "token",
        "create",
        "--user",
        user["id"].as_str().unwrap(),
        "--mode",
        "test",
    ]);
    let token = token["token"].as_str().unwrap().to_string();

    // 1. Record 5 000 events with no worker running.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut api = server(&db, port, "api");
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/users/me/webhooks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let sem = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = vec![];
    for _ in 0..EVENTS {
        let (c, b, t, permit) = (
            client.clone(),
            base.clone(),
            token.clone(),
            sem.clone().acquire_owned().await.unwrap(),
        );
        tasks.push(tokio::spawn(async move {
            let _p = permit;
            let r = c
                .post(format!("{b}/users/me/webhooks/test"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    kill9(&mut api);

    // 2. Deliver, killing the process twice mid-way.
    for stop_at in [EVENTS / 5, EVENTS / 2] {
        let mut s = server(&db, port, "all");
        wait_for(&seen, stop_at, Duration::from_secs(60)).await;
        kill9(&mut s);
    }
    let mut last = server(&db, port, "all");
    let got = wait_for(&seen, EVENTS, Duration::from_secs(120)).await;
    kill9(&mut last);

    let seen = seen.lock().unwrap();
    assert_eq!(got, EVENTS, "every event delivered at least once");
    assert_eq!(seen.len(), EVENTS, "no unexpected webhook-ids");
    let total: usize = seen.values().sum();
    // Duplicates are allowed (at-least-once) and carry the same webhook-id by construction.
    eprintln!(
        "{EVENTS} events, {total} requests, {} duplicated",
        total - EVENTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_despite_two_sigkills_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    crash_test(format!(
        "sqlite://{}/crash.db?mode=rwc",
        dir.path().display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_despite_two_sigkills_postgres() {
    let base = payplane_testdb::postgres_url();
    sqlx::any::install_default_drivers();
    let schema = format!("crash_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    crash_test(format!("{base}{sep}options=-c%20search_path%3D{schema}")).await;
}
