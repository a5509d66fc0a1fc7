use crate::pazemo::auth::CachedToken;
use crate::{AppError, Config};
use payplane_core::{Clock, SystemClock};
use payplane_store::Db;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Everything a use case needs: database, clock, configuration and in-process caches.
/// Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub(crate) token_cache: Mutex<HashMap<String, CachedToken>>,
    /// Account id → the account as first read; only its never-changing fields are used
    /// (see `accounts::get`).
    pub(crate) account_facts: Mutex<HashMap<String, payplane_store::pazemo::accounts::Account>>,
    /// Wakes this process's workers when a job is enqueued here, so they need not wait a poll.
    pub job_wake: Notify,
    /// The handler of each job kind.
    pub jobs: crate::jobs::Registry,
    /// Chain backends by network id, built on first use.
    pub networks: crate::pumapay::networks::Networks,
    /// Batches concurrent withdrawal creations into shared transactions.
    pub group_commit: crate::pazemo::withdrawals::group_commit::GroupCommit,
    /// Batches concurrent account balance reads into shared statements.
    pub balance_reads: crate::pazemo::accounts::BalanceReads,
}

impl Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Connects to the configured database and runs the migrations.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        let db = Db::connect(&config.database_url.0, config.max_connections).await?;
        db.migrate().await?;
        Ok(Self::with_db(config, clock, db))
    }

    pub async fn start_default_clock(config: Config) -> Result<App, AppError> {
        Self::start(config, Arc::new(SystemClock)).await
    }

    pub fn with_db(config: Config, clock: Arc<dyn Clock>, db: Db) -> App {
        App(Arc::new(Inner {
            group_commit: crate::pazemo::withdrawals::group_commit::GroupCommit::new(db.clone()),
            balance_reads: crate::pazemo::accounts::BalanceReads::new(db.clone()),
            db,
            clock,
            trusted_proxies: config.trusted_proxy_nets(),
            config,
            token_cache: Mutex::new(HashMap::new()),
            account_facts: Mutex::new(HashMap::new()),
            job_wake: Notify::new(),
            jobs: crate::job_kinds(),
            networks: Default::default(),
        }))
    }

    pub fn now(&self) -> i64 {
        self.clock.now_micros()
    }
}
