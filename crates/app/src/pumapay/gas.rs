//! Gas estimates of payment models (`estimateGas=true` on the listing routes): what registering
//! one customer costs the business's gas wallet, estimated by the network, in ETH and in fiat.
use crate::pumapay::networks::network;
use crate::{App, AppError};
use payplane_chain::estimate::{ModelTerms, registration_gas};
use payplane_store::pumapay::payment_models::PaymentModel;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct GasEstimate {
    /// ETH, exact decimal.
    pub eth: Decimal,
    /// In `currency` at the configured ETH price; `None` when no price is configured for it.
    pub fiat: Option<Decimal>,
}

pub async fn for_model(
    app: &App,
    m: &PaymentModel,
    fiat_currency: Option<&str>,
) -> Result<GasEstimate, AppError> {
    let net = network(app, m.network_id).await?;
    let chain = net.chain.as_ref();
    let from = chain
        .signers()
        .addresses()
        .first()
        .copied()
        .unwrap_or_default();
    let treasury = payplane_chain::parse_address(&m.treasury_wallet).unwrap_or_default();
    let terms = ModelTerms {
        currency: m.currency.clone().unwrap_or_else(|| "USD".into()),
        fiat_amount: m.amount.unwrap_or(0).max(0) as u64,
        initial_amount: m.initial_payment_amount.max(0) as u64,
        frequency: m.frequency.unwrap_or(0).max(0) as u64,
        number_of_payments: m.number_of_payments.unwrap_or(1).max(1) as u64,
        trial_period: m.trial_period.max(0) as u64,
    };
    let now = (app.now() / 1_000_000).max(0) as u64;
    let unavailable = |e: payplane_chain::ChainError| {
        AppError::unavailable(format!(
            "Gas estimation failed on network {}: {e}",
            m.network_id
        ))
    };
    let gas = registration_gas(chain, from, treasury, &terms, now)
        .await
        .map_err(unavailable)?;
    let price = chain.gas_price().await.map_err(unavailable)?;
    // A node's gas price is not ours to trust: out of range is an unavailable estimate, not a
    // clamped figure or a 500.
    let out_of_range = || {
        AppError::unavailable(format!(
            "Gas estimation failed on network {}: the gas cost is out of range",
            m.network_id
        ))
    };
    let wei = i128::try_from(price)
        .ok()
        .and_then(|p| i128::from(gas).checked_mul(p))
        .ok_or_else(out_of_range)?;
    let eth = Decimal::try_from_i128_with_scale(wei, 18)
        .map_err(|_| out_of_range())?
        .normalize();
    let currency = fiat_currency
        .map(str::to_string)
        .or_else(|| m.currency.clone())
        .unwrap_or_else(|| "USD".into());
    let fiat = app
        .config
        .chain
        .eth_prices
        .get(&currency.to_uppercase())
        .and_then(|p| eth.checked_mul(*p))
        .map(|f| f.round_dp(6).normalize());
    Ok(GasEstimate { eth, fiat })
}
