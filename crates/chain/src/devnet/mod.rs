//! The embedded network: revm in-process, deterministic genesis from a BIP-39 seed, durable
//! through an fsync'd journal of accepted transactions (see `journal.rs`), restarted from a
//! snapshot of its state when one matches the journal (see `snapshot.rs`).

mod journal;
mod snapshot;
mod state;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::sol_types::{SolCall, SolValue};
use async_trait::async_trait;

pub use state::{DevBlock, DevTransaction, GasMeter};

use crate::chain::Chain;
use crate::clock::Clock;
use crate::contracts::{self, PullPayments};
use crate::error::{ChainError, Result};
use crate::sender::{GasPolicy, PlatformSigners, sign_eip1559};
use crate::types::{CallRequest, ChainLog, ContractAddresses, LogQuery, TxReceipt};
use crate::wallet::HdWallet;
use crate::{ETHER, PMA};
use journal::{Header, Journal, Opened, Position, Record};
use state::{EvmState, Params};

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
    /// When the state snapshot next to the journal is rewritten (with a data dir only).
    pub snapshot: SnapshotPolicy,
}

/// A snapshot is written once `every_txs` transactions were journaled since the last one, or with
/// the first transaction `every_secs` seconds or more after it, and when the devnet is dropped.
/// 0 turns a trigger off.
///
/// A start replays the transactions after the snapshot, so `every_txs` bounds that work (about
/// 0.25 ms of CPU each); each snapshot costs a copy of the whole state (about 0.63 kB per past
/// transaction) encoded under the devnet's lock, then written by a background thread.
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

struct Inner {
    state: EvmState,
    journal: Option<Journal>,
    /// Journal records covered by the newest snapshot taken (written or being written), and when.
    snapshot_records: u64,
    snapshot_taken: Instant,
}

/// Writers take turns, and never replace a newer snapshot by an older one.
#[derive(Default)]
struct SnapshotWriter {
    turn: Mutex<()>,
    /// Journal records the snapshot on disk covers.
    on_disk: AtomicU64,
    /// A background write is under way: a periodic snapshot waits for it rather than queue a
    /// second copy of the state behind it.
    busy: AtomicBool,
}

/// A snapshot encoded under the lock, to be written outside it.
struct Taken {
    records: u64,
    bytes: Vec<u8>,
}

pub struct Devnet {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
    signers: PlatformSigners,
    contracts: ContractAddresses,
    chain_id: u64,
    data_path: Option<PathBuf>,
    header: Option<Header>,
    snapshot_policy: SnapshotPolicy,
    snapshot_writer: Arc<SnapshotWriter>,
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
        if let (Some(header), Some(j)) = (&fresh_header, journal.as_mut()) {
            if let Some(dir) = &config.data_dir {
                snapshot::clean(dir, true);
            }
            j.write_header(header)?;
        }

