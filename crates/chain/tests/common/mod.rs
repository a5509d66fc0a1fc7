//! The chain test suite, shared by the devnet and anvil: the same scenarios and refusals run on
//! both, so the devnet is held to a real node's behaviour.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;

use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use payplane_chain::chain::executed_events;
use payplane_chain::consent::{self, Permit, PullPayment};
use payplane_chain::{
    Chain, ChainError, HdWallet, PMA, PullPaymentTerms, SignedConsent, SignedPermit,
};

/// The well-known development mnemonic (anvil's default): index 0 is the executor.
pub const TEST_MNEMONIC: &str = "test test test test test test test test test test test junk";

pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Moves chain time forward (a manual clock on the devnet, `evm_increaseTime` on anvil).
pub trait TimeTravel: Send + Sync {
    fn advance(&self, secs: u64) -> BoxFuture<'_>;
}

pub struct Ctx<'a> {
    pub chain: &'a dyn Chain,
    pub time: &'a dyn TimeTravel,
    pub executor: Address,
    /// A funded platform wallet that is not an executor.
    pub outsider: Address,
}

impl<'a> Ctx<'a> {
    pub fn new(chain: &'a dyn Chain, time: &'a dyn TimeTravel) -> Self {
        let wallet = HdWallet::from_phrase(TEST_MNEMONIC).unwrap();
        Ctx {
            chain,
            time,
            executor: wallet.address(0).unwrap(),
            outsider: wallet.address(1).unwrap(),
        }
    }

    pub async fn now(&self) -> u64 {
        self.chain.latest_block_timestamp().await.unwrap()
    }

    /// A new customer holding `pma` tokens.
    pub async fn customer_with(&self, pma: U256) -> PrivateKeySigner {
        let key = PrivateKeySigner::random();
        if !pma.is_zero() {
            self.chain
                .erc20_transfer(self.executor, key.address(), pma)
                .await
                .unwrap();
        }
        key
    }

    pub async fn terms(
        &self,
        customer: Address,
        edit: impl FnOnce(&mut PullPaymentTerms),
    ) -> PullPaymentTerms {
        let now = self.now().await;
        let mut t = PullPayment {
            paymentId: random_b256(),
            customer,
            treasury: random_address(),
            currency: "USD".into(),
            fiatAmount: U256::from(999),
            initialAmount: U256::ZERO,
            frequency: U256::from(30 * 24 * 3600),
            numberOfPayments: U256::from(3),
            trialPeriod: U256::ZERO,
            startTime: U256::from(now),
            tokenCap: PMA * U256::from(100),
            expiry: U256::from(now + 365 * 24 * 3600),
        };
        edit(&mut t);
        t
    }

    pub fn sign(&self, key: &PrivateKeySigner, terms: &PullPaymentTerms) -> SignedConsent {
        consent::sign_consent(
            key,
            terms,
            self.chain.chain_id(),
            self.chain.contracts().pull_payments,
        )
        .unwrap()
    }

    pub async fn permit(&self, key: &PrivateKeySigner, value: U256) -> SignedPermit {
        let nonce = self.chain.permit_nonce(key.address()).await.unwrap();
        let permit = Permit {
            owner: key.address(),
            spender: self.chain.contracts().pull_payments,
            value,
            nonce,
            deadline: U256::from(self.now().await + 3600),
        };
        consent::sign_permit(
            key,
            &permit,
            self.chain.chain_id(),
            self.chain.contracts().token,
        )
        .unwrap()
    }

    /// Registers terms (with a permit for the cap) for a customer holding `pma`.
    pub async fn registered(
        &self,
        pma: U256,
        edit: impl FnOnce(&mut PullPaymentTerms),
    ) -> (PrivateKeySigner, PullPaymentTerms) {
        let key = self.customer_with(pma).await;
        let terms = self.terms(key.address(), edit).await;
        let permit = self.permit(&key, terms.tokenCap).await;
        self.chain
            .register_pull_payment(self.executor, &self.sign(&key, &terms), Some(&permit))
            .await
            .unwrap();
        (key, terms)
    }
}

pub fn expect_revert<T: std::fmt::Debug>(result: Result<T, ChainError>, reason: &str) {
    match result {
        Err(ChainError::Reverted { reason: got, .. }) => {
            assert!(
                got.starts_with(reason),
                "expected revert {reason}, got {got}"
            )
        }
        other => panic!("expected revert {reason}, got {other:?}"),
    }
}

