//! The embedded network: revm in-process, deterministic genesis from a BIP-39 seed, durable
//! through an fsync'd journal of its blocks (see `journal.rs`), restarted from a snapshot of its
//! state when one matches the journal (see `snapshot.rs`).
//!
//! With a journal, blocks are group-committed: an accepted transaction is executed at once (its
//! state change is visible to reads and nonces, like a node's pending block) and joins the
//! block being filled; the sealer thread takes every filled block, appends their lines with one
//! write and one `fsync`, seals them (receipts, hashes) and only then answers their senders.
//! Whatever arrives during that `fsync` fills the next block, so blocks grow with the load and
//! a lone transaction waits for no timer. Without a journal every transaction is sealed in a
//! block of its own at once. The sealer also takes the snapshot frames, of what changed up to
//! the blocks it just sealed (the changed values taken when it drained them).

mod changes;
mod journal;
mod snapshot;
mod state;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::sol_types::{SolCall, SolValue};
use async_trait::async_trait;

pub use state::{DevBlock, DevTransaction, GasMeter};

use crate::chain::{Chain, Durable};
use crate::clock::Clock;
use crate::contracts::{self, PullPayments};
use crate::error::{ChainError, Result};
use crate::sender::{GasPolicy, PlatformSigners, sign_eip1559};
use crate::types::{CallRequest, ChainLog, ContractAddresses, LogQuery, TxReceipt};
use crate::wallet::HdWallet;
use crate::{ETHER, PMA};
use journal::{Header, Journal, Opened, Position, Record};
use state::{EvmState, Executed, NextBlock, Params};

/// Gas limit of the genesis transactions: fixed, so genesis never depends on an estimate.
const GENESIS_TX_GAS: u64 = 6_000_000;

#[derive(Debug, Clone)]
pub struct DevnetConfig {
    pub chain_id: u64,
    /// BIP-39 phrase of the platform: index 0 is the executor and the contracts' owner.
    pub mnemonic: String,
    /// Where the journal lives; `None` keeps everything in memory (lost at exit).
    pub data_dir: Option<PathBuf>,
    /// HD indices 0..funded_wallets get `initial_eth` at genesis and are platform signers.
    pub funded_wallets: u32,
    pub initial_eth: U256,
    /// Other addresses funded with `initial_eth` at genesis (test keys).
    pub prefunded: Vec<Address>,
    /// PMA minted to the executor at genesis (token units).
    pub token_supply: U256,
    pub base_fee: u64,
    pub block_gas_limit: u64,
    pub gas_policy: GasPolicy,
    /// When a snapshot frame is appended next to the journal (with a data dir only).
    pub snapshot: SnapshotPolicy,
}

/// A snapshot frame is appended once `every_txs` transactions were journaled since the last one,
/// or with the first transaction `every_secs` seconds or more after it, and when the devnet is
/// dropped. 0 turns a trigger off.
///
/// A start replays the blocks after the last frame, so `every_txs` bounds that work (about
/// 0.25 ms of CPU each); a frame costs what changed since the previous one (the blocks, and the
/// accounts and slots they changed), encoded under the devnet's lock, then appended by a
/// background thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    pub every_txs: u64,
    pub every_secs: u64,
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy {
            every_txs: 2_000,
            every_secs: 300,
        }
    }
}

/// How the last start rebuilt the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DevnetStart {
    /// Journal records the snapshot covered, when a snapshot was used.
    pub snapshot_records: Option<u64>,
    /// Journal records re-executed after genesis or the snapshot.
    pub replayed: u64,
    /// Reading the journal (every line parsed and chained) and building the genesis; loading the
    /// snapshot (read, checked, decoded; next to nothing without one); re-executing the records
    /// after it.
    pub journal_read: Duration,
    pub snapshot_load: Duration,
    pub replay: Duration,
}

