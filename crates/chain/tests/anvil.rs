//! The same chain suite against a real node (anvil), through the alloy RPC backend. Skipped,
//! with a printed line, when no anvil binary is found ($ANVIL_BIN, PATH, or
//! contracts/node_modules from contracts/install-tools.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use common::{BoxFuture, Ctx, TEST_MNEMONIC, TimeTravel, random_address};
use payplane_chain::{Chain, GasPolicy, HdWallet, PMA, PlatformSigners, RpcChain, RpcConfig};
use payplane_testdb::anvil::{self, Anvil};

fn spawn_anvil() -> Option<Anvil> {
    anvil::spawn(&["--mnemonic", TEST_MNEMONIC, "--accounts", "4"])
}

struct AnvilTime<'a>(&'a RpcChain);

impl TimeTravel for AnvilTime<'_> {
    fn advance(&self, secs: u64) -> BoxFuture<'_> {
        // `Chain::advance_time`: evm_increaseTime, then evm_mine.
        Box::pin(async move { self.0.advance_time(secs).await.unwrap() })
    }
}

async fn connect(anvil: &Anvil, confirmations: u64) -> RpcChain {
    let wallet = HdWallet::from_phrase(TEST_MNEMONIC).unwrap();
    let signers = PlatformSigners::from_wallet(&wallet, 1..3, GasPolicy::default()).unwrap();
    let mut config = RpcConfig::new(anvil.url.clone());
    config.expected_chain_id = Some(31337);
    config.confirmations = confirmations;
    config.poll_interval = Duration::from_millis(20);
    RpcChain::connect(config, signers).await.unwrap()
}

#[tokio::test]
async fn chain_suite_on_anvil() {
    let Some(anvil) = spawn_anvil() else { return };
    let chain = connect(&anvil, 1).await;
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    let contracts = chain
        .deploy_contracts(executor, PMA * U256::from(1_000_000_000u64))
        .await
        .unwrap();
    assert!(
        !chain
            .code(contracts.pull_payments)
            .await
            .unwrap()
            .is_empty()
    );
    let time = AnvilTime(&chain);
    common::run_suite(&Ctx::new(&chain, &time)).await;
}

#[tokio::test]
async fn a_receipt_is_final_only_after_the_confirmation_depth() {
    let Some(anvil) = spawn_anvil() else { return };
    let chain = connect(&anvil, 3).await;
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    let hash = chain
        .send_transaction(
            executor,
            payplane_chain::CallRequest {
                to: Some(random_address()),
                value: U256::from(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Mined by anvil (automine), but only 1 of 3 blocks deep.
    let mut mined = false;
    for _ in 0..250 {
        if chain
            .provider()
            .get_transaction_receipt(hash)
            .await
            .unwrap()
            .is_some()
        {
            mined = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(mined);
    assert!(chain.receipt(hash).await.unwrap().is_none());
    let _: serde_json::Value = chain
        .provider()
        .raw_request("evm_mine".into(), ())
        .await
        .unwrap();
    assert!(chain.receipt(hash).await.unwrap().is_none());
    let _: serde_json::Value = chain
        .provider()
        .raw_request("evm_mine".into(), ())
        .await
        .unwrap();
    let receipt = chain
        .wait_for_receipt(hash, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(receipt.success);
}

#[tokio::test]
async fn the_same_signed_transaction_has_the_same_hash_on_devnet_and_anvil() {
    let Some(anvil) = spawn_anvil() else { return };
    let wallet = HdWallet::from_phrase(TEST_MNEMONIC).unwrap();
    let key = wallet.signer(3).unwrap();
    let req = payplane_chain::CallRequest {
        to: Some(wallet.address(2).unwrap()),
        value: U256::from(7),
        ..Default::default()
    };
    let raw = payplane_chain::sender::sign_eip1559(
        &key,
        31337,
        0,
        &req,
        21_000,
        10_000_000_000,
        1_000_000_000,
    )
    .unwrap();
    let chain = connect(&anvil, 1).await;
    let on_anvil = chain.send_raw_transaction(raw.clone()).await.unwrap();
    let mut config = payplane_chain::DevnetConfig::new(TEST_MNEMONIC, None);
    config.chain_id = 31337;
    let devnet =
        payplane_chain::Devnet::open(config, std::sync::Arc::new(payplane_chain::SystemClock))
            .unwrap();
    let on_devnet = devnet.send_raw_transaction(raw).await.unwrap();
    assert_eq!(on_anvil, on_devnet);
    let a = chain
        .wait_for_receipt(on_anvil, Duration::from_secs(5))
        .await
        .unwrap();
    let d = devnet.receipt(on_devnet).await.unwrap().unwrap();
    assert_eq!((a.gas_used, a.success), (d.gas_used, d.success));
}

// Found by the multi-process soak (issue 20, item 4): two processes send from the executor, each
// with its own nonce cache, so one's cached nonce is taken by the other's transaction and the
// node refuses it ("nonce too low"): a faucet request failed with 500, a pull waited for its
// lease. A refused nonce is now re-read and the transaction sent again.
#[tokio::test]
async fn two_processes_sending_from_one_wallet_both_get_through() {
    let Some(anvil) = spawn_anvil() else { return };
    let (one, two) = (connect(&anvil, 1).await, connect(&anvil, 1).await);
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    // Each caches the next nonce after its first send; then they take turns, so each one's
    // cached nonce has always just been used by the other.
    for _ in 0..4 {
        for chain in [&one, &two] {
            let to = random_address();
            chain
                .transact(
                    executor,
                    payplane_chain::CallRequest {
                        to: Some(to),
                        value: U256::from(1),
                        ..Default::default()
                    },
                )
                .await
                .expect("sent despite the other process");
            assert_eq!(one.balance(to).await.unwrap(), U256::from(1));
        }
    }
}
