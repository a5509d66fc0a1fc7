//! A copy of the devnet's whole state next to the journal, so a start re-executes only the
//! journal's tail instead of every transaction since genesis.
//!
//! The snapshot is a cache, never the truth. It names the journal prefix it was taken after (the
//! number of records and the hash chain's link there, see `journal.rs`) and ends with a keccak of
//! its own bytes. It is used only when all of these hold, else it is ignored with a warning and
//! the whole journal is replayed as before:
//! - the checksum matches (not torn, not corrupt), and the format version is known;
//! - its chain id, genesis timestamp and genesis fingerprint are the journal header's;
//! - the journal has at least that many records and its link after them is the recorded one, so
//!   the prefix is byte for byte the one the state was computed from;
//! - its chain parameters and genesis blocks are those the configuration builds now.
//!
//! It is written atomically (temporary file, fsync, rename, fsync of the directory): a crash at
//! any point leaves either the previous snapshot or the new one, never half of one.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use alloy::consensus::TxEnvelope;
use alloy::eips::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
use revm::bytecode::Bytecode;
use revm::database::{AccountState, CacheDB, DbAccount, EmptyDB};
use revm::state::AccountInfo;

use super::journal::{Header, Position};
use super::state::{DevBlock, DevTransaction, EvmState, Params};
use crate::types::{ChainLog, TxReceipt};

pub(crate) const FILE_NAME: &str = "devnet-snapshot.bin";
const TMP_NAME: &str = "devnet-snapshot.bin.tmp";
const MAGIC: &[u8; 8] = b"PPDEVSNP";
const VERSION: u32 = 1;

/// The snapshot of `state`, taken when the journal ended at `at`, without its checksum: the
/// sealer encodes it while it holds the chain's lock, so the checksum over the whole (growing)
/// file is left to [`sealed`], on the thread that writes it.
pub(crate) fn encode(state: &EvmState, header: &Header, at: Position) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(64 + state.blocks.len() * 700));
    e.0.extend_from_slice(MAGIC);
    e.u32(VERSION);
    e.u64(header.chain_id);
    e.u64(header.genesis_timestamp);
    e.b256(header.fingerprint);
    e.u64(at.records);
    e.b256(at.link);
    e.params(state.params);

    let cache = &state.db.cache;
    e.u64(cache.contracts.len() as u64);
    for (hash, code) in &cache.contracts {
        e.b256(*hash);
        e.bytes(&code.original_bytes());
    }
    e.u64(cache.accounts.len() as u64);
    for (address, account) in &cache.accounts {
        e.address(*address);
        e.u8(match account.account_state {
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
            Some(_) if cache.contracts.contains_key(&info.code_hash) => e.u8(2),
            Some(code) => {
                e.u8(3);
                e.bytes(&code.original_bytes());
            }
        }
        e.u64(account.storage.len() as u64);
        for (slot, value) in &account.storage {
            e.u256(*slot);
            e.u256(*value);
        }
    }
    e.u64(cache.block_hashes.len() as u64);
    for (number, hash) in &cache.block_hashes {
        e.u256(*number);
        e.b256(*hash);
    }

    // Blocks in order, each with its transactions; what the order or the transaction implies
    // (numbers, parent hashes, transaction and block hashes in receipts and logs) is not stored.
    e.u64(state.blocks.len() as u64);
    for block in &state.blocks {
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
            // `mine` inserts a block's transactions with the block: they are always there.
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

/// An [`encode`]d snapshot with its checksum appended, ready to [`write`].
pub(crate) fn sealed(mut body: Vec<u8>) -> Vec<u8> {
    let sum = keccak256(&body);
    body.extend_from_slice(sum.as_slice());
    body
}

/// Replaces the snapshot in `dir` by `bytes`, atomically and durably.
pub(crate) fn write(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(TMP_NAME);
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, dir.join(FILE_NAME))?;
    // The rename itself must survive a power loss, or the old snapshot could come back.
    File::open(dir)?.sync_all()
}

/// Removes what a crash inside [`write`] leaves behind; with `all`, the snapshot too (a new
/// journal starts: an old snapshot can only belong to another one).
pub(crate) fn clean(dir: &Path, all: bool) {
    let _ = std::fs::remove_file(dir.join(TMP_NAME));
    if all && std::fs::remove_file(dir.join(FILE_NAME)).is_ok() {
        tracing::warn!(dir = %dir.display(), "removed a devnet snapshot left without its journal");
    }
}

/// The snapshot in `dir` and the number of journal records it covers, if it can be trusted for
/// this journal (`links` as `Journal::open` computed them) and this genesis; `None`, with a
/// warning saying why, otherwise.
pub(crate) fn load(
    dir: &Path,
    header: &Header,
    links: &[B256],
    genesis: &EvmState,
) -> Option<(u64, EvmState)> {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "devnet snapshot unreadable: replaying the whole journal");
            return None;
        }
    };
    match decode(&bytes, header, links, genesis) {
        Ok(found) => Some(found),
        Err(reason) => {
            tracing::warn!(path = %path.display(), %reason, "devnet snapshot ignored: replaying the whole journal");
            None
        }
    }
}

