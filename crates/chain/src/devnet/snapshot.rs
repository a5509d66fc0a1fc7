//! The devnet's state next to the journal, so a start re-executes only the journal's tail instead
//! of every transaction since genesis.
//!
//! The file is a log of frames. The first names what the others were computed on (chain id,
//! genesis, chain parameters); each later one brings the state from the previous frame's journal
//! position to its own: the blocks sealed in between with their transactions and receipts, and
//! the accounts and storage slots that changed (`changes.rs`). A frame is appended with one write
//! and one `fsync`, off the sealer's path, and costs what changed since the last one: taking one
//! does not copy the whole state or the whole history, however many pull payments exist.
//!
//! The file is a cache, never the truth. Each frame is `length (u64) ‖ body ‖ checksum`, the checksum
//! chained (`keccak(previous checksum ‖ body)`), and names the journal position it brings the
//! state to (records, and the journal's hash-chain link there, see `journal.rs`). A start applies
//! the frames in order while all of these hold, and drops the rest of the file:
//! - the checksum matches (not torn, not corrupt), and the first frame is of a known version,
//!   this genesis (chain id, timestamp, fingerprint) and these chain parameters;
//! - the journal has the frame's records and its link after them is the recorded one, so the
//!   prefix is byte for byte the one the state was computed from;
//! - its blocks follow on from the previous frame's.
//!
//! With no frame usable, the whole journal is replayed as before. After a failed write the next
//! frame rewrites the file whole (a temporary file, `fsync`, `rename`, `fsync` of the directory).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use alloy::consensus::TxEnvelope;
use alloy::eips::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, B256, Bloom, Bytes, Keccak256, U256};
use revm::bytecode::Bytecode;
use revm::database::AccountState;
use revm::state::AccountInfo;

use super::changes::{AccountDelta, Delta};
use super::journal::{Header, Position};
use super::state::{DevBlock, DevTransaction, EvmState, Params};
use crate::types::{ChainLog, TxReceipt};

pub(crate) const FILE_NAME: &str = "devnet-snapshot.bin";
const TMP_NAME: &str = "devnet-snapshot.bin.tmp";
const MAGIC: &[u8; 8] = b"PPDEVSNP";
/// 1 was one whole-state snapshot per file; such a file is ignored (one full replay).
const VERSION: u32 = 2;

/// The first frame's body.
pub(crate) fn header(header: &Header, params: Params) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(96));
    e.0.extend_from_slice(MAGIC);
    e.u32(VERSION);
    e.u64(header.chain_id);
    e.u64(header.genesis_timestamp);
    e.b256(header.fingerprint);
    e.params(params);
    e.0
}

