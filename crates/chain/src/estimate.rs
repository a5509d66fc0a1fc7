//! What registering one customer's pull payment costs in gas, estimated by the network itself:
//! the platform signs the consent and permit with a throwaway customer key and asks the node to
//! estimate `registerWithPermit` — the transaction a business's gas wallet pays for.
use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;

use crate::chain::Chain;
use crate::consent::{Permit, PullPayment, sign_consent, sign_permit};
use crate::contracts::PullPayments;
use crate::error::Result;
use crate::types::CallRequest;

/// The terms of a payment model, as the contract sees them (amounts in fiat cents, times in s).
#[derive(Debug, Clone, Default)]
pub struct ModelTerms {
    pub currency: String,
    pub fiat_amount: u64,
    pub initial_amount: u64,
    pub frequency: u64,
    pub number_of_payments: u64,
    pub trial_period: u64,
}

/// Gas units of `registerWithPermit` for terms like `m`, sent by `from` to `treasury`.
pub async fn registration_gas(
    chain: &dyn Chain,
    from: Address,
    treasury: Address,
    m: &ModelTerms,
    now: u64,
) -> Result<u64> {
    let customer = PrivateKeySigner::random();
    let contracts = chain.contracts();
    let chain_id = chain.chain_id();
    let cap = U256::from(10u64).pow(U256::from(30u64));
    let payments = m.number_of_payments.max(1);
    let terms = PullPayment {
        paymentId: B256::from(rand::random::<[u8; 32]>()),
        customer: customer.address(),
        treasury: if treasury.is_zero() { from } else { treasury },
        currency: m.currency.clone(),
        fiatAmount: U256::from(m.fiat_amount.max(1)),
        initialAmount: U256::from(m.initial_amount),
        // The contract wants a frequency whenever more than one pull is allowed.
        frequency: U256::from(if payments > 1 || m.initial_amount > 0 {
            m.frequency.max(1)
        } else {
            m.frequency
        }),
        numberOfPayments: U256::from(payments),
        trialPeriod: U256::from(m.trial_period),
        startTime: U256::from(now),
        tokenCap: cap,
        expiry: U256::from(now + 10 * 365 * 86_400),
    };
    let consent = sign_consent(&customer, &terms, chain_id, contracts.pull_payments)?;
    let permit = Permit {
        owner: customer.address(),
        spender: contracts.pull_payments,
        value: cap,
        nonce: U256::ZERO,
        deadline: U256::from(now + 3_600),
    };
    let p = sign_permit(&customer, &permit, chain_id, contracts.token)?;
    let data = PullPayments::registerWithPermitCall {
        t: consent.terms.to_contract_terms(),
        signature: consent.signature,
        permitValue: p.value,
        permitDeadline: p.deadline,
        v: p.v,
        r: p.r,
        s: p.s,
    }
    .abi_encode();
    chain
        .estimate_gas(&CallRequest::call(contracts.pull_payments, data).from(from))
        .await
}