fn decode(
    bytes: &[u8],
    header: &Header,
    links: &[B256],
    genesis: &EvmState,
) -> Result<(u64, EvmState), String> {
    let Some(body_len) = bytes.len().checked_sub(32) else {
        return Err("torn: shorter than its checksum".into());
    };
    let (body, sum) = bytes.split_at(body_len);
    if keccak256(body).as_slice() != sum {
        return Err("torn or corrupt: checksum mismatch".into());
    }
    let mut d = Dec { buf: body, pos: 0 };
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
    let records = d.u64()?;
    let link = d.b256()?;
    let in_journal = links.len() as u64 - 1;
    if records > in_journal {
        return Err(format!(
            "covers {records} records, the journal has {in_journal}"
        ));
    }
    if links[records as usize] != link {
        return Err(format!(
            "the journal's first {records} records are not those the snapshot was taken after"
        ));
    }
    let params = d.params()?;
    if params != genesis.params {
        return Err(format!("taken with other chain parameters ({params:?})"));
    }

    let mut db = CacheDB::new(EmptyDB::default());
    for _ in 0..d.u64()? {
        let hash = d.b256()?;
        db.cache
            .contracts
            .insert(hash, Bytecode::new_raw(d.bytes()?));
    }
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
                db.cache
                    .contracts
                    .get(&code_hash)
                    .cloned()
                    .ok_or("an account's code is missing")?,
            ),
            3 => Some(Bytecode::new_raw(d.bytes()?)),
            other => return Err(format!("unknown code tag {other}")),
        };
        let mut account = DbAccount {
            info: AccountInfo {
                balance,
                nonce,
                code_hash,
                code,
                ..Default::default()
            },
            account_state,
            ..Default::default()
        };
        for _ in 0..d.u64()? {
            account.storage.insert(d.u256()?, d.u256()?);
        }
        db.cache.accounts.insert(address, account);
    }
    for _ in 0..d.u64()? {
        let number = d.u256()?;
        db.cache.block_hashes.insert(number, d.b256()?);
    }

    let count = d.u64()?;
    let expected = genesis.blocks.len() as u64 + records;
    if count != expected {
        return Err(format!(
            "holds {count} blocks, its journal position makes {expected}"
        ));
    }
    let mut blocks: Vec<DevBlock> = Vec::with_capacity(count as usize);
    let mut txs = std::collections::HashMap::with_capacity(count as usize);
    for number in 0..count {
        let parent_hash = blocks.last().map(|b| b.hash).unwrap_or(B256::ZERO);
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
            txs.insert(
                tx_hash,
                DevTransaction {
                    envelope,
                    from,
                    receipt,
                },
            );
        }
        if let Some(g) = genesis.blocks.get(number as usize)
            && g.hash != hash
        {
            return Err(format!("its block {number} is not this genesis's"));
        }
        blocks.push(DevBlock {
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
    if d.pos != body.len() {
        return Err("trailing bytes".into());
    }
    Ok((
        records,
        EvmState {
            params,
            db,
            blocks,
            txs,
            base: None,
        },
    ))
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
