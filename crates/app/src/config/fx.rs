//! Exchange rates and the conversion fee between a user's own accounts (`[fx]`).
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