impl DevnetConfig {
    pub fn new(mnemonic: impl Into<String>, data_dir: Option<PathBuf>) -> Self {
        DevnetConfig {
            chain_id: 1337,
            mnemonic: mnemonic.into(),
            data_dir,
            funded_wallets: 10,
            initial_eth: ETHER * U256::from(10_000),
            prefunded: Vec::new(),
            token_supply: PMA * U256::from(1_000_000_000u64),
            base_fee: 1_000_000_000,
            block_gas_limit: 30_000_000,
            gas_policy: GasPolicy::default(),
            snapshot: SnapshotPolicy::default(),
        }
    }

    fn fingerprint(&self, executor: Address) -> Result<B256> {
        let token_code = contracts::pma_token_creation_code()?;
        let pull_code = contracts::pull_payments_creation_code()?;
        let encoded = (
            self.chain_id,
            executor,
            self.funded_wallets,
            self.initial_eth,
            self.prefunded.clone(),
            self.token_supply,
            self.base_fee,
            self.block_gas_limit,
            keccak256(&token_code),
            keccak256(&pull_code),
        )
            .abi_encode();
        Ok(keccak256(encoded))
    }
}

/// A block whose transactions are executed but not journalled yet.
struct PendingBlock {
    number: u64,
    timestamp: u64,
    gas_used: u64,
    txs: Vec<Executed>,
    /// One per transaction: told once the block is durable (or could not be written).
    acks: Vec<oneshot::Sender<Result<()>>>,
}

struct Inner {
    state: EvmState,
    /// Blocks waiting for the sealer, oldest first; only the last one still takes transactions.
    pending: Vec<PendingBlock>,
    /// Hashes of the transactions in pending blocks and in the blocks being written.
    unsealed: HashSet<B256>,
    /// Number and timestamp of the newest block, sealed or not.
    last: (u64, u64),
}

impl Inner {
    /// Number and timestamp of the block a transaction arriving at `now` with `gas_limit`
    /// joins, and whether that block is a new one: the last pending block when it has this
    /// timestamp (the clock did not move) and room for the gas, else the next.
    fn placement(&self, now: u64, gas_limit: u64, block_gas_limit: u64) -> (u64, u64, bool) {
        let timestamp = now.max(self.last.1);
        let joins = self.pending.last().is_some_and(|b| {
            b.timestamp == timestamp && b.gas_used.saturating_add(gas_limit) <= block_gas_limit
        });
        if joins {
            (self.last.0, timestamp, false)
        } else {
            (self.last.0 + 1, timestamp, true)
        }
    }

    fn next_block(&self, now: u64) -> NextBlock {
        NextBlock {
            number: self.last.0 + 1,
            timestamp: now.max(self.last.1),
        }
    }
}

/// What the sealer thread is asked to do.
#[derive(Default)]
struct Wake {
    work: bool,
    stop: bool,
    /// [`Devnet::write_snapshot`] callers, answered once the snapshot is durable.
    snapshot: Vec<std::sync::mpsc::Sender<Result<()>>>,
}

struct Shared {
    inner: RwLock<Inner>,
    wake: Mutex<Wake>,
    woken: Condvar,
}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-mined block: blocks are sealed
        // whole, after their transactions executed.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn signal(&self, f: impl FnOnce(&mut Wake)) {
        let mut w = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut w);
        self.woken.notify_one();
    }
}

/// A transaction the devnet accepted: executed, its nonce taken, its block maybe not durable yet.
pub struct Submitted {
    pub hash: B256,
    /// `None` when its block is already sealed (a devnet without a journal).
    durable: Option<oneshot::Receiver<Result<()>>>,
}

impl Submitted {
    /// The hash once the transaction's block is journalled and sealed (its receipt readable).
    pub async fn durable(self) -> Result<B256> {
        match self.durable {
            None => Ok(self.hash),
            Some(rx) => rx.await.map_err(|_| stopped())?.map(|()| self.hash),
        }
    }

    /// [`Self::durable`], blocking the thread (not to be called on an async runtime's thread).
    pub fn wait(self) -> Result<B256> {
        match self.durable {
            None => Ok(self.hash),
            Some(rx) => rx
                .blocking_recv()
                .map_err(|_| stopped())?
                .map(|()| self.hash),
        }
    }

