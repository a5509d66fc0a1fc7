//! The `payplane` binary: serve, migrate, config and operator commands.
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use payplane_app::config::Role;
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::users::NewToken;
use payplane_app::{App, Config};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "payplane",
    version,
    about = "Self-hosted payments platform: accounts & payouts and pull-payment billing"
)]
struct Cli {
    /// TOML configuration file (values are overridden by PAYPLANE_* variables).
    #[arg(long, global = true, env = "PAYPLANE_CONFIG")]
    config: Option<String>,
    /// Log lines as JSON.
    #[arg(long, global = true)]
    json_logs: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and/or the background workers.
    Serve {
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCmd,
    },
    /// Print the OpenAPI 3.1 document of every route.
    Openapi,
    /// Operator commands.
    Admin {
        #[command(subcommand)]
        command: AdminCmd,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Api,
    Worker,
    All,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the effective configuration, secrets masked.
    Show,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Platform wallets: addresses only, never keys.
    Wallet {
        #[command(subcommand)]
        command: WalletCmd,
    },
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
    Ledger {
        #[command(subcommand)]
        command: LedgerCmd,
    },
    /// Credit an account from the platform funding account (live money that arrived outside
    /// the API); audit-logged, refused if the reference was already credited.
    Credit {
        #[arg(long)]
        account: String,
        /// Major units, exact (e.g. 150000 or 12.50).
        #[arg(long)]
        amount: String,
        /// Reference of the incoming payment.
        #[arg(long)]
        reference: String,
    },
    /// Pull-payment businesses: approve-kyc, reject-kyc, request-kyc, approve-details,
    /// approve-treasury-wallet, trust, untrust, mark-psp, approve-pride-access.
    Business {
        /// The action, e.g. approve-kyc.
        action: String,
        /// The business id.
        id: String,
    },
    /// Pull-payment products: verify or unverify.
    Product {
        #[arg(value_parser = ["verify", "unverify"])]
        action: String,
        /// The product id.
        id: String,
    },
    /// PMA exchange rates: the price of one PMA per fiat currency, used to convert pulls.
    Rate {
        #[command(subcommand)]
        command: RateCmd,
    },
    /// Fiat settlements: settle (paid into the business's linked account, or recorded as paid
    /// outside the platform under --reference) or unsettle (not paid, with --reason).
    Settlement {
        #[arg(value_parser = ["settle", "unsettle"])]
        action: String,
        /// The settlement id.
        id: String,
        /// settle without a linked account: the reference of the payment made outside.
        #[arg(long)]
        reference: Option<String>,
        /// unsettle: why it is not paid.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Pull-payment payment models: approve, reject or suspend.
    PaymentModel {
        #[arg(value_parser = ["approve", "reject", "suspend"])]
        action: String,
        /// The payment model id.
        id: String,
    },
}

#[derive(Subcommand)]
enum RateCmd {
    /// Set the price of one PMA in a currency (source `operator`, audit-logged); it stays in
    /// force until the next `rate set` or HTTP rate-source poll.
    Set {
        /// USD, EUR, JPY or GBP (GPB is read as GBP).
        currency: String,
        /// A positive decimal, e.g. 0.0125.
        #[arg(allow_hyphen_values = true)]
        rate: String,
    },
    /// Print the rate in force for each currency as JSON (price, source, time).
    List,
}

#[derive(Subcommand)]
enum WalletCmd {
    /// Print the executor, settlement and businesses' gas wallet addresses as JSON.
    Show,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; prints it as JSON.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `admin` makes an operator.
        #[arg(long)]
        role: Option<String>,
    },
    /// Give a user a password for the dashboard: prints a new one-time set-password link, or
    /// with --password-stdin sets the password read from the first line of standard input
    /// (audit-logged). Either way the user's dashboard sessions end once a password is set.
    #[command(name = "set-password")]
    SetPassword {
        #[arg(long)]
        user: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user's authenticator (lost device), audit-logged; their next enrolment needs
    /// no code.
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token; prints JSON with the secret `token` (shown once).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, value_parser = ["test", "live"])]
        mode: String,
        #[arg(long)]
        read_only: bool,
        /// IP or CIDR allowed to use the token (repeatable; none = any address).
        #[arg(long = "allow-ip")]
        allow_ip: Vec<String>,
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Verify every ledger invariant; exits non-zero on a violation.
    Check,
}

