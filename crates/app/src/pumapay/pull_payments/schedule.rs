//! When each pull of a pull payment is due and what it takes (decisions.md §2): pull `k`
//! (0-based, the contract's pull index) is due at `start + trialPeriod + k × frequency`, the
//! contract's own rule, so the server never asks for a pull the chain would refuse as early.
//!
//! | type | pulls | pull 0 | then |
//! | --- | --- | --- | --- |
//! | 2 single, 7 dynamic | 1 | at registration | done |
//! | 3 subscription | n | at registration | every `frequency` |
//! | 4 with initial | 1 + n | the initial amount, at registration | `amount` every `frequency` |
//! | 5 with trial | n | after the trial | every `frequency` |
//! | 6 trial + initial | 1 + n | the initial amount, after the trial | `amount` every `frequency` |
//! | 8 top-up | on demand | when the business reports a low balance | within the signed limit |
use payplane_core::kinds::{PaymentModelType, TxType};
use payplane_store::pumapay::pull_payments::PullPayment;

fn kind(pp: &PullPayment) -> Option<PaymentModelType> {
    PaymentModelType::from_id(pp.type_id)
}

fn has_initial(pp: &PullPayment) -> bool {
    pp.initial_payment_amount > 0
}

/// Pulls the consent allows in all (the contract's `maxPulls`).
pub fn total_pulls(pp: &PullPayment) -> i64 {
    pp.number_of_payments + i64::from(has_initial(pp))
}

/// Unix seconds at which pull `k` is due.
pub fn due_at(pp: &PullPayment, k: i64) -> i64 {
    pp.start_timestamp + pp.trial_period + k * pp.frequency
}

/// Cents that pull `k` takes.
pub fn amount(pp: &PullPayment, k: i64) -> i64 {
    if k == 0 && has_initial(pp) {
        pp.initial_payment_amount
    } else {
        pp.amount
    }
}

/// The transaction type recorded for pull `k`.
pub fn tx_type(pp: &PullPayment, k: i64) -> TxType {
    match kind(pp) {
        Some(PaymentModelType::Single | PaymentModelType::Dynamic) => TxType::RegisterAndExecute,
        _ if k == 0 && has_initial(pp) => TxType::Initial,
        _ => TxType::Execute,
    }
}

/// When the next scheduled pull is due after `pulls_made` pulls; `None` when the schedule is
/// complete or, for top-ups, when pulls come only on the business's demand.
pub fn next_due(pp: &PullPayment, pulls_made: i64) -> Option<i64> {
    if kind(pp) == Some(PaymentModelType::TopUp) || pulls_made >= total_pulls(pp) {
        return None;
    }
    Some(due_at(pp, pulls_made))
}

/// Whether the schedule is complete after `pulls_made` pulls (top-ups: never by count alone).
pub fn is_complete(pp: &PullPayment, pulls_made: i64) -> bool {
    kind(pp) != Some(PaymentModelType::TopUp) && pulls_made >= total_pulls(pp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use payplane_core::kinds::PullPaymentStatus;

    const MONTH: i64 = 2_592_000;
    const T0: i64 = 1_800_000_000;

    fn pp(type_id: i64, amount: i64, initial: i64, trial: i64, n: i64, freq: i64) -> PullPayment {
        PullPayment {
            id: "p".into(),
            chain_payment_id: "0x".into(),
            request_id: "r".into(),
            business_id: "b".into(),
            payment_model_id: "m".into(),
            product_id: "prod".into(),
            network_id: 3,
            type_id,
            status: PullPaymentStatus::Running,
            status_reason: None,
            title: None,
            description: None,
            currency: "USD".into(),
            amount,
            initial_payment_amount: initial,
            trial_period: trial,
            frequency: freq,
            number_of_payments: n,
            top_up_limit: None,
            customer_address: String::new(),
            treasury_wallet: String::new(),
            contract_address: String::new(),
            hd_wallet_index: 1,
            unique_reference_id: "c".into(),
            terms: String::new(),
            signature: String::new(),
            permit: None,
            start_timestamp: T0,
            end_timestamp: T0,
            next_payment_at: None,
            last_payment_at: None,
            pulls_made: 0,
            fiat_pulled: 0,
            failed_attempts: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// (due, cents, type) of every pull of the schedule.
    fn plan(p: &PullPayment) -> Vec<(i64, i64, TxType)> {
        let mut out = vec![];
        let mut k = 0;
        while let Some(due) = next_due(p, k) {
            out.push((due, amount(p, k), tx_type(p, k)));
            k += 1;
        }
        assert!(is_complete(p, k));
        out
    }

    #[test]
    fn every_type_follows_decisions_section_2() {
        use TxType::*;
        assert_eq!(
            plan(&pp(2, 500, 0, 0, 1, 0)),
            vec![(T0, 500, RegisterAndExecute)]
        );
        assert_eq!(
            plan(&pp(7, 750, 0, 0, 1, 0)),
            vec![(T0, 750, RegisterAndExecute)]
        );
        assert_eq!(
            plan(&pp(3, 999, 0, 0, 3, MONTH)),
            vec![
                (T0, 999, Execute),
                (T0 + MONTH, 999, Execute),
                (T0 + 2 * MONTH, 999, Execute)
            ]
        );
        assert_eq!(
            plan(&pp(4, 999, 5000, 0, 2, MONTH)),
            vec![
                (T0, 5000, Initial),
                (T0 + MONTH, 999, Execute),
                (T0 + 2 * MONTH, 999, Execute)
            ]
        );
        let week = 604_800;
        assert_eq!(
            plan(&pp(5, 999, 0, week, 2, MONTH)),
            vec![(T0 + week, 999, Execute), (T0 + week + MONTH, 999, Execute)]
        );
        assert_eq!(
            plan(&pp(6, 999, 5000, week, 2, MONTH)),
            vec![
                (T0 + week, 5000, Initial),
                (T0 + week + MONTH, 999, Execute),
                (T0 + week + 2 * MONTH, 999, Execute)
            ]
        );
        let top_up = pp(8, 2000, 0, 0, 1000, 1);
        assert_eq!(next_due(&top_up, 0), None);
        assert!(!is_complete(&top_up, 5000));
        assert_eq!(tx_type(&top_up, 3), Execute);
    }
}
