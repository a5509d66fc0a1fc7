//! The chain suite on the embedded devnet, plus what only the devnet has: deterministic genesis,
//! durability across restarts and SIGKILL, the faucet.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use common::{BoxFuture, Ctx, TEST_MNEMONIC, TimeTravel, random_address};
use payplane_chain::{
    Chain, ChainError, Devnet, DevnetConfig, Faucet, FaucetConfig, HdWallet, ManualClock, PMA,
    SystemClock,
};

const T0: u64 = 1_767_225_600; // 2026-01-01

struct ManualTime(Arc<ManualClock>);

impl TimeTravel for ManualTime {
    fn advance(&self, secs: u64) -> BoxFuture<'_> {
        self.0.advance(secs);
        Box::pin(async {})
    }
}

fn open(dir: Option<&Path>, clock: Arc<ManualClock>) -> Devnet {
    Devnet::open(
        DevnetConfig::new(TEST_MNEMONIC, dir.map(Path::to_path_buf)),
        clock,
    )
    .unwrap()
}

#[tokio::test]
async fn chain_suite_on_the_devnet() {
    let clock = Arc::new(ManualClock::new(T0));
    let devnet = open(None, clock.clone());
    let time = ManualTime(clock);
    common::run_suite(&Ctx::new(&devnet, &time)).await;
}

#[tokio::test]
async fn genesis_is_deterministic_and_funds_the_platform_wallets() {
    let a = open(None, Arc::new(ManualClock::new(T0)));
    let b = open(None, Arc::new(ManualClock::new(T0)));
    assert_eq!(a.contracts(), b.contracts());
    assert_eq!(a.head().hash, b.head().hash);
    let wallet = HdWallet::from_phrase(TEST_MNEMONIC).unwrap();
    let executor = wallet.address(0).unwrap();
    assert!(!a.code(a.contracts().token).await.unwrap().is_empty());
    assert!(
        !a.code(a.contracts().pull_payments)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        a.token_balance(executor).await.unwrap(),
        PMA * U256::from(1_000_000_000u64)
    );
    assert!(a.balance(wallet.address(5).unwrap()).await.unwrap() > U256::ZERO);
    assert!(a.signers().get(wallet.address(3).unwrap()).is_some());
    // The executor is registered on the pull-payment contract.
    let is_exec = payplane_chain::contracts::PullPayments::isExecutorCall(executor);
    let out = a
        .call(&payplane_chain::CallRequest::call(
            a.contracts().pull_payments,
            alloy::sol_types::SolCall::abi_encode(&is_exec),
        ))
        .await
        .unwrap();
    assert_eq!(out[31], 1);
}

#[tokio::test]
async fn blocks_take_their_time_from_the_clock() {
    let clock = Arc::new(ManualClock::new(T0));
    let devnet = open(None, clock.clone());
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    clock.advance(3600);
    let r = devnet
        .transfer_eth(executor, random_address(), U256::from(1))
        .await
        .unwrap();
    let block = devnet.block(r.block_number).unwrap();
    assert_eq!(block.timestamp, T0 + 3600);
    assert_eq!(
        block.parent_hash,
        devnet.block(r.block_number - 1).unwrap().hash
    );
    // A clock that steps back never makes time run backwards on chain.
    clock.set(T0);
    let r2 = devnet
        .transfer_eth(executor, random_address(), U256::from(1))
        .await
        .unwrap();
    assert_eq!(devnet.block(r2.block_number).unwrap().timestamp, T0 + 3600);
}

#[tokio::test]
async fn state_survives_a_clean_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let time = ManualTime(clock.clone());
    let (head, payment_id, customer, treasury_balance) = {
        let devnet = open(Some(dir.path()), clock.clone());
        let ctx = Ctx::new(&devnet, &time);
        let (key, terms) = ctx
            .registered(PMA * U256::from(10), |t| t.frequency = U256::from(60))
            .await;
        let receipt = devnet
            .execute_pull(ctx.executor, terms.paymentId, PMA)
            .await
            .unwrap();
        // Sent with the fixed gas limit, no estimate: a first pull (cold slots) stays well
        // under it.
        assert!(
            receipt.gas_used < payplane_chain::chain::EXECUTE_GAS_LIMIT / 2,
            "a pull used {} gas",
            receipt.gas_used
        );
        (
            devnet.head(),
            terms.paymentId,
            key.address(),
            devnet.token_balance(terms.treasury).await.unwrap(),
        )
    };
    // Reopened later, with the clock moved on: the past is replayed at its own timestamps.
    clock.advance(60);
    let devnet = open(Some(dir.path()), clock.clone());
    assert_eq!(devnet.head(), head);
    let state = devnet.payment_state(payment_id).await.unwrap();
    assert_eq!((state.pulls, state.pulled), (1, PMA));
    assert_eq!(
        devnet.token_balance(customer).await.unwrap(),
        PMA * U256::from(9)
    );
    assert_eq!(treasury_balance, PMA);
    // And it goes on: nonces are re-read from the chain, the next pull is due.
    let ctx = Ctx::new(&devnet, &time);
    devnet
        .execute_pull(ctx.executor, payment_id, PMA)
        .await
        .unwrap();
    assert_eq!(devnet.payment_state(payment_id).await.unwrap().pulls, 2);
}

