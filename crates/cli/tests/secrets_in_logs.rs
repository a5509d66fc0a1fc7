//! No secret reaches the logs (issue #17, item 5). The real binary serves a full run with every
//! log target at debug level, its logs (and those of the operator commands) captured; then none
//! of the run's secrets may appear in them: API tokens (made by the CLI and by the API, and a
//! wrong one presented), the authenticator secret, console passwords (right and wrong), the
//! console session, the `pma-api-key`, webhook and postback signing secrets, a postback's
//! authorization header, the wallet mnemonic and the master key. On SQLite with human log lines
//! and on PostgreSQL with JSON ones.
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_payplane");
/// A valid BIP-39 phrase (a Trezor test vector), the platform wallet's.
const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";
const WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

struct Run {
    dir: tempfile::TempDir,
    database_url: String,
    log_format: &'static str,
    master_key: String,
    /// What the operator commands logged.
    cli_logs: String,
}

impl Run {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_remove("PAYPLANE_CONFIG")
            .env("PAYPLANE_DATABASE_URL", &self.database_url)
            .env("PAYPLANE_LOG", "debug")
            .env("PAYPLANE_LOG_FORMAT", self.log_format)
            .env("PAYPLANE_MASTER_KEY", &self.master_key)
            .env("PAYPLANE_CHAIN_MNEMONIC", MNEMONIC)
            .env("PAYPLANE_CHAIN_DATA_DIR", self.dir.path().join("chain"))
            .env("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", "true");
        c
    }

    /// Runs an operator command; its JSON output.
    fn admin(&mut self, args: &[&str]) -> Value {
        let out = self.cmd(args).output().unwrap();
        self.cli_logs
            .push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// A receiver of webhooks and postbacks: counts what it got.
async fn receiver() -> (String, Arc<Mutex<usize>>) {
    let got: Arc<Mutex<usize>> = Arc::default();
    let g = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let g = g.clone();
            async move {
                *g.lock().unwrap() += 1;
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, got)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    /// `(status, JSON body)` of a request with the given credential header.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some((name, value)) = auth {
            rb = rb.header(name, value);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    async fn post(&self, path: &str, auth: Option<(&str, &str)>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, auth, Some(body))
            .await
    }
    async fn get(&self, path: &str, auth: Option<(&str, &str)>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, auth, None).await
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

async fn full_run(database_url: String, log_format: &'static str) {
    let mut run = Run {
        dir: tempfile::tempdir().unwrap(),
        database_url,
        log_format,
        master_key: format!("master-{}", uuid_like()),
        cli_logs: String::new(),
    };
    // (what, secret) pairs the logs must not contain.
    let mut secrets: Vec<(&str, String)> = vec![
        ("master key", run.master_key.clone()),
        ("mnemonic", MNEMONIC.into()),
    ];

    // The operator makes a user and its tokens.
    let user = run.admin(&[
        "admin",
        "user",
        "create",
        "--email",
        "logs@example.com",
        "--name",
        "Logs",
    ]);
    let uid = text(&user["id"]);
    let live =
        text(&run.admin(&["admin", "token", "create", "--user", &uid, "--mode", "live"])["token"]);
    let test =
        text(&run.admin(&["admin", "token", "create", "--user", &uid, "--mode", "test"])["token"]);
    secrets.push(("live token", live.clone()));
    secrets.push(("test token", test.clone()));
    run.admin(&["admin", "wallet", "show"]);

    let (hook, received) = receiver().await;
    let port = free_port();
    let log_path = run.dir.path().join("server.log");
    let mut server = run
        .cmd(&["serve", "--role", "all"])
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };
    for _ in 0..400 {
        if api
            .http
            .get(format!("{}/ping", api.base))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (live_h, test_h) = (bearer(&live), bearer(&test));
    let live_auth = Some(("authorization", live_h.as_str()));
    let test_auth = Some(("authorization", test_h.as_str()));

    // A token made through the API, and a wrong one presented.
    let (s, t2) = api
        .post("/users/me/tokens", test_auth, json!({"label": "second"}))
        .await;
    assert_eq!(s, 201, "{t2}");
    secrets.push(("API-made token", text(&t2["token"])));
    let wrong = format!("wrong-{}", uuid_like());
    let wrong_h = bearer(&wrong);
    let (s, _) = api
        .get("/users/me", Some(("authorization", &wrong_h)))
        .await;
    assert_eq!(s, 401);
    secrets.push(("wrong token", wrong));

    // 2FA enrolment, then a live withdrawal confirmed with a code from it.
    let (s, e) = api.post("/users/me/2fa", live_auth, json!({})).await;
    assert_eq!(s, 200, "{e}");
    let totp = text(&e["secret"]);
    secrets.push(("TOTP secret", totp.clone()));
    let code = payplane_app::pazemo::twofa::code_at(&totp, now_secs() - 30).unwrap();
    let (s, e) = api
        .post("/users/me/2fa/confirm", live_auth, json!({"code": code}))
        .await;
    assert_eq!(s, 200, "{e}");
    let (s, acct) = api
        .post(
            "/users/me/accounts",
            live_auth,
            json!({"currencyId": "IDR"}),
        )
        .await;
    assert!(s == 200 || s == 201, "{acct}");
    let acct = text(&acct["id"]);
    run.admin(&[
        "admin",
        "credit",
        "--account",
        &acct,
        "--amount",
        "100000",
        "--reference",
        "logs-1",
    ]);
    let withdrawal =
        json!({"address": "1234567890", "addressName": "Budi", "prefix": "bca", "amount": 1000});
    let (s, w) = api
        .post(
            &format!("/accounts/{acct}/withdraw"),
            live_auth,
            withdrawal.clone(),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let code = payplane_app::pazemo::twofa::code_at(&totp, now_secs()).unwrap();
    let (s, e) = api
        .post(
            &format!("/accounts/{acct}/withdraw/{}/confirm", text(&w["id"])),
            live_auth,
            json!({"authorizationCode": code}),
        )
        .await;
    // The code was accepted; no live payout network is configured.
    assert_eq!(s, 402, "{e}");

    // A test withdrawal confirmed and paid out by the worker.
    let (_, acct) = api
        .post(
            "/users/me/accounts",
            test_auth,
            json!({"currencyId": "IDR"}),
        )
        .await;
    let acct = text(&acct["id"]);
    let (s, e) = api
        .post(
            &format!("/sandbox/accounts/{acct}/deposit"),
            test_auth,
            json!({"amount": 100000}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let (s, w) = api
        .post(&format!("/accounts/{acct}/withdraw"), test_auth, withdrawal)
        .await;
    assert_eq!(s, 200, "{w}");
    let (s, e) = api
        .post(
            &format!("/accounts/{acct}/withdraw/{}/confirm", text(&w["id"])),
            test_auth,
            json!({"authorizationCode": "000000"}),
        )
        .await;
    assert_eq!(s, 200, "{e}");

    // A webhook endpoint (its signing secret) and a delivery signed with it.
    let (s, wh) = api
        .post("/users/me/webhooks", test_auth, json!({"url": hook}))
        .await;
    assert_eq!(s, 201, "{wh}");
    let whsec = text(&wh["secret"]);
    secrets.push(("webhook secret", whsec.clone()));
    secrets.push((
        "webhook secret key",
        whsec.trim_start_matches("whsec_").into(),
    ));
    let (s, _) = api
        .post("/users/me/webhooks/test", test_auth, json!({}))
        .await;
    assert_eq!(s, 202);

    // A business: registration, a failed and a good login, its API key, a postback with an
    // authorization header and a signing secret, and a test postback.
    let password = format!("pw-{}", uuid_like());
    let wrong_password = format!("wrong-pw-{}", uuid_like());
    secrets.push(("console password", password.clone()));
    secrets.push(("wrong console password", wrong_password.clone()));
    let email = "biz-logs@example.com";
    let (s, reg) = api
        .post(
            "/api/v2/console-auth/register",
            None,
            json!({"company": "Logs Ltd", "email": email, "password": password}),
        )
        .await;
    assert_eq!(s, 200, "{reg}");
    let biz = text(&reg["data"]["businessID"]);
    let (s, _) = api
        .post(
            "/api/v2/console-auth/login",
            None,
            json!({"email": email, "password": wrong_password}),
        )
        .await;
    assert_eq!(s, 401);
    let (s, login) = api
        .post(
            "/api/v2/console-auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(s, 200, "{login}");
    let session = text(&login["data"]["xAccessToken"]);
    secrets.push(("console session", session.clone()));
    let (s, key) = api
        .get(
            &format!("/api/v2/console-auth/api-keys/generate/{biz}"),
            Some(("x-access-token", &session)),
        )
        .await;
    assert_eq!(s, 200, "{key}");
    let key = text(&key["data"]);
    secrets.push(("pma-api-key", key.clone()));
    let merchant_secret = format!("Bearer merchant-{}", uuid_like());
    secrets.push(("postback authorization", merchant_secret.clone()));
    let key_auth = Some(("pma-api-key", key.as_str()));
    let (s, pb) = api
        .post(
            "/api/v2/api-key-auth/business/postback",
            key_auth,
            json!({"businessID": biz, "url": hook, "environment": "Ropsten",
                "authorization": {"x-merchant-auth": merchant_secret}}),
        )
        .await;
    assert_eq!(s, 200, "{pb}");
    let pbsec = text(&pb["data"]["signingSecret"]);
    secrets.push(("postback secret", pbsec.clone()));
    secrets.push((
        "postback secret key",
        pbsec.trim_start_matches("whsec_").into(),
    ));
    let (s, e) = api
        .post(
            &format!("/api/v2/api-key-auth/business/postback/test/{biz}"),
            key_auth,
            json!({"networkID": 3}),
        )
        .await;
    assert_eq!(s, 200, "{e}");

    // The platform wallet (from the mnemonic) signs a faucet grant.
    let (s, e) = api
        .post("/api/v2/open-auth/faucet", None, json!({"address": WALLET}))
        .await;
    assert_eq!(s, 200, "{e}");

    // Both deliveries arrive, then the server stops.
    for _ in 0..800 {
        if *received.lock().unwrap() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        *received.lock().unwrap() >= 2,
        "webhook and postback delivered"
    );
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();

    let logs = std::fs::read_to_string(&log_path).unwrap() + &run.cli_logs;
    // The capture is real: debug lines of the requests above are there.
    assert!(logs.lines().count() > 30, "{logs}");
    if let Ok(path) = std::env::var("PAYPLANE_TEST_KEEP_LOGS") {
        std::fs::write(format!("{path}.{log_format}"), &logs).unwrap();
    }
    assert!(
        logs.contains("DEBUG") || logs.contains("\"level\":\"DEBUG\""),
        "no debug lines"
    );
    assert!(
        logs.contains("/users/me/2fa/confirm"),
        "request lines are logged"
    );
    for (what, secret) in &secrets {
        assert!(secret.len() >= 12, "{what} is too short to search for");
        for (n, line) in logs.lines().enumerate() {
            assert!(
                !line.to_lowercase().contains(&secret.to_lowercase()),
                "the {what} appears in the logs, line {}: {line}",
                n + 1
            );
        }
    }
}

fn uuid_like() -> String {
    payplane_core::ids::new_id().replace('-', "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_the_logs_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    full_run(
        format!("sqlite://{}/logs.db?mode=rwc", dir.path().display()),
        "human",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_the_logs_postgres() {
    let base = payplane_testdb::postgres_url();
    sqlx::any::install_default_drivers();
    let schema = format!("logs_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    for sql in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    full_run(
        format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        "json",
    )
    .await;
    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut conn)
        .await;
}