    /// The hash now, with what resolves once it is durable ([`Chain::submit_raw_transaction`]).
    fn handed(self) -> (B256, Durable) {
        let hash = self.hash;
        (
            hash,
            Box::pin(async move { self.durable().await.map(|_| ()) }),
        )
    }
}

fn stopped() -> ChainError {
    ChainError::Evm("the devnet stopped before the transaction's block was written".into())
}

pub struct Devnet {
    shared: Arc<Shared>,
    /// The sealer thread, when the devnet has a journal.
    sealer: Option<JoinHandle<()>>,
    clock: Arc<dyn Clock>,
    signers: PlatformSigners,
    contracts: ContractAddresses,
    chain_id: u64,
    block_gas_limit: u64,
    data_path: Option<PathBuf>,
    start: DevnetStart,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("chain_id", &self.chain_id)
            .field("contracts", &self.contracts)
            .field("data_path", &self.data_path)
            .finish()
    }
}

impl Devnet {
    /// Builds the genesis from the configuration and, with a data dir, replays the journal (or
    /// starts one). The genesis timestamp is the clock's time when the journal is created.
    pub fn open(config: DevnetConfig, clock: Arc<dyn Clock>) -> Result<Devnet> {
        let wallet = HdWallet::from_phrase(&config.mnemonic)?;
        let executor = wallet.executor()?;
        let fingerprint = config.fingerprint(executor.address())?;
        let started = Instant::now();
        let opened = match &config.data_dir {
            Some(dir) => Some(Journal::open(dir)?),
            None => None,
        };
        // A fresh journal gets its header only once the genesis is built, so a configuration
        // that cannot start leaves no journal behind.
        let mut fresh_header = None;
        let (genesis_timestamp, mut journal, records, existing) = match opened {
            None => (clock.now_unix(), None, Vec::new(), None),
            Some(Opened::Fresh(j)) => {
                let header = Header {
                    payplane_devnet: 1,
                    chain_id: config.chain_id,
                    genesis_timestamp: clock.now_unix(),
                    fingerprint,
                };
                let timestamp = header.genesis_timestamp;
                fresh_header = Some(header);
                (timestamp, Some(j), Vec::new(), None)
            }
            Some(Opened::Existing {
                journal,
                header,
                records,
                links,
            }) => {
                if header.chain_id != config.chain_id || header.fingerprint != fingerprint {
                    return Err(ChainError::LogMismatch {
                        path: journal.path().to_owned(),
                        reason: format!(
                            "journal has chain id {} and genesis {}, configuration has chain id {} and genesis {}",
                            header.chain_id, header.fingerprint, config.chain_id, fingerprint
                        ),
                    });
                }
                (
                    header.genesis_timestamp,
                    Some(journal),
                    records,
                    Some((header, links)),
                )
            }
        };

        let params = Params {
            chain_id: config.chain_id,
            base_fee: config.base_fee,
            block_gas_limit: config.block_gas_limit,
        };
        let mut alloc = Vec::new();
        for i in 0..config.funded_wallets.max(1) {
            alloc.push((wallet.address(i)?, config.initial_eth));
        }
        alloc.extend(config.prefunded.iter().map(|a| (*a, config.initial_eth)));
        let mut state = EvmState::genesis(params, genesis_timestamp, &alloc);
        let contracts = deploy_genesis(&mut state, &executor, &config, genesis_timestamp)?;
        let genesis_blocks = state.blocks.len();
        if let (Some(header), Some(j)) = (&fresh_header, journal.as_mut()) {
            if let Some(dir) = &config.data_dir {
                snapshot::clean(dir, true);
            }
            j.write_header(header)?;
        }

        let journal_read = started.elapsed();
        let loading = Instant::now();
        let mut from_snapshot = None;
        let mut file_end = snapshot::FileEnd::default();
        if let (Some(dir), Some((header, links))) = (&config.data_dir, &existing) {
            snapshot::clean(dir, false);
            if let Some(loaded) = snapshot::load(dir, header, links, &state) {
                state = loaded.state;
                from_snapshot = Some(loaded.records);
                file_end = loaded.end;
            }
        }
        if journal.is_some() {
            // The next snapshot frame holds what changed after the state the file gives (the
            // genesis when there is none): the replay below, and what follows.
            state.changes = Some(changes::Changes::default());
        }
        let snapshot_load = loading.elapsed();
        let replaying = Instant::now();
        let skip = from_snapshot.unwrap_or(0) as usize;
        let replayed = records.len() - skip;
        for record in records.into_iter().skip(skip) {
            let number = state.head().number + 1;
            let diverged = |e: ChainError| ChainError::ReplayDiverged {
                block: number,
                reason: e.to_string(),
            };
            let mut txs = Vec::with_capacity(record.txs.len());
            for raw in &record.txs {
                let tx = state::decode(raw).map_err(diverged)?;
                txs.push(state.execute(tx, number, record.t).map_err(diverged)?);
            }
            state.seal_block(number, record.t, txs);
        }
        let replay = replaying.elapsed();
        if journal.is_some() {
            // What a failed journal write rolls back to (moved with every snapshot).
            state.mark_base();
        }
        if replayed > 0 || from_snapshot.is_some() {
            tracing::info!(
                snapshot_records = from_snapshot,
                replayed,
                journal_read_ms = journal_read.as_millis() as u64,
                snapshot_load_ms = snapshot_load.as_millis() as u64,
                replay_ms = replay.as_millis() as u64,
                head = state.head().number,
                "devnet journal replayed"
            );
        }

        let signers = PlatformSigners::from_wallet(
            &wallet,
            1..config.funded_wallets.max(1),
            config.gas_policy,
        )?;
        let data_path = journal.as_ref().map(|j| j.path().to_owned());
        let covered = from_snapshot.unwrap_or(0);
        let head = state.head();
        let last = (head.number, head.timestamp);
        let shared = Arc::new(Shared {
            inner: RwLock::new(Inner {
                state,
                pending: Vec::new(),
                unsealed: HashSet::new(),
                last,
            }),
            wake: Mutex::new(Wake::default()),
            woken: Condvar::new(),
        });
        let header = fresh_header.or(existing.map(|(header, _)| header));
        let sealer = match (journal, header, &config.data_dir) {
            (Some(journal), Some(header), Some(dir)) => {
                let shared = shared.clone();
                let writer = snapshot::Writer::start(
                    dir.clone(),
                    snapshot::header(&header, params),
                    file_end,
                )
                .map_err(|e| ChainError::io(dir, e))?;
                let snapshots = Snapshots {
                    writer,
                    policy: config.snapshot,
                    queued: covered,
                    blocks: genesis_blocks + covered as usize,
                    genesis_blocks,
                    rewrite: false,
                    txs_since: 0,
                    taken: Instant::now(),
                };
                Some(
                    std::thread::Builder::new()
                        .name("devnet-sealer".into())
                        .spawn(move || seal_loop(&shared, journal, snapshots))
                        .map_err(|e| ChainError::Evm(format!("cannot start the sealer: {e}")))?,
                )
            }
            _ => None,
        };
        Ok(Devnet {
            shared,
            sealer,
            clock,
            signers,
            contracts,
            chain_id: config.chain_id,
            block_gas_limit: config.block_gas_limit,
            data_path,
            start: DevnetStart {
                snapshot_records: from_snapshot,
                replayed: replayed as u64,
                journal_read,
                snapshot_load,
                replay,
            },
        })
    }