/// Every scenario, in order. Each uses its own customer and payment id.
pub async fn run_suite(ctx: &Ctx<'_>) {
    macro_rules! case {
        ($name:ident) => {
            eprintln!("  case {}", stringify!($name));
            $name(ctx).await;
        };
    }
    case!(consent_digest_matches_the_contract);
    case!(permit_and_consent_register_and_a_pull_moves_exactly_the_amount);
    case!(only_executors_may_execute);
    case!(a_pull_before_start_plus_trial_is_refused);
    case!(pulls_follow_the_frequency_and_stop_after_the_count);
    case!(initial_amount_adds_one_pull);
    case!(cumulative_pulls_may_not_pass_the_token_cap);
    case!(nothing_is_pulled_after_expiry);
    case!(a_consent_signed_by_another_key_is_refused);
    case!(terms_changed_after_signing_are_refused);
    case!(a_payment_id_registers_once);
    case!(executor_cancel_stops_pulls);
    case!(customer_signed_cancel_is_relayed_by_anyone);
    case!(strangers_cannot_cancel);
    case!(short_allowance_fails_cleanly);
    case!(short_balance_fails_cleanly);
    case!(contract_logs_report_the_lifecycle);
    case!(invalid_terms_are_refused);
    case!(a_zero_pull_is_refused);
    case!(a_front_run_permit_does_not_block_registration);
    case!(only_the_owner_manages_executors);
    case!(concurrent_sends_from_one_wallet_get_distinct_nonces);
}

async fn consent_digest_matches_the_contract(ctx: &Ctx<'_>) {
    let terms = ctx.terms(random_address(), |_| {}).await;
    let local = consent::consent_digest(
        &terms,
        ctx.chain.chain_id(),
        ctx.chain.contracts().pull_payments,
    );
    assert_eq!(
        ctx.chain.consent_digest_on_chain(&terms).await.unwrap(),
        local
    );
}

async fn permit_and_consent_register_and_a_pull_moves_exactly_the_amount(ctx: &Ctx<'_>) {
    let c = ctx.chain;
    let key = ctx.customer_with(PMA * U256::from(50)).await;
    let terms = ctx.terms(key.address(), |_| {}).await;
    let permit = ctx.permit(&key, terms.tokenCap).await;
    assert_eq!(c.token_allowance(key.address()).await.unwrap(), U256::ZERO);

    let receipt = c
        .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), Some(&permit))
        .await
        .unwrap();
    assert!(receipt.success);
    assert_eq!(
        c.token_allowance(key.address()).await.unwrap(),
        terms.tokenCap
    );
    let state = c.payment_state(terms.paymentId).await.unwrap();
    assert_eq!(
        (state.customer, state.treasury, state.max_pulls, state.pulls),
        (key.address(), terms.treasury, 3, 0)
    );

    let amount = PMA * U256::from(12) + U256::from(345);
    let receipt = c
        .execute_pull(ctx.executor, terms.paymentId, amount)
        .await
        .unwrap();
    assert!(receipt.gas_used > 0 && receipt.block_number > 0);
    let events = executed_events(&receipt);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].paymentId,
            events[0].tokenAmount,
            events[0].pullIndex
        ),
        (terms.paymentId, amount, U256::ZERO)
    );
    assert_eq!(
        c.token_balance(key.address()).await.unwrap(),
        PMA * U256::from(50) - amount
    );
    assert_eq!(c.token_balance(terms.treasury).await.unwrap(), amount);
    assert_eq!(
        c.payment_state(terms.paymentId).await.unwrap().pulled,
        amount
    );
}

async fn only_executors_may_execute(ctx: &Ctx<'_>) {
    let (_, terms) = ctx.registered(PMA * U256::from(10), |_| {}).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.outsider, terms.paymentId, PMA)
            .await,
        "NotExecutor",
    );
}

async fn a_pull_before_start_plus_trial_is_refused(ctx: &Ctx<'_>) {
    let (_, terms) = ctx
        .registered(PMA * U256::from(10), |t| {
            t.trialPeriod = U256::from(7 * 24 * 3600)
        })
        .await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, PMA)
            .await,
        "NotDue",
    );
    ctx.time.advance(7 * 24 * 3600).await;
    ctx.chain
        .execute_pull(ctx.executor, terms.paymentId, PMA)
        .await
        .unwrap();
}

