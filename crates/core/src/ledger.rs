//! Double-entry rules: a ledger transaction is a set of postings that sums to zero per currency.
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub currency: String,
    /// Minor units; positive credits the account (the account holder has more), negative debits it.
    pub amount: i64,
}

impl Posting {
    pub fn new(account: impl Into<String>, currency: impl Into<String>, amount: i64) -> Self {
        Self {
            account: account.into(),
            currency: currency.into(),
            amount,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a ledger transaction needs at least two postings")]
    TooFewPostings,
    #[error("a posting of zero is meaningless")]
    ZeroPosting,
    #[error("postings in {currency} sum to {sum}, not zero")]
    Unbalanced { currency: String, sum: i128 },
}

/// Checks the double-entry invariant before anything is written.
pub fn check_balanced(postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings);
    }
    let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
    for p in postings {
        if p.amount == 0 {
            return Err(LedgerError::ZeroPosting);
        }
        *sums.entry(p.currency.as_str()).or_default() += p.amount as i128;
    }
    match sums.into_iter().find(|(_, s)| *s != 0) {
        Some((currency, sum)) => Err(LedgerError::Unbalanced {
            currency: currency.to_string(),
            sum,
        }),
        None => Ok(()),
    }
}

/// A transfer of `amount` from one account to another: the basic balanced pair.
pub fn transfer(from: &str, to: &str, currency: &str, amount: i64) -> Vec<Posting> {
    vec![
        Posting::new(from, currency, -amount),
        Posting::new(to, currency, amount),
    ]
}

/// Balances per account derived from postings.
pub fn balances<'a>(
    postings: impl IntoIterator<Item = &'a Posting>,
) -> BTreeMap<(String, String), i128> {
    let mut out = BTreeMap::new();
    for p in postings {
        *out.entry((p.account.clone(), p.currency.clone()))
            .or_default() += p.amount as i128;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn account() -> impl Strategy<Value = String> {
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("funding")].prop_map(String::from)
    }
    fn currency() -> impl Strategy<Value = String> {
        prop_oneof![Just("IDR"), Just("USD"), Just("EUR")].prop_map(String::from)
    }

    proptest! {
        #[test]
        fn transfers_are_always_balanced(from in account(), to in account(), cur in currency(), amt in 1i64..1_000_000_000_000) {
            prop_assert!(check_balanced(&transfer(&from, &to, &cur, amt)).is_ok());
        }

        #[test]
        fn any_perturbation_is_detected(from in account(), to in account(), cur in currency(), amt in 1i64..1_000_000, delta in 1i64..1000) {
            let mut ps = transfer(&from, &to, &cur, amt);
            ps[1].amount += delta;
            let unbalanced = matches!(check_balanced(&ps), Err(LedgerError::Unbalanced { .. }));
            prop_assert!(unbalanced);
        }

        #[test]
        fn balances_of_balanced_transactions_sum_to_zero_per_currency(
            txs in proptest::collection::vec((account(), account(), currency(), 1i64..1_000_000), 1..50)
        ) {
            let postings: Vec<Posting> = txs.iter().flat_map(|(f, t, c, a)| transfer(f, t, c, *a)).collect();
            let mut per_currency: BTreeMap<String, i128> = BTreeMap::new();
            for ((_, cur), bal) in balances(&postings) {
                *per_currency.entry(cur).or_default() += bal;
            }
            prop_assert!(per_currency.values().all(|s| *s == 0));
        }

        #[test]
        fn mixing_currencies_is_caught(amt in 1i64..1_000_000) {
            let ps = vec![Posting::new("a", "USD", -amt), Posting::new("b", "EUR", amt)];
            prop_assert!(check_balanced(&ps).is_err());
        }
    }

    #[test]
    fn too_few_and_zero_postings_are_refused() {
        assert_eq!(
            check_balanced(&[Posting::new("a", "USD", 1)]),
            Err(LedgerError::TooFewPostings)
        );
        assert_eq!(
            check_balanced(&[Posting::new("a", "USD", 0), Posting::new("b", "USD", 0)]),
            Err(LedgerError::ZeroPosting)
        );
    }
}
