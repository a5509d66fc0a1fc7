//! Platform wallets that send transactions: keys, per-sender nonces, gas policy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, TxKind};
use alloy::signers::local::PrivateKeySigner;

use crate::error::{ChainError, Result};
use crate::types::CallRequest;
use crate::wallet::HdWallet;

/// How the platform prices and bounds its transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasPolicy {
    /// Gas limit = estimate + this percentage, so a state change between estimate and inclusion
    /// (another pull, a storage slot warmed) does not make the transaction run out of gas.
    pub limit_margin_pct: u64,
    /// Refuse to send anything that would need more gas than this.
    pub max_gas_limit: u64,
    /// maxFeePerGas = node's gas price × this, so the transaction survives base-fee rises.
    pub max_fee_multiplier: u128,
    /// maxPriorityFeePerGas, capped at maxFeePerGas.
    pub priority_fee: u128,
    /// Refuse to send when maxFeePerGas would exceed this (fee spike protection).
    pub max_fee_cap: Option<u128>,
}

impl Default for GasPolicy {
    fn default() -> Self {
        GasPolicy {
            limit_margin_pct: 25,
            max_gas_limit: 10_000_000,
            max_fee_multiplier: 2,
            priority_fee: 1_000_000_000,
            max_fee_cap: None,
        }
    }
}

impl GasPolicy {
    pub fn gas_limit(&self, estimate: u64) -> Result<u64> {
        let limit = estimate.saturating_add(estimate.saturating_mul(self.limit_margin_pct) / 100);
        if estimate > self.max_gas_limit {
            return Err(ChainError::Rejected(format!(
                "needs {estimate} gas, over the policy limit {}",
                self.max_gas_limit
            )));
        }
        Ok(limit.min(self.max_gas_limit))
    }

    /// (maxFeePerGas, maxPriorityFeePerGas) for a node gas price.
    pub fn fees(&self, gas_price: u128) -> Result<(u128, u128)> {
        let max_fee = gas_price
            .saturating_mul(self.max_fee_multiplier)
            .max(self.priority_fee);
        if let Some(cap) = self.max_fee_cap
            && max_fee > cap
        {
            return Err(ChainError::Rejected(format!(
                "gas price {gas_price} over the policy cap {cap}"
            )));
        }
        Ok((max_fee, self.priority_fee.min(max_fee)))
    }
}

type NonceSlot = Arc<tokio::sync::Mutex<Option<u64>>>;

/// The keys the platform sends from, with a nonce cache per sender. Sends from one sender are
/// serialised (the per-sender lock is held from nonce choice to node acceptance), so concurrent
/// pulls from one executor never reuse a nonce; different senders proceed in parallel.
#[derive(Debug, Default)]
pub struct PlatformSigners {
    keys: RwLock<HashMap<Address, PrivateKeySigner>>,
    nonces: Mutex<HashMap<Address, NonceSlot>>,
    gas: GasPolicy,
}

impl PlatformSigners {
    pub fn new(signers: impl IntoIterator<Item = PrivateKeySigner>, gas: GasPolicy) -> Self {
        let keys = signers.into_iter().map(|s| (s.address(), s)).collect();
        PlatformSigners {
            keys: RwLock::new(keys),
            nonces: Mutex::default(),
            gas,
        }
    }

    /// The executor (index 0) and the given gas-wallet indices of an HD wallet.
    pub fn from_wallet(
        wallet: &HdWallet,
        indices: impl IntoIterator<Item = u32>,
        gas: GasPolicy,
    ) -> Result<Self> {
        let mut signers = vec![wallet.executor()?];
        for i in indices {
            signers.push(wallet.signer(i)?);
        }
        Ok(Self::new(signers, gas))
    }

    /// Adds a key (a business's new gas wallet) at run time.
    pub fn add(&self, signer: PrivateKeySigner) {
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(signer.address(), signer);
        }
    }

    pub fn addresses(&self) -> Vec<Address> {
        self.keys
            .read()
            .map(|k| k.keys().copied().collect())
            .unwrap_or_default()
    }

    pub fn get(&self, address: Address) -> Option<PrivateKeySigner> {
        self.keys.read().ok().and_then(|k| k.get(&address).cloned())
    }

    pub fn gas_policy(&self) -> &GasPolicy {
        &self.gas
    }

    pub(crate) fn nonce_slot(&self, address: Address) -> NonceSlot {
        match self.nonces.lock() {
            Ok(mut map) => map.entry(address).or_default().clone(),
            // A poisoned map only means another sender panicked; a fresh slot forces a resync.
            Err(_) => NonceSlot::default(),
        }
    }
}

/// Signs an EIP-1559 transaction and returns its EIP-2718 encoding (what `eth_sendRawTransaction` takes).
#[allow(clippy::too_many_arguments)]
pub fn sign_eip1559(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    req: &CallRequest,
    gas_limit: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
) -> Result<Bytes> {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas,
        max_priority_fee_per_gas,
        to: req.to.map(TxKind::Call).unwrap_or(TxKind::Create),
        value: req.value,
        access_list: Default::default(),
        input: req.data.clone(),
    };
    let sig = signer.sign_transaction_sync(&mut tx)?;
    Ok(Bytes::from(
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718(),
    ))
}
