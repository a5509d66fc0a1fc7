//! Layered configuration: defaults, then a TOML file, then `PAYPLANE_*` variables.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A secret value: `Debug` and `config show` print `***`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "***" })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Api,
    Worker,
    All,
}

impl Role {
    pub fn runs_api(self) -> bool {
        matches!(self, Role::Api | Role::All)
    }
    pub fn runs_worker(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// `sqlite://…` (default) or `postgres://…`.
    pub database_url: Secret,
    pub max_connections: u32,
    pub role: Role,
    /// `human` or `json` log lines.
    pub log_format: String,
    /// Proxies whose `X-Forwarded-For` is believed (CIDR list); by default none.
    pub trusted_proxies: Vec<String>,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// A client must send a request's whole header within this many seconds, or the connection
    /// is closed (slow-header clients would otherwise hold a connection for ever).
    pub http_header_timeout_secs: u64,
    /// A request body must arrive in full within this many seconds of its header; a slower one
    /// gets 408 and the connection is closed.
    pub http_body_timeout_secs: u64,
    pub worker: WorkerConfig,
    pub tokens: TokenConfig,
    /// How long an `Idempotency-Key` response is kept, hours.
    pub idempotency_ttl_hours: i64,
    /// Master key that encrypts secrets at rest (wallet seed, retrievable API keys).
    pub master_key: Secret,
    pub webhooks: WebhookConfig,
    /// Withdrawal fees and the payout network (accounts API).
    pub payouts: PayoutConfig,
    /// Exchange rates and the conversion fee between the user's own accounts.
    pub fx: FxConfig,
    /// Largest single quote or withdrawal per currency (accounts API).
    pub limits: LimitsConfig,
    /// BIP-39 mnemonic of the platform's HD wallet (gas wallets are derived from it). Empty: one
    /// is generated on first use and stored sealed with `master_key`.
    pub chain_mnemonic: Secret,
    /// The pull-payment API (seed 004), business side.
    pub pumapay: PumapayConfig,
    /// Ethereum networks by `networkID` (1 main, 3 test).
    pub chain: ChainConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Delay before each attempt, seconds: the first is immediate; after the last, a delivery is dead.
    pub schedule_secs: Vec<i64>,
    /// Random extra delay, as a fraction of each retry delay.
    pub jitter: f64,
    pub timeout_secs: u64,
    /// Deliver to loopback, private and link-local addresses (tests, local development).
    pub allow_private: bool,
    pub poll_ms: u64,
    /// How long a claimed delivery is leased; a worker that dies mid-batch has its deliveries
    /// retried after this.
    pub lease_secs: i64,
    /// Deliveries claimed per batch, and sent at once.
    pub batch: i64,
    /// Bytes of a receiver's response kept in the attempt log.
    pub max_response_bytes: usize,
    /// Outgoing proxy for deliveries (`http://host:port`). Empty: deliveries connect directly
    /// and proxy environment variables (`HTTP_PROXY`, …) are ignored, because a proxy resolves
    /// the target itself and the SSRF guard would never see its address.
    pub proxy: Secret,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            schedule_secs: vec![0, 5, 300, 1800, 7200, 18000, 36000, 36000],
            jitter: 0.1,
            timeout_secs: 10,
            allow_private: false,
            poll_ms: 25,
            lease_secs: 60,
            batch: 256,
            max_response_bytes: 1024,
            proxy: Secret::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PumapayConfig {
    /// Lifetime of a console session (`x-access-token`), hours.
    pub session_hours: i64,
    /// Failed logins allowed per email-and-client-IP pair within `login_window_secs`; past it
    /// that pair answers 429 (the same email from another IP, or another email, still may try).
    pub login_max_failures: i64,
    pub login_window_secs: i64,
    /// Failed logins allowed per client IP across all emails within `login_window_secs`, so one
    /// address cannot spray passwords over many accounts.
    pub login_max_failures_per_ip: i64,
    /// Registrations (attempts, whether they succeed or not) allowed per client IP within
    /// `register_window_secs`; past it registration answers 429.
    pub register_max_per_ip: i64,
    pub register_window_secs: i64,
    /// New payment models on the test network (3) start approved instead of pending.
    pub auto_approve_test_network: bool,
    /// Only businesses an operator marked as PSP may create sub-businesses.
    pub psp_requires_operator_flag: bool,
    /// Largest accepted product image after base64 decoding, bytes.
    pub image_max_bytes: usize,
    /// Public base URL of this server for `imageUrl` (empty: URLs are relative paths).
    pub public_url: String,
}

impl Default for PumapayConfig {
    fn default() -> Self {
        PumapayConfig {
            session_hours: 12,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            login_max_failures_per_ip: 50,
            register_max_per_ip: 10,
            register_window_secs: 3600,
            auto_approve_test_network: false,
            psp_requires_operator_flag: false,
            image_max_bytes: 512 * 1024,
            public_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Idle poll interval, milliseconds (in-process enqueues wake the worker at once).
    pub poll_ms: u64,
    /// How long a claimed job is leased before another worker may take it, seconds.
    pub lease_secs: i64,
    /// Attempts before a job goes to the dead-letter state.
    pub max_attempts: i64,
    /// Jobs run at once by one worker.
    pub concurrency: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    pub max_active_per_user: i64,
    /// How long a verified token stays in the in-process cache, seconds (revocation in another
    /// process takes effect within this time; in this process at once).
    pub cache_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: Secret("sqlite://./data/payplane.db?mode=rwc".into()),
            max_connections: 16,
            role: Role::All,
            log_format: "human".into(),
            trusted_proxies: vec![],
            max_body_bytes: 1024 * 1024,
            http_header_timeout_secs: 10,
            http_body_timeout_secs: 30,
            worker: WorkerConfig::default(),
            tokens: TokenConfig::default(),
            idempotency_ttl_hours: 24,
            master_key: Secret::default(),
            webhooks: WebhookConfig::default(),
            payouts: PayoutConfig::default(),
            fx: FxConfig::default(),
            limits: LimitsConfig::default(),
            chain_mnemonic: Secret::default(),
            pumapay: PumapayConfig::default(),
            chain: ChainConfig::default(),
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll_ms: 200,
            lease_secs: 60,
            max_attempts: 8,
            concurrency: 16,
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            max_active_per_user: 5,
            cache_secs: 30,
        }
    }
}

/// Withdrawal fee of one currency, in major units: `fixed + amount × percent / 100`, rounded half
/// up to the currency's minor unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRule {
    pub fixed: Decimal,
    pub percent: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PayoutConfig {
    /// Fee schedule per currency code (`[payouts.fees.IDR] fixed = "2500" percent = "0"`).
    pub fees: BTreeMap<String, FeeRule>,
    /// Payout network used by live-mode withdrawals. None: live withdrawals cannot be confirmed
    /// (402, hold released). `sandbox` is accepted for staging installs.
    pub live_network: Option<String>,
    /// How long the sandbox network takes to settle a payout, seconds.
    pub sandbox_settle_secs: i64,
    /// Wrong authorization codes before a pending withdrawal is cancelled.
    pub max_code_attempts: i64,
}

impl Default for PayoutConfig {
    fn default() -> Self {
        let rule = |fixed: &str, percent: &str| FeeRule {
            fixed: fixed.parse().unwrap_or_default(),
            percent: percent.parse().unwrap_or_default(),
        };
        PayoutConfig {
            fees: BTreeMap::from([
                ("IDR".into(), rule("2500", "0")),
                ("USD".into(), rule("0.50", "0.5")),
                ("SGD".into(), rule("0.50", "0.5")),
                ("MYR".into(), rule("1.00", "0.5")),
                ("EUR".into(), rule("0.30", "0.5")),
            ]),
            live_network: None,
            sandbox_settle_secs: 3,
            max_code_attempts: 5,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FxConfig {
    /// Target units per source unit, keyed `SRC-TGT` (`"USD-IDR" = "16250"`). A pair that is
    /// absent is not supported (`error.route.not.supported`).
    pub rates: BTreeMap<String, Decimal>,
    /// Conversion fee, percent of the source amount, charged in the source currency.
    pub fee_percent: Decimal,
    /// How long a quote is honoured, seconds.
    pub quote_ttl_secs: i64,
}

/// Units of each currency per US dollar; the default cross rates are derived from it.
const USD_RATES: [(&str, &str); 5] = [
    ("USD", "1"),
    ("IDR", "16250"),
    ("SGD", "1.34"),
    ("MYR", "4.47"),
    ("EUR", "0.92"),
];

impl Default for FxConfig {
    fn default() -> Self {
        let mut rates = BTreeMap::new();
        for (from, f) in USD_RATES {
            for (to, t) in USD_RATES {
                let (Ok(f), Ok(t)) = (f.parse::<Decimal>(), t.parse::<Decimal>()) else {
                    continue;
                };
                if from != to && !f.is_zero() {
                    rates.insert(format!("{from}-{to}"), (t / f).round_dp(8).normalize());
                }
            }
        }
        FxConfig {
            rates,
            fee_percent: Decimal::new(5, 1),
            quote_ttl_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest amount of one quote (source and target side) or one withdrawal (amount plus
    /// fee), in major units per currency code (`[limits.max_amount] USD = "1000000000"`). A
    /// currency that is absent is bounded only by the amount parser (10^15 minor units).
    pub max_amount: BTreeMap<String, Decimal>,
}

/// About 1 000 000 000 USD per operation in each currency (IDR is capped lower, at the
/// parser's 10^15 minor units ≈ 615 000 000 USD).
const DEFAULT_MAX_AMOUNT: [(&str, &str); 5] = [
    ("USD", "1000000000"),
    ("IDR", "10000000000000"),
    ("SGD", "1340000000"),
    ("MYR", "4470000000"),
    ("EUR", "920000000"),
];

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_amount: DEFAULT_MAX_AMOUNT
                .iter()
                .filter_map(|(c, v)| Some((c.to_string(), v.parse().ok()?)))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// Where embedded networks keep their journal (empty: in memory, lost at exit).
    pub data_dir: String,
    /// `networkID` → backend. By default 3 is the embedded network and 1 is not configured.
    pub networks: std::collections::BTreeMap<String, NetworkConfig>,
    /// Price of 1 ETH per fiat currency, for gas estimates in fiat (`estimatedGasResultFial`).
    pub eth_prices: std::collections::BTreeMap<String, Decimal>,
    /// Calls in one public JSON-RPC batch; a larger batch is refused whole.
    pub rpc_max_batch: usize,
    /// Gas one `eth_call` / `eth_estimateGas` run may use on the public JSON-RPC (the embedded
    /// network's own per-transaction cap, 2^24, applies as well).
    pub rpc_gas_cap: u64,
    /// Gas all the calls of one public JSON-RPC request (a batch, or one `eth_estimateGas` and
    /// its search) may use together; calls past it get a `-32005` error.
    pub rpc_gas_budget: u64,
    /// Public JSON-RPC calls each client IP may make per minute (0: no limit); each call of a
    /// batch counts.
    pub rpc_rate_per_minute: u32,
    /// Calls a client may make at once before the per-minute rate applies.
    pub rpc_rate_burst: u32,
    /// Client IPs the rate limiter remembers; past it, idle then least recently seen are dropped.
    pub rpc_rate_max_clients: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// `devnet` (embedded EVM in this process) or `rpc` (any Ethereum JSON-RPC node).
    pub backend: String,
    pub chain_id: u64,
    /// JSON-RPC URL of the node (`rpc` backend).
    pub url: Secret,
    /// Blocks before a receipt is final (`rpc` backend).
    pub confirmations: u64,
    /// Deployed PMA token and pull-payment contract (`rpc` backend); empty: deploy at first start.
    pub token: String,
    pub pull_payments: String,
    /// Serve the embedded network's JSON-RPC at `/api/v2/open-auth/rpc/{networkID}` and its faucet.
    pub public: bool,
}

impl Default for ChainConfig {
    fn default() -> Self {
        let mut networks = std::collections::BTreeMap::new();
        networks.insert("3".to_string(), NetworkConfig::default());
        let eth_prices = [
            ("USD", 3000),
            ("EUR", 2800),
            ("GBP", 2400),
            ("JPY", 450_000),
        ]
        .into_iter()
        .map(|(c, p)| (c.to_string(), Decimal::from(p)))
        .collect();
        ChainConfig {
            data_dir: "./data/chain".into(),
            networks,
            eth_prices,
            rpc_max_batch: 100,
            rpc_gas_cap: 30_000_000,
            rpc_gas_budget: 50_000_000,
            rpc_rate_per_minute: 1200,
            rpc_rate_burst: 200,
            rpc_rate_max_clients: 65_536,
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            backend: "devnet".into(),
            chain_id: 1337,
            url: Secret::default(),
            confirmations: 1,
            token: String::new(),
            pull_payments: String::new(),
            public: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration file: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid value for {name}: {value}")]
    Env { name: String, value: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then the file (if any), then the environment; validated.
    pub fn load(file: Option<&str>) -> Result<Self, ConfigError> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                toml::from_str(&text)?
            }
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, v: String) -> Result<T, ConfigError> {
            v.parse().map_err(|_| ConfigError::Env {
                name: name.into(),
                value: v,
            })
        }
        if let Some(v) = get("PAYPLANE_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("PAYPLANE_DATABASE_URL") {
            self.database_url = Secret(v);
        }
        if let Some(v) = get("PAYPLANE_MAX_CONNECTIONS") {
            self.max_connections = parse("PAYPLANE_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = get("PAYPLANE_ROLE") {
            self.role = match v.as_str() {
                "api" => Role::Api,
                "worker" => Role::Worker,
                "all" => Role::All,
                _ => {
                    return Err(ConfigError::Env {
                        name: "PAYPLANE_ROLE".into(),
                        value: v,
                    });
                }
            };
        }
        if let Some(v) = get("PAYPLANE_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("PAYPLANE_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = get("PAYPLANE_MAX_BODY_BYTES") {
            self.max_body_bytes = parse("PAYPLANE_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = get("PAYPLANE_HTTP_HEADER_TIMEOUT_SECS") {
            self.http_header_timeout_secs = parse("PAYPLANE_HTTP_HEADER_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("PAYPLANE_HTTP_BODY_TIMEOUT_SECS") {
            self.http_body_timeout_secs = parse("PAYPLANE_HTTP_BODY_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = get("PAYPLANE_WORKER_POLL_MS") {
            self.worker.poll_ms = parse("PAYPLANE_WORKER_POLL_MS", v)?;
        }
        if let Some(v) = get("PAYPLANE_WORKER_LEASE_SECS") {
            self.worker.lease_secs = parse("PAYPLANE_WORKER_LEASE_SECS", v)?;
        }
        if let Some(v) = get("PAYPLANE_WORKER_MAX_ATTEMPTS") {
            self.worker.max_attempts = parse("PAYPLANE_WORKER_MAX_ATTEMPTS", v)?;
        }
        if let Some(v) = get("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE") {
            self.webhooks.allow_private = parse("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", v)?;
        }
        if let Some(v) = get("PAYPLANE_WEBHOOKS_LEASE_SECS") {
            self.webhooks.lease_secs = parse("PAYPLANE_WEBHOOKS_LEASE_SECS", v)?;
        }
        if let Some(v) = get("PAYPLANE_WEBHOOKS_PROXY") {
            self.webhooks.proxy = Secret(v);
        }
        if let Some(v) = get("PAYPLANE_CHAIN_DATA_DIR") {
            self.chain.data_dir = v;
        }
        // PAYPLANE_CHAIN_RPC_URL_1 / _3 point a network at a JSON-RPC node.
        for id in ["1", "3"] {
            if let Some(url) = get(&format!("PAYPLANE_CHAIN_RPC_URL_{id}")) {
                let n = self.chain.networks.entry(id.to_string()).or_default();
                n.backend = "rpc".into();
                n.url = Secret(url);
                if let Some(c) = get(&format!("PAYPLANE_CHAIN_ID_{id}")) {
                    n.chain_id = parse(&format!("PAYPLANE_CHAIN_ID_{id}"), c)?;
                }
            }
        }
        if let Some(v) = get("PAYPLANE_MASTER_KEY") {
            self.master_key = Secret(v);
        }
        if let Some(v) = get("PAYPLANE_CHAIN_MNEMONIC") {
            self.chain_mnemonic = Secret(v);
        }
        if let Some(v) = get("PAYPLANE_PUMAPAY_AUTO_APPROVE_TEST_NETWORK") {
            self.pumapay.auto_approve_test_network =
                parse("PAYPLANE_PUMAPAY_AUTO_APPROVE_TEST_NETWORK", v)?;
        }
        if let Some(v) = get("PAYPLANE_PUMAPAY_PUBLIC_URL") {
            self.pumapay.public_url = v;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !payplane_store::Db::supports_url(&self.database_url.0) {
            return Err(ConfigError::Invalid(
                "database_url must start with sqlite: or postgres://".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "human" | "json") {
            return Err(ConfigError::Invalid(
                "log_format must be human or json".into(),
            ));
        }
        if self.worker.max_attempts < 1 || self.worker.concurrency < 1 || self.worker.lease_secs < 1
        {
            return Err(ConfigError::Invalid(
                "worker settings must be positive".into(),
            ));
        }
        if self.webhooks.schedule_secs.is_empty()
            || self.webhooks.schedule_secs.iter().any(|s| *s < 0)
        {
            return Err(ConfigError::Invalid(
                "webhooks.schedule_secs needs at least one non-negative delay".into(),
            ));
        }
        for (cur, rule) in &self.payouts.fees {
            if cur.parse::<payplane_core::Currency>().is_err()
                || rule.fixed.is_sign_negative()
                || rule.percent.is_sign_negative()
                || rule.percent >= Decimal::ONE_HUNDRED
            {
                return Err(ConfigError::Invalid(format!(
                    "payouts.fees.{cur}: unknown currency or fee out of range"
                )));
            }
        }
        if let Some(n) = &self.payouts.live_network
            && n != "sandbox"
        {
            return Err(ConfigError::Invalid(format!(
                "payouts.live_network: unknown network {n} (only sandbox is built in)"
            )));
        }
        for (pair, rate) in &self.fx.rates {
            if rate.is_sign_negative() || rate.is_zero() || !pair.contains('-') {
                return Err(ConfigError::Invalid(format!(
                    "fx.rates.{pair}: a pair is SRC-TGT and a rate is positive"
                )));
            }
        }
        for (cur, max) in &self.limits.max_amount {
            let units = cur
                .parse::<payplane_core::Currency>()
                .map(|c| c.minor_units());
            if units.is_err()
                || units.is_ok_and(|u| payplane_core::money::to_minor(*max, u).is_err())
            {
                return Err(ConfigError::Invalid(format!(
                    "limits.max_amount.{cur}: unknown currency, or not a positive amount of at most 10^15 minor units"
                )));
            }
        }
        if self.fx.fee_percent.is_sign_negative() || self.fx.fee_percent >= Decimal::ONE_HUNDRED {
            return Err(ConfigError::Invalid(
                "fx.fee_percent must be in [0, 100)".into(),
            ));
        }
        for (id, n) in &self.chain.networks {
            if !matches!(id.as_str(), "1" | "3") || !matches!(n.backend.as_str(), "devnet" | "rpc")
            {
                return Err(ConfigError::Invalid(format!(
                    "chain.networks.{id}: the network id is 1 or 3 and the backend devnet or rpc"
                )));
            }
            if n.backend == "rpc" && n.url.0.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "chain.networks.{id}: an rpc network needs a url"
                )));
            }
        }
        if self.http_header_timeout_secs < 1 || self.http_body_timeout_secs < 1 {
            return Err(ConfigError::Invalid(
                "http_header_timeout_secs and http_body_timeout_secs must be at least 1".into(),
            ));
        }
        let c = &self.chain;
        if c.rpc_max_batch < 1 || c.rpc_gas_cap < 1 || c.rpc_gas_budget < 1 {
            return Err(ConfigError::Invalid(
                "chain.rpc_max_batch, rpc_gas_cap and rpc_gas_budget must be positive".into(),
            ));
        }
        // A batch costs one token per call: a burst below the batch size would refuse every
        // full batch for ever.
        if c.rpc_rate_per_minute > 0
            && (usize::try_from(c.rpc_rate_burst).unwrap_or(usize::MAX) < c.rpc_max_batch
                || c.rpc_rate_max_clients < 1)
        {
            return Err(ConfigError::Invalid(
                "chain.rpc_rate_burst must be at least chain.rpc_max_batch, and rpc_rate_max_clients positive".into(),
            ));
        }
        let proxy = self.webhooks.proxy.0.trim();
        if !proxy.is_empty() && url::Url::parse(proxy).is_err() {
            return Err(ConfigError::Invalid(
                "webhooks.proxy must be a URL such as http://proxy:3128".into(),
            ));
        }
        for p in &self.trusted_proxies {
            if payplane_core::secrets::parse_ip_or_cidr(p).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "trusted proxy {p} is not an IP or CIDR"
                )));
            }
        }
        Ok(())
    }

    /// What makes this configuration "live" (it moves real value): a payout network for live
    /// withdrawals (`payouts.live_network`), or Ethereum mainnet (`chain.networks.1`). The
    /// defaults, the test harness and a development install have neither.
    pub fn live_reasons(&self) -> Vec<String> {
        let mut why = vec![];
        if let Some(n) = &self.payouts.live_network {
            why.push(format!("payouts.live_network = \"{n}\""));
        }
        if self.chain.networks.contains_key("1") {
            why.push("chain.networks.1 (Ethereum mainnet) is configured".into());
        }
        why
    }

    /// A live server refuses to run without `master_key`: it would seal secrets (authenticator
    /// seeds, webhook secrets, API keys, the wallet phrase) with the key built into the binary,
    /// which protects nothing. Checked by `serve`, not by `load`, so operator commands still run.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        let why = self.live_reasons();
        if self.master_key.0.is_empty() && !why.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "master_key is empty but this server is live ({}): secrets at rest would be sealed \
                 with the built-in development key. Set PAYPLANE_MASTER_KEY (or master_key in the \
                 configuration file) to a long random value and keep it out of the database backups",
                why.join(", ")
            )));
        }
        Ok(())
    }

    /// The effective configuration as TOML, secrets masked (the database URL keeps its host but
    /// not its password).
    pub fn show(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = Secret(String::new());
        let mut text = toml::to_string_pretty(&shown).unwrap_or_default();
        text = text.replacen(
            "database_url = \"\"",
            &format!(
                "database_url = \"{}\"",
                payplane_store::engine::db::redact_url(&self.database_url.0)
            ),
            1,
        );
        text
    }

    pub fn trusted_proxy_nets(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| payplane_core::secrets::parse_ip_or_cidr(p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut c: Config =
            toml::from_str("listen = \"0.0.0.0:9000\"\n[worker]\npoll_ms = 10").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.worker.poll_ms, 10);
        c.apply_env(|k| (k == "PAYPLANE_LISTEN").then(|| "127.0.0.1:1".to_string()))
            .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert!(
            c.apply_env(|k| (k == "PAYPLANE_ROLE").then(|| "boss".to_string()))
                .is_err()
        );
    }

    #[test]
    fn show_masks_secrets() {
        let c = Config {
            database_url: Secret("postgres://u:hunter2@db/x".into()),
            master_key: Secret("supersecret".into()),
            ..Default::default()
        };
        let shown = c.show();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("postgres://u:***@db/x"), "{shown}");
        assert_eq!(format!("{:?}", c.master_key), "***");
    }

    #[test]
    fn default_fees_and_rates_cover_every_currency_and_pair() {
        let c = Config::default();
        assert_eq!(c.payouts.fees.len(), 5);
        assert_eq!(c.fx.rates.len(), 20);
        assert_eq!(c.fx.rates["USD-IDR"], "16250".parse::<Decimal>().unwrap());
        c.validate().unwrap();
        let text = toml::to_string_pretty(&c).unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back.fx.rates, c.fx.rates);
    }

    #[test]
    fn default_maximums_cover_every_currency_and_bad_ones_are_refused() {
        let c = Config::default();
        assert_eq!(c.limits.max_amount.len(), 5);
        assert_eq!(
            c.limits.max_amount["USD"],
            "1000000000".parse::<Decimal>().unwrap()
        );
        for (cur, max) in [("USD", "0"), ("USD", "-1"), ("USD", "1e14"), ("XYZ", "10")] {
            let mut bad = Config::default();
            bad.limits.max_amount.insert(
                cur.into(),
                Decimal::from_scientific(max)
                    .or_else(|_| max.parse())
                    .unwrap(),
            );
            assert!(bad.validate().is_err(), "{cur} {max}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }
}
