//! Pull payments: the wallet's requests, the executor and the rate source (`[pull_payments]`).
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PullPaymentsConfig {
    /// How long a QR code's request can be signed, seconds.
    pub request_ttl_secs: i64,
    /// The token cap the customer signs is the whole schedule's fiat at today's rate plus this
    /// margin, percent, so a falling PMA price does not stop the schedule.
    pub token_cap_margin_pct: i64,
    /// The signed terms expire this long after the last scheduled pull, seconds.
    pub terms_grace_secs: i64,
    /// Due pulls the executor takes per round.
    pub executor_batch: i64,
    /// How often the executor looks for due pulls, milliseconds.
    pub executor_interval_ms: u64,
    /// A pull refused for a short balance or allowance is retried this many times, waiting
    /// `retry_base_secs` × 2^attempt (network time), before the payment fails (status 7).
    pub retry_max: i64,
    pub retry_base_secs: i64,
    /// Type 8: most top-up pulls a customer's consent allows.
    pub top_up_max_pulls: i64,
    /// Type 8: how long the customer's top-up consent lasts, seconds.
    pub top_up_consent_secs: i64,
    /// Serve `POST /api/v2/admin/test-clock/advance` (test network only, operator credential).
    pub test_clock: bool,
    pub rates: RatesConfig,
}

/// The rate source: fixed prices, optionally refreshed from an HTTP endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatesConfig {
    /// Price of one PMA per fiat currency, used until an operator or the HTTP source sets one.
    pub fixed: BTreeMap<String, Decimal>,
    /// Polled for prices by the worker role (empty: off). `{currency}` in the URL is replaced by
    /// each currency (`USD`), `{currency_lower}` by its lower case (`pumapay/rates/http.rs`).
    pub http_url: String,
    /// Dotted path to the price in the JSON answer (`data.price`; `{currency}` is replaced).
    pub http_json_path: String,
    pub http_poll_secs: u64,
}

impl Default for PullPaymentsConfig {
    fn default() -> Self {
        PullPaymentsConfig {
            request_ttl_secs: 900,
            token_cap_margin_pct: 100,
            terms_grace_secs: 30 * 86_400,
            executor_batch: 256,
            executor_interval_ms: 1000,
            retry_max: 3,
            retry_base_secs: 3600,
            top_up_max_pulls: 1000,
            top_up_consent_secs: 365 * 86_400,
            test_clock: true,
            rates: RatesConfig::default(),
        }
    }
}

impl Default for RatesConfig {
    fn default() -> Self {
        let fixed = [
            ("USD", Decimal::new(1, 2)),
            ("EUR", Decimal::new(92, 4)),
            ("GBP", Decimal::new(79, 4)),
            ("JPY", Decimal::new(15, 1)),
        ]
        .into_iter()
        .map(|(c, r)| (c.to_string(), r))
        .collect();
        RatesConfig {
            fixed,
            http_url: String::new(),
            http_json_path: String::new(),
            http_poll_secs: 60,
        }
    }
}
