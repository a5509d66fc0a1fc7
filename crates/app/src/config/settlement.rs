//! Fiat settlement of pull payments (`[settlement]`, docs/settlement.md).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The settlement currencies of seed 004.
pub const SETTLEMENT_CURRENCIES: [&str; 2] = ["EUR", "USD"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettlementConfig {
    /// Smallest accrued balance a settlement can be created for, minor units per currency
    /// (`threshold_minor = { EUR = 10000, USD = 10000 }`: 100.00 each).
    pub threshold_minor: BTreeMap<String, i64>,
    /// The settlement fee, basis points of each pull's fiat value (rounded half up per pull):
    /// 0 is free, 150 is 1.5 %. Paid to the platform's fee revenue when the settlement is paid.
    pub fee_bps: i64,
}

impl Default for SettlementConfig {
    fn default() -> Self {
        SettlementConfig {
            threshold_minor: SETTLEMENT_CURRENCIES
                .iter()
                .map(|c| (c.to_string(), 10_000))
                .collect(),
            fee_bps: 0,
        }
    }
}

impl SettlementConfig {
    /// The threshold of `currency` (EUR or USD), minor units.
    pub fn threshold(&self, currency: &str) -> i64 {
        self.threshold_minor
            .get(currency)
            .copied()
            .unwrap_or(10_000)
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        for (cur, t) in &self.threshold_minor {
            if !SETTLEMENT_CURRENCIES.contains(&cur.as_str()) || *t < 1 {
                return Err(format!(
                    "settlement.threshold_minor.{cur}: the currency is EUR or USD and the threshold at least 1 (minor units)"
                ));
            }
        }
        if !(0..10_000).contains(&self.fee_bps) {
            return Err("settlement.fee_bps must be in [0, 10000)".into());
        }
        Ok(())
    }
}