    /// How this devnet's state was rebuilt when it was opened.
    pub fn start(&self) -> DevnetStart {
        self.start
    }

    /// Writes a snapshot of the state as of every transaction accepted so far (their blocks
    /// are written first), if the journal moved since the snapshot on disk (also done
    /// periodically and on drop). Returns once it is durable; blocking.
    pub fn write_snapshot(&self) -> Result<()> {
        if self.sealer.is_none() {
            return Ok(());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.signal(|w| w.snapshot.push(tx));
        rx.recv().map_err(|_| {
            ChainError::Evm("the devnet stopped before the snapshot was written".into())
        })?
    }

    /// The journal file, when the devnet is durable.
    pub fn journal_path(&self) -> Option<&Path> {
        self.data_path.as_deref()
    }

    fn next_block(&self) -> NextBlock {
        self.shared.read().next_block(self.clock.now_unix())
    }

    /// Checks, executes and accepts `raw`: the hash, once its block is sealed, comes from
    /// [`Submitted::durable`]. Without a journal the transaction is sealed in a block of its own
    /// before this returns.
    pub fn submit(&self, raw: &Bytes) -> Result<Submitted> {
        self.submit_decoded(state::decode(raw)?)
    }

    /// [`Self::submit`] of a transaction this process signed as `from`, whose signer is not
    /// recovered again (see [`Chain::submit_signed_transaction`]).
    pub fn submit_signed(&self, raw: &Bytes, from: Address) -> Result<Submitted> {
        self.submit_decoded(state::decode_signed(raw, from)?)
    }

    fn submit_decoded(&self, tx: state::Decoded) -> Result<Submitted> {
        let hash = tx.hash;
        let gas_limit = alloy::consensus::Transaction::gas_limit(&tx.envelope);
        let mut inner = self.shared.write();
        if inner.unsealed.contains(&hash) || inner.state.transaction(hash).is_some() {
            return Err(ChainError::Rejected("already known".into()));
        }
        let now = self.clock.now_unix();
        if self.sealer.is_none() {
            let timestamp = inner.state.next_timestamp(now);
            let number = inner.state.head().number + 1;
            let executed = inner.state.execute(tx, number, timestamp)?;
            inner.state.seal_block(number, timestamp, vec![executed]);
            inner.last = (number, timestamp);
            return Ok(Submitted {
                hash,
                durable: None,
            });
        }
        let (number, timestamp, new) = inner.placement(now, gas_limit, self.block_gas_limit);
        let executed = inner.state.execute(tx, number, timestamp)?;
        if new {
            inner.last = (number, timestamp);
            inner.pending.push(PendingBlock {
                number,
                timestamp,
                gas_used: 0,
                txs: Vec::new(),
                acks: Vec::new(),
            });
        }
        let (ack, durable) = oneshot::channel();
        inner.unsealed.insert(hash);
        if let Some(block) = inner.pending.last_mut() {
            block.gas_used += executed.gas_used();
            block.txs.push(executed);
            block.acks.push(ack);
        }
        drop(inner);
        self.shared.signal(|w| w.work = true);
        Ok(Submitted {
            hash,
            durable: Some(durable),
        })
    }

    /// Validates, executes and accepts `raw`, and returns its hash once its block is durable
    /// (blocking: call it off the async runtime's threads).
    pub fn submit_raw(&self, raw: &Bytes) -> Result<B256> {
        self.submit(raw)?.wait()
    }

    pub fn call_sync(&self, req: &CallRequest) -> Result<Bytes> {
        let next = self.next_block();
        self.shared.read().state.call_output(req, next)
    }

    pub fn estimate_gas_sync(&self, req: &CallRequest) -> Result<u64> {
        let next = self.next_block();
        self.shared.read().state.estimate_gas(req, next)
    }

    /// [`Self::call_sync`] within a public request's gas allowance.
    pub fn call_metered_sync(&self, req: &CallRequest, meter: &mut GasMeter) -> Result<Bytes> {
        let next = self.next_block();
        self.shared
            .read()
            .state
            .call_output_metered(req, next, meter)
    }

    /// [`Self::estimate_gas_sync`] within a public request's gas allowance.
    pub fn estimate_gas_metered_sync(
        &self,
        req: &CallRequest,
        meter: &mut GasMeter,
    ) -> Result<u64> {
        let next = self.next_block();
        self.shared
            .read()
            .state
            .estimate_gas_metered(req, next, meter)
    }

    pub fn head(&self) -> DevBlock {
        self.shared.read().state.head().clone()
    }

    pub fn block(&self, number: u64) -> Option<DevBlock> {
        self.shared.read().state.block(number).cloned()
    }

    pub fn block_by_hash(&self, hash: B256) -> Option<DevBlock> {
        self.shared.read().state.block_by_hash(hash).cloned()
    }

    pub fn transaction(&self, hash: B256) -> Option<DevTransaction> {
        self.shared.read().state.transaction(hash).cloned()
    }

    pub fn balance_of(&self, address: Address) -> U256 {
        self.shared.read().state.account(address).balance
    }

    pub fn nonce_of(&self, address: Address) -> u64 {
        self.shared.read().state.account(address).nonce
    }

    pub fn code_of(&self, address: Address) -> Bytes {
        self.shared.read().state.code(address)
    }

    pub fn storage_at(&self, address: Address, slot: U256) -> U256 {
        self.shared.read().state.storage(address, slot)
    }

    pub fn logs_sync(&self, query: &LogQuery) -> Vec<ChainLog> {
        self.shared.read().state.logs(query)
    }

    pub fn base_fee(&self) -> u64 {
        self.shared.read().state.params().base_fee
    }

    /// What `eth_gasPrice` answers: the (constant) base fee plus the default tip.
    pub fn suggested_gas_price(&self) -> u128 {
        u128::from(self.base_fee()) + self.signers.gas_policy().priority_fee
    }
}

impl Drop for Devnet {
    /// Lets the sealer write what is pending, leave a snapshot of everything (so the next start
    /// replays nothing) and stop, so the journal (and its lock) is released when the devnet is.
    fn drop(&mut self) {
        if let Some(sealer) = self.sealer.take() {
            self.shared.signal(|w| w.stop = true);
            let _ = sealer.join();
        }
    }
}

/// The sealer's snapshot bookkeeping.
struct Snapshots {
    writer: snapshot::Writer,
    policy: SnapshotPolicy,
    /// Journal records the last frame handed to the writer covers, and the blocks it ends at.
    queued: u64,
    blocks: usize,
    /// Blocks the genesis makes (frames hold the blocks after them).
    genesis_blocks: usize,
    /// The changes the next frame needs were lost (taken for a frame that was then dropped): it
    /// rewrites the file from the genesis.
    rewrite: bool,
    /// Transactions journalled since the newest frame taken, and when it was taken.
    txs_since: u64,
    taken: Instant,
}

impl Snapshots {
    /// Whether a periodic frame is due once `more` transactions are journalled.
    fn due(&self, more: u64) -> bool {
        let new = self.txs_since + more;
        let p = self.policy;
        new > 0
            && ((p.every_txs > 0 && new >= p.every_txs)
                || (p.every_secs > 0 && self.taken.elapsed() >= Duration::from_secs(p.every_secs)))
    }
}

/// The sealer thread: waits for pending blocks, writes them with one `fsync`, seals them and
/// answers their senders, and takes the snapshot frames; until the devnet is dropped (then it
/// writes what is pending and a last frame).
fn seal_loop(shared: &Shared, mut journal: Journal, mut snaps: Snapshots) {
    loop {
        let (stop, requests) = {
            let mut w = shared.wake.lock().unwrap_or_else(|p| p.into_inner());
            while !w.work && !w.stop && w.snapshot.is_empty() {
                w = shared.woken.wait(w).unwrap_or_else(|p| p.into_inner());
            }
            w.work = false;
            (w.stop, std::mem::take(&mut w.snapshot))
        };
        let forced = stop || !requests.is_empty();
        let (blocks, txs, delta, rewrite) = {
            let mut inner = shared.write();
            let blocks: Vec<PendingBlock> = inner.pending.drain(..).collect();
            let txs: u64 = blocks.iter().map(|b| b.txs.len() as u64).sum();
            let records_after = journal.position().records + blocks.len() as u64;
            let rewrite = snaps.rewrite || snaps.writer.broken();
            let want = if forced {
                records_after > snaps.queued || rewrite
            } else {
                snaps.due(txs)
            };
            // The state now is exactly the sealed blocks plus these (nothing else is pending):
            // once they are sealed, it is the state as of the journal's end.
            let delta = want.then(|| {
                let state = &mut inner.state;
                let changes = state.changes.get_or_insert_default();
                if rewrite {
                    changes.take_all(&state.db)
                } else {
                    changes.take(&state.db)
                }
            });
            (blocks, txs, delta, rewrite)
        };
        let records: Vec<Record> = blocks
            .iter()
            .map(|b| Record {
                t: b.timestamp,
                txs: b.txs.iter().map(|e| e.tx.raw.clone()).collect(),
            })
            .collect();
        let written = if records.is_empty() {
            Ok(())
        } else {
            journal.append_blocks(&records)
        };
        let mut answers = Vec::new();
        let mut failed = Vec::new();
        let mut frame = None;
        {
            let mut inner = shared.write();
            match &written {
                Ok(()) => {
                    for b in blocks {
                        for e in &b.txs {
                            inner.unsealed.remove(&e.tx.hash);
                        }
                        inner.state.seal_block(b.number, b.timestamp, b.txs);
                        answers.extend(b.acks);
                    }
                    if let Some(delta) = delta {
                        let at: Position = journal.position();
                        let from = if rewrite {
                            snaps.genesis_blocks
                        } else {
                            snaps.blocks
                        };
                        let body = snapshot::frame(&inner.state, at, from, &delta);
                        // A later failed journal write rolls back to this state, not further.
                        inner.state.advance_base(&delta);
                        snaps.queued = at.records;
                        snaps.blocks = inner.state.blocks.len();
                        snaps.rewrite = false;
                        frame = Some(if rewrite {
                            snapshot::Job::Rewrite(body)
                        } else {
                            snapshot::Job::Append(body)
                        });
                    }
                }
                Err(e) => {
                    // These blocks are not part of the chain, nor are those executed on top of
                    // them meanwhile: all their senders get the error, and the state is
                    // rebuilt from the sealed blocks.
                    tracing::error!(error = %e, "devnet journal write failed; unsealed blocks dropped");
                    let later: Vec<PendingBlock> = inner.pending.drain(..).collect();
                    for b in blocks.into_iter().chain(later) {
                        failed.extend(b.acks);
                    }
                    inner.unsealed.clear();
                    let head = inner.state.head();
                    let last = (head.number, head.timestamp);
                    inner.last = last;
                    if let Err(e) = inner.state.rebuild() {
                        tracing::error!(error = %e, "devnet state could not be rebuilt");
                    }
                    // The changes taken for a frame are gone with it.
                    snaps.rewrite |= delta.is_some();
                }
            }
        }
        for ack in answers {
            let _ = ack.send(Ok(()));
        }
        if let Err(e) = &written {
            let reason = e.to_string();
            for ack in failed {
                let _ = ack.send(Err(ChainError::Evm(format!(
                    "the devnet journal could not be written: {reason}"
                ))));
            }
        } else {
            snaps.txs_since += txs;
        }
        let mut outcome = written.map_err(|e| e.to_string());
        if frame.is_some() {
            snaps.txs_since = 0;
            snaps.taken = Instant::now();
        }
        if forced {
            // Waits for the frames handed over before, too: the writer keeps their order.
            let job = frame.unwrap_or(snapshot::Job::Flush);
            if let Err(e) = snaps.writer.write(job) {
                outcome = Err(ChainError::io(snaps.writer.path(), e).to_string());
            }
        } else if let Some(job) = frame {
            // The write (and its fsync) happens off the sealer's path; a failed one only means
            // the next start replays more, and the next frame rewrites the file.
            snaps.writer.send(job, None);
        }
        for request in requests {
            let _ = request.send(outcome.clone().map_err(ChainError::Evm));
        }
        if stop {
            return;
        }
    }
}

/// Token, pull-payment contract and executor registration, as transactions signed by the
/// executor at nonces 0..3: deterministic (RFC 6979 signatures), so every start rebuilds the same
/// blocks and addresses.
fn deploy_genesis(
    state: &mut EvmState,
    executor: &alloy::signers::local::PrivateKeySigner,
    config: &DevnetConfig,
    timestamp: u64,
) -> Result<ContractAddresses> {
    let owner = executor.address();
    let token = owner.create(0);
    let pull_payments = owner.create(1);
    let mut token_code = contracts::pma_token_creation_code()?.to_vec();
    token_code.extend_from_slice(&(owner, config.token_supply).abi_encode());
    let mut pull_code = contracts::pull_payments_creation_code()?.to_vec();
    pull_code.extend_from_slice(&(token, owner).abi_encode());
    let set_executor = PullPayments::setExecutorCall {
        executor: owner,
        allowed: true,
    }
    .abi_encode();
    let txs = [
        CallRequest {
            data: token_code.into(),
            ..Default::default()
        },
        CallRequest {
            data: pull_code.into(),
            ..Default::default()
        },
        CallRequest::call(pull_payments, set_executor),
    ];
    let fee = u128::from(config.base_fee) * 2;
    for (nonce, req) in txs.iter().enumerate() {
        let raw = sign_eip1559(
            executor,
            config.chain_id,
            nonce as u64,
            req,
            GENESIS_TX_GAS,
            fee,
            0,
        )?;
        let hash = state.mine(&raw, timestamp)?;
        let ok = state.transaction(hash).is_some_and(|t| t.receipt.success);
        if !ok {
            return Err(ChainError::Evm(format!(
                "genesis transaction {nonce} failed"
            )));
        }
    }
    Ok(ContractAddresses {
        token,
        pull_payments,
    })
}

#[async_trait]
impl Chain for Devnet {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn contracts(&self) -> ContractAddresses {
        self.contracts
    }