#[tokio::test]
async fn a_journal_of_another_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(Some(dir.path()), Arc::new(ManualClock::new(T0))));
    let mut other = DevnetConfig::new(TEST_MNEMONIC, Some(dir.path().to_path_buf()));
    other.chain_id = 4242;
    let err = Devnet::open(other, Arc::new(ManualClock::new(T0))).unwrap_err();
    assert!(matches!(err, ChainError::LogMismatch { .. }), "{err}");
}

#[tokio::test]
async fn two_processes_cannot_share_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(Some(dir.path()), Arc::new(ManualClock::new(T0)));
    let err = Devnet::open(
        DevnetConfig::new(TEST_MNEMONIC, Some(dir.path().to_path_buf())),
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
}

/// Run by `acknowledged_transactions_survive_sigkill` in a child process: sends transfers
/// forever, printing each hash once `eth_sendRawTransaction` returned it.
#[tokio::test]
#[ignore = "child process of acknowledged_transactions_survive_sigkill"]
async fn sigkill_child_writer() {
    let Ok(dir) = std::env::var("PAYPLANE_DEVNET_CHILD_DIR") else {
        return;
    };
    let devnet = Devnet::open(
        DevnetConfig::new(TEST_MNEMONIC, Some(dir.into())),
        Arc::new(SystemClock),
    )
    .unwrap();
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    let recipient: Address = std::env::var("PAYPLANE_DEVNET_CHILD_TO")
        .unwrap()
        .parse()
        .unwrap();
    let mut out = std::io::stdout();
    for _ in 0..10_000 {
        let hash = devnet
            .send_transaction(
                executor,
                payplane_chain::CallRequest {
                    to: Some(devnet.contracts().token),
                    data: alloy::sol_types::SolCall::abi_encode(
                        &payplane_chain::contracts::PMAToken::transferCall {
                            to: recipient,
                            value: PMA,
                        },
                    )
                    .into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        writeln!(out, "ACK {hash}").unwrap();
        out.flush().unwrap();
    }
}

#[tokio::test]
async fn acknowledged_transactions_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let recipient = random_address();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PAYPLANE_DEVNET_CHILD_DIR", dir.path())
        .env("PAYPLANE_DEVNET_CHILD_TO", recipient.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked: Vec<B256> = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    while acked.len() < 25 && started.elapsed() < Duration::from_secs(60) {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(hash) = line.strip_prefix("ACK ") {
            acked.push(hash.parse().unwrap());
        }
    }
    // SIGKILL mid-stream: no destructor, no flush, the child may be inside a write.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        acked.len() >= 25,
        "child acknowledged only {} transactions",
        acked.len()
    );

    // A torn last line, as a crash inside write() would leave, is dropped on open.
    let journal = dir.path().join("devnet-journal.jsonl");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap()
        .write_all(b"{\"t\":17,\"tx\":\"0x02f8")
        .unwrap();

    let devnet = Devnet::open(
        DevnetConfig::new(TEST_MNEMONIC, Some(dir.path().to_path_buf())),
        Arc::new(SystemClock),
    )
    .unwrap();
    for hash in &acked {
        let receipt = devnet.receipt(*hash).await.unwrap();
        assert!(
            receipt.is_some_and(|r| r.success),
            "acknowledged {hash} lost"
        );
    }
    let balance = devnet.token_balance(recipient).await.unwrap();
    assert!(
        balance >= PMA * U256::from(acked.len() as u64),
        "recipient has {balance}"
    );
    // Still usable after the crash.
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    devnet
        .erc20_transfer(executor, recipient, PMA)
        .await
        .unwrap();
}

#[tokio::test]
async fn faucet_gives_eth_and_pma_once_per_interval() {
    let clock = Arc::new(ManualClock::new(T0));
    let devnet = open(None, clock.clone());
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    let faucet = Faucet::new(FaucetConfig::default(), executor, clock.clone());
    let to = random_address();
    let grant = faucet.drip(&devnet, to).await.unwrap();
    assert_eq!(devnet.balance(to).await.unwrap(), grant.eth);
    assert_eq!(devnet.token_balance(to).await.unwrap(), grant.pma);
    assert!(grant.eth > U256::ZERO && grant.pma > U256::ZERO);

    match faucet.drip(&devnet, to).await {
        Err(ChainError::RateLimited {
            retry_after_secs, ..
        }) => assert_eq!(retry_after_secs, 24 * 3600),
        other => panic!("expected rate limit, got {other:?}"),
    }
    faucet.drip(&devnet, random_address()).await.unwrap();
    clock.advance(24 * 3600);
    faucet.drip(&devnet, to).await.unwrap();
    assert_eq!(
        devnet.token_balance(to).await.unwrap(),
        grant.pma * U256::from(2)
    );
}

#[tokio::test]
async fn a_sender_that_is_not_a_platform_wallet_is_refused() {
    let devnet = open(None, Arc::new(ManualClock::new(T0)));
    let err = devnet
        .transfer_eth(random_address(), random_address(), U256::from(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::UnknownSender(_)), "{err}");
}

#[tokio::test]
async fn a_transaction_that_reverts_on_chain_keeps_its_real_receipt() {
    use alloy::sol_types::SolCall;
    use payplane_chain::contracts::PullPayments;
    let devnet = open(None, Arc::new(ManualClock::new(T0)));
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap();
    // A fixed gas limit skips the estimate, so the refusal happens on chain, not before sending.
    let data = PullPayments::executeCall {
        paymentId: B256::ZERO,
        tokenAmount: PMA,
    }
    .abi_encode();
    let req = payplane_chain::CallRequest {
        gas: Some(200_000),
        ..payplane_chain::CallRequest::call(devnet.contracts().pull_payments, data)
    };
    let before = devnet.head().number;
    match devnet.transact(executor, req).await {
        Err(ChainError::FailedOnChain(receipt)) => {
            assert!(!receipt.success);
            assert_eq!(receipt.block_number, before + 1);
            assert!(receipt.gas_used > 21_000 && receipt.gas_used < 200_000);
        }
        other => panic!("expected a failed receipt, got {other:?}"),
    }
    // The nonce was consumed: the next send works.
    devnet
        .transfer_eth(executor, random_address(), U256::from(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_corrupt_line_inside_the_journal_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let devnet = open(Some(dir.path()), Arc::new(ManualClock::new(T0)));
        let executor = HdWallet::from_phrase(TEST_MNEMONIC)
            .unwrap()
            .address(0)
            .unwrap();
        devnet
            .transfer_eth(executor, random_address(), U256::from(1))
            .await
            .unwrap();
        devnet
            .transfer_eth(executor, random_address(), U256::from(1))
            .await
            .unwrap();
    }
    let path = dir.path().join("devnet-journal.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "{\"t\":1,\"tx\":\"not hex\"}";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = Devnet::open(
        DevnetConfig::new(TEST_MNEMONIC, Some(dir.path().to_path_buf())),
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap_err();
    assert!(
        matches!(err, ChainError::CorruptLog { line: 2, .. }),
        "{err}"
    );
}

/// PMA transfers from the executor at `nonces`, signed as the platform would send them.
fn signed_transfers(devnet: &Devnet, to: Address, nonces: std::ops::Range<u64>) -> Vec<Bytes> {
    let executor = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .executor()
        .unwrap();
    nonces
        .map(|nonce| {
            let req = payplane_chain::CallRequest::call(
                devnet.contracts().token,
                alloy::sol_types::SolCall::abi_encode(
                    &payplane_chain::contracts::PMAToken::transferCall { to, value: PMA },
                ),
            );
            payplane_chain::sender::sign_eip1559(
                &executor,
                devnet.chain_id(),
                nonce,
                &req,
                100_000,
                4_000_000_000,
                1_000_000_000,
            )
            .unwrap()
        })
        .collect()
}

/// A block of several transactions, as the group commit journals it, replays into one block
/// whose receipts are numbered within it: indices, cumulative gas, block-wide log indices, and
/// the logs found by block.
#[tokio::test]
async fn a_journalled_block_of_several_transactions_replays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let to = random_address();
    let (raws, genesis_head) = {
        let devnet = open(Some(dir.path()), clock.clone());
        (signed_transfers(&devnet, to, 3..6), devnet.head())
    };
    let line = serde_json::json!({"t": T0 + 5, "txs": raws});
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("devnet-journal.jsonl"))
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();

    let devnet = open(Some(dir.path()), clock);
    let block = devnet.head();
    assert_eq!(block.number, genesis_head.number + 1);
    assert_eq!(block.parent_hash, genesis_head.hash);
    assert_eq!(block.timestamp, T0 + 5);
    assert_eq!(block.transactions.len(), 3);
    let mut cumulative = 0;
    for (i, hash) in block.transactions.iter().enumerate() {
        let r = devnet.receipt(*hash).await.unwrap().unwrap();
        assert!(r.success);
        assert_eq!((r.block_number, r.block_hash), (block.number, block.hash));
        assert_eq!(r.transaction_index, i as u64);
        cumulative += r.gas_used;
        assert_eq!(r.cumulative_gas_used, cumulative);
        assert_eq!(r.logs.len(), 1, "one Transfer each");
        assert_eq!(r.logs[0].log_index, i as u64);
        assert_eq!(r.logs[0].tx_index, i as u64);
    }
    assert_eq!(block.gas_used, cumulative);
    let logs = devnet
        .logs(&payplane_chain::LogQuery {
            from_block: block.number,
            to_block: Some(block.number),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        logs.iter().map(|l| l.log_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(devnet.token_balance(to).await.unwrap(), PMA * U256::from(3));
    assert_eq!(devnet.transaction_count(block_sender()).await.unwrap(), 6);
}

fn block_sender() -> Address {
    HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap()
}

/// Transactions accepted while a block is being written wait for the next one: with a journal,
/// many sent at once from one sender share blocks; each sender got its hash only once its block
/// was durable and sealed (the receipt readable at once), and a restart rebuilds the same chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_sent_at_once_share_blocks_that_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let to = random_address();
    let devnet = open(Some(dir.path()), clock.clone());
    let first = devnet.head().number + 1;
    // Accepted one after the other without waiting, then waited for together.
    let submitted: Vec<_> = signed_transfers(&devnet, to, 3..43)
        .iter()
        .map(|raw| devnet.submit(raw).unwrap())
        .collect();
    // Read calls and nonces already see the accepted transactions, receipts only sealed ones.
    assert_eq!(devnet.transaction_count(block_sender()).await.unwrap(), 43);
    let mut hashes = Vec::new();
    for s in submitted {
        let hash = s.durable().await.unwrap();
        assert!(
            devnet
                .receipt(hash)
                .await
                .unwrap()
                .is_some_and(|r| r.success)
        );
        hashes.push(hash);
    }
    let head = devnet.head();
    let blocks = head.number + 1 - first;
    // How many blocks they share depends on how long each fsync takes against how fast they
    // arrive (CI once saw 40 blocks for 40 on a fast disk): the gain is the benchmark's to show
    // (BENCH.md, issue 14), this test checks that none is lost, doubled or left unsealed.
    assert!(
        (1..=40).contains(&blocks),
        "40 transactions took {blocks} blocks"
    );
    let mut seen = Vec::new();
    for n in first..=head.number {
        let b = devnet.block(n).unwrap();
        assert!(!b.transactions.is_empty());
        assert_eq!(b.parent_hash, devnet.block(n - 1).unwrap().hash);
        seen.extend(b.transactions);
    }
    assert_eq!(seen, hashes, "blocks hold the transactions in nonce order");
    assert_eq!(
        devnet.token_balance(to).await.unwrap(),
        PMA * U256::from(40)
    );
    // A second copy of an accepted transaction is refused, like a mined one.
    let again = signed_transfers(&devnet, to, 3..4);
    assert!(devnet.submit(&again[0]).is_err());
    drop(devnet);

    let devnet = open(Some(dir.path()), clock);
    assert_eq!(devnet.head(), head);
    assert_eq!(
        devnet.token_balance(to).await.unwrap(),
        PMA * U256::from(40)
    );
}