async fn pulls_follow_the_frequency_and_stop_after_the_count(ctx: &Ctx<'_>) {
    let (_, terms) = ctx
        .registered(PMA * U256::from(10), |t| {
            t.numberOfPayments = U256::from(2);
            t.frequency = U256::from(3600);
        })
        .await;
    let id = terms.paymentId;
    ctx.chain.execute_pull(ctx.executor, id, PMA).await.unwrap();
    expect_revert(
        ctx.chain.execute_pull(ctx.executor, id, PMA).await,
        "NotDue",
    );
    ctx.time.advance(3600).await;
    ctx.chain.execute_pull(ctx.executor, id, PMA).await.unwrap();
    ctx.time.advance(3600).await;
    expect_revert(
        ctx.chain.execute_pull(ctx.executor, id, PMA).await,
        "AllPaymentsMade",
    );
    assert_eq!(ctx.chain.payment_state(id).await.unwrap().pulls, 2);
}

async fn initial_amount_adds_one_pull(ctx: &Ctx<'_>) {
    let (_, terms) = ctx
        .registered(PMA * U256::from(10), |t| {
            t.numberOfPayments = U256::from(1);
            t.initialAmount = U256::from(500);
            t.frequency = U256::from(60);
        })
        .await;
    assert_eq!(
        ctx.chain
            .payment_state(terms.paymentId)
            .await
            .unwrap()
            .max_pulls,
        2
    );
}

async fn cumulative_pulls_may_not_pass_the_token_cap(ctx: &Ctx<'_>) {
    let (_, terms) = ctx
        .registered(PMA * U256::from(50), |t| {
            t.tokenCap = PMA * U256::from(10);
            t.frequency = U256::from(60);
        })
        .await;
    let id = terms.paymentId;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, id, PMA * U256::from(11))
            .await,
        "OverTokenCap",
    );
    ctx.chain
        .execute_pull(ctx.executor, id, PMA * U256::from(6))
        .await
        .unwrap();
    ctx.time.advance(60).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, id, PMA * U256::from(5))
            .await,
        "OverTokenCap",
    );
    ctx.chain
        .execute_pull(ctx.executor, id, PMA * U256::from(4))
        .await
        .unwrap();
}

async fn nothing_is_pulled_after_expiry(ctx: &Ctx<'_>) {
    let now = ctx.now().await;
    let (_, terms) = ctx
        .registered(PMA * U256::from(10), |t| {
            t.trialPeriod = U256::from(1000);
            t.expiry = U256::from(now + 500);
        })
        .await;
    ctx.time.advance(1000).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, PMA)
            .await,
        "PaymentExpired",
    );

    // And consent that has already expired does not register.
    let key = ctx.customer_with(U256::ZERO).await;
    let now = ctx.now().await;
    let terms = ctx
        .terms(key.address(), |t| t.expiry = U256::from(now - 1))
        .await;
    expect_revert(
        ctx.chain
            .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), None)
            .await,
        "PaymentExpired",
    );
}

async fn a_consent_signed_by_another_key_is_refused(ctx: &Ctx<'_>) {
    let customer = ctx.customer_with(U256::ZERO).await;
    let terms = ctx.terms(customer.address(), |_| {}).await;
    let impostor = PrivateKeySigner::random();
    let forged = ctx.sign(&impostor, &terms);
    expect_revert(
        ctx.chain
            .register_pull_payment(ctx.executor, &forged, None)
            .await,
        "InvalidSignature",
    );
}

async fn terms_changed_after_signing_are_refused(ctx: &Ctx<'_>) {
    let key = ctx.customer_with(U256::ZERO).await;
    let terms = ctx.terms(key.address(), |_| {}).await;
    let mut signed = ctx.sign(&key, &terms);
    signed.terms.tokenCap *= U256::from(10);
    expect_revert(
        ctx.chain
            .register_pull_payment(ctx.executor, &signed, None)
            .await,
        "InvalidSignature",
    );
}

async fn a_payment_id_registers_once(ctx: &Ctx<'_>) {
    let key = ctx.customer_with(U256::ZERO).await;
    let terms = ctx.terms(key.address(), |_| {}).await;
    let signed = ctx.sign(&key, &terms);
    ctx.chain
        .register_pull_payment(ctx.executor, &signed, None)
        .await
        .unwrap();
    expect_revert(
        ctx.chain
            .register_pull_payment(ctx.executor, &signed, None)
            .await,
        "AlreadyRegistered",
    );
}

