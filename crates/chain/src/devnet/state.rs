//! The devnet's chain: revm over an in-memory database; blocks of one or more transactions.

use std::collections::HashMap;

use alloy::consensus::{Header, Transaction as _, TxEnvelope, transaction::SignerRecoverable};
use alloy::eips::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, B256, Bloom, Bytes, TxKind, U256, keccak256, logs_bloom};
use revm::context::result::{EVMError, ExecResultAndState, ExecutionResult};
use revm::context::{BlockEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::database_interface::{DatabaseRef, WrapDatabaseRef};
use revm::state::AccountInfo;
use revm::{Context, DatabaseCommit, ExecuteEvm, MainBuilder, MainContext};

use super::changes::{Changes, Delta};
use crate::contracts::decode_revert;
use crate::error::{ChainError, Result};
use crate::types::{CallRequest, ChainLog, LogQuery, TxReceipt};

/// EIP-7825's per-transaction gas cap, active in the EVM version revm runs (Osaka).
const TX_GAS_CAP: u64 = 1 << 24;

/// The gas one public request may spend on read-only EVM runs (`eth_call`, `eth_estimateGas`
/// and its search): each run gets at most `per_call`, all runs together at most `budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasMeter {
    pub per_call: u64,
    pub budget: u64,
    pub remaining: u64,
}

impl GasMeter {
    pub fn new(per_call: u64, budget: u64) -> Self {
        GasMeter {
            per_call,
            budget,
            remaining: budget,
        }
    }

    /// The platform's own calls: only the chain's caps apply.
    pub fn unlimited() -> Self {
        Self::new(u64::MAX, u64::MAX)
    }