/// A frame's body: the journal position `at` the state is at, the blocks from number `from` on
/// (those sealed since the previous frame) and `delta`, what changed since it.
pub(crate) fn frame(state: &EvmState, at: Position, from: usize, delta: &Delta) -> Vec<u8> {
    let blocks = &state.blocks[from.min(state.blocks.len())..];
    let mut e = Enc(Vec::with_capacity(
        64 + blocks.len() * 700 + delta.accounts.len() * 200,
    ));
    e.u64(at.records);
    e.b256(at.link);

    e.u64(delta.contracts.len() as u64);
    for (hash, code) in &delta.contracts {
        e.b256(*hash);
        e.bytes(code);
    }
    e.u64(delta.accounts.len() as u64);
    for (address, account) in &delta.accounts {
        e.address(*address);
        e.u8(match account.state {
            AccountState::NotExisting => 0,
            AccountState::Touched => 1,
            AccountState::StorageCleared => 2,
            AccountState::None => 3,
        });
        let info = &account.info;
        e.u256(info.balance);
        e.u64(info.nonce);
        e.b256(info.code_hash);
        match &info.code {
            None => e.u8(0),
            Some(code) if code.is_empty() => e.u8(1),
            // A created contract's code is in this frame's contracts or an earlier one's.
            Some(_) if state.db.cache.contracts.contains_key(&info.code_hash) => e.u8(2),
            Some(code) => {
                e.u8(3);
                e.bytes(&code.original_bytes());
            }
        }
        e.u8(u8::from(account.replace));
        e.u64(account.storage.len() as u64);
        for (slot, value) in &account.storage {
            e.u256(*slot);
            e.u256(*value);
        }
    }
    e.u64(delta.block_hashes.len() as u64);
    for (number, hash) in &delta.block_hashes {
        e.u256(*number);
        e.b256(*hash);
    }

    // Blocks in order, each with its transactions; what the order or the transaction implies
    // (numbers, parent hashes, transaction and block hashes in receipts and logs) is not stored.
    e.u64(from as u64);
    e.u64(blocks.len() as u64);
    for block in blocks {
        e.b256(block.hash);
        e.u64(block.timestamp);
        e.u64(block.gas_limit);
        e.u64(block.gas_used);
        e.u64(block.base_fee);
        e.bloom(&block.logs_bloom);
        e.b256(block.transactions_root);
        e.b256(block.receipts_root);
        e.b256(block.state_root);
        e.u32(block.transactions.len() as u32);
        for hash in &block.transactions {
            // `seal_block` inserts a block's transactions with the block: they are always there.
            let tx = &state.txs[hash];
            e.bytes(&tx.envelope.encoded_2718());
            e.address(tx.from);
            let r = &tx.receipt;
            e.u64(r.transaction_index);
            e.opt_address(r.to);
            e.opt_address(r.contract_address);
            e.u64(r.gas_used);
            e.u64(r.cumulative_gas_used);
            e.u128(r.effective_gas_price);
            e.u8(u8::from(r.success));
            e.u32(r.logs.len() as u32);
            for log in &r.logs {
                e.address(log.address);
                e.u8(log.topics.len() as u8);
                for topic in &log.topics {
                    e.b256(*topic);
                }
                e.bytes(&log.data);
                e.u64(log.tx_index);
                e.u64(log.log_index);
            }
        }
    }
    e.0
}

/// The checksum of a frame holding `body` after the frame whose checksum is `prev`.
fn checksum(prev: B256, body: &[u8]) -> B256 {
    let mut hasher = Keccak256::new();
    hasher.update(prev);
    hasher.update(body);
    hasher.finalize()
}

/// `body` as stored after the frame whose checksum is `prev` (its length, itself, its checksum),
/// and its checksum.
fn framed(prev: B256, body: &[u8]) -> (Vec<u8>, B256) {
    let sum = checksum(prev, body);
    let mut out = Vec::with_capacity(8 + body.len() + 32);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(sum.as_slice());
    (out, sum)
}

/// Removes what a crash inside a rewrite leaves behind; with `all`, the snapshot too (a new
/// journal starts: an old snapshot can only belong to another one).
pub(crate) fn clean(dir: &Path, all: bool) {
    let _ = std::fs::remove_file(dir.join(TMP_NAME));
    if all && std::fs::remove_file(dir.join(FILE_NAME)).is_ok() {
        tracing::warn!(dir = %dir.display(), "removed a devnet snapshot left without its journal");
    }
}

/// The state the usable frames in `dir` bring `genesis` to.
pub(crate) struct Loaded {
    /// Journal records the last usable frame covers.
    pub records: u64,
    pub state: EvmState,
    /// Where the last usable frame ends, and its checksum: the next frame goes there.
    pub end: FileEnd,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileEnd {
    len: u64,
    sum: B256,
}

/// The state the snapshot file in `dir` gives for this journal (`links` as `Journal::open`
/// computed them) and this genesis, its unusable tail cut off; `None`, with a warning saying why,
/// and the file removed, when no frame can be used.
pub(crate) fn load(
    dir: &Path,
    header: &Header,
    links: &[B256],
    genesis: &EvmState,
) -> Option<Loaded> {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "devnet snapshot unreadable: replaying the whole journal");
            return None;
        }
    };
    let found = decode(&bytes, header, links, genesis);
    let kept = match &found {
        Ok((loaded, _)) => loaded.end.len,
        Err(_) => 0,
    };
    let cut = (kept < bytes.len() as u64).then(|| {
        if kept == 0 {
            std::fs::remove_file(&path)
        } else {
            OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(kept).and_then(|()| f.sync_all()))
        }
    });
    if let Some(Err(e)) = cut {
        tracing::warn!(path = %path.display(), error = %e, "devnet snapshot tail not removed");
    }
    match found {
        Ok((loaded, None)) => Some(loaded),
        Ok((loaded, Some(reason))) => {
            tracing::warn!(path = %path.display(), %reason, records = loaded.records, dropped_bytes = bytes.len() as u64 - kept, "devnet snapshot used up to its last good frame");
            Some(loaded)
        }
        Err(reason) => {
            tracing::warn!(path = %path.display(), %reason, "devnet snapshot ignored: replaying the whole journal");
            None
        }
    }
}

