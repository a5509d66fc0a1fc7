//! Start-up time of the embedded devnet after a long history (issue 20, item 3): makes N PMA
//! transfers through `submit_raw` (journaled and fsync'd as in the server), stops cleanly, then
//! times `Devnet::open` with the snapshot of the whole history, with a snapshot `every_txs`
//! behind (the most a start replays after a crash under the default policy), and with no
//! snapshot (the full replay every start used to do).
//!
//! ```sh
//! cargo run --release -p payplane-chain --example devnet_start -- [txs=100000] [dir=/dev/shm] [runs=3]
//! ```
//! The journal's fsyncs make the history slow to build on a real disk; `dir` on tmpfs keeps the
//! build short and does not change what is timed (the start reads warm files either way).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::{Address, keccak256};
use alloy::sol_types::SolCall;
use payplane_chain::contracts::PMAToken;
use payplane_chain::sender::sign_eip1559;
use payplane_chain::{CallRequest, Chain, Devnet, DevnetConfig, HdWallet, ManualClock, PMA};

const MNEMONIC: &str = "test test test test test test test test test test test junk";
const T0: u64 = 1_767_225_600;

/// User + system CPU seconds of this process so far (`/proc/self/stat`, ticks of 10 ms).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn config(dir: &Path) -> DevnetConfig {
    DevnetConfig::new(MNEMONIC, Some(dir.to_path_buf()))
}

fn open(dir: &Path, clock: &Arc<ManualClock>) -> Devnet {
    Devnet::open(config(dir), clock.clone()).unwrap()
}

struct Maker {
    signer: alloy::signers::local::PrivateKeySigner,
    nonce: u64,
    made: u64,
}

impl Maker {
    /// `n` PMA transfers from the executor to 1 000 recipients in turn, one second of chain
    /// time per 100.
    fn make(&mut self, devnet: &Devnet, clock: &ManualClock, n: u64) {
        let token = devnet.contracts().token;
        let fee = u128::from(devnet.base_fee()) * 2;
        for _ in 0..n {
            let to = Address::from_word(keccak256((self.made % 1_000).to_be_bytes()));
            let data = PMAToken::transferCall { to, value: PMA }.abi_encode();
            let raw = sign_eip1559(
                &self.signer,
                devnet.chain_id(),
                self.nonce,
                &CallRequest::call(token, data),
                100_000,
                fee,
                0,
            )
            .unwrap();
            devnet.submit_raw(&raw).unwrap();
            self.nonce += 1;
            self.made += 1;
            if self.made.is_multiple_of(100) {
                clock.advance(1);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let txs: u64 = args.first().map(|a| a.parse().unwrap()).unwrap_or(100_000);
    let base = args.get(1).cloned().unwrap_or_else(|| "/dev/shm".into());
    let runs: usize = args.get(2).map(|a| a.parse().unwrap()).unwrap_or(3);
    let tmp = tempfile::tempdir_in(&base).unwrap();
    let dir = tmp.path();
    let every = config(dir).snapshot.every_txs.min(txs / 2);
    let clock = Arc::new(ManualClock::new(T0));
    let signer = HdWallet::from_phrase(MNEMONIC).unwrap().executor().unwrap();
    let mut maker = Maker {
        signer,
        nonce: 3, // the genesis used 0..3
        made: 0,
    };

    let cpu0 = cpu_secs();
    let wall0 = Instant::now();
    {
        let devnet = open(dir, &clock);
        maker.make(&devnet, &clock, txs - every);
        let (wall, cpu) = (Instant::now(), cpu_secs());
        devnet.write_snapshot().unwrap();
        println!(
            "one snapshot after {} transactions (a frame of what changed since the last: encode under the lock, append, fsync): {:.0} ms wall, {:.0} ms CPU",
            txs - every,
            wall.elapsed().as_secs_f64() * 1e3,
            (cpu_secs() - cpu) * 1e3
        );
        std::fs::copy(dir.join("devnet-snapshot.bin"), dir.join("behind.snapshot")).unwrap();
        maker.make(&devnet, &clock, every);
    } // dropped: a clean stop writes the snapshot of everything
    let made_wall = wall0.elapsed().as_secs_f64();
    let made_cpu = cpu_secs() - cpu0;
    std::fs::copy(dir.join("devnet-snapshot.bin"), dir.join("full.snapshot")).unwrap();
    let size = |name: &str| std::fs::metadata(dir.join(name)).unwrap().len() as f64 / 1e6;
    println!(
        "made {txs} transfers in {made_wall:.1} s wall, {:.0} µs CPU each (periodic snapshots every {every} included); journal {:.1} MB, snapshot {:.1} MB",
        made_cpu / txs as f64 * 1e6,
        size("devnet-journal.jsonl"),
        size("full.snapshot"),
    );

    let cases: [(&str, Option<&str>, usize); 3] = [
        (
            "snapshot of everything (clean stop)",
            Some("full.snapshot"),
            runs,
        ),
        (
            "snapshot `every_txs` behind (crash)",
            Some("behind.snapshot"),
            runs,
        ),
        ("no snapshot: full replay (before)", None, 1),
    ];
    let mut baseline = None;
    let mut rows = Vec::new();
    for (name, file, n) in cases {
        let mut samples = Vec::new();
        for _ in 0..n {
            match file {
                Some(f) => {
                    std::fs::copy(dir.join(f), dir.join("devnet-snapshot.bin")).unwrap();
                }
                None => {
                    let _ = std::fs::remove_file(dir.join("devnet-snapshot.bin"));
                }
            }
            let cpu = cpu_secs();
            let wall = Instant::now();
            let devnet = open(dir, &clock);
            let wall = wall.elapsed().as_secs_f64();
            let cpu = cpu_secs() - cpu;
            let start = devnet.start();
            assert_eq!(devnet.head().number, 3 + txs);
            samples.push((wall, cpu, start));
            drop(devnet); // may write a snapshot: not timed
        }
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (wall, cpu, start) = samples[samples.len() / 2];
        rows.push((name, start, wall, cpu, n));
        if file.is_none() {
            baseline = Some(wall);
        }
    }
    let baseline = baseline.unwrap();
    println!(
        "| start | replayed | wall s (median of runs) | CPU s | vs full replay | journal + genesis / snapshot / replay, ms |\n|---|---:|---:|---:|---:|---|"
    );
    for (name, start, wall, cpu, n) in rows {
        println!(
            "| {name} | {} | {wall:.3} ({n}) | {cpu:.2} | {:.3}× | {} / {} / {} |",
            start.replayed,
            wall / baseline,
            start.journal_read.as_millis(),
            start.snapshot_load.as_millis(),
            start.replay.as_millis(),
        );
    }
}
