use alloy::primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

/// Where the platform's two contracts live on one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractAddresses {
    pub token: Address,
    pub pull_payments: Address,
}

/// A call or transaction before signing. `to: None` deploys `data` as creation code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    pub from: Option<Address>,
    pub to: Option<Address>,
    pub data: Bytes,
    pub value: U256,
    pub gas: Option<u64>,
}

impl CallRequest {
    pub fn call(to: Address, data: impl Into<Bytes>) -> Self {
        CallRequest {
            to: Some(to),
            data: data.into(),
            ..Default::default()
        }
    }

    pub fn from(mut self, from: Address) -> Self {
        self.from = Some(from);
        self
    }

    pub fn value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLog {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    pub tx_index: u64,
    pub log_index: u64,
}

/// The receipt of a mined transaction, as the server stores it with a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxReceipt {
    pub tx_hash: B256,
    pub block_number: u64,
    pub block_hash: B256,
    pub transaction_index: u64,
    pub from: Address,
    pub to: Option<Address>,
    pub contract_address: Option<Address>,
    pub gas_used: u64,
    pub cumulative_gas_used: u64,
    pub effective_gas_price: u128,
    pub success: bool,
    pub logs: Vec<ChainLog>,
}

/// Logs between two blocks (inclusive), of some addresses, optionally with given first topics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub from_block: u64,
    pub to_block: Option<u64>,
    pub addresses: Vec<Address>,
    pub topic0: Vec<B256>,
}

impl LogQuery {
    pub fn matches(&self, log: &ChainLog) -> bool {
        log.block_number >= self.from_block
            && self.to_block.is_none_or(|to| log.block_number <= to)
            && (self.addresses.is_empty() || self.addresses.contains(&log.address))
            && (self.topic0.is_empty()
                || log.topics.first().is_some_and(|t| self.topic0.contains(t)))
    }
}

/// On-chain state of one registered pull payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub customer: Address,
    pub treasury: Address,
    pub start_time: u64,
    pub trial_period: u64,
    pub frequency: u64,
    pub expiry: u64,
    pub max_pulls: u32,
    pub pulls: u32,
    pub cancelled: bool,
    pub token_cap: U256,
    pub pulled: U256,
}
