//! Any Ethereum JSON-RPC node, through alloy's HTTP provider. A receipt counts as final only once
//! `confirmations` blocks (its own included) are on top of the chain, so a shallow reorg cannot
//! take back a pull the platform already reported.

use std::sync::RwLock;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::network::{ReceiptResponse, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::transports::{RpcError, TransportErrorKind};
use async_trait::async_trait;

use crate::chain::{Chain, deploy_contracts};
use crate::contracts::decode_revert;
use crate::error::{ChainError, Result};
use crate::sender::PlatformSigners;
use crate::types::{CallRequest, ChainLog, ContractAddresses, LogQuery, TxReceipt};

#[derive(Debug, Clone)]
pub struct RpcConfig {
    pub url: String,
    /// Refuse to start when the node serves another chain.
    pub expected_chain_id: Option<u64>,
    /// Blocks, the receipt's own included, before a receipt is final (1 = as soon as mined).
    pub confirmations: u64,
    pub poll_interval: Duration,
    /// `None` until deployed or configured (see [`RpcChain::set_contracts`]).
    pub contracts: Option<ContractAddresses>,
}

impl RpcConfig {
    pub fn new(url: impl Into<String>) -> Self {
        RpcConfig {
            url: url.into(),
            expected_chain_id: None,
            confirmations: 1,
            poll_interval: Duration::from_millis(500),
            contracts: None,
        }
    }
}

pub struct RpcChain {
    provider: RootProvider,
    chain_id: u64,
    confirmations: u64,
    poll_interval: Duration,
    contracts: RwLock<ContractAddresses>,
    signers: PlatformSigners,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcChain")
            .field("chain_id", &self.chain_id)
            .field("confirmations", &self.confirmations)
            .finish()
    }
}

impl RpcChain {
    pub async fn connect(config: RpcConfig, signers: PlatformSigners) -> Result<Self> {
        let url = config
            .url
            .parse()
            .map_err(|e| ChainError::InvalidInput(format!("rpc url {:?}: {e}", config.url)))?;
        let provider = RootProvider::new_http(url);
        let chain_id = provider.get_chain_id().await.map_err(map_rpc_error)?;
        if let Some(expected) = config.expected_chain_id
            && expected != chain_id
        {
            return Err(ChainError::InvalidInput(format!(
                "node serves chain {chain_id}, expected {expected}"
            )));
        }
        Ok(RpcChain {
            provider,
            chain_id,
            confirmations: config.confirmations.max(1),
            poll_interval: config.poll_interval,
            contracts: RwLock::new(config.contracts.unwrap_or(ContractAddresses {
                token: Address::ZERO,
                pull_payments: Address::ZERO,
            })),
            signers,
        })
    }

    pub fn set_contracts(&self, contracts: ContractAddresses) {
        if let Ok(mut c) = self.contracts.write() {
            *c = contracts;
        }
    }

    /// Deploys fresh contracts from `owner` (a platform wallet) and uses them from now on.
    pub async fn deploy_contracts(
        &self,
        owner: Address,
        token_supply: U256,
    ) -> Result<ContractAddresses> {
        let contracts = deploy_contracts(self, owner, token_supply).await?;
        self.set_contracts(contracts);
        Ok(contracts)
    }

    /// Sets `address`'s ETH balance on a development node (`anvil_setBalance`, else hardhat's
    /// `hardhat_setBalance`). Refused by any other node.
    pub async fn dev_set_balance(&self, address: Address, wei: U256) -> Result<()> {
        let first: std::result::Result<serde_json::Value, _> = self
            .provider
            .raw_request("anvil_setBalance".into(), (address, wei))
            .await;
        if first.is_ok() {
            return Ok(());
        }
        let _: serde_json::Value = self
            .provider
            .raw_request("hardhat_setBalance".into(), (address, wei))
            .await
            .map_err(map_rpc_error)?;
        Ok(())
    }

    pub fn provider(&self) -> &RootProvider {
        &self.provider
    }

    fn request(&self, req: &CallRequest) -> TransactionRequest {
        let mut tx = TransactionRequest::default()
            .with_input(req.data.clone())
            .with_value(req.value);
        if let Some(from) = req.from {
            tx = tx.with_from(from);
        }
        match req.to {
            Some(to) => tx = tx.with_to(to),
            None => tx = tx.into_create(),
        }
        if let Some(gas) = req.gas {
            tx = tx.with_gas_limit(gas);
        }
        tx
    }
}

/// Reverts become [`ChainError::Reverted`] with the decoded reason; a node's refusal of a
/// transaction (nonce, funds, fees) becomes [`ChainError::Rejected`].
fn map_rpc_error(e: RpcError<TransportErrorKind>) -> ChainError {
    if let Some(payload) = e.as_error_resp() {
        if let Some(data) = payload.as_revert_data() {
            return ChainError::Reverted {
                reason: decode_revert(&data),
                data,
            };
        }
        if payload.message.contains("revert") {
            return ChainError::Reverted {
                reason: payload.message.to_string(),
                data: Bytes::new(),
            };
        }
        return ChainError::Rejected(payload.message.to_string());
    }
    ChainError::Rpc(e)
}

