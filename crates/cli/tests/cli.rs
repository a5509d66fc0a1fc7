//! The `payplane` binary as an operator uses it.
use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_payplane");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn url(&self) -> String {
        format!("sqlite://{}/p.db?mode=rwc", self.dir.path().display())
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("PAYPLANE_DATABASE_URL", self.url())
            .env_remove("PAYPLANE_CONFIG");
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_server(env: &Env, port: u16, role: &str, extra: &[&str]) -> Child {
    let mut args = vec!["serve", "--role", role];
    args.extend_from_slice(extra);
    env.cmd(&args)
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn wait_ready(base: &str) {
    for _ in 0..200 {
        if reqwest::get(format!("{base}/ping")).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not start");
}

#[test]
fn dashboard_passwords_come_from_a_one_time_link_or_standard_input() {
    use std::io::Write;
    let env = Env::new();
    let user = env.json(&[
        "admin",
        "user",
        "create",
        "--email",
        "web@example.com",
        "--name",
        "Web",
    ]);
    let id = user["id"].as_str().unwrap();
    let first = user["setPasswordUrl"].as_str().unwrap();
    assert!(
        first.starts_with("http://127.0.0.1:8080/dashboard/set-password?token=ppl_"),
        "{first}"
    );
    assert!(user["setPasswordUrlExpires"].is_string());
    // Another link, at the configured public address.
    let again: Value = {
        let out = env
            .cmd(&["admin", "user", "set-password", "--user", id])
            .env("PAYPLANE_WEB_PUBLIC_URL", "https://pay.example.com/")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let second = again["setPasswordUrl"].as_str().unwrap();
    assert!(second.starts_with("https://pay.example.com/dashboard/set-password?token=ppl_"));
    assert_ne!(first.split("token=").nth(1), second.split("token=").nth(1));
    // A password on standard input, checked like the page's.
    let set = |password: &str| {
        let mut child = env
            .cmd(&[
                "admin",
                "user",
                "set-password",
                "--user",
                id,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = set("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("error.password.weak"));
    let ok = set("a strong enough password");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let body: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(body["password"], "set");
    let out = env.run(&["admin", "user", "set-password", "--user", "nobody"]);
    assert!(!out.status.success());
}

#[test]
fn user_and_token_commands_print_json_and_the_ledger_check_passes() {
    let env = Env::new();
    let user = env.json(&[
        "admin",
        "user",
        "create",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        "--role",
        "admin",
    ]);
    assert_eq!(user["email"], "ops@example.com");
    assert!(user["id"].is_string() && user["name"] == "Ops");
    let token = env.json(&[
        "admin",
        "token",
        "create",
        "--user",
        user["id"].as_str().unwrap(),
        "--mode",
        "live",
        "--read-only",
        "--allow-ip",
        "10.0.0.0/8",
    ]);
    assert!(token["token"].as_str().unwrap().starts_with("pp_live_"));
    assert_eq!(token["access"], "read_only");
    let out = env.run(&[
        "admin",
        "user",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Again",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error.email.taken"));
    let out = env.run(&["admin", "ledger", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_show_masks_secrets() {
    let env = Env::new();
    let out = env
        .cmd(&["config", "show"])
        .env(
            "PAYPLANE_DATABASE_URL",
            "postgres://payplane:hunter2@db.internal/payplane",
        )
        .env("PAYPLANE_MASTER_KEY", "top-secret-key")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("postgres://payplane:***@db.internal/payplane"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("top-secret-key"),
        "{text}"
    );
    assert!(text.contains("listen = \"127.0.0.1:8080\""), "{text}");
}

#[tokio::test]
async fn ledger_check_exits_non_zero_on_a_violation() {
    let env = Env::new();
    assert!(env.run(&["migrate"]).status.success());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.url()).await.unwrap();
    sqlx::query("INSERT INTO ledger_accounts (id, currency, mode, kind, balance, created_at) VALUES ('x', 'USD', 'test', 'user', 5, 0)")
        .execute(&pool).await.unwrap();
    pool.close().await;
    let out = env.run(&["admin", "ledger", "check"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("account x caches 5"));
}

#[tokio::test]
async fn serve_answers_a_cli_token_and_shuts_down_gracefully() {
    let env = Env::new();
    let user = env.json(&[
        "admin",
        "user",
        "create",
        "--email",
        "a@example.com",
        "--name",
        "A",
    ]);
    let token = env.json(&[
        "admin",
        "token",
        "create",
        "--user",
        user["id"].as_str().unwrap(),
        "--mode",
        "test",
    ]);
    let port = free_port();
    let mut child = spawn_server(&env, port, "api", &["--json-logs"]);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let me: Value = reqwest::Client::new()
        .get(format!("{base}/users/me"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
    // An in-flight request (no worker runs in the api role, so /pingQueue waits its full 5 s)
    // must still be answered after SIGTERM.
    let inflight = tokio::spawn(reqwest::get(format!("{base}/pingQueue")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let res = inflight.await.unwrap().expect("in-flight request answered");
    assert_eq!(res.status(), 503);
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("request finished"))
        .expect("a request log line");
    let parsed: Value = serde_json::from_str(line).expect("JSON log line");
    assert!(
        parsed["request_id"].is_string() || parsed["span"]["request_id"].is_string(),
        "{line}"
    );
}

#[tokio::test]
async fn a_worker_process_answers_the_queue_ping_of_an_api_process() {
    let env = Env::new();
    assert!(env.run(&["migrate"]).status.success());
    let port = free_port();
    let mut api = spawn_server(&env, port, "api", &[]);
    let mut worker = env
        .cmd(&["serve", "--role", "worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let res = reqwest::get(format!("{base}/pingQueue")).await.unwrap();
    assert_eq!(res.status(), 200);
    for c in [&mut api, &mut worker] {
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        assert!(c.wait().unwrap().success());
    }
}

async fn rpc(base: &str, method: &str, params: Value) -> Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let res: Value = reqwest::Client::new()
        .post(format!("{base}/api/v2/open-auth/rpc/3"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["result"].clone()
}

#[tokio::test]
async fn the_embedded_network_survives_sigkill_and_the_wallet_is_stable() {
    let env = Env::new();
    let chain_dir = env.dir.path().join("chain");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let start = || {
        env.cmd(&["serve"])
            .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
            .env("PAYPLANE_CHAIN_DATA_DIR", &chain_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut server = start();
    wait_ready(&base).await;
    let address = "0x00000000000000000000000000000000000d00d5";
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v2/open-auth/faucet"))
        .json(&serde_json::json!({"address": address}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let balance = rpc(
        &base,
        "eth_getBalance",
        serde_json::json!([address, "latest"]),
    )
    .await;
    let height = rpc(&base, "eth_blockNumber", serde_json::json!([])).await;
    assert_eq!(balance, "0xde0b6b3a7640000");
    Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();

    let mut server = start();
    wait_ready(&base).await;
    assert_eq!(
        rpc(
            &base,
            "eth_getBalance",
            serde_json::json!([address, "latest"])
        )
        .await,
        balance
    );
    assert_eq!(
        rpc(&base, "eth_blockNumber", serde_json::json!([])).await,
        height
    );
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());

    let first = env.json(&["admin", "wallet", "show"]);
    let second = env.json(&["admin", "wallet", "show"]);
    assert_eq!(
        first["executor"], second["executor"],
        "the generated seed is stored, not regenerated"
    );
    assert!(
        first["executor"]["address"]
            .as_str()
            .unwrap()
            .starts_with("0x")
    );
    let text = first.to_string();
    assert!(
        !text.contains("private") && !text.contains("mnemonic"),
        "addresses only: {text}"
    );
}

#[tokio::test]
async fn admin_reset_2fa_clears_the_authenticator_and_writes_an_audit_row() {
    let env = Env::new();
    let user = env.json(&[
        "admin",
        "user",
        "create",
        "--email",
        "lost-phone@example.com",
        "--name",
        "Lost",
    ]);
    let id = user["id"].as_str().unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.url()).await.unwrap();
    sqlx::query("UPDATE users SET totp_secret = 'v1:old', totp_pending = 'v1:new' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let out = env.json(&["admin", "user", "reset-2fa", "--user", id]);
    assert_eq!(out["id"], id);
    let (active, pending): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT totp_secret, totp_pending FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((active, pending), (None, None));
    let (actor, action): (String, String) =
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE target = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(actor.starts_with("cli:"), "{actor}");
    assert_eq!(action, "user.2fa.reset");
    let out = env.run(&["admin", "user", "reset-2fa", "--user", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error.user.not.found"));
}

#[tokio::test]
async fn serve_refuses_to_start_in_live_mode_without_a_master_key() {
    let env = Env::new();
    let config = env.dir.path().join("live.toml");
    std::fs::write(&config, "[payouts]\nlive_network = \"sandbox\"\n").unwrap();
    let port = free_port();
    let mut refused = env
        .cmd(&["serve"])
        .env("PAYPLANE_CONFIG", &config)
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("PAYPLANE_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut exited = None;
    for _ in 0..200 {
        exited = refused.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if exited.is_none() {
        refused.kill().unwrap();
        let _ = refused.wait();
        panic!("serve started in live mode without a master_key");
    }
    let out = refused.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("master_key") && err.contains("payouts.live_network"),
        "{err}"
    );
    // With a key it starts.
    let mut child = env
        .cmd(&["serve"])
        .env("PAYPLANE_CONFIG", &config)
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYPLANE_MASTER_KEY", "a-real-key-from-the-vault")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    child.kill().unwrap();
    let _ = child.wait();
}

/// With `HTTP_PROXY` (and friends) in the server's environment, a webhook to a loopback receiver
/// goes straight to it: the environment's proxy would resolve the target itself, out of the SSRF
/// guard's sight, so deliveries only use a proxy configured as `webhooks.proxy`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_ignore_proxy_environment_variables() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let via_proxy: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = via_proxy.clone();
    std::thread::spawn(move || {
        for mut conn in proxy.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]);
            seen.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_string());
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    let received: Arc<Mutex<usize>> = Arc::default();
    let r = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let r = r.clone();
            async move {
                *r.lock().unwrap() += 1;
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let env = Env::new();
    let user = env.json(&[
        "admin",
        "user",
        "create",
        "--email",
        "p@example.com",
        "--name",
        "P",
    ]);
    let token = env.json(&[
        "admin",
        "token",
        "create",
        "--user",
        user["id"].as_str().unwrap(),
        "--mode",
        "test",
    ]);
    let token = token["token"].as_str().unwrap().to_string();
    let port = free_port();
    let mut cmd = env.cmd(&["serve", "--role", "all"]);
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(var, &proxy_url);
    }
    let mut child = cmd
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/users/me/webhooks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"url": hook}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/users/me/webhooks/test"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    for _ in 0..400 {
        if *received.lock().unwrap() > 0 || !via_proxy.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert_eq!(
        *via_proxy.lock().unwrap(),
        Vec::<String>::new(),
        "nothing went through the proxy"
    );
    assert_eq!(
        *received.lock().unwrap(),
        1,
        "the receiver got the delivery directly"
    );
}

#[tokio::test]
async fn admin_rate_set_and_list_validate_store_and_audit() {
    let env = Env::new();
    let set = env.json(&["admin", "rate", "set", "usd", "0.0125"]);
    assert_eq!(set["currency"], "USD");
    assert_eq!(set["rate"], "0.0125");
    assert_eq!(set["source"], "operator");
    // The document's GPB is GBP.
    let gbp = env.json(&["admin", "rate", "set", "GPB", "0.00790"]);
    assert_eq!(
        (&gbp["currency"], &gbp["rate"]),
        (&"GBP".into(), &"0.0079".into())
    );
    let list = env.json(&["admin", "rate", "list"]);
    let list = list.as_array().unwrap();
    let currencies: Vec<&str> = list
        .iter()
        .map(|r| r["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["USD", "EUR", "JPY", "GBP"]);
    assert_eq!(list[0]["rate"], "0.0125");
    assert_eq!(list[0]["source"], "operator");
    // EUR was never set: the configured fixed price.
    assert_eq!(list[1]["source"], "config");
    for (args, code) in [
        (["CHF", "1"], "error.currency.invalid"),
        (["USD", "0"], "error.rate.invalid"),
        (["USD", "-0.5"], "error.rate.invalid"),
        (["USD", "a lot"], "error.rate.invalid"),
    ] {
        let out = env.run(&["admin", "rate", "set", args[0], args[1]]);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(code), "{args:?}: {err}");
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.url()).await.unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, target, source FROM audit_log WHERE action = 'rate.set' ORDER BY target",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].0.starts_with("cli:"), "{rows:?}");
    assert_eq!(rows[0].1, "GBP=0.0079");
    assert_eq!(rows[1].1, "USD=0.0125");
    assert!(rows[0].2.starts_with("cli@"));
}

/// A pending settlement in `env`'s database, made through the use cases as the pull-payment API
/// makes one: a Kemix model, one of its pulls recorded and accrued (as the executor's record step
/// does; no chain is needed to settle it), then claimed.
async fn pending_settlement(env: &Env) -> String {
    use payplane_app::pumapay::{access::Caller, console, payment_models, products, settlement};
    use payplane_core::kinds::{TxStatus, TxType};
    use payplane_store::pumapay::transactions::{self as txs, Transaction};
    let mut config = payplane_app::Config::default();
    config.database_url = payplane_app::config::Secret(env.url());
    let app = payplane_app::App::start_default_clock(config)
        .await
        .unwrap();
    let reg = console::register(
        &app,
        "Acme",
        "cli@example.com",
        "correct horse battery",
        "127.0.0.1",
    )
    .await
    .unwrap();
    let caller = Caller {
        business_id: reg.business_id.clone(),
    };
    let product = products::create(
        &app,
        &caller,
        &reg.business_id,
        products::ProductInput {
            category_id: Some(1),
            tags: Some(vec!["a".into()]),
            name: Some("Plan".into()),
            description: Some("d".into()),
            url: Some("https://example.com/p".into()),
            network_id: Some(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let model = payment_models::create(
        &app,
        &caller,
        payment_models::NewModel {
            business_id: Some(reg.business_id.clone()),
            product_id: Some(product.id.clone()),
            title: Some("One-off".into()),
            amount: Some(25_000),
            currency: Some("EUR".into()),
            type_id: Some(2),
            network_id: Some(3),
            destination: Some("Kemix".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = app.now();
    let row = Transaction {
        id: payplane_core::ids::new_id(),
        pull_payment_id: payplane_core::ids::new_id(),
        business_id: reg.business_id.clone(),
        product_id: product.id,
        payment_model_id: model.id,
        network_id: 3,
        tx_type: TxType::RegisterAndExecute,
        status: TxStatus::Success,
        pull_index: Some(0),
        reference_no: 1,
        tx_hash: None,
        sender: None,
        receiver: None,
        block_number: None,
        block_hash: None,
        transaction_index: None,
        gas_used: None,
        cumulative_gas_used: None,
        effective_gas_price: None,
        logs: None,
        logs_bloom: None,
        currency: "EUR".into(),
        fiat_amount: 25_000,
        token_amount: Some("1000".into()),
        rate: Some("0.25".into()),
        rate_source: Some("operator".into()),
        rate_at: Some(now),
        reason: None,
        execution_date: Some(now / 1_000_000),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await.unwrap();
    txs::insert(&mut tx, &row).await.unwrap();
    settlement::accrual::accrue(&mut tx, &row, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let s = settlement::create(&app, &caller, &reg.business_id, "eur", Some("3"))
        .await
        .unwrap();
    app.db.close().await;
    s.id
}

#[tokio::test]
async fn admin_settlement_unsettle_then_settle_outside_with_audit_and_sound_books() {
    let env = Env::new();
    let id = pending_settlement(&env).await;
    let out = env.json(&[
        "admin",
        "settlement",
        "unsettle",
        &id,
        "--reason",
        "no IBAN yet",
    ]);
    assert_eq!(out["status"], "unsettled");
    assert_eq!(out["statusReason"], "no IBAN yet");
    let out = env.json(&[
        "admin",
        "settlement",
        "settle",
        &id,
        "--reference",
        "SEPA-0001",
    ]);
    assert_eq!(out["status"], "settled");
    assert_eq!(out["payoutReference"], "SEPA-0001");
    assert_eq!(out["totalFiatAmount"], 25_000);
    let again = env.run(&["admin", "settlement", "settle", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("error.settlement.status"));
    let unknown = env.run(&["admin", "settlement", "settle", "nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("error.settlement.not.found"));
    let check = env.run(&["admin", "ledger", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.url()).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, target FROM audit_log WHERE action LIKE 'settlement.%' ORDER BY created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "settlement.unsettle".into(),
                format!("{id} reason=no IBAN yet")
            ),
            (
                "settlement.settle".into(),
                format!("{id} outside ref=SEPA-0001")
            ),
        ]
    );
    let wallet = env.json(&["admin", "wallet", "show"]);
    assert_eq!(wallet["settlement"]["index"], 2_147_483_647);
}
