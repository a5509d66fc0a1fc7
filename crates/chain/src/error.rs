use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes};

use crate::types::TxReceipt;

pub type Result<T, E = ChainError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("invalid address {input:?}: {reason}")]
    InvalidAddress { input: String, reason: &'static str },

    #[error("invalid mnemonic or derivation: {0}")]
    Wallet(#[from] alloy::signers::local::LocalSignerError),

    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),

    #[error("{0} is not a platform wallet of this chain")]
    UnknownSender(Address),

    /// The EVM refused the call; `reason` is the decoded custom error or revert string.
    #[error("execution reverted: {reason}")]
    Reverted { reason: String, data: Bytes },

    /// Mined, but failed: the receipt is real (hash, block, gas used) and kept for the caller.
    #[error("transaction {} failed on chain", .0.tx_hash)]
    FailedOnChain(Box<TxReceipt>),

    /// The node (or the devnet) refused the transaction before execution: nonce, funds, fees.
    #[error("transaction rejected: {0}")]
    Rejected(String),

    #[error("transaction {0} not final within {1:?}")]
    Timeout(B256, Duration),

    #[error("rpc: {0}")]
    Rpc(#[from] alloy::transports::TransportError),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("devnet log {path} is corrupt at line {line}: {reason}")]
    CorruptLog {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    #[error("devnet log {path} was written for another configuration: {reason}")]
    LogMismatch { path: PathBuf, reason: String },

    #[error("devnet replay diverged at block {block}: {reason}")]
    ReplayDiverged { block: u64, reason: String },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("faucet: {address} must wait {retry_after_secs} s")]
    RateLimited {
        address: Address,
        retry_after_secs: u64,
    },

    #[error("evm: {0}")]
    Evm(String),

    /// The calls of one public JSON-RPC request used up the gas it is allowed in total.
    #[error("the request's gas budget of {budget} is used up")]
    GasBudgetExhausted { budget: u64 },

    #[error("abi: {0}")]
    Abi(#[from] alloy::sol_types::Error),
}

impl ChainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ChainError::Io {
            path: path.into(),
            source,
        }
    }

    /// The decoded revert reason, when the EVM refused the call.
    pub fn revert_reason(&self) -> Option<&str> {
        match self {
            ChainError::Reverted { reason, .. } => Some(reason),
            _ => None,
        }
    }
}
