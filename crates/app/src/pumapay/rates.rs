//! Fiat → PMA at execution time. A rate is the price of one PMA in a fiat currency; the last one
//! an operator (`payplane admin rate set`) or the HTTP source stored wins, else the configured
//! fixed price (`[pull_payments.rates] fixed`). The rate, its source and its time go on every
//! transaction that used it.
use crate::{App, AppError};
use alloy_primitives::U256;
use payplane_store::pumapay::rates as store;
use rust_decimal::{Decimal, RoundingStrategy};

/// A price of one PMA, where it came from and when (µs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: String,
    pub price: Decimal,
    pub source: String,
    pub at: i64,
}

/// The rate in force for `currency`.
pub async fn current(app: &App, currency: &str) -> Result<Rate, AppError> {
    let currency = currency.to_uppercase();
    if let Some(r) = store::get(&app.db.read, &currency).await? {
        let price = r.rate.parse::<Decimal>().map_err(AppError::internal)?;
        return Ok(Rate {
            currency,
            price,
            source: r.source,
            at: r.updated_at,
        });
    }
    match app.config.pull_payments.rates.fixed.get(&currency) {
        Some(price) => Ok(Rate {
            currency,
            price: *price,
            source: "config".into(),
            at: app.now(),
        }),
        None => Err(AppError::unavailable(format!(
            "No PMA rate is known for {currency}: set one with `payplane admin rate set {currency} PRICE`"
        ))),
    }
}

/// Token units (18 decimals) worth `cents` at `rate`, rounded down so a pull never takes more
/// than the fiat amount is worth.
pub fn token_units(cents: i64, rate: &Rate) -> Result<U256, AppError> {
    if rate.price <= Decimal::ZERO {
        return Err(AppError::unavailable(format!(
            "The PMA rate for {} is not positive",
            rate.currency
        )));
    }
    let overflow =
        || AppError::bad_request("error.amount.range", "The token amount is out of range");
    let pma = Decimal::from(cents.max(0))
        .checked_div(Decimal::ONE_HUNDRED)
        .and_then(|fiat| fiat.checked_div(rate.price))
        .ok_or_else(overflow)?
        .round_dp_with_strategy(18, RoundingStrategy::ToZero);
    // mantissa × 10^(18 - scale) is the amount in token units.
    let scale = pma.scale();
    let units = U256::from(u128::try_from(pma.mantissa()).map_err(|_| overflow())?)
        .checked_mul(U256::from(10u64).pow(U256::from(18 - scale)))
        .ok_or_else(overflow)?;
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(price: &str) -> Rate {
        Rate {
            currency: "USD".into(),
            price: price.parse().unwrap_or_default(),
            source: "test".into(),
            at: 0,
        }
    }

    #[test]
    fn cents_become_token_units_at_the_rate() {
        // $12.99 at $0.01 per PMA is 1299 PMA.
        assert_eq!(
            token_units(1299, &rate("0.01")).ok(),
            Some(U256::from(1299u64) * U256::from(10u64).pow(U256::from(18)))
        );
        // $1 at $3 per PMA is 0.333… PMA, rounded down at 18 decimals.
        assert_eq!(
            token_units(100, &rate("3")).ok(),
            Some(U256::from(333_333_333_333_333_333u64))
        );
        assert!(token_units(100, &rate("0")).is_err());
    }
}
