//! The devnet's state snapshot: a start from it replays only the journal's tail and rebuilds
//! exactly the chain a full replay rebuilds; a snapshot that is torn, corrupt, of another
//! history or of another genesis is ignored (full replay), a damaged last frame only costs the
//! replay since the frame before it; SIGKILL while frames are appended leaves a devnet that
//! starts and has every acknowledged transaction.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use common::{BoxFuture, Ctx, TEST_MNEMONIC, TimeTravel};
use payplane_chain::{
    Chain, ChainError, Devnet, DevnetConfig, HdWallet, LogQuery, ManualClock, PMA, SnapshotPolicy,
    SystemClock,
};

const T0: u64 = 1_767_225_600; // 2026-01-01
const JOURNAL: &str = "devnet-journal.jsonl";
const SNAPSHOT: &str = "devnet-snapshot.bin";

struct ManualTime(Arc<ManualClock>);

impl TimeTravel for ManualTime {
    fn advance(&self, secs: u64) -> BoxFuture<'_> {
        self.0.advance(secs);
        Box::pin(async {})
    }
}

fn config(dir: &Path, policy: SnapshotPolicy) -> DevnetConfig {
    let mut config = DevnetConfig::new(TEST_MNEMONIC, Some(dir.to_path_buf()));
    config.snapshot = policy;
    config
}

/// Only explicit snapshots and the one written on drop.
const MANUAL: SnapshotPolicy = SnapshotPolicy {
    every_txs: 0,
    every_secs: 0,
};

fn open(dir: &Path, clock: &Arc<ManualClock>) -> Devnet {
    Devnet::open(config(dir, MANUAL), clock.clone()).unwrap()
}

fn executor() -> Address {
    HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .address(0)
        .unwrap()
}

/// A deterministic recipient: two histories made with the same seeds are the same journal.
fn recipient(seed: u64) -> Address {
    Address::from_word(alloy::primitives::keccak256(seed.to_be_bytes()))
}

/// `n` rounds of history from `seed`: an ETH transfer and a PMA transfer each, one second apart.
async fn transfers(devnet: &Devnet, clock: &ManualClock, seed: u64, n: u64) {
    for i in 0..n {
        clock.advance(1);
        devnet
            .transfer_eth(executor(), recipient(seed + i), U256::from(1_000 + i))
            .await
            .unwrap();
        devnet
            .erc20_transfer(executor(), recipient(seed + i), PMA * U256::from(i + 1))
            .await
            .unwrap();
    }
}

/// A history with a pull payment in it (registration with permit, two pulls) around transfers.
/// Returns the payment id.
async fn history(devnet: &Devnet, clock: &Arc<ManualClock>) -> B256 {
    let time = ManualTime(clock.clone());
    let ctx = Ctx::new(devnet, &time);
    transfers(devnet, clock, 0, 3).await;
    let (_, terms) = ctx
        .registered(PMA * U256::from(10), |t| t.frequency = U256::from(60))
        .await;
    devnet
        .execute_pull(ctx.executor, terms.paymentId, PMA)
        .await
        .unwrap();
    clock.advance(60);
    devnet
        .execute_pull(ctx.executor, terms.paymentId, PMA)
        .await
        .unwrap();
    terms.paymentId
}

/// Everything a client can read back, as text: every block, every transaction with its receipt,
/// every log, and the balances, nonces and token balances of the addresses involved.
async fn observe(devnet: &Devnet, payment: B256) -> String {
    let mut out = String::new();
    let head = devnet.head().number;
    let mut addresses = vec![executor(), devnet.contracts().token];
    for number in 0..=head {
        let block = devnet.block(number).unwrap();
        writeln!(out, "{block:?}").unwrap();
        assert_eq!(devnet.block_by_hash(block.hash).unwrap(), block);
        for hash in &block.transactions {
            let tx = devnet.transaction(*hash).unwrap();
            writeln!(out, "  {} {:?} {:?}", tx.from, tx.envelope, tx.receipt).unwrap();
            addresses.push(tx.from);
            addresses.extend(tx.receipt.to);
        }
    }
    for i in 0..20 {
        addresses.push(recipient(i));
        addresses.push(recipient(1_000 + i));
    }
    for a in addresses {
        writeln!(
            out,
            "{a} eth {} nonce {} pma {} code {}",
            devnet.balance_of(a),
            devnet.nonce_of(a),
            devnet.token_balance(a).await.unwrap(),
            devnet.code_of(a).len()
        )
        .unwrap();
    }
    let logs = devnet.logs_sync(&LogQuery {
        from_block: 0,
        ..Default::default()
    });
    writeln!(out, "{logs:?}").unwrap();
    let state = devnet.payment_state(payment).await.unwrap();
    writeln!(out, "{state:?}").unwrap();
    out
}

