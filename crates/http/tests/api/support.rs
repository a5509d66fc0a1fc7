//! The integration harness: the real server on an ephemeral port, against a fresh SQLite file or
//! a fresh PostgreSQL schema, with a test clock and a way to run due jobs deterministically.
// Not every test module uses every helper.
#![allow(dead_code)]
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::users::NewToken;
use payplane_app::{App, Config};
use payplane_core::TestClock;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub app: App,
    pub base: String,
    pub client: reqwest::Client,
    pub clock: TestClock,
    pub backend: Backend,
    pub database_url: String,
    shutdown: CancellationToken,
    /// The server's and worker's tasks, awaited by [`TestApp::stop`].
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The fresh database's guard; `None` for a database given with [`Builder::database`].
    data: Option<TestDatabase>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// `PAYPLANE_TEST_DATABASE_URL` when a server answers there, else a throwaway cluster started
/// for this test process (see `payplane_testdb`).
pub fn pg_base_url() -> String {
    payplane_testdb::postgres_url()
}

/// Where a test's data lives, removed when the guard is dropped: a temp dir with the SQLite
/// file, or a PostgreSQL schema.
pub enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres(schema) = self {
            drop_schema(schema);
        }
    }
}

/// A fresh, empty database URL for the backend (SQLite file in a temp dir; PostgreSQL schema).
pub async fn fresh_database(backend: Backend) -> (String, TestDatabase) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/payplane.db?mode=rwc", dir.path().display());
            (url, TestDatabase::Sqlite(dir))
        }
        Backend::Postgres => {
            let base = pg_base_url();
            let schema = format!(
                "t_{}_{}_{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::SeqCst),
                uuid_suffix()
            );
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL at {base} is needed for the postgres tests: {e}")
                });
            if !SWEPT.swap(true, Ordering::SeqCst) {
                sweep_dead_schemas(&mut conn).await;
            }
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            (
                format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                TestDatabase::Postgres(schema),
            )
        }
    }
}

static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Drops the schemas of test processes that are gone (a test that panicked before its `Drop`,
/// a run that was killed). Schemas are named `t_<pid>_…`; a live process's are left alone, so
/// concurrent test runs do not disturb each other.
async fn sweep_dead_schemas(conn: &mut sqlx::AnyConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Drops a test's schema. Called from `Drop`, so on a thread of its own with its own runtime;
/// with a lock timeout, so a transaction the test left open cannot hang it (the sweep of the
/// next run drops what is left).
fn drop_schema(schema: &str) {
    let (base, schema) = (pg_base_url(), schema.to_string());
    let dropping = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let Ok(mut conn) = <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await
            else {
                return;
            };
            let _ = sqlx::query("SET lock_timeout = '2s'")
                .execute(&mut conn)
                .await;
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut conn)
                .await;
        });
    });
    let _ = dropping.join();
}

fn uuid_suffix() -> String {
    payplane_core::ids::new_id().replace('-', "")[20..].to_string()
}

type ConfigTweak = Box<dyn FnOnce(&mut Config)>;

pub struct Builder {
    backend: Backend,
    worker: bool,
    database: Option<String>,
    tweak: Vec<ConfigTweak>,
}

