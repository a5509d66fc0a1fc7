//! The embedded network: revm in-process, deterministic genesis from a BIP-39 seed, durable
//! through an fsync'd journal of accepted transactions (see `journal.rs`).

mod journal;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

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
use journal::{Header, Journal, Opened, Record};
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
}

pub struct Devnet {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
    signers: PlatformSigners,
    contracts: ContractAddresses,
    chain_id: u64,
    data_path: Option<PathBuf>,
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
        let opened = match &config.data_dir {
            Some(dir) => Some(Journal::open(dir)?),
            None => None,
        };
        // A fresh journal gets its header only once the genesis is built, so a configuration
        // that cannot start leaves no journal behind.
        let mut fresh_header = None;
        let (genesis_timestamp, mut journal, records) = match opened {
            None => (clock.now_unix(), None, Vec::new()),
            Some(Opened::Fresh(j)) => {
                let header = Header {
                    payplane_devnet: 1,
                    chain_id: config.chain_id,
                    genesis_timestamp: clock.now_unix(),
                    fingerprint,
                };
                let timestamp = header.genesis_timestamp;
                fresh_header = Some(header);
                (timestamp, Some(j), Vec::new())
            }
            Some(Opened::Existing {
                journal,
                header,
                records,
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
                (header.genesis_timestamp, Some(journal), records)
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
            j.write_header(header)?;
        }

        let replayed = records.len();
        for record in records {
            let block = state.head().number + 1;
            state
                .mine(&record.tx, record.t, &mut || Ok(()))
                .map_err(|e| ChainError::ReplayDiverged {
                    block,
                    reason: e.to_string(),
                })?;
        }
        if replayed > 0 {
            tracing::info!(
                replayed,
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
        Ok(Devnet {
            inner: Mutex::new(Inner { state, journal }),
            clock,
            signers,
            contracts,
            chain_id: config.chain_id,
            data_path,
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
        let Inner { state, journal } = &mut *inner;
        state.mine(raw, timestamp, &mut || match journal.as_mut() {
            Some(j) => j.append(&Record {
                t: timestamp,
                tx: raw.clone(),
            }),
            None => Ok(()),
        })
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