fn copy(from: &Path, to: &Path, files: &[&str]) {
    for f in files {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

#[tokio::test]
async fn a_start_from_a_snapshot_replays_only_the_tail_and_rebuilds_the_same_chain() {
    let live = tempfile::tempdir().unwrap();
    let crashed = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let (payment, covered, total) = {
        let devnet = open(live.path(), &clock);
        let payment = history(&devnet, &clock).await;
        devnet.write_snapshot().unwrap();
        let covered = devnet.head().number - 3; // genesis has 3 blocks after block 0
        transfers(&devnet, &clock, 1_000, 4).await;
        // As a crash would leave it: the snapshot behind the journal's end.
        copy(live.path(), crashed.path(), &[JOURNAL, SNAPSHOT]);
        (payment, covered, devnet.head().number - 3)
    }; // a clean stop: the live dir's snapshot now covers everything
    let full = tempfile::tempdir().unwrap();
    copy(live.path(), full.path(), &[JOURNAL]);

    clock.advance(3600);
    let from_tail = open(crashed.path(), &clock);
    assert_eq!(from_tail.start().snapshot_records, Some(covered));
    assert_eq!(from_tail.start().replayed, total - covered);
    let from_end = open(live.path(), &clock);
    assert_eq!(from_end.start().snapshot_records, Some(total));
    assert_eq!(from_end.start().replayed, 0);
    let replayed = open(full.path(), &clock);
    assert_eq!(replayed.start().snapshot_records, None);
    assert_eq!(replayed.start().replayed, total);

    let expected = observe(&replayed, payment).await;
    assert_eq!(observe(&from_tail, payment).await, expected);
    assert_eq!(observe(&from_end, payment).await, expected);

    // And they go on alike: the same next transaction makes the same block on all three, a pull
    // payment included (its contract storage came through the snapshot).
    for devnet in [&from_tail, &from_end, &replayed] {
        clock.set(T0 + 100_000);
        transfers(devnet, &clock, 5_000, 1).await;
        devnet.execute_pull(executor(), payment, PMA).await.unwrap();
    }
    let head = replayed.head();
    assert_eq!(from_tail.head(), head);
    assert_eq!(from_end.head(), head);
    let expected = observe(&replayed, payment).await;
    assert_eq!(observe(&from_tail, payment).await, expected);
}

/// Waits until the snapshot in `dir` (written by a background thread) covers at least `records`
/// journal records; returns what a start from it (in a copy of `dir`) reports.
fn wait_for_snapshot(dir: &Path, clock: &Arc<ManualClock>, records: u64) -> (u64, u64) {
    let started = Instant::now();
    loop {
        if dir.join(SNAPSHOT).exists() {
            let probe = tempfile::tempdir().unwrap();
            copy(dir, probe.path(), &[JOURNAL, SNAPSHOT]);
            let start = open(probe.path(), clock).start();
            if let Some(covered) = start.snapshot_records
                && covered >= records
            {
                return (covered, start.replayed);
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no snapshot of {records} transactions"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn snapshots_are_written_every_n_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let policy = SnapshotPolicy {
        every_txs: 4,
        every_secs: 0,
    };
    let devnet = Devnet::open(config(dir.path(), policy), clock.clone()).unwrap();
    transfers(&devnet, &clock, 0, 2).await; // 4 transactions: one is due
    assert_eq!(wait_for_snapshot(dir.path(), &clock, 4), (4, 0));
    transfers(&devnet, &clock, 2, 3).await; // 10: due again after the 8th
    assert_eq!(wait_for_snapshot(dir.path(), &clock, 8), (8, 2));
    // Not before it is due: 2 transactions after the last one, none is written.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(wait_for_snapshot(dir.path(), &clock, 8), (8, 2));
}

/// A clean history in `dir` (snapshot at its end) and what it reads back.
async fn clean_history(dir: &Path, clock: &Arc<ManualClock>) -> (B256, String, u64) {
    let devnet = open(dir, clock);
    let payment = history(&devnet, clock).await;
    let records = devnet.head().number - 3;
    drop(devnet);
    let devnet = open(dir, clock);
    assert_eq!(devnet.start().snapshot_records, Some(records));
    (payment, observe(&devnet, payment).await, records)
}

/// Opens `dir` expecting the snapshot to be ignored: a full replay, and the state `expected`.
async fn assert_full_replay(dir: &Path, clock: &Arc<ManualClock>, payment: B256, expected: &str) {
    let devnet = open(dir, clock);
    let records = std::fs::read_to_string(dir.join(JOURNAL))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(devnet.start().snapshot_records, None);
    assert_eq!(devnet.start().replayed, records);
    assert_eq!(observe(&devnet, payment).await, expected);
}

#[tokio::test]
async fn a_torn_or_corrupt_snapshot_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let (payment, expected, _) = clean_history(dir.path(), &clock).await;
    let path = dir.path().join(SNAPSHOT);
    let good = std::fs::read(&path).unwrap();

    // One flipped bit in the middle (a balance, a block, a receipt: the checksum catches it).
    let mut bad = good.clone();
    bad[good.len() / 2] ^= 0x10;
    std::fs::write(&path, &bad).unwrap();
    assert_full_replay(dir.path(), &clock, payment, &expected).await;

    // Torn: cut short, as a crash of a writer that did not use a temporary file would leave it.
    std::fs::write(&path, &good[..good.len() - 100]).unwrap();
    assert_full_replay(dir.path(), &clock, payment, &expected).await;
    std::fs::write(&path, b"").unwrap();
    assert_full_replay(dir.path(), &clock, payment, &expected).await;

    // A leftover temporary file of a killed writer is not read, and is removed.
    std::fs::write(&path, &good).unwrap();
    let tmp = dir.path().join("devnet-snapshot.bin.tmp");
    std::fs::write(&tmp, &good[..good.len() / 3]).unwrap();
    let devnet = open(dir.path(), &clock);
    assert!(devnet.start().snapshot_records.is_some());
    assert!(!tmp.exists());
}

/// A frame holds what changed since the one before: a torn or corrupt last frame costs the
/// replay of the journal since the frame before it, not a full replay.
#[tokio::test]
async fn a_torn_or_corrupt_last_frame_falls_back_to_the_frames_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let path = dir.path().join(SNAPSHOT);
    let size = || std::fs::metadata(&path).unwrap().len() as usize;
    let (payment, covered, total, sizes) = {
        let devnet = open(dir.path(), &clock);
        let payment = history(&devnet, &clock).await;
        let mut ends = Vec::new();
        for (seed, rounds) in [(1_000, 4), (2_000, 40), (3_000, 4)] {
            devnet.write_snapshot().unwrap();
            ends.push(size());
            transfers(&devnet, &clock, seed, rounds).await;
        }
        let covered = devnet.head().number - 3 - 8;
        devnet.write_snapshot().unwrap();
        ends.push(size());
        (payment, covered, devnet.head().number - 3, ends)
    };
    // A frame's size follows what changed since the frame before, not the state or the history
    // before it: 4 rounds to new recipients make as large a frame after 40 more rounds as before.
    let (early, late) = (sizes[1] - sizes[0], sizes[3] - sizes[2]);
    assert!(
        late.abs_diff(early) * 10 < early,
        "frames of 4 rounds: {early} then {late} bytes"
    );
    let good = std::fs::read(&path).unwrap();
    let first = sizes[2];
    let full = tempfile::tempdir().unwrap();
    copy(dir.path(), full.path(), &[JOURNAL]);
    let expected = observe(&open(full.path(), &clock), payment).await;

    let mut corrupt = good.clone();
    corrupt[first + 40] ^= 0x01;
    for damaged in [&good[..good.len() - 10], &corrupt[..]] {
        std::fs::write(&path, damaged).unwrap();
        {
            let devnet = open(dir.path(), &clock);
            assert_eq!(devnet.start().snapshot_records, Some(covered));
            assert_eq!(devnet.start().replayed, total - covered);
            assert_eq!(observe(&devnet, payment).await, expected);
            // The damaged frame was cut off: the clean stop's frame follows the good ones.
        }
        let devnet = open(dir.path(), &clock);
        assert_eq!(devnet.start().snapshot_records, Some(total));
        assert_eq!(devnet.start().replayed, 0);
        assert_eq!(observe(&devnet, payment).await, expected);
    }
}

#[tokio::test]
async fn a_snapshot_of_another_history_or_genesis_is_ignored() {
    let clock = Arc::new(ManualClock::new(T0));
    let dir = tempfile::tempdir().unwrap();
    let (payment, expected, records) = clean_history(dir.path(), &clock).await;

    // Another history on the same genesis, as long: same header, same count, other transactions.
    let other = tempfile::tempdir().unwrap();
    {
        let devnet = open(other.path(), &Arc::new(ManualClock::new(T0)));
        transfers(&devnet, &clock, 700, records / 2).await;
        if devnet.head().number - 3 < records {
            devnet
                .transfer_eth(executor(), recipient(9), U256::from(1))
                .await
                .unwrap();
        }
        assert_eq!(devnet.head().number - 3, records);
    }
    copy(other.path(), dir.path(), &[SNAPSHOT]);
    assert_full_replay(dir.path(), &clock, payment, &expected).await;

    // The same configuration started at another time: another genesis.
    let later = tempfile::tempdir().unwrap();
    {
        let later_clock = Arc::new(ManualClock::new(T0 + 1));
        let devnet = open(later.path(), &later_clock);
        transfers(&devnet, &later_clock, 0, 1).await;
    }
    copy(later.path(), dir.path(), &[SNAPSHOT]);
    assert_full_replay(dir.path(), &clock, payment, &expected).await;
}

#[tokio::test]
async fn a_snapshot_ahead_of_its_journal_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let (payment, _, _) = clean_history(dir.path(), &clock).await;
    // The journal lost its last two transactions (restored from an older copy, say): the
    // snapshot holds a state the journal no longer has.
    let path = dir.path().join(JOURNAL);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&path, lines[..lines.len() - 2].join("\n") + "\n").unwrap();
    let shorter = tempfile::tempdir().unwrap();
    copy(dir.path(), shorter.path(), &[JOURNAL]);
    let expected = observe(&open(shorter.path(), &clock), payment).await;
    assert_full_replay(dir.path(), &clock, payment, &expected).await;
}