impl Builder {
    /// Also run a background worker loop (otherwise tests call `run_jobs`).
    pub fn worker(mut self) -> Self {
        self.worker = true;
        self
    }
    pub fn config(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweak.push(Box::new(f));
        self
    }
    /// Uses this database (of [`fresh_database`], whose guard the caller keeps) instead of a
    /// fresh one, so several apps, in turn or in other processes, share it.
    pub fn database(mut self, url: &str) -> Self {
        self.database = Some(url.to_string());
        self
    }
    pub async fn start(self) -> TestApp {
        let (url, data) = match self.database {
            Some(url) => (url, None),
            None => {
                let (url, data) = fresh_database(self.backend).await;
                (url, Some(data))
            }
        };
        let mut config = Config::default();
        config.database_url = payplane_app::config::Secret(url.clone());
        config.max_connections = 8;
        config.worker.poll_ms = 20;
        // Tests of other behaviour send bursts from one token; the rate-limit tests set their own.
        config.rate_limit.per_second = 0;
        // Embedded networks in memory: each test gets its own chain.
        config.chain.data_dir = String::new();
        for f in self.tweak {
            f(&mut config);
        }
        let clock = TestClock::new();
        let app = App::start(config, Arc::new(clock.clone()))
            .await
            .expect("app starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let serving = payplane_http::serve(app.clone(), listener, shutdown.clone());
        let mut tasks = vec![tokio::spawn(async move {
            let _ = serving.await;
        })];
        if self.worker {
            tasks.push(tokio::spawn(payplane_app::jobs::worker::run(
                app.clone(),
                "test-worker".into(),
                shutdown.clone(),
            )));
            tasks.push(tokio::spawn(
                payplane_app::pumapay::pull_payments::executor::run(app.clone(), shutdown.clone()),
            ));
        }
        TestApp {
            app,
            base,
            client: reqwest::Client::new(),
            clock,
            backend: self.backend,
            database_url: url,
            shutdown,
            tasks,
            data,
        }
    }
}

impl TestApp {
    pub fn builder(backend: Backend) -> Builder {
        Builder {
            backend,
            worker: false,
            database: None,
            tweak: vec![],
        }
    }
    pub async fn start(backend: Backend) -> TestApp {
        Self::builder(backend).start().await
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
    }
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.req(Method::POST, path)
    }
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.req(Method::DELETE, path)
    }

    /// Runs every due job once (repeatedly, until none is due).
    pub async fn run_jobs(&self) -> usize {
        let mut total = 0;
        loop {
            let n = payplane_app::jobs::worker::run_due(&self.app, "test-driver")
                .await
                .expect("run jobs");
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Runs the pull-payment executor's rounds until nothing is due (tests without `worker`).
    pub async fn run_pulls(&self) -> usize {
        let mut total = 0;
        loop {
            let n = payplane_app::pumapay::pull_payments::executor::run_due(&self.app)
                .await
                .expect("run pulls");
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Sends every due webhook delivery once (repeatedly, until none is due).
    pub async fn run_deliveries(&self) -> usize {
        let client = payplane_app::webhooks::deliver::client(&self.app);
        let mut total = 0;
        loop {
            let n = payplane_app::webhooks::deliver::run_due(&self.app, &client, "test-driver")
                .await
                .expect("deliver");
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// A new user with a full-access token in `mode`.
    pub async fn user(&self, mode: Mode) -> TestUser {
        self.user_with(mode, false, vec![]).await
    }

    pub async fn user_with(&self, mode: Mode, read_only: bool, allow_ips: Vec<String>) -> TestUser {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let u = payplane_app::pazemo::users::create_user(
            &self.app,
            &format!("user{n}@example.com"),
            &format!("User {n}"),
            false,
        )
        .await
        .expect("user");
        let (_, token) = payplane_app::pazemo::users::create_token(
            &self.app,
            &u.id,
            NewToken {
                mode,
                read_only,
                allow_ips,
                label: "test".into(),
            },
        )
        .await
        .expect("token");
        TestUser { id: u.id, token }
    }

    pub async fn admin(&self) -> TestUser {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let u = payplane_app::pazemo::users::create_user(
            &self.app,
            &format!("admin{n}@example.com"),
            "Operator",
            true,
        )
        .await
        .expect("admin");
        let (_, token) = payplane_app::pazemo::users::create_token(
            &self.app,
            &u.id,
            NewToken {
                mode: Mode::Live,
                read_only: false,
                allow_ips: vec![],
                label: "ops".into(),
            },
        )
        .await
        .expect("token");
        TestUser { id: u.id, token }
    }

    /// Every ledger invariant holds.
    pub async fn assert_ledger_sound(&self) {
        let v = payplane_app::ledger::verify(&self.app)
            .await
            .expect("ledger check runs");
        assert!(v.is_empty(), "ledger violations: {v:?}");
    }
}

impl TestApp {
    /// Shuts the server (and worker) down, waits for their tasks and drops the app, so what it
    /// held is released when this returns (the durable devnet's lock on its data dir).
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub struct TestUser {
    pub id: String,
    pub token: String,
}

/// One caller of one face: every request carries its credentials, and answers as
/// `(status, JSON body)`, so a test reads as the document's request and response.
pub struct Face<'a> {
    t: &'a TestApp,
    /// Path prefix of the face (`/api/v2` for the pull-payment API).
    prefix: &'static str,
    header: (&'static str, String),
}

impl TestApp {
    /// The accounts & payouts API as `u` (its bearer token).
    pub fn pazemo(&self, u: &TestUser) -> Face<'_> {
        Face {
            t: self,
            prefix: "",
            header: ("authorization", u.bearer()),
        }
    }

    /// The pull-payment API with an API key, paths relative to `/api/v2`.
    pub fn pumapay_key(&self, key: &str) -> Face<'_> {
        Face {
            t: self,
            prefix: "/api/v2",
            header: ("pma-api-key", key.to_string()),
        }
    }
}

impl Face<'_> {
    /// The request, with the caller's credentials, for anything the shortcuts do not cover.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let (name, value) = &self.header;
        self.t
            .req(method, &format!("{}{path}", self.prefix))
            .header(*name, value)
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.req(Method::GET, path)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        send(self.req(Method::DELETE, path)).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.req(Method::POST, path).json(body)).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.req(Method::PUT, path).json(body)).await
    }
    /// Reads a list from `path` to its end by following its `Link: <…>; rel="next"` headers
    /// (the `cursor` of docs/foundation.md "Lists"): every page's members (`items` picks them out
    /// of the body), in order, and the number of pages read.
    pub async fn walk(
        &self,
        path: &str,
        items: impl Fn(&Value) -> Vec<Value>,
    ) -> (Vec<Value>, usize) {
        let (mut out, mut pages, mut next) = (vec![], 0, Some(path.to_string()));
        while let Some(p) = next.take() {
            let res = self
                .req(Method::GET, &p)
                .send()
                .await
                .expect("request sent");
            let link = res
                .headers()
                .get("link")
                .map(|v| v.to_str().expect("ASCII link").to_string());
            let (s, body) = json(res).await;
            assert_eq!(s, 200, "{p}: {body}");
            out.extend(items(&body));
            pages += 1;
            assert!(pages <= 1000, "{path} never ends");
            next = link.map(|l| {
                let target = l
                    .strip_prefix('<')
                    .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                    .unwrap_or_else(|| panic!("not a next link: {l}"));
                target
                    .strip_prefix(self.prefix)
                    .unwrap_or_else(|| panic!("{target} is not under {}", self.prefix))
                    .to_string()
            });
        }
        (out, pages)
    }
    /// POSTs a raw JSON text body (so amounts travel exactly as written).
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        send(
            self.req(Method::POST, path)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }
}