    fn signers(&self) -> &PlatformSigners {
        &self.signers
    }

    fn poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(5)
    }

    async fn block_number(&self) -> Result<u64> {
        Ok(self.head().number)
    }

    async fn latest_block_timestamp(&self) -> Result<u64> {
        Ok(self.head().timestamp)
    }

    async fn gas_price(&self) -> Result<u128> {
        Ok(self.suggested_gas_price())
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        Ok(self.balance_of(address))
    }

    async fn transaction_count(&self, address: Address) -> Result<u64> {
        Ok(self.nonce_of(address))
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        Ok(self.code_of(address))
    }

    async fn call(&self, req: &CallRequest) -> Result<Bytes> {
        self.call_sync(req)
    }

    async fn estimate_gas(&self, req: &CallRequest) -> Result<u64> {
        self.estimate_gas_sync(req)
    }

    async fn send_raw_transaction(&self, raw: Bytes) -> Result<B256> {
        self.submit(&raw)?.durable().await
    }

    async fn submit_raw_transaction(&self, raw: Bytes) -> Result<(B256, Durable)> {
        Ok(self.submit(&raw)?.handed())
    }

    async fn submit_signed_transaction(
        &self,
        raw: Bytes,
        from: Address,
    ) -> Result<(B256, Durable)> {
        Ok(self.submit_signed(&raw, from)?.handed())
    }

    async fn receipt(&self, hash: B256) -> Result<Option<TxReceipt>> {
        Ok(self.transaction(hash).map(|t| t.receipt))
    }

    async fn logs(&self, query: &LogQuery) -> Result<Vec<ChainLog>> {
        Ok(self.logs_sync(query))
    }

    /// Nothing to do: the devnet's blocks carry its clock's time, which the caller moves.
    async fn advance_time(&self, _secs: u64) -> Result<()> {
        Ok(())
    }
}