#[tokio::test]
async fn a_corrupt_journal_line_under_a_snapshot_still_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    clean_history(dir.path(), &clock).await;
    let path = dir.path().join(JOURNAL);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"t\":1,\"tx\":\"not hex\"}";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = Devnet::open(config(dir.path(), MANUAL), clock.clone()).unwrap_err();
    assert!(
        matches!(err, ChainError::CorruptLog { line: 3, .. }),
        "{err}"
    );
}

/// Run by `sigkill_while_a_snapshot_is_written_leaves_a_usable_devnet` in a child process:
/// sends transfers with a snapshot due after every one, printing each acknowledged hash.
#[tokio::test]
#[ignore = "child process of sigkill_while_a_snapshot_is_written_leaves_a_usable_devnet"]
async fn snapshot_sigkill_child() {
    let Ok(dir) = std::env::var("PAYPLANE_SNAPSHOT_CHILD_DIR") else {
        return;
    };
    let policy = SnapshotPolicy {
        every_txs: 1,
        every_secs: 0,
    };
    let devnet = Devnet::open(config(Path::new(&dir), policy), Arc::new(SystemClock)).unwrap();
    for i in 0..100_000u64 {
        let receipt = devnet
            .erc20_transfer(executor(), recipient(i % 50), PMA)
            .await
            .unwrap();
        println!("ACK {}", receipt.tx_hash);
    }
}