/// The frames of `bytes` applied to `genesis` while they can be trusted, and why the rest
/// could not be; an error when not even one frame after the header can be.
fn decode(
    bytes: &[u8],
    header: &Header,
    links: &[B256],
    genesis: &EvmState,
) -> Result<(Loaded, Option<String>), String> {
    let mut frames = Frames {
        bytes,
        end: FileEnd::default(),
    };
    let first = frames.next()?.ok_or("empty")?;
    let mut d = Dec { buf: first, pos: 0 };
    if d.take(8)? != MAGIC {
        return Err("not a devnet snapshot".into());
    }
    let version = d.u32()?;
    if version != VERSION {
        return Err(format!("unknown format version {version}"));
    }
    let (chain_id, genesis_timestamp, fingerprint) = (d.u64()?, d.u64()?, d.b256()?);
    if (chain_id, genesis_timestamp, fingerprint)
        != (
            header.chain_id,
            header.genesis_timestamp,
            header.fingerprint,
        )
    {
        return Err(format!(
            "taken on another genesis (chain id {chain_id}, genesis {fingerprint} at {genesis_timestamp})"
        ));
    }
    let params = d.params()?;
    if params != genesis.params {
        return Err(format!("taken with other chain parameters ({params:?})"));
    }

    let mut state = genesis.clone();
    let mut records = None;
    let mut end = frames.end;
    let stopped = loop {
        let body = match frames.next() {
            Ok(Some(body)) => body,
            Ok(None) => break None,
            Err(reason) => break Some(reason),
        };
        let mut d = Dec { buf: body, pos: 0 };
        let covers = d.u64()?;
        let link = d.b256()?;
        let in_journal = links.len() as u64 - 1;
        if covers > in_journal {
            break Some(format!(
                "a frame covers {covers} records, the journal has {in_journal}"
            ));
        }
        if links[covers as usize] != link {
            break Some(format!(
                "the journal's first {covers} records are not those a frame was taken after"
            ));
        }
        // Trusted from here on: a frame that then fails to decode is a bug, not damage.
        apply(&mut d, &mut state)?;
        let expected = genesis.blocks.len() as u64 + covers;
        if state.blocks.len() as u64 != expected {
            return Err(format!(
                "a frame brings {} blocks, its journal position makes {expected}",
                state.blocks.len()
            ));
        }
        if d.pos != body.len() {
            return Err("trailing bytes in a frame".into());
        }
        records = Some(covers);
        end = frames.end;
    };
    let Some(records) = records else {
        return Err(stopped.unwrap_or_else(|| "holds no state".into()));
    };
    Ok((
        Loaded {
            records,
            state,
            end,
        },
        stopped,
    ))
}

/// The frames of a file, in order, each checked against its chained checksum.
struct Frames<'a> {
    bytes: &'a [u8],
    /// Where the last frame returned ends, and its checksum.
    end: FileEnd,
}

impl<'a> Frames<'a> {
    fn next(&mut self) -> Result<Option<&'a [u8]>, String> {
        let at = self.end.len as usize;
        let rest = &self.bytes[at..];
        if rest.is_empty() {
            return Ok(None);
        }
        let torn = || format!("torn at byte {at}");
        let len = rest
            .get(..8)
            .and_then(|b| usize::try_from(u64::from_le_bytes(b.try_into().ok()?)).ok())
            .ok_or_else(torn)?;
        let body_end = len.checked_add(8).ok_or_else(torn)?;
        let frame_end = body_end.checked_add(32).ok_or_else(torn)?;
        let body = rest.get(8..body_end).ok_or_else(torn)?;
        let sum = rest.get(body_end..frame_end).ok_or_else(torn)?;
        let expected = checksum(self.end.sum, body);
        if expected.as_slice() != sum {
            return Err(format!("corrupt frame at byte {at}: checksum mismatch"));
        }
        self.end = FileEnd {
            len: (at + frame_end) as u64,
            sum: expected,
        };
        Ok(Some(body))
    }
}

