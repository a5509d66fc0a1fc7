//! Chain layer of payplane.
//!
//! - [`Chain`]: what the platform needs from an Ethereum network (send signed transactions from
//!   platform wallets, receipts, read calls, logs) plus typed helpers for the PMA token and the
//!   pull-payment contract.
//! - [`devnet::Devnet`]: an in-process revm network, durable across restarts (see `docs/chain.md`).
//! - [`rpc::RpcChain`]: any Ethereum JSON-RPC node through alloy.
//! - [`jsonrpc::RpcHandler`]: the devnet's JSON-RPC face, for wallets and web3 libraries.
//! - [`wallet`], [`consent`], [`faucet`]: HD wallets, EIP-712 consent, the test-network faucet.
#![forbid(unsafe_code)]

pub mod chain;
pub mod clock;
pub mod consent;
pub mod contracts;
pub mod devnet;
pub mod error;
pub mod estimate;
pub mod faucet;
pub mod jsonrpc;
pub mod rpc;
pub mod sender;
pub mod types;
pub mod wallet;

pub use alloy::primitives::{Address, B256, Bytes, U256};
pub use chain::Chain;
pub use clock::{Clock, ManualClock, SystemClock};
pub use consent::{PullPaymentTerms, SignedConsent, SignedPermit};
pub use devnet::{Devnet, DevnetConfig, DevnetStart, SnapshotPolicy};
pub use error::{ChainError, Result};
pub use faucet::{Faucet, FaucetConfig, FaucetGrant};
pub use jsonrpc::{RpcHandler, RpcLimits};
pub use rpc::{RpcChain, RpcConfig};

pub use sender::{GasPolicy, PlatformSigners};
pub use types::{CallRequest, ChainLog, ContractAddresses, LogQuery, PaymentState, TxReceipt};
pub use wallet::{HdWallet, checksummed, generate_mnemonic, parse_address};

/// 1 PMA in token units (18 decimals).
pub const PMA: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
/// 1 ETH in wei.
pub const ETHER: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
