//! Fiat → PMA at execution time. A rate is the price of one PMA in a fiat currency; the last one
//! an operator (`payplane admin rate set`) or the HTTP source stored wins, else the configured
//! fixed price (`[pull_payments.rates] fixed`). The rate, its source and its time go on every
//! transaction that used it.
//!
//! Sources implement [`RateSource`]: [`ConfiguredRates`] (what [`current`] reads: stored, else
//! configured) and [`http::HttpRateSource`] (polled by the worker role, [`http::run`], which
//! stores what it fetches so every process reads the same price).
pub mod http;

use crate::{App, AppError};
use alloy_primitives::U256;
use futures::future::BoxFuture;
use payplane_store::pumapay::rates as store;
use rust_decimal::{Decimal, RoundingStrategy};

/// The fiat currencies of the pull-payment API, in the order `rate list` prints them.
pub const CURRENCIES: [&str; 4] = ["USD", "EUR", "JPY", "GBP"];

/// Where prices of one PMA come from. Object-safe, so the executor can hold an
/// `Arc<dyn RateSource>` and tests a fixed one.
pub trait RateSource: Send + Sync {
    /// How the rates it yields are labelled (`config`, `operator`, `http:<url>`).
    fn name(&self) -> String;
    /// The price of one PMA in `currency` (USD, EUR, JPY or GBP).
    fn price<'a>(&'a self, currency: &'a str) -> BoxFuture<'a, Result<Rate, AppError>>;
}

/// The rates in force: stored (operator or HTTP source), else the configured fixed price.
pub struct ConfiguredRates(pub App);

impl RateSource for ConfiguredRates {
    fn name(&self) -> String {
        "configured".into()
    }
    fn price<'a>(&'a self, currency: &'a str) -> BoxFuture<'a, Result<Rate, AppError>> {
        Box::pin(current(&self.0, currency))
    }
}

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

/// `payplane admin rate set CUR RATE`: an operator's price, stored with source `operator` and
/// written to the audit log (target `CUR=RATE`). CUR is USD, EUR, JPY or GBP (`GPB` is GBP);
/// RATE a positive decimal (`0.0125`, no exponent).
pub async fn operator_set(
    app: &App,
    actor: &str,
    source: &str,
    currency: &str,
    rate: &str,
) -> Result<Rate, AppError> {
    let mut errors = Vec::new();
    let currency = crate::pumapay::fields::currency("currency", currency, &mut errors);
    let price = parse_positive(rate.trim());
    if price.is_none() {
        errors.push(crate::error::Detail {
            field: Some("rate".into()),
            code: "error.rate.invalid".into(),
            message: format!(
                "rate must be a positive decimal number (the price of one PMA, e.g. 0.0125), not {:?}",
                rate.trim()
            ),
            arguments: vec![],
        });
    }
    let (Some(currency), Some(price)) = (currency, price) else {
        return Err(AppError::fields(errors));
    };
    let now = app.now();
    let r = Rate {
        currency,
        price,
        source: "operator".into(),
        at: now,
    };
    let mut tx = app.db.begin().await?;
    store::set(&mut *tx, &stored(&r)).await?;
    payplane_store::audit::record(
        &mut tx,
        actor,
        "rate.set",
        &format!("{}={}", r.currency, r.price),
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// The rate in force for each currency of the API (`payplane admin rate list`); a currency with
/// no rate at all is left out.
pub async fn list(app: &App) -> Result<Vec<Rate>, AppError> {
    let mut out = Vec::with_capacity(CURRENCIES.len());
    for c in CURRENCIES {
        match current(app, c).await {
            Ok(r) => out.push(r),
            Err(e) if e.kind == crate::ErrorKind::Unavailable => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The row `r` is stored as: the exact decimal text, trailing zeros dropped.
pub fn stored(r: &Rate) -> store::StoredRate {
    store::StoredRate {
        currency: r.currency.clone(),
        rate: r.price.normalize().to_string(),
        source: r.source.clone(),
        updated_at: r.at,
    }
}

/// A positive decimal from its text: plain (`0.0125`) or, from JSON, scientific (`1.25e-2`).
/// Never through a float.
pub fn parse_positive(text: &str) -> Option<Decimal> {
    let d = text.parse::<Decimal>().ok().or_else(|| {
        text.contains(['e', 'E'])
            .then(|| Decimal::from_scientific(text).ok())
            .flatten()
    })?;
    (d > Decimal::ZERO).then(|| d.normalize())
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