/// Applies the rest of a frame (after its position) to `state`.
fn apply(d: &mut Dec<'_>, state: &mut EvmState) -> Result<(), String> {
    let mut delta = Delta::default();
    for _ in 0..d.u64()? {
        let hash = d.b256()?;
        delta.contracts.push((hash, d.bytes()?));
    }
    // The codes first: an account's code may be one of them.
    delta.apply(&mut state.db);
    delta.contracts.clear();
    for _ in 0..d.u64()? {
        let address = d.address()?;
        let account_state = match d.u8()? {
            0 => AccountState::NotExisting,
            1 => AccountState::Touched,
            2 => AccountState::StorageCleared,
            3 => AccountState::None,
            other => return Err(format!("unknown account state {other}")),
        };
        let balance = d.u256()?;
        let nonce = d.u64()?;
        let code_hash = d.b256()?;
        let code = match d.u8()? {
            0 => None,
            1 => Some(Bytecode::default()),
            2 => Some(
                state
                    .db
                    .cache
                    .contracts
                    .get(&code_hash)
                    .cloned()
                    .ok_or("an account's code is missing")?,
            ),
            3 => Some(Bytecode::new_raw(d.bytes()?)),
            other => return Err(format!("unknown code tag {other}")),
        };
        let replace = d.u8()? != 0;
        let mut storage = Vec::new();
        for _ in 0..d.u64()? {
            storage.push((d.u256()?, d.u256()?));
        }
        delta.accounts.push((
            address,
            AccountDelta {
                state: account_state,
                info: AccountInfo {
                    balance,
                    nonce,
                    code_hash,
                    code,
                    ..Default::default()
                },
                replace,
                storage,
            },
        ));
    }
    for _ in 0..d.u64()? {
        delta.block_hashes.push((d.u256()?, d.b256()?));
    }
    delta.apply(&mut state.db);

    let from = d.u64()?;
    if from != state.blocks.len() as u64 {
        return Err(format!(
            "a frame's blocks start at {from}, the previous frames end at {}",
            state.blocks.len()
        ));
    }
    for number in from..from + d.u64()? {
        let parent_hash = state.head().hash;
        let hash = d.b256()?;
        let timestamp = d.u64()?;
        let gas_limit = d.u64()?;
        let gas_used = d.u64()?;
        let base_fee = d.u64()?;
        let logs_bloom = d.bloom()?;
        let transactions_root = d.b256()?;
        let receipts_root = d.b256()?;
        let state_root = d.b256()?;
        let n = d.u32()?;
        let mut transactions = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let raw = d.bytes()?;
            let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|e| format!("undecodable transaction in block {number}: {e}"))?;
            let tx_hash = *envelope.tx_hash();
            let from = d.address()?;
            let transaction_index = d.u64()?;
            let to = d.opt_address()?;
            let contract_address = d.opt_address()?;
            let tx_gas_used = d.u64()?;
            let cumulative_gas_used = d.u64()?;
            let effective_gas_price = d.u128()?;
            let success = d.u8()? != 0;
            let mut logs = Vec::new();
            for _ in 0..d.u32()? {
                let address = d.address()?;
                let mut topics = Vec::new();
                for _ in 0..d.u8()? {
                    topics.push(d.b256()?);
                }
                logs.push(ChainLog {
                    address,
                    topics,
                    data: d.bytes()?,
                    block_number: number,
                    block_hash: hash,
                    tx_hash,
                    tx_index: d.u64()?,
                    log_index: d.u64()?,
                });
            }
            let receipt = TxReceipt {
                tx_hash,
                block_number: number,
                block_hash: hash,
                transaction_index,
                from,
                to,
                contract_address,
                gas_used: tx_gas_used,
                cumulative_gas_used,
                effective_gas_price,
                success,
                logs,
            };
            transactions.push(tx_hash);
            state.txs.insert(
                tx_hash,
                DevTransaction {
                    envelope,
                    from,
                    receipt,
                },
            );
        }
        state.blocks.push(DevBlock {
            number,
            hash,
            parent_hash,
            timestamp,
            gas_limit,
            gas_used,
            base_fee,
            logs_bloom,
            transactions_root,
            receipts_root,
            state_root,
            transactions,
        });
    }
    Ok(())
}

