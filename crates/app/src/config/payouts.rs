//! Withdrawal fees and the payout network of the accounts API (`[payouts]`).
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