async fn executor_cancel_stops_pulls(ctx: &Ctx<'_>) {
    let (_, terms) = ctx.registered(PMA * U256::from(10), |_| {}).await;
    ctx.chain
        .cancel_pull_payment(ctx.executor, terms.paymentId)
        .await
        .unwrap();
    assert!(
        ctx.chain
            .payment_state(terms.paymentId)
            .await
            .unwrap()
            .cancelled
    );
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, PMA)
            .await,
        "PaymentCancelled",
    );
    expect_revert(
        ctx.chain
            .cancel_pull_payment(ctx.executor, terms.paymentId)
            .await,
        "PaymentCancelled",
    );
}

async fn customer_signed_cancel_is_relayed_by_anyone(ctx: &Ctx<'_>) {
    let (key, terms) = ctx.registered(PMA * U256::from(10), |_| {}).await;
    let c = ctx.chain;
    let wrong = consent::sign_cancel(
        &PrivateKeySigner::random(),
        terms.paymentId,
        c.chain_id(),
        c.contracts().pull_payments,
    )
    .unwrap();
    expect_revert(
        c.cancel_with_signature(ctx.outsider, terms.paymentId, wrong)
            .await,
        "InvalidSignature",
    );
    let sig = consent::sign_cancel(
        &key,
        terms.paymentId,
        c.chain_id(),
        c.contracts().pull_payments,
    )
    .unwrap();
    let receipt = c
        .cancel_with_signature(ctx.outsider, terms.paymentId, sig)
        .await
        .unwrap();
    assert_eq!(receipt.logs.len(), 1);
    // Cancelled(paymentId, by = the customer, not the relayer).
    assert_eq!(receipt.logs[0].topics[2], key.address().into_word());
    expect_revert(
        c.execute_pull(ctx.executor, terms.paymentId, PMA).await,
        "PaymentCancelled",
    );
}

async fn strangers_cannot_cancel(ctx: &Ctx<'_>) {
    let (_, terms) = ctx.registered(PMA * U256::from(10), |_| {}).await;
    expect_revert(
        ctx.chain
            .cancel_pull_payment(ctx.outsider, terms.paymentId)
            .await,
        "NotAllowedToCancel",
    );
}

async fn short_allowance_fails_cleanly(ctx: &Ctx<'_>) {
    let key = ctx.customer_with(PMA * U256::from(10)).await;
    let terms = ctx.terms(key.address(), |_| {}).await;
    // Registered without a permit and never approved.
    ctx.chain
        .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), None)
        .await
        .unwrap();
    let before = ctx.chain.token_balance(key.address()).await.unwrap();
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, PMA)
            .await,
        "ERC20InsufficientAllowance",
    );
    assert_eq!(
        ctx.chain.token_balance(key.address()).await.unwrap(),
        before
    );
    assert_eq!(
        ctx.chain
            .payment_state(terms.paymentId)
            .await
            .unwrap()
            .pulls,
        0
    );
}

async fn short_balance_fails_cleanly(ctx: &Ctx<'_>) {
    let (_, terms) = ctx.registered(PMA, |_| {}).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, PMA * U256::from(2))
            .await,
        "ERC20InsufficientBalance",
    );
    assert_eq!(
        ctx.chain
            .payment_state(terms.paymentId)
            .await
            .unwrap()
            .pulled,
        U256::ZERO
    );
}

async fn contract_logs_report_the_lifecycle(ctx: &Ctx<'_>) {
    use alloy::sol_types::SolEvent;
    use payplane_chain::contracts::PullPayments;
    let from = ctx.chain.block_number().await.unwrap() + 1;
    let (_, terms) = ctx.registered(PMA * U256::from(10), |_| {}).await;
    ctx.chain
        .execute_pull(ctx.executor, terms.paymentId, PMA)
        .await
        .unwrap();
    ctx.chain
        .cancel_pull_payment(ctx.executor, terms.paymentId)
        .await
        .unwrap();
    let logs = ctx.chain.contract_logs(from, None).await.unwrap();
    let ours: Vec<B256> = logs
        .iter()
        .filter(|l| {
            l.address == ctx.chain.contracts().pull_payments
                && l.topics.get(1) == Some(&terms.paymentId)
        })
        .map(|l| l.topics[0])
        .collect();
    assert_eq!(
        ours,
        vec![
            PullPayments::Registered::SIGNATURE_HASH,
            PullPayments::Executed::SIGNATURE_HASH,
            PullPayments::Cancelled::SIGNATURE_HASH
        ]
    );
}

