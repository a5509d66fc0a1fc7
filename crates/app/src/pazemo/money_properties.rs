//! Properties of the money paths over random amounts, rates and fees: pricing and fees never
//! panic and never answer a clamped value (they answer exactly or refuse), and what they feed the
//! ledger is always balanced.
use crate::config::FeeRule;
use crate::pazemo::fx::{Given, Priced, Side, conversion_postings, price};
use crate::pazemo::withdrawals::fee;
use payplane_core::Currency;
use payplane_core::ledger::{check_balanced, transfer};
use payplane_core::money::MAX_MINOR;
use payplane_store::pazemo::quotes::Quote;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Amounts from one minor unit to past the parser's limit, spread over every magnitude.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        1i64..1_000_000,
        1i64..=MAX_MINOR,
        (0u32..19).prop_map(|e| 10i64.pow(e)),
        Just(i64::MAX),
    ]
}

/// Rates from 10^-12 to 10^12 with up to 12 decimals, as configuration could give.
fn rate() -> impl Strategy<Value = Decimal> {
    (1i64..1_000_000_000_000, 0u32..=12).prop_map(|(m, scale)| Decimal::new(m, scale))
}

fn percent() -> impl Strategy<Value = Decimal> {
    (0i64..10_000).prop_map(|p| Decimal::new(p, 2))
}

fn quote(p: Priced) -> Quote {
    Quote {
        id: "q".into(),
        user_id: "u".into(),
        mode: "test".into(),
        source_account_id: "a".into(),
        target_account_id: "b".into(),
        source_currency: "USD".into(),
        target_currency: "IDR".into(),
        rate: "1".into(),
        source_amount: p.source,
        target_amount: p.target,
        fee_amount: p.fee,
        status: "open".into(),
        transaction_id: None,
        expires_at: 0,
        created_at: 0,
        updated_at: 0,
    }
}

/// Target minor units `net` source minor units buy at `rate` (both sides with two minor units),
/// floored, in exact integer arithmetic; `None` where even i128 cannot hold it.
fn exact_target(net: i64, rate: Decimal) -> Option<i128> {
    let v = i128::from(net).checked_mul(rate.mantissa())?;
    Some(v.div_euclid(10i128.checked_pow(rate.scale())?))
}

fn conversion_balances(p: Priced) -> bool {
    check_balanced(&conversion_postings(
        &quote(p),
        "fx:USD".into(),
        "fx:IDR".into(),
        Some("fees:USD".into()),
    ))
    .is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn pricing_from_a_source_is_exact_or_refused(s in amount(), r in rate(), pct in percent()) {
        match price(Given::Source(s), r, pct, 2, 2) {
            Ok(p) => {
                prop_assert_eq!(p.source, s);
                prop_assert!(p.fee >= 0 && p.fee <= s);
                prop_assert!(p.target >= 0);
                // Within what the parser accepts, the answer is exact: never clamped.
                if s <= MAX_MINOR {
                    prop_assert_eq!(Some(i128::from(p.target)), exact_target(s - p.fee, r));
                }
                if p.target > 0 {
                    prop_assert!(conversion_balances(p));
                }
            }
            Err(side) => {
                // Refused only when the exact answer does not fit in minor units.
                prop_assert!(s > MAX_MINOR || side == Side::Target);
                if s <= MAX_MINOR {
                    let fee = (Decimal::from(s) * pct / Decimal::ONE_HUNDRED)
                        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                    let net = s - i64::try_from(fee).unwrap_or(0);
                    prop_assert!(exact_target(net, r).is_none_or(|t| t > i128::from(i64::MAX)));
                }
            }
        }
    }

    #[test]
    fn pricing_for_a_target_delivers_at_least_it_or_refuses(t in amount(), r in rate(), pct in percent()) {
        if let Ok(p) = price(Given::Target(t), r, pct, 2, 2) {
            prop_assert_eq!(p.target, t);
            prop_assert!(p.source > 0 && p.fee >= 0 && p.fee < p.source);
            // What the source nets converts to at least the target asked for.
            if let Some(got) = exact_target(p.source - p.fee, r) {
                prop_assert!(got >= i128::from(t), "{} nets {} < {}", p.source, got, t);
            }
            prop_assert!(conversion_balances(p));
        }
    }

    #[test]
    fn fees_are_exact_or_refused_and_holds_balance(
        amount in amount(),
        fixed in (0i64..100_000_000_000).prop_map(|f| Decimal::new(f, 2)),
        pct in percent(),
    ) {
        let rule = FeeRule { fixed, percent: pct };
        if let Some(f) = fee(&rule, Currency::USD, amount) {
            prop_assert!(f >= 0);
            let exact = fixed * Decimal::ONE_HUNDRED
                + Decimal::from(amount) * pct / Decimal::ONE_HUNDRED;
            prop_assert!((Decimal::from(f) - exact).abs() <= Decimal::new(5, 1));
            if let Some(total) = amount.checked_add(f) {
                prop_assert!(check_balanced(&transfer("main", "hold", "USD", total)).is_ok());
            }
        }
    }
}
