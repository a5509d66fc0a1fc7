//! Layered configuration: defaults, then a TOML file, then `PAYPLANE_*` variables. The sections
//! of each area live in their own file; the keys and variables are this file's.
mod chain;
mod fx;
mod limits;
mod payouts;
mod pull_payments;
mod pumapay;
mod rate_limit;
mod settlement;
mod web;
mod webhooks;

pub use chain::{ChainConfig, NetworkConfig};
pub use fx::FxConfig;
pub use limits::LimitsConfig;
pub use payouts::{FeeRule, PayoutConfig};
pub use pull_payments::{PullPaymentsConfig, RatesConfig};
pub use pumapay::PumapayConfig;
pub use rate_limit::RateLimitConfig;
pub use settlement::{SETTLEMENT_CURRENCIES, SettlementConfig};
pub use web::WebConfig;
pub use webhooks::WebhookConfig;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
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
    /// Requests per credential, or per client address for anonymous requests.
    pub rate_limit: RateLimitConfig,
    pub worker: WorkerConfig,
    pub tokens: TokenConfig,
    /// How long an `Idempotency-Key` response is kept, hours.
    pub idempotency_ttl_hours: i64,
    /// How long a request may hold its `Idempotency-Key` without answering before the key counts
    /// as abandoned (its process died): a retry then runs again, or, if the first request's
    /// effect committed, answers 409 `error.idempotency.interrupted`. Longer than any request.
    pub idempotency_abandon_secs: i64,
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
    /// Pull payments: wallet requests, the executor, the rate source.
    pub pull_payments: PullPaymentsConfig,
    /// Ethereum networks by `networkID` (1 main, 3 test).
    pub chain: ChainConfig,
    /// The web pages: dashboard sessions, login throttle, set-password links.
    pub web: WebConfig,
    /// Fiat settlement of pull payments: thresholds and fee.
    pub settlement: SettlementConfig,
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
            rate_limit: RateLimitConfig::default(),
            worker: WorkerConfig::default(),
            tokens: TokenConfig::default(),
            idempotency_ttl_hours: 24,
            idempotency_abandon_secs: 60,
            master_key: Secret::default(),
            webhooks: WebhookConfig::default(),
            payouts: PayoutConfig::default(),
            fx: FxConfig::default(),
            limits: LimitsConfig::default(),
            chain_mnemonic: Secret::default(),
            pumapay: PumapayConfig::default(),
            pull_payments: PullPaymentsConfig::default(),
            chain: ChainConfig::default(),
            web: WebConfig::default(),
            settlement: SettlementConfig::default(),
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
        if let Some(v) = get("PAYPLANE_RATE_LIMIT_PER_SECOND") {
            self.rate_limit.per_second = parse("PAYPLANE_RATE_LIMIT_PER_SECOND", v)?;
        }
        if let Some(v) = get("PAYPLANE_RATE_LIMIT_BURST") {
            self.rate_limit.burst = parse("PAYPLANE_RATE_LIMIT_BURST", v)?;
        }
        if let Some(v) = get("PAYPLANE_WORKER_POLL_MS") {
            self.worker.poll_ms = parse("PAYPLANE_WORKER_POLL_MS", v)?;
        }
        if let Some(v) = get("PAYPLANE_IDEMPOTENCY_ABANDON_SECS") {
            self.idempotency_abandon_secs = parse("PAYPLANE_IDEMPOTENCY_ABANDON_SECS", v)?;
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
                // Without PAYPLANE_CHAIN_ID_n: whatever chain the node serves (0).
                n.chain_id = match get(&format!("PAYPLANE_CHAIN_ID_{id}")) {
                    Some(c) => parse(&format!("PAYPLANE_CHAIN_ID_{id}"), c)?,
                    None => 0,
                };
            }
            if let Some(n) = self.chain.networks.get_mut(id) {
                if let Some(v) = get(&format!("PAYPLANE_CHAIN_TOKEN_{id}")) {
                    n.token = v;
                }
                if let Some(v) = get(&format!("PAYPLANE_CHAIN_PULL_PAYMENTS_{id}")) {
                    n.pull_payments = v;
                }
            }
        }
        if let Some(v) = get("PAYPLANE_PULL_PAYMENTS_TEST_CLOCK") {
            self.pull_payments.test_clock = parse("PAYPLANE_PULL_PAYMENTS_TEST_CLOCK", v)?;
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
        if let Some(v) = get("PAYPLANE_WEB_PUBLIC_URL") {
            self.web.public_url = v;
        }
        if let Some(v) = get("PAYPLANE_WEB_SECURE_COOKIES") {
            self.web.secure_cookies = parse("PAYPLANE_WEB_SECURE_COOKIES", v)?;
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
        let w = &self.web;
        if w.session_hours < 1
            || w.login_max_failures < 1
            || w.login_max_failures_per_ip < 1
            || w.login_window_secs < 1
            || w.password_link_hours < 1
        {
            return Err(ConfigError::Invalid(
                "web.session_hours, login_max_failures, login_max_failures_per_ip, login_window_secs and password_link_hours must be positive".into(),
            ));
        }
        if self.idempotency_abandon_secs < 1 {
            return Err(ConfigError::Invalid(
                "idempotency_abandon_secs must be at least 1".into(),
            ));
        }
        if self.http_header_timeout_secs < 1 || self.http_body_timeout_secs < 1 {
            return Err(ConfigError::Invalid(
                "http_header_timeout_secs and http_body_timeout_secs must be at least 1".into(),
            ));
        }
        let r = &self.rate_limit;
        if r.per_second > 0 && (r.burst < 1 || r.max_keys < 1) {
            return Err(ConfigError::Invalid(
                "rate_limit.burst and rate_limit.max_keys must be positive (per_second = 0 turns the limit off)".into(),
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
        self.settlement.validate().map_err(ConfigError::Invalid)?;
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
    fn rate_limits_come_from_the_file_and_the_environment() {
        let mut c: Config = toml::from_str("[rate_limit]\nper_second = 5\nburst = 9").unwrap();
        assert_eq!((c.rate_limit.per_second, c.rate_limit.burst), (5, 9));
        c.apply_env(|k| match k {
            "PAYPLANE_RATE_LIMIT_PER_SECOND" => Some("7".into()),
            "PAYPLANE_RATE_LIMIT_BURST" => Some("11".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((c.rate_limit.per_second, c.rate_limit.burst), (7, 11));
        c.validate().unwrap();
        c.rate_limit.burst = 0;
        assert!(c.validate().is_err(), "a limit needs a burst");
        c.rate_limit.per_second = 0;
        c.validate().unwrap();
        assert!(
            c.apply_env(|k| (k == "PAYPLANE_RATE_LIMIT_BURST").then(|| "many".into()))
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
    fn settlement_thresholds_and_fee_are_checked() {
        let c = Config::default();
        assert_eq!(c.settlement.threshold("EUR"), 10_000);
        assert!(c.show().contains("[settlement"), "{}", c.show());
        let c: Config =
            toml::from_str("[settlement]\nthreshold_minor = { EUR = 500 }\nfee_bps = 150").unwrap();
        c.validate().unwrap();
        assert_eq!(c.settlement.threshold("EUR"), 500);
        for bad in [
            "[settlement]\nthreshold_minor = { JPY = 500 }",
            "[settlement]\nthreshold_minor = { EUR = 0 }",
            "[settlement]\nfee_bps = 10000",
            "[settlement]\nfee_bps = -1",
        ] {
            let c: Config = toml::from_str(bad).unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }
}