#[tokio::test]
async fn sigkill_while_a_snapshot_is_written_leaves_a_usable_devnet() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "snapshot_sigkill_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PAYPLANE_SNAPSHOT_CHILD_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (acks_tx, acks) = std::sync::mpsc::channel::<B256>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(hash) = line.strip_prefix("ACK ") {
                let _ = acks_tx.send(hash.parse().unwrap());
            }
        }
    });
    let mut acked: Vec<B256> = Vec::new();
    let started = Instant::now();
    // A frame is appended after every transaction: the kill lands in or between appends.
    while started.elapsed() < Duration::from_secs(60) && acked.len() < 40 {
        acked.extend(acks.try_iter());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What the child printed before dying was acknowledged before dying.
    std::thread::sleep(Duration::from_millis(200));
    acked.extend(acks.try_iter());
    assert!(acked.len() >= 40, "child acknowledged only {}", acked.len());

    let full = tempfile::tempdir().unwrap();
    copy(dir.path(), full.path(), &[JOURNAL]);
    let clock = Arc::new(ManualClock::new(T0));
    let devnet = open(dir.path(), &clock);
    assert!(devnet.start().snapshot_records.is_some());
    for hash in &acked {
        assert!(
            devnet
                .receipt(*hash)
                .await
                .unwrap()
                .is_some_and(|r| r.success),
            "acknowledged {hash} lost"
        );
    }
    let replayed = open(full.path(), &clock);
    assert_eq!(devnet.head(), replayed.head());
    for i in 0..50 {
        assert_eq!(
            devnet.token_balance(recipient(i)).await.unwrap(),
            replayed.token_balance(recipient(i)).await.unwrap()
        );
    }
    // Still usable.
    devnet
        .erc20_transfer(executor(), recipient(1), PMA)
        .await
        .unwrap();
}