async fn invalid_terms_are_refused(ctx: &Ctx<'_>) {
    let key = ctx.customer_with(U256::ZERO).await;
    for edit in [
        (|t: &mut PullPaymentTerms| t.numberOfPayments = U256::ZERO) as fn(&mut PullPaymentTerms),
        |t| t.frequency = U256::ZERO,
        |t| t.tokenCap = U256::ZERO,
        |t| t.treasury = Address::ZERO,
    ] {
        let terms = ctx.terms(key.address(), edit).await;
        expect_revert(
            ctx.chain
                .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), None)
                .await,
            "InvalidTerms",
        );
    }
    // A single payment needs no frequency.
    let terms = ctx
        .terms(key.address(), |t| {
            t.numberOfPayments = U256::from(1);
            t.frequency = U256::ZERO;
        })
        .await;
    ctx.chain
        .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), None)
        .await
        .unwrap();
}

async fn a_zero_pull_is_refused(ctx: &Ctx<'_>) {
    let (_, terms) = ctx.registered(PMA, |_| {}).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.executor, terms.paymentId, U256::ZERO)
            .await,
        "ZeroAmount",
    );
}

async fn a_front_run_permit_does_not_block_registration(ctx: &Ctx<'_>) {
    use alloy::sol_types::SolCall;
    use payplane_chain::CallRequest;
    use payplane_chain::contracts::PMAToken;
    let key = ctx.customer_with(PMA * U256::from(5)).await;
    let terms = ctx.terms(key.address(), |_| {}).await;
    let permit = ctx.permit(&key, terms.tokenCap).await;
    // Someone submits the customer's permit first: its nonce is used up.
    let data = PMAToken::permitCall {
        owner: key.address(),
        spender: ctx.chain.contracts().pull_payments,
        value: permit.value,
        deadline: permit.deadline,
        v: permit.v,
        r: permit.r,
        s: permit.s,
    }
    .abi_encode();
    ctx.chain
        .transact(
            ctx.outsider,
            CallRequest::call(ctx.chain.contracts().token, data),
        )
        .await
        .unwrap();
    ctx.chain
        .register_pull_payment(ctx.executor, &ctx.sign(&key, &terms), Some(&permit))
        .await
        .unwrap();
    ctx.chain
        .execute_pull(ctx.executor, terms.paymentId, PMA)
        .await
        .unwrap();
}

async fn only_the_owner_manages_executors(ctx: &Ctx<'_>) {
    use alloy::sol_types::SolCall;
    use payplane_chain::CallRequest;
    use payplane_chain::contracts::PullPayments;
    let pull = ctx.chain.contracts().pull_payments;
    let grant = |allowed| {
        CallRequest::call(
            pull,
            PullPayments::setExecutorCall {
                executor: ctx.outsider,
                allowed,
            }
            .abi_encode(),
        )
    };
    expect_revert(
        ctx.chain.transact(ctx.outsider, grant(true)).await,
        "OwnableUnauthorizedAccount",
    );
    let (_, terms) = ctx
        .registered(PMA * U256::from(5), |t| t.frequency = U256::from(60))
        .await;
    ctx.chain.transact(ctx.executor, grant(true)).await.unwrap();
    ctx.chain
        .execute_pull(ctx.outsider, terms.paymentId, PMA)
        .await
        .unwrap();
    ctx.chain
        .transact(ctx.executor, grant(false))
        .await
        .unwrap();
    ctx.time.advance(60).await;
    expect_revert(
        ctx.chain
            .execute_pull(ctx.outsider, terms.paymentId, PMA)
            .await,
        "NotExecutor",
    );
}

async fn concurrent_sends_from_one_wallet_get_distinct_nonces(ctx: &Ctx<'_>) {
    let to = random_address();
    let c = ctx.chain;
    let e = ctx.executor;
    let (a, b, d, f) = tokio::join!(
        c.erc20_transfer(e, to, PMA),
        c.erc20_transfer(e, to, PMA),
        c.erc20_transfer(e, to, PMA),
        c.erc20_transfer(e, to, PMA)
    );
    let mut hashes = vec![
        a.unwrap().tx_hash,
        b.unwrap().tx_hash,
        d.unwrap().tx_hash,
        f.unwrap().tx_hash,
    ];
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 4);
    assert_eq!(c.token_balance(to).await.unwrap(), PMA * U256::from(4));
}

pub fn random_address() -> Address {
    Address::from(rand::random::<[u8; 20]>())
}

pub fn random_b256() -> B256 {
    B256::from(rand::random::<[u8; 32]>())
}