/// What the sealer hands to the [`Writer`].
pub(crate) enum Job {
    /// A frame after the last one.
    Append(Vec<u8>),
    /// A new file: the header frame, then this frame (a delta from genesis).
    Rewrite(Vec<u8>),
    /// Nothing to write: answered once everything handed over before is durable.
    Flush,
}

/// Answers a job once it is durable.
type Done = mpsc::Sender<std::io::Result<()>>;

/// Writes frames on a thread of its own, in the order they are handed over; dropping it waits
/// for the frames already handed over.
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<(Job, Option<Done>)>>,
    thread: Option<JoinHandle<()>>,
    /// A write failed: frames appended after it would not follow on from the file, so they are
    /// refused until a [`Job::Rewrite`] starts the file again.
    broken: Arc<AtomicBool>,
    path: PathBuf,
}

impl Writer {
    /// A writer for the file in `dir` that ends at `end` (`FileEnd::default()`: no file yet);
    /// `header` is the first frame's body of a new one.
    pub fn start(dir: PathBuf, header: Vec<u8>, end: FileEnd) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<(Job, Option<Done>)>();
        let broken = Arc::new(AtomicBool::new(false));
        let path = dir.join(FILE_NAME);
        let mut file = SnapshotFile {
            dir,
            header,
            file: None,
            end,
            broken: broken.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("devnet-snapshot".into())
            .spawn(move || {
                for (job, done) in queue {
                    let result = file.run(job);
                    if let Err(e) = &result {
                        tracing::warn!(dir = %file.dir.display(), error = %e, "devnet snapshot not written");
                    }
                    if let Some(done) = done {
                        let _ = done.send(result);
                    }
                }
            })?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
            broken,
            path,
        })
    }

    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the next frame must be a [`Job::Rewrite`].
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    /// Hands `job` over; with `done`, answered once it is durable.
    pub fn send(&self, job: Job, done: Option<Done>) {
        if let Some(jobs) = &self.jobs
            && jobs.send((job, done)).is_err()
        {
            self.broken.store(true, Ordering::SeqCst);
        }
    }

    /// Hands `job` over and waits until it is durable.
    pub fn write(&self, job: Job) -> std::io::Result<()> {
        let (done, result) = mpsc::channel();
        self.send(job, Some(done));
        result
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the snapshot writer stopped")))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread's side of the file.
struct SnapshotFile {
    dir: PathBuf,
    header: Vec<u8>,
    /// Open for appending once a frame was written by this process.
    file: Option<File>,
    end: FileEnd,
    broken: Arc<AtomicBool>,
}

impl SnapshotFile {
    fn run(&mut self, job: Job) -> std::io::Result<()> {
        let result = match job {
            Job::Rewrite(body) => self.rewrite(&body),
            _ if self.broken.load(Ordering::SeqCst) => Err(std::io::Error::other(
                "an earlier snapshot write failed; the next snapshot rewrites the file",
            )),
            Job::Append(body) => self.append(&body),
            Job::Flush => Ok(()),
        };
        self.broken.store(result.is_err(), Ordering::SeqCst);
        result
    }

    fn append(&mut self, body: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(FILE_NAME);
        let new = self.end.len == 0;
        let mut buf = Vec::new();
        let mut sum = self.end.sum;
        if new {
            let (first, s) = framed(B256::ZERO, &self.header);
            buf.extend_from_slice(&first);
            sum = s;
        }
        let (frame, sum) = framed(sum, body);
        buf.extend_from_slice(&frame);
        let file = match &mut self.file {
            Some(file) => file,
            None => self
                .file
                .insert(OpenOptions::new().append(true).create(true).open(&path)?),
        };
        let written = file.write_all(&buf).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Never leave half a frame behind a later, complete one.
            let _ = file.set_len(self.end.len);
            return Err(e);
        }
        self.end = FileEnd {
            len: self.end.len + buf.len() as u64,
            sum,
        };
        if new {
            // The file is new: make its directory entry durable too.
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }

    fn rewrite(&mut self, body: &[u8]) -> std::io::Result<()> {
        self.file = None;
        let tmp = self.dir.join(TMP_NAME);
        let (first, sum) = framed(B256::ZERO, &self.header);
        let (frame, sum) = framed(sum, body);
        let mut file = File::create(&tmp)?;
        file.write_all(&first)?;
        file.write_all(&frame)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, self.dir.join(FILE_NAME))?;
        // The rename itself must survive a power loss, or the old file could come back.
        File::open(&self.dir)?.sync_all()?;
        self.end = FileEnd {
            len: (first.len() + frame.len()) as u64,
            sum,
        };
        Ok(())
    }
}