/// Sends a request and reads its answer as `(status, JSON body)`.
pub async fn send(rb: RequestBuilder) -> (u16, Value) {
    json(rb.send().await.expect("request sent")).await
}

impl TestUser {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// Status and JSON body of a response.
pub async fn json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the accounts API's validation shape with the given code, and returns the error.
pub fn assert_validation(body: &Value, code: &str) -> Value {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("not a validation error body: {body}"));
    let e = errors
        .iter()
        .find(|e| e["code"] == code)
        .unwrap_or_else(|| panic!("no error {code} in {body}"));
    assert!(
        e["message"].is_string() && e["arguments"].is_array(),
        "{body}"
    );
    e.clone()
}

/// Runs a test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! dual {
    ($name:ident, $f:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = $f;
                f($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let f = $f;
                f($crate::support::Backend::Postgres).await
            }
        }
    };
}

/// A scripted answer: status and extra headers.
type Scripted = (u16, Vec<(String, String)>);

/// A local webhook receiver: records every request and answers with scripted statuses (then 200).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<std::sync::Mutex<Vec<Received>>>,
    script: Arc<std::sync::Mutex<std::collections::VecDeque<Scripted>>>,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::<(
            u16,
            Vec<(String, String)>,
        )>::new()));
        let (g, s) = (got.clone(), script.clone());
        let handler = move |headers: axum::http::HeaderMap, body: String| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                g.lock().unwrap().push(Received { headers, body });
                let (status, extra) = s.lock().unwrap().pop_front().unwrap_or((200, vec![]));
                let mut res = axum::response::IntoResponse::into_response(
                    axum::http::StatusCode::from_u16(status).unwrap(),
                );
                for (k, v) in extra {
                    res.headers_mut().insert(
                        axum::http::HeaderName::try_from(k).unwrap(),
                        v.parse().unwrap(),
                    );
                }
                res
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, got, script }
    }

    /// The next answers, in order (status, extra headers).
    pub fn answer(&self, status: u16, headers: &[(&str, &str)]) {
        self.script.lock().unwrap().push_back((
            status,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Verifies a delivery with the official Standard Webhooks library (PyPI `standardwebhooks`).
pub fn verify_with_official_library(secret: &str, r: &Received) {
    let script = "import os,sys\nfrom standardwebhooks.webhooks import Webhook\nh={k:os.environ['H_'+k.replace('-','_')] for k in ['webhook-id','webhook-timestamp','webhook-signature']}\nWebhook(os.environ['SECRET']).verify(os.environ['BODY'], h)\nprint('verified')";
    let has_lib = std::process::Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_lib {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the standardwebhooks library"
        );
        eprintln!("skipped: python standardwebhooks not installed (pip install standardwebhooks)");
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .env("SECRET", secret)
        .env("BODY", &r.body)
        .env("H_webhook_id", &r.headers["webhook-id"])
        .env("H_webhook_timestamp", &r.headers["webhook-timestamp"])
        .env("H_webhook_signature", &r.headers["webhook-signature"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "official verification failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