/// mimalloc instead of glibc's malloc: a request allocates many short-lived buffers (JSON,
/// statements, rows), and glibc's allocator was a fifth of the server's CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref()).context("loading configuration")?;
    if cli.json_logs {
        config.log_format = "json".into();
    }
    init_logs(&config.log_format);
    match cli.command {
        Command::Serve { role } => {
            if let Some(r) = role {
                config.role = match r {
                    RoleArg::Api => Role::Api,
                    RoleArg::Worker => Role::Worker,
                    RoleArg::All => Role::All,
                };
            }
            serve(config).await
        }
        Command::Migrate => {
            App::start_default_clock(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Config {
            command: ConfigCmd::Show,
        } => {
            print!("{}", config.show());
            Ok(())
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&payplane_http::api().1)?);
            Ok(())
        }
        Command::Admin { command } => admin(config, command).await,
    }
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYPLANE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> Result<()> {
    config.check_serve()?;
    let role = config.role;
    let listen = config.listen.clone();
    let app = App::start_default_clock(config).await?;
    let shutdown = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    if role.runs_worker() {
        let worker_id = format!("{}-{}", hostname(), std::process::id());
        tasks.spawn(payplane_app::webhooks::deliver::run(
            app.clone(),
            worker_id.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(payplane_app::jobs::worker::run(
            app.clone(),
            worker_id,
            shutdown.clone(),
        ));
        tasks.spawn(payplane_app::pumapay::pull_payments::executor::run(
            app.clone(),
            shutdown.clone(),
        ));
        // PMA prices from `[pull_payments.rates] http_url` (returns at once when unset).
        tasks.spawn(payplane_app::pumapay::rates::http::run(
            app.clone(),
            shutdown.clone(),
        ));
    }
    if role.runs_api() {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        tracing::info!(address = %listener.local_addr()?, "payplane listening");
        let (app, s) = (app.clone(), shutdown.clone());
        tasks.spawn(async move {
            if let Err(e) = payplane_http::serve(app, listener, s).await {
                tracing::error!(error = %e, "server failed");
            }
        });
    }
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight requests and releasing job leases");
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    payplane_app::pumapay::networks::close(&app).await;
    app.db.close().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "worker".into())
}

async fn admin(config: Config, command: AdminCmd) -> Result<()> {
    let app = App::start_default_clock(config).await?;
    match command {
        AdminCmd::User {
            command: UserCmd::Create { email, name, role },
        } => {
            let admin = match role.as_deref() {
                None | Some("user") => false,
                Some("admin") => true,
                Some(other) => bail!("unknown role {other}: use admin or leave it out"),
            };
            let u = payplane_app::pazemo::users::create_user(&app, &email, &name, admin)
                .await
                .map_err(describe)?;
            let link = payplane_app::pazemo::logins::issue_password_link(&app, &u.id)
                .await
                .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"id": u.id, "email": u.email, "name": u.name, "roles": u.roles,
                                   "setPasswordUrl": link.url,
                                   "setPasswordUrlExpires": payplane_core::timefmt::iso_millis(link.expires_at)})
            );
        }
        AdminCmd::User {
            command:
                UserCmd::SetPassword {
                    user,
                    password_stdin,
                },
        } => {
            if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let password = line.trim_end_matches(['\r', '\n']);
                payplane_app::pazemo::logins::operator_set_password(
                    &app,
                    &operator(),
                    &format!("cli@{}", hostname()),
                    &user,
                    password,
                )
                .await
                .map_err(describe)?;
                println!("{}", serde_json::json!({"id": user, "password": "set"}));
            } else {
                let link = payplane_app::pazemo::logins::issue_password_link(&app, &user)
                    .await
                    .map_err(describe)?;
                println!(
                    "{}",
                    serde_json::json!({"id": user, "setPasswordUrl": link.url,
                                       "setPasswordUrlExpires": payplane_core::timefmt::iso_millis(link.expires_at)})
                );
            }
        }
        AdminCmd::User {
            command: UserCmd::Reset2fa { user },
        } => {
            payplane_app::pazemo::twofa::operator_reset(
                &app,
                &operator(),
                &format!("cli@{}", hostname()),
                &user,
            )
            .await
            .map_err(describe)?;
            println!("{}", serde_json::json!({"id": user, "twoFactor": "reset"}));
        }
        AdminCmd::Token {
            command:
                TokenCmd::Create {
                    user,
                    mode,
                    read_only,
                    allow_ip,
                    label,
                },
        } => {
            let mode = Mode::parse(&mode).context("mode must be test or live")?;
            let (t, secret) = payplane_app::pazemo::users::create_token(
                &app,
                &user,
                NewToken {
                    mode,
                    read_only,
                    allow_ips: allow_ip,
                    label,
                },
            )
            .await
            .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"id": t.id, "userId": t.user_id, "mode": t.mode, "access": t.access,
                                   "allowedIps": t.allow_ips, "token": secret})
            );
        }
        AdminCmd::Credit {
            account,
            amount,
            reference,
        } => {
            let amount = serde_json::Value::String(amount);
            let a = payplane_app::pazemo::accounts::operator_credit(
                &app,
                &operator(),
                &format!("cli@{}", hostname()),
                &account,
                Some(&amount),
                &reference,
            )
            .await
            .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"id": a.id, "userId": a.user_id, "mode": a.mode, "currencyId": a.currency,
                                   "balance": payplane_app::pazemo::amounts::json(a.available + a.held, 2),
                                   "locked": payplane_app::pazemo::amounts::json(-a.held, 2)})
            );
        }
        AdminCmd::Business { action, id } => {
            let b = payplane_app::pumapay::business_operator::operator_action(
                &app,
                &operator(),
                "cli",
                &id,
                &action,
            )
            .await
            .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"businessID": b.id, "action": action,
                                   "onBoardingCompleted": payplane_app::pumapay::businesses::onboarding_completed(&b)})
            );
        }
        AdminCmd::Product { action, id } => {
            let verified = payplane_app::pumapay::business_operator::product_action(
                &app,
                &operator(),
                "cli",
                &id,
                &action,
            )
            .await
            .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"productID": id, "verified": verified})
            );
        }
        AdminCmd::PaymentModel { action, id } => {
            let m = payplane_app::pumapay::payment_models::operator_action(
                &app,
                &operator(),
                "cli",
                &id,
                &action,
            )
            .await
            .map_err(describe)?;
            println!(
                "{}",
                serde_json::json!({"id": m.id, "statusCode": m.status})
            );
        }
        AdminCmd::Settlement {
            action,
            id,
            reference,
            reason,
        } => {
            let s = payplane_app::pumapay::settlement::payout::operator_action(
                &app,
                &operator(),
                &format!("cli@{}", hostname()),
                &id,
                &action,
                reference.as_deref(),
                reason.as_deref(),
            )
            .await
            .map_err(describe)?;
            println!("{}", serde_json::to_string(&s)?);
        }
        AdminCmd::Rate {
            command: RateCmd::Set { currency, rate },
        } => {
            let r = payplane_app::pumapay::rates::operator_set(
                &app,
                &operator(),
                &format!("cli@{}", hostname()),
                &currency,
                &rate,
            )
            .await
            .map_err(describe)?;
            println!("{}", rate_json(&r));
        }
        AdminCmd::Rate {
            command: RateCmd::List,
        } => {
            let rates = payplane_app::pumapay::rates::list(&app)
                .await
                .map_err(describe)?;
            let list: Vec<serde_json::Value> = rates.iter().map(rate_json).collect();
            println!("{}", serde_json::Value::Array(list));
        }
        AdminCmd::Wallet {
            command: WalletCmd::Show,
        } => {
            let phrase = payplane_app::pumapay::wallets::mnemonic(&app)
                .await
                .map_err(describe)?;
            use payplane_app::pumapay::wallets::SETTLEMENT_WALLET_INDEX;
            let address = |i: i64| {
                payplane_app::pumapay::wallets::derive_address(&phrase, i).map_err(describe)
            };
            let gas: Vec<serde_json::Value> = payplane_store::pumapay::businesses::gas_wallets(&app.db.read)
                .await?
                .into_iter()
                .map(|(business, index)| {
                    Ok(serde_json::json!({"businessID": business, "gasWalletIndex": index, "address": address(index)?}))
                })
                .collect::<Result<_>>()?;
            println!(
                "{}",
                serde_json::json!({"derivation": "m/44'/60'/0'/0/i", "executor": {"index": 0, "address": address(0)?},
                                   "settlement": {"index": SETTLEMENT_WALLET_INDEX, "address": address(SETTLEMENT_WALLET_INDEX)?},
                                   "gasWallets": gas})
            );
        }
        AdminCmd::Ledger {
            command: LedgerCmd::Check,
        } => {
            let violations = payplane_app::ledger::verify(&app).await.map_err(describe)?;
            if violations.is_empty() {
                println!("ledger check passed: every invariant holds");
            } else {
                for v in &violations {
                    eprintln!("VIOLATION [{}] {}", v.check, v.detail);
                }
                bail!("ledger check failed: {} violation(s)", violations.len());
            }
        }
    }
    Ok(())
}

fn rate_json(r: &payplane_app::pumapay::rates::Rate) -> serde_json::Value {
    serde_json::json!({"currency": r.currency, "rate": r.price.normalize().to_string(),
                       "source": r.source,
                       "updatedAt": payplane_core::timefmt::iso_millis(r.at)})
}

/// Who ran an operator command, for the audit log.
fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn describe(e: payplane_app::AppError) -> anyhow::Error {
    let details: Vec<String> = e
        .details
        .iter()
        .map(|d| format!("{} ({})", d.message, d.code))
        .collect();
    anyhow::anyhow!(
        "{}",
        if details.is_empty() {
            e.message
        } else {
            details.join("; ")
        }
    )
}