struct Enc(Vec<u8>);

impl Enc {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u256(&mut self, v: U256) {
        self.0.extend_from_slice(&v.to_be_bytes::<32>());
    }
    fn b256(&mut self, v: B256) {
        self.0.extend_from_slice(v.as_slice());
    }
    fn address(&mut self, v: Address) {
        self.0.extend_from_slice(v.as_slice());
    }
    fn opt_address(&mut self, v: Option<Address>) {
        match v {
            None => self.u8(0),
            Some(a) => {
                self.u8(1);
                self.address(a);
            }
        }
    }
    fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
    /// Sparse: a bloom of one transaction's few logs has a handful of its 256 bytes set.
    fn bloom(&mut self, v: &Bloom) {
        let set: Vec<(u8, u8)> = v
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, b)| **b != 0)
            .map(|(i, b)| (i as u8, *b))
            .collect();
        self.u32(set.len() as u32);
        for (i, b) in set {
            self.0.extend_from_slice(&[i, b]);
        }
    }
    fn params(&mut self, p: Params) {
        self.u64(p.chain_id);
        self.u64(p.base_fee);
        self.u64(p.block_gas_limit);
    }
}

struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or("truncated")?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(self.array()?))
    }
    fn u256(&mut self) -> Result<U256, String> {
        Ok(U256::from_be_bytes::<32>(self.array()?))
    }
    fn b256(&mut self) -> Result<B256, String> {
        Ok(B256::new(self.array()?))
    }
    fn address(&mut self) -> Result<Address, String> {
        Ok(Address::new(self.array()?))
    }
    fn opt_address(&mut self) -> Result<Option<Address>, String> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.address()?)),
            other => Err(format!("unknown option tag {other}")),
        }
    }
    fn bytes(&mut self) -> Result<Bytes, String> {
        let n = self.u32()? as usize;
        Ok(Bytes::copy_from_slice(self.take(n)?))
    }
    fn bloom(&mut self) -> Result<Bloom, String> {
        let mut out = [0u8; 256];
        for _ in 0..self.u32()? {
            let [i, b] = self.array()?;
            out[usize::from(i)] = b;
        }
        Ok(Bloom::from(out))
    }
    fn params(&mut self) -> Result<Params, String> {
        Ok(Params {
            chain_id: self.u64()?,
            base_fee: self.u64()?,
            block_gas_limit: self.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn frames(dir: &Path) -> Vec<Vec<u8>> {
        let bytes = std::fs::read(dir.join(FILE_NAME)).unwrap();
        let mut frames = Frames {
            bytes: &bytes,
            end: FileEnd::default(),
        };
        let mut out = Vec::new();
        while let Some(body) = frames.next().unwrap() {
            out.push(body.to_vec());
        }
        out
    }

    /// After a failed write, frames that would follow on from the file are refused until a
    /// rewrite starts it again: the file never holds a frame whose predecessor is missing.
    #[test]
    fn after_a_failed_write_only_a_rewrite_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let writer =
            Writer::start(dir.path().to_owned(), b"head".to_vec(), FileEnd::default()).unwrap();
        writer.write(Job::Append(b"one".to_vec())).unwrap();
        writer.write(Job::Append(b"two".to_vec())).unwrap();
        assert_eq!(frames(dir.path()), [&b"head"[..], b"one", b"two"]);

        writer.broken.store(true, Ordering::SeqCst);
        assert!(writer.write(Job::Append(b"three".to_vec())).is_err());
        assert!(writer.write(Job::Flush).is_err());
        assert!(writer.broken());
        assert_eq!(frames(dir.path()), [&b"head"[..], b"one", b"two"]);

        writer.write(Job::Rewrite(b"all".to_vec())).unwrap();
        assert!(!writer.broken());
        writer.write(Job::Append(b"four".to_vec())).unwrap();
        drop(writer);
        assert_eq!(frames(dir.path()), [&b"head"[..], b"all", b"four"]);
        assert!(!dir.path().join(TMP_NAME).exists());
    }
}