#[async_trait]
impl Chain for RpcChain {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn contracts(&self) -> ContractAddresses {
        self.contracts
            .read()
            .map(|c| *c)
            .unwrap_or(ContractAddresses {
                token: Address::ZERO,
                pull_payments: Address::ZERO,
            })
    }

    fn signers(&self) -> &PlatformSigners {
        &self.signers
    }

    fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    async fn block_number(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .map_err(map_rpc_error)
    }

    async fn latest_block_timestamp(&self) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(map_rpc_error)?;
        block
            .map(|b| b.header.timestamp)
            .ok_or_else(|| ChainError::Rejected("node has no latest block".into()))
    }

    async fn gas_price(&self) -> Result<u128> {
        self.provider.get_gas_price().await.map_err(map_rpc_error)
    }

    async fn balance(&self, address: Address) -> Result<U256> {
        self.provider
            .get_balance(address)
            .await
            .map_err(map_rpc_error)
    }

    async fn transaction_count(&self, address: Address) -> Result<u64> {
        self.provider
            .get_transaction_count(address)
            .pending()
            .await
            .map_err(map_rpc_error)
    }

    async fn code(&self, address: Address) -> Result<Bytes> {
        self.provider
            .get_code_at(address)
            .await
            .map_err(map_rpc_error)
    }

    async fn call(&self, req: &CallRequest) -> Result<Bytes> {
        self.provider
            .call(self.request(req))
            .await
            .map_err(map_rpc_error)
    }

    async fn estimate_gas(&self, req: &CallRequest) -> Result<u64> {
        self.provider
            .estimate_gas(self.request(req))
            .await
            .map_err(map_rpc_error)
    }

    async fn send_raw_transaction(&self, raw: Bytes) -> Result<B256> {
        let pending = self
            .provider
            .send_raw_transaction(&raw)
            .await
            .map_err(map_rpc_error)?;
        Ok(*pending.tx_hash())
    }

    async fn receipt(&self, hash: B256) -> Result<Option<TxReceipt>> {
        let Some(r) = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(map_rpc_error)?
        else {
            return Ok(None);
        };
        let Some(block_number) = r.block_number() else {
            return Ok(None);
        };
        let head = self.block_number().await?;
        if head + 1 < block_number + self.confirmations {
            return Ok(None);
        }
        let logs = r
            .inner
            .logs()
            .iter()
            .map(|l| ChainLog {
                address: l.address(),
                topics: l.topics().to_vec(),
                data: l.data().data.clone(),
                block_number: l.block_number.unwrap_or(block_number),
                block_hash: l.block_hash.unwrap_or_default(),
                tx_hash: l.transaction_hash.unwrap_or(hash),
                tx_index: l.transaction_index.unwrap_or_default(),
                log_index: l.log_index.unwrap_or_default(),
            })
            .collect();
        Ok(Some(TxReceipt {
            tx_hash: r.transaction_hash,
            block_number,
            block_hash: r.block_hash.unwrap_or_default(),
            transaction_index: r.transaction_index.unwrap_or_default(),
            from: r.from,
            to: r.to,
            contract_address: r.contract_address,
            gas_used: r.gas_used,
            cumulative_gas_used: r.cumulative_gas_used(),
            effective_gas_price: r.effective_gas_price,
            success: r.status(),
            logs,
        }))
    }

    async fn logs(&self, query: &LogQuery) -> Result<Vec<ChainLog>> {
        let mut filter = Filter::new()
            .from_block(query.from_block)
            .address(query.addresses.clone());
        filter = match query.to_block {
            Some(to) => filter.to_block(to),
            None => filter.to_block(BlockNumberOrTag::Latest),
        };
        if !query.topic0.is_empty() {
            filter = filter.event_signature(query.topic0.clone());
        }
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(map_rpc_error)?;
        Ok(logs
            .into_iter()
            .map(|l| ChainLog {
                address: l.address(),
                topics: l.topics().to_vec(),
                data: l.data().data.clone(),
                block_number: l.block_number.unwrap_or_default(),
                block_hash: l.block_hash.unwrap_or_default(),
                tx_hash: l.transaction_hash.unwrap_or_default(),
                tx_index: l.transaction_index.unwrap_or_default(),
                log_index: l.log_index.unwrap_or_default(),
            })
            .collect())
    }

    async fn advance_time(&self, secs: u64) -> Result<()> {
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await
            .map_err(map_rpc_error)?;
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(map_rpc_error)?;
        Ok(())
    }
}
