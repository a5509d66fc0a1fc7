//! The largest amount one operation may move, per currency (`[limits]`).
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