/// ETH transfers from HD wallet `index` at nonces `0..n`.
fn signed_eth_transfers(devnet: &Devnet, index: u32, n: u64) -> Vec<Bytes> {
    let signer = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .signer(index)
        .unwrap();
    (0..n)
        .map(|nonce| {
            let req = payplane_chain::CallRequest {
                to: Some(recipient(10_000 + u64::from(index))),
                value: U256::from(1_000 + nonce),
                ..Default::default()
            };
            payplane_chain::sender::sign_eip1559(
                &signer,
                devnet.chain_id(),
                nonce,
                &req,
                21_000,
                4_000_000_000,
                1_000_000_000,
            )
            .unwrap()
        })
        .collect()
}

/// Under the group commit, transactions accepted after a block was handed to the sealer are
/// already executed when that block is sealed; a snapshot taken then must hold the state as of
/// the sealed blocks only. Here snapshots are written while two senders keep submitting: each
/// start from one replays the journal's tail after it (a snapshot holding later state would
/// refuse those nonces) and ends where a full replay of the same journal ends. Whether a
/// transaction arrives between a block's drain and its seal depends on timing (on this test
/// machine the fsync is faster than a debug-build submit, so rarely): a stress test, not a proof.
#[test]
fn snapshots_taken_while_transactions_are_pending_hold_only_sealed_blocks() {
    const N: u64 = 300;
    let live = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let devnet = open(live.path(), &clock);
    let senders: Vec<Vec<Bytes>> = (1..=2)
        .map(|i| signed_eth_transfers(&devnet, i, N))
        .collect();
    let wallets: Vec<Address> = (1..=2)
        .map(|i| {
            HdWallet::from_phrase(TEST_MNEMONIC)
                .unwrap()
                .address(i)
                .unwrap()
        })
        .collect();
    let (started, begun) = std::sync::mpsc::channel::<()>();
    let copies: Vec<tempfile::TempDir> = std::thread::scope(|s| {
        let threads: Vec<_> = senders
            .iter()
            .map(|raws| {
                let started = started.clone();
                let devnet = &devnet;
                s.spawn(move || {
                    let mut submitted = Vec::new();
                    for (i, raw) in raws.iter().enumerate() {
                        submitted.push(devnet.submit(raw).unwrap());
                        if i == 20 {
                            started.send(()).unwrap();
                        }
                    }
                    for t in submitted {
                        t.wait().unwrap();
                    }
                })
            })
            .collect();
        begun.recv().unwrap();
        let mut copies = Vec::new();
        for _ in 0..5 {
            devnet.write_snapshot().unwrap();
            // As a crash would leave it: the snapshot, and the journal a little further on.
            let copy_dir = tempfile::tempdir().unwrap();
            copy(live.path(), copy_dir.path(), &[JOURNAL, SNAPSHOT]);
            copies.push(copy_dir);
        }
        for t in threads {
            t.join().unwrap();
        }
        copies
    });
    for crashed in copies {
        let full = tempfile::tempdir().unwrap();
        copy(crashed.path(), full.path(), &[JOURNAL]);
        let from_tail = open(crashed.path(), &clock);
        assert!(from_tail.start().snapshot_records.is_some());
        let replayed = open(full.path(), &clock);
        assert_eq!(replayed.start().snapshot_records, None);
        assert_eq!(from_tail.head(), replayed.head());
        for w in &wallets {
            assert_eq!(from_tail.nonce_of(*w), replayed.nonce_of(*w));
            assert_eq!(from_tail.balance_of(*w), replayed.balance_of(*w));
        }
    }
    for w in &wallets {
        assert_eq!(devnet.nonce_of(*w), N);
    }
}