    fn exhausted(&self) -> ChainError {
        ChainError::GasBudgetExhausted {
            budget: self.budget,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Params {
    pub chain_id: u64,
    pub base_fee: u64,
    pub block_gas_limit: u64,
}

/// A mined block. `state_root` and `receipts_root` are not Merkle roots (no trie is kept):
/// they are digests that only make the block hash commit to the block's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevBlock {
    pub number: u64,
    pub hash: B256,
    pub parent_hash: B256,
    pub timestamp: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub base_fee: u64,
    pub logs_bloom: Bloom,
    pub transactions_root: B256,
    pub receipts_root: B256,
    pub state_root: B256,
    pub transactions: Vec<B256>,
}

#[derive(Debug, Clone)]
pub struct DevTransaction {
    pub envelope: TxEnvelope,
    pub from: Address,
    pub receipt: TxReceipt,
}

/// Number and timestamp of the block a read call runs in: the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NextBlock {
    pub number: u64,
    pub timestamp: u64,
}

/// A transaction decoded and its signer recovered (the costly part of checking it, done before
/// the chain is locked).
pub(crate) struct Decoded {
    pub hash: B256,
    pub from: Address,
    pub envelope: TxEnvelope,
    /// Its EIP-2718 bytes, as the journal keeps them.
    pub raw: Bytes,
}

pub(crate) fn decode(raw: &Bytes) -> Result<Decoded> {
    let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
        .map_err(|e| ChainError::Rejected(format!("undecodable transaction: {e}")))?;
    let from = envelope
        .recover_signer()
        .map_err(|e| ChainError::Rejected(format!("invalid signature: {e}")))?;
    Ok(Decoded {
        hash: *envelope.tx_hash(),
        from,
        envelope,
        raw: raw.clone(),
    })
}

/// [`decode`] of a transaction this process signed as `from`: the signer is taken, not
/// recovered (checked in debug builds).
pub(crate) fn decode_signed(raw: &Bytes, from: Address) -> Result<Decoded> {
    let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
        .map_err(|e| ChainError::Rejected(format!("undecodable transaction: {e}")))?;
    debug_assert_eq!(envelope.recover_signer().ok(), Some(from));
    Ok(Decoded {
        hash: *envelope.tx_hash(),
        from,
        envelope,
        raw: raw.clone(),
    })
}

/// A transaction executed, its state change applied, its block not sealed yet.
pub(crate) struct Executed {
    pub tx: Decoded,
    result: ExecutionResult,
}

impl Executed {
    pub fn gas_used(&self) -> u64 {
        self.result.tx_gas_used()
    }
}

#[derive(Clone)]
pub(crate) struct EvmState {
    // Visible to `snapshot.rs`, which writes and reads them whole.
    pub(super) params: Params,
    pub(super) db: CacheDB<EmptyDB>,
    pub(super) blocks: Vec<DevBlock>,
    pub(super) txs: HashMap<B256, DevTransaction>,
    /// The head number and state of a past sealed block (after genesis, or a snapshot) from
    /// which `rebuild` re-executes the sealed blocks after it.
    pub(super) base: Option<(u64, CacheDB<EmptyDB>)>,
    /// What changed since the last snapshot frame, when frames are taken.
    pub(super) changes: Option<Changes>,
}

impl EvmState {
    pub fn genesis(params: Params, timestamp: u64, alloc: &[(Address, U256)]) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, balance) in alloc {
            db.insert_account_info(
                *address,
                AccountInfo {
                    balance: *balance,
                    ..Default::default()
                },
            );
        }
        let mut state = EvmState {
            params,
            db,
            blocks: Vec::new(),
            txs: HashMap::new(),
            base: None,
            changes: None,
        };
        let block = state.seal(B256::ZERO, 0, timestamp, &[], &[], Bloom::ZERO);
        state.blocks.push(block);
        state
    }

    pub fn head(&self) -> &DevBlock {
        // genesis() pushes block 0, and blocks are only ever appended.
        &self.blocks[self.blocks.len() - 1]
    }

    pub fn block(&self, number: u64) -> Option<&DevBlock> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    pub fn block_by_hash(&self, hash: B256) -> Option<&DevBlock> {
        self.blocks.iter().rev().find(|b| b.hash == hash)
    }

    pub fn transaction(&self, hash: B256) -> Option<&DevTransaction> {
        self.txs.get(&hash)
    }

    pub fn params(&self) -> Params {
        self.params
    }

    /// Timestamp of the next block: the clock, but never before the head (clocks can step back).
    pub fn next_timestamp(&self, now: u64) -> u64 {
        now.max(self.head().timestamp)
    }

    pub fn account(&self, address: Address) -> AccountInfo {
        self.db
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub fn code(&self, address: Address) -> Bytes {
        let info = self.account(address);
        match info.code {
            Some(code) => code.original_bytes(),
            None => self
                .db
                .code_by_hash_ref(info.code_hash)
                .map(|c| c.original_bytes())
                .unwrap_or_default(),
        }
    }

    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db.storage_ref(address, slot).unwrap_or_default()
    }

    /// Executes `raw` alone in a new block at `timestamp` and seals that block (the genesis
    /// transactions, and every transaction of a devnet without a journal).
    pub fn mine(&mut self, raw: &Bytes, timestamp: u64) -> Result<B256> {
        let tx = decode(raw)?;
        if self.txs.contains_key(&tx.hash) {
            return Err(ChainError::Rejected("already known".into()));
        }
        let hash = tx.hash;
        let number = self.head().number + 1;
        let executed = self.execute(tx, number, timestamp)?;
        self.seal_block(number, timestamp, vec![executed]);
        Ok(hash)
    }

    /// Executes `tx` in block `number` at `timestamp` and applies its state change. Its receipt
    /// exists once its block is sealed ([`Self::seal_block`]); an invalid transaction (nonce,
    /// balance, gas limit) is refused here and changes nothing.
    pub fn execute(&mut self, tx: Decoded, number: u64, timestamp: u64) -> Result<Executed> {
        let env = tx_env(&tx.envelope, tx.from)?;
        let block_env = self.block_env(number, timestamp);
        let ExecResultAndState { result, state } = {
            let mut evm = Context::mainnet()
                .with_db(&mut self.db)
                .modify_cfg_chained(|cfg| cfg.chain_id = self.params.chain_id)
                .with_block(block_env)
                .build_mainnet();
            evm.transact(env).map_err(map_evm_error)?
        };
        if let Some(changes) = &mut self.changes {
            changes.record(&self.db, &state);
        }
        self.db.commit(state);
        Ok(Executed { tx, result })
    }

    /// Seals block `number` with `txs`, executed in this order by [`Self::execute`]: receipts
    /// (indices, cumulative gas, block-wide log indices), logs bloom, roots and hash.
    pub fn seal_block(&mut self, number: u64, timestamp: u64, txs: Vec<Executed>) -> B256 {
        debug_assert_eq!(number, self.head().number + 1);
        let parent_hash = self.head().hash;
        let base_fee = u128::from(self.params.base_fee);
        let mut receipts = Vec::with_capacity(txs.len());
        let mut cumulative = 0u64;
        let mut log_index = 0u64;
        for (i, Executed { tx, result }) in txs.iter().enumerate() {
            let envelope = &tx.envelope;
            let gas_used = result.tx_gas_used();
            cumulative += gas_used;
            let effective_gas_price = match envelope.max_priority_fee_per_gas() {
                Some(tip) => envelope.max_fee_per_gas().min(base_fee.saturating_add(tip)),
                None => envelope.max_fee_per_gas(),
            };
            let contract_address = match envelope.kind() {
                TxKind::Create => Some(tx.from.create(envelope.nonce())),
                TxKind::Call(_) => None,
            };
            let logs = result
                .logs()
                .iter()
                .map(|log| {
                    let l = ChainLog {
                        address: log.address,
                        topics: log.topics().to_vec(),
                        data: log.data.data.clone(),
                        block_number: number,
                        block_hash: B256::ZERO,
                        tx_hash: tx.hash,
                        tx_index: i as u64,
                        log_index,
                    };
                    log_index += 1;
                    l
                })
                .collect();
            receipts.push(TxReceipt {
                tx_hash: tx.hash,
                block_number: number,
                block_hash: B256::ZERO,
                transaction_index: i as u64,
                from: tx.from,
                to: envelope.kind().to().copied(),
                contract_address,
                gas_used,
                cumulative_gas_used: cumulative,
                effective_gas_price,
                success: result.is_success(),
                logs,
            });
        }
        let bloom = logs_bloom(txs.iter().flat_map(|e| e.result.logs()));
        let envelopes: Vec<TxEnvelope> = txs.iter().map(|e| e.tx.envelope.clone()).collect();
        let block = self.seal(parent_hash, number, timestamp, &envelopes, &receipts, bloom);
        let hash = block.hash;
        self.blocks.push(block);
        for (Executed { tx, .. }, mut receipt) in txs.into_iter().zip(receipts) {
            receipt.block_hash = hash;
            for log in &mut receipt.logs {
                log.block_hash = hash;
            }
            self.txs.insert(
                tx.hash,
                DevTransaction {
                    envelope: tx.envelope,
                    from: tx.from,
                    receipt,
                },
            );
        }
        hash
    }

    /// Remembers the current state (every transaction executed is sealed) as the one
    /// [`Self::rebuild`] starts from.
    pub fn mark_base(&mut self) {
        self.base = Some((self.head().number, self.db.clone()));
    }

    /// Moves the base to the head block, `delta` being what changed since the base (the
    /// snapshot frame just taken): the cost of the change, not a copy of the state.
    pub fn advance_base(&mut self, delta: &Delta) {
        let head = self.head().number;
        if let Some((number, db)) = &mut self.base {
            delta.apply(db);
            *number = head;
        }
    }

    /// Forgets the state changes of transactions executed but never sealed (their block could
    /// not be journalled): the state is rebuilt from the base state and the sealed blocks after
    /// it, re-executed in order.
    pub fn rebuild(&mut self) -> Result<()> {
        let Some((base_head, base_db)) = self.base.clone() else {
            return Err(ChainError::Evm("no base state to rebuild from".into()));
        };
        self.db = base_db;
        let blocks: Vec<(u64, u64, Vec<B256>)> = self
            .blocks
            .iter()
            .filter(|b| b.number > base_head)
            .map(|b| (b.number, b.timestamp, b.transactions.clone()))
            .collect();
        for (number, timestamp, hashes) in blocks {
            for hash in hashes {
                let Some(t) = self.txs.get(&hash) else {
                    return Err(ChainError::Evm(format!(
                        "sealed transaction {hash} missing"
                    )));
                };
                let tx = Decoded {
                    hash,
                    from: t.from,
                    raw: Bytes::from(t.envelope.encoded_2718()),
                    envelope: t.envelope.clone(),
                };
                self.execute(tx, number, timestamp)?;
            }
        }
        Ok(())
    }

    /// Runs a read call on the pending block (the next block's number and timestamp), without
    /// balance, base-fee or nonce checks, like `eth_call`.
    ///
    /// The run gets `meter`'s allowance and the gas it used is taken from it. A run the
    /// remaining budget cut short fails as a budget error rather than as the call's own failure.
    pub fn call_metered(
        &self,
        req: &CallRequest,
        next: NextBlock,
        gas_limit: Option<u64>,
        meter: &mut GasMeter,
    ) -> Result<ExecutionResult> {
        // Clients pass generous limits to eth_call; above the cap revm would refuse the call.
        let wanted = gas_limit
            .or(req.gas)
            .unwrap_or(u64::MAX)
            .min(self.call_gas_cap())
            .min(meter.per_call);
        if meter.remaining == 0 {
            return Err(meter.exhausted());
        }
        let granted = wanted.min(meter.remaining);
        let result = self.run_call(req, next, granted)?;
        meter.remaining = meter.remaining.saturating_sub(result.tx_gas_used());
        if granted < wanted && !result.is_success() {
            return Err(meter.exhausted());
        }
        Ok(result)
    }

    fn run_call(
        &self,
        req: &CallRequest,
        next: NextBlock,
        gas_limit: u64,
    ) -> Result<ExecutionResult> {
        let caller = req.from.unwrap_or(Address::ZERO);
        let tx = TxEnv {
            tx_type: 0,
            caller,
            gas_limit,
            gas_price: 0,
            kind: req.to.map(TxKind::Call).unwrap_or(TxKind::Create),
            value: req.value,
            data: req.data.clone(),
            nonce: self.account(caller).nonce,
            chain_id: Some(self.params.chain_id),
            ..Default::default()
        };
        let block_env = self.block_env(next.number, next.timestamp);
        let mut evm = Context::mainnet()
            .with_db(WrapDatabaseRef(&self.db))
            .modify_cfg_chained(|cfg| {
                cfg.chain_id = self.params.chain_id;
                cfg.disable_balance_check = true;
                cfg.disable_base_fee = true;
                cfg.disable_nonce_check = true;
            })
            .with_block(block_env)
            .build_mainnet();
        // A read-only view of the database: the resulting state is dropped here.
        Ok(evm.transact(tx).map_err(map_evm_error)?.result)
    }

    /// `eth_call` semantics: the output, or the revert reason as an error.
    pub fn call_output(&self, req: &CallRequest, next: NextBlock) -> Result<Bytes> {
        self.call_output_metered(req, next, &mut GasMeter::unlimited())
    }

    pub fn call_output_metered(
        &self,
        req: &CallRequest,
        next: NextBlock,
        meter: &mut GasMeter,
    ) -> Result<Bytes> {
        match self.call_metered(req, next, None, meter)? {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted {
                reason: decode_revert(&output),
                data: output,
            }),
            ExecutionResult::Halt { reason, .. } => Err(ChainError::Reverted {
                reason: format!("halted: {reason:?}"),
                data: Bytes::new(),
            }),
        }
    }

    /// The smallest gas limit (within 1.5 %) with which the call succeeds.
    pub fn estimate_gas(&self, req: &CallRequest, next: NextBlock) -> Result<u64> {
        self.estimate_gas_metered(req, next, &mut GasMeter::unlimited())
    }

    /// [`Self::estimate_gas`] with every run of the search taken from `meter`.
    pub fn estimate_gas_metered(
        &self,
        req: &CallRequest,
        next: NextBlock,
        meter: &mut GasMeter,
    ) -> Result<u64> {
        let cap = req
            .gas
            .unwrap_or(u64::MAX)
            .min(self.call_gas_cap())
            .min(meter.per_call);
        let first = self.call_metered(req, next, Some(cap), meter)?;
        let used = match first {
            ExecutionResult::Success { .. } => first.tx_gas_used(),
            ExecutionResult::Revert { output, .. } => {
                return Err(ChainError::Reverted {
                    reason: decode_revert(&output),
                    data: output,
                });
            }
            ExecutionResult::Halt { reason, .. } => {
                return Err(ChainError::Reverted {
                    reason: format!("halted: {reason:?}"),
                    data: Bytes::new(),
                });
            }
        };
        // Refunds and the 63/64 rule make "gas used" an underestimate of the limit needed.
        let mut lo = used.saturating_sub(1);
        let mut hi = cap;
        let guess = (used.saturating_mul(64) / 63)
            .saturating_add(3_000)
            .min(cap);
        if self.succeeds(req, next, guess, meter)? {
            hi = guess;
        } else {
            lo = guess;
        }
        while hi - lo > (hi / 64).max(1) {
            let mid = lo + (hi - lo) / 2;
            if self.succeeds(req, next, mid, meter)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    pub fn logs(&self, query: &LogQuery) -> Vec<ChainLog> {
        let to = query.to_block.unwrap_or(u64::MAX).min(self.head().number);
        let mut out = Vec::new();
        for number in query.from_block..=to {
            let Some(block) = self.block(number) else {
                break;
            };
            for hash in &block.transactions {
                if let Some(tx) = self.txs.get(hash) {
                    out.extend(tx.receipt.logs.iter().filter(|l| query.matches(l)).cloned());
                }
            }
        }
        out
    }

    fn succeeds(
        &self,
        req: &CallRequest,
        next: NextBlock,
        gas: u64,
        meter: &mut GasMeter,
    ) -> Result<bool> {
        Ok(self.call_metered(req, next, Some(gas), meter)?.is_success())
    }

    fn call_gas_cap(&self) -> u64 {
        self.params.block_gas_limit.min(TX_GAS_CAP)
    }

    fn block_env(&self, number: u64, timestamp: u64) -> BlockEnv {
        BlockEnv {
            number: U256::from(number),
            beneficiary: Address::ZERO,
            timestamp: U256::from(timestamp),
            gas_limit: self.params.block_gas_limit,
            basefee: self.params.base_fee,
            difficulty: U256::ZERO,
            // Deterministic "randomness": replay must reproduce every block exactly.
            prevrandao: Some(keccak256(number.to_be_bytes())),
            ..Default::default()
        }
    }

    fn seal(
        &self,
        parent_hash: B256,
        number: u64,
        timestamp: u64,
        envelopes: &[TxEnvelope],
        receipts: &[TxReceipt],
        logs_bloom: Bloom,
    ) -> DevBlock {
        let (transactions_root, receipts_root) = if receipts.is_empty() {
            (
                alloy::consensus::EMPTY_ROOT_HASH,
                alloy::consensus::EMPTY_ROOT_HASH,
            )
        } else {
            // Digest of every receipt's (hash, status, gas used), in order.
            let mut digest = Vec::with_capacity(receipts.len() * 41);
            for r in receipts {
                digest.extend_from_slice(r.tx_hash.as_slice());
                digest.push(u8::from(r.success));
                digest.extend_from_slice(&r.gas_used.to_be_bytes());
            }
            (
                alloy::consensus::proofs::calculate_transaction_root(envelopes),
                keccak256(digest),
            )
        };
        let transactions: Vec<B256> = receipts.iter().map(|r| r.tx_hash).collect();
        let gas_used = receipts.last().map_or(0, |r| r.cumulative_gas_used);
        let state_root = keccak256([parent_hash.as_slice(), transactions_root.as_slice()].concat());
        let header = Header {
            parent_hash,
            beneficiary: Address::ZERO,
            state_root,
            transactions_root,
            receipts_root,
            logs_bloom,
            number,
            gas_limit: self.params.block_gas_limit,
            gas_used,
            timestamp,
            base_fee_per_gas: Some(self.params.base_fee),
            mix_hash: keccak256(number.to_be_bytes()),
            ..Default::default()
        };
        DevBlock {
            number,
            hash: header.hash_slow(),
            parent_hash,
            timestamp,
            gas_limit: self.params.block_gas_limit,
            gas_used,
            base_fee: self.params.base_fee,
            logs_bloom,
            transactions_root,
            receipts_root,
            state_root,
            transactions,
        }
    }
}

fn tx_env(envelope: &TxEnvelope, from: Address) -> Result<TxEnv> {
    match envelope {
        TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
        _ => {
            return Err(ChainError::Rejected(
                "only legacy, EIP-2930 and EIP-1559 transactions are accepted".into(),
            ));
        }
    }
    Ok(TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: from,
        gas_limit: envelope.gas_limit(),
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        ..Default::default()
    })
}

fn map_evm_error<DB: std::fmt::Display>(e: EVMError<DB>) -> ChainError {
    match e {
        EVMError::Transaction(invalid) => ChainError::Rejected(invalid.to_string()),
        EVMError::Header(invalid) => ChainError::Rejected(invalid.to_string()),
        other => ChainError::Evm(other.to_string()),
    }
}