        let journal_read = started.elapsed();
        let loading = Instant::now();
        let mut from_snapshot = None;
        if let (Some(dir), Some((header, links))) = (&config.data_dir, &existing) {
            snapshot::clean(dir, false);
            if let Some((covered, loaded)) = snapshot::load(dir, header, links, &state) {
                state = loaded;
                from_snapshot = Some(covered);
            }
        }
        let snapshot_load = loading.elapsed();
        let replaying = Instant::now();
        let skip = from_snapshot.unwrap_or(0) as usize;
        let replayed = records.len() - skip;
        for record in records.into_iter().skip(skip) {
            let block = state.head().number + 1;
            state
                .mine(&record.tx, record.t, &mut || Ok(()))
                .map_err(|e| ChainError::ReplayDiverged {
                    block,
                    reason: e.to_string(),
                })?;
        }
        let replay = replaying.elapsed();
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
        Ok(Devnet {
            inner: Mutex::new(Inner {
                state,
                journal,
                snapshot_records: covered,
                snapshot_taken: Instant::now(),
            }),
            clock,
            signers,
            contracts,
            chain_id: config.chain_id,
            data_path,
            header: fresh_header.or(existing.map(|(header, _)| header)),
            snapshot_policy: config.snapshot,
            snapshot_writer: Arc::new(SnapshotWriter {
                turn: Mutex::new(()),
                on_disk: AtomicU64::new(covered),
                busy: AtomicBool::new(false),
            }),
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

    /// Writes a snapshot of the current state now, if the journal moved since the last one
    /// (also done periodically and on drop). Returns once it is durable.
    pub fn write_snapshot(&self) -> Result<()> {
        let taken = {
            let mut inner = self.lock();
            self.take_snapshot(&mut inner, true)
        };
        match (taken, self.snapshot_dir()) {
            (Some(taken), Some(dir)) => write_snapshot(&self.snapshot_writer, dir, taken)
                .map_err(|e| ChainError::io(dir.join(snapshot::FILE_NAME), e)),
            _ => Ok(()),
        }
    }

    fn snapshot_dir(&self) -> Option<&Path> {
        self.data_path.as_deref().and_then(Path::parent)
    }

    /// The snapshot to write now, encoded from `inner` while it is locked: when `force`d, or when
    /// the policy says it is due. `None` when there is nothing new.
    ///
    /// Forced, "new" is against the snapshot on disk rather than the last one taken: one taken
    /// by `submit_raw` may still be on its way, and the caller wants the state durable on return.
    fn take_snapshot(&self, inner: &mut Inner, force: bool) -> Option<Taken> {
        let header = self.header.as_ref()?;
        let at: Position = inner.journal.as_ref()?.position();
        let since = if force {
            self.snapshot_writer.on_disk.load(Ordering::SeqCst)
        } else {
            inner.snapshot_records
        };
        let new = at.records.saturating_sub(since);
        if new == 0 {
            return None;
        }
        let policy = self.snapshot_policy;
        let due = force
            || (!self.snapshot_writer.busy.load(Ordering::SeqCst)
                && ((policy.every_txs > 0 && new >= policy.every_txs)
                    || (policy.every_secs > 0
                        && inner.snapshot_taken.elapsed()
                            >= Duration::from_secs(policy.every_secs))));
        if !due {
            return None;
        }
        inner.snapshot_records = at.records;
        inner.snapshot_taken = Instant::now();
        Some(Taken {
            records: at.records,
            bytes: snapshot::encode(&inner.state, header, at),
        })
    }

    /// The journal file, when the devnet is durable.
    pub fn journal_path(&self) -> Option<&Path> {
        self.data_path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-mined block: `mine` commits last.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now(&self, inner: &Inner) -> u64 {
        inner.state.next_timestamp(self.clock.now_unix())
    }

    /// Validates, executes, journals (fsync) and mines `raw` in a block of its own.
    pub fn submit_raw(&self, raw: &Bytes) -> Result<B256> {
        let mut inner = self.lock();
        let timestamp = self.now(&inner);
        let Inner { state, journal, .. } = &mut *inner;
        let hash = state.mine(raw, timestamp, &mut || match journal.as_mut() {
            Some(j) => j.append(&Record {
                t: timestamp,
                tx: raw.clone(),
            }),
            None => Ok(()),
        })?;
        if let Some(taken) = self.take_snapshot(&mut inner, false)
            && let Some(dir) = self.snapshot_dir()
        {
            let writer = self.snapshot_writer.clone();
            writer.busy.store(true, Ordering::SeqCst);
            drop(inner);
            // The write (and its fsyncs) happens off the caller's path; a failed one only
            // means the next start replays more.
            let dir = dir.to_owned();
            std::thread::spawn(move || {
                if let Err(e) = write_snapshot(&writer, &dir, taken) {
                    tracing::warn!(dir = %dir.display(), error = %e, "devnet snapshot not written");
                }
                writer.busy.store(false, Ordering::SeqCst);
            });
        }
        Ok(hash)
    }

    pub fn call_sync(&self, req: &CallRequest) -> Result<Bytes> {
        let mut inner = self.lock();
        let timestamp = self.now(&inner);
        inner.state.call_output(req, timestamp)
    }

    pub fn estimate_gas_sync(&self, req: &CallRequest) -> Result<u64> {
        let mut inner = self.lock();
        let timestamp = self.now(&inner);
        inner.state.estimate_gas(req, timestamp)
    }

    /// [`Self::call_sync`] within a public request's gas allowance.
    pub fn call_metered_sync(&self, req: &CallRequest, meter: &mut GasMeter) -> Result<Bytes> {
        let mut inner = self.lock();
        let timestamp = self.now(&inner);
        inner.state.call_output_metered(req, timestamp, meter)
    }

    /// [`Self::estimate_gas_sync`] within a public request's gas allowance.
    pub fn estimate_gas_metered_sync(
        &self,
        req: &CallRequest,
        meter: &mut GasMeter,
    ) -> Result<u64> {
        let mut inner = self.lock();
        let timestamp = self.now(&inner);
        inner.state.estimate_gas_metered(req, timestamp, meter)
    }

    pub fn head(&self) -> DevBlock {
        self.lock().state.head().clone()
    }

    pub fn block(&self, number: u64) -> Option<DevBlock> {
        self.lock().state.block(number).cloned()
    }

    pub fn block_by_hash(&self, hash: B256) -> Option<DevBlock> {
        self.lock().state.block_by_hash(hash).cloned()
    }

    pub fn transaction(&self, hash: B256) -> Option<DevTransaction> {
        self.lock().state.transaction(hash).cloned()
    }

    pub fn balance_of(&self, address: Address) -> U256 {
        self.lock().state.account(address).balance
    }

    pub fn nonce_of(&self, address: Address) -> u64 {
        self.lock().state.account(address).nonce
    }

    pub fn code_of(&self, address: Address) -> Bytes {
        self.lock().state.code(address)
    }

    pub fn storage_at(&self, address: Address, slot: U256) -> U256 {
        self.lock().state.storage(address, slot)
    }

    pub fn logs_sync(&self, query: &LogQuery) -> Vec<ChainLog> {
        self.lock().state.logs(query)
    }

    pub fn base_fee(&self) -> u64 {
        self.lock().state.params().base_fee
    }

    /// What `eth_gasPrice` answers: the (constant) base fee plus the default tip.
    pub fn suggested_gas_price(&self) -> u128 {
        u128::from(self.base_fee()) + self.signers.gas_policy().priority_fee
    }
}

impl Drop for Devnet {
    /// A clean stop leaves a snapshot of everything, so the next start replays nothing.
    fn drop(&mut self) {
        if let Err(e) = self.write_snapshot() {
            tracing::warn!(error = %e, "devnet snapshot not written at shutdown");
        }
    }
}

/// Writes `taken` unless a snapshot at least as recent is already on disk.
fn write_snapshot(writer: &SnapshotWriter, dir: &Path, taken: Taken) -> std::io::Result<()> {
    let _turn = writer
        .turn
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if writer.on_disk.load(Ordering::SeqCst) >= taken.records {
        return Ok(());
    }
    snapshot::write(dir, &taken.bytes)?;
    writer.on_disk.store(taken.records, Ordering::SeqCst);
    Ok(())
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
        let hash = state.mine(&raw, timestamp, &mut || Ok(()))?;
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
        self.submit_raw(&raw)
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