/// A contract created after genesis (a user's deployment over JSON-RPC, say) comes back from the
/// frames with its code and storage, without a replay.
#[tokio::test]
async fn a_contract_deployed_after_genesis_comes_back_from_the_frames() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let signer = HdWallet::from_phrase(TEST_MNEMONIC)
        .unwrap()
        .signer(3)
        .unwrap();
    // Init code: stores 7 in slot 0, returns the one-byte runtime code 0x2a.
    let init = [
        0x60, 0x07, 0x60, 0x00, 0x55, // SSTORE(0, 7)
        0x60, 0x2a, 0x60, 0x00, 0x53, // MSTORE8(0, 0x2a)
        0x60, 0x01, 0x60, 0x00, 0xf3, // RETURN(0, 1)
    ];
    let address = signer.address().create(0);
    {
        let devnet = open(dir.path(), &clock);
        let req = payplane_chain::CallRequest {
            to: None,
            data: Bytes::copy_from_slice(&init),
            ..Default::default()
        };
        let raw = payplane_chain::sender::sign_eip1559(
            &signer,
            devnet.chain_id(),
            0,
            &req,
            200_000,
            4_000_000_000,
            1_000_000_000,
        )
        .unwrap();
        let hash = devnet.submit(&raw).unwrap().durable().await.unwrap();
        let receipt = devnet.receipt(hash).await.unwrap().unwrap();
        assert!(receipt.success);
        assert_eq!(receipt.contract_address, Some(address));
        assert_eq!(devnet.code_of(address).as_ref(), [0x2a]);
    } // the clean stop writes a frame with the new code
    let devnet = open(dir.path(), &clock);
    assert_eq!(devnet.start().snapshot_records, Some(1));
    assert_eq!(devnet.start().replayed, 0);
    assert_eq!(devnet.code_of(address).as_ref(), [0x2a]);
    assert_eq!(devnet.storage_at(address, U256::ZERO), U256::from(7));
    assert_eq!(devnet.nonce_of(address), 1);
}
