//! Test-network faucet: test ETH (for gas) and PMA to any address, at most once per interval
//! per address.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::chain::Chain;
use crate::clock::Clock;
use crate::error::{ChainError, Result};
use crate::{ETHER, PMA};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaucetConfig {
    pub eth_amount: U256,
    pub pma_amount: U256,
    pub interval_secs: u64,
    /// Mint the PMA (the sender owns the token, as on the devnet) or transfer it from the
    /// sender's balance.
    pub mint: bool,
}

impl Default for FaucetConfig {
    fn default() -> Self {
        FaucetConfig {
            eth_amount: ETHER,
            pma_amount: PMA * U256::from(1_000),
            interval_secs: 24 * 3600,
            mint: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaucetGrant {
    pub to: Address,
    pub eth: U256,
    pub pma: U256,
    pub eth_tx: Option<B256>,
    pub pma_tx: Option<B256>,
}

/// The limiter is in memory: a restart forgets who was served, which is harmless on a test network.
pub struct Faucet {
    config: FaucetConfig,
    from: Address,
    clock: Arc<dyn Clock>,
    last_grant: Mutex<HashMap<Address, u64>>,
}

impl Faucet {
    /// `from` is the platform wallet that pays (on the devnet the executor, which owns the token).
    pub fn new(config: FaucetConfig, from: Address, clock: Arc<dyn Clock>) -> Self {
        Faucet {
            config,
            from,
            clock,
            last_grant: Mutex::default(),
        }
    }

    /// Sends test ETH and PMA to `to`, or [`ChainError::RateLimited`] if it was served within
    /// the interval.
    pub async fn drip(&self, chain: &dyn Chain, to: Address) -> Result<FaucetGrant> {
        let now = self.clock.now_unix();
        let previous = self.reserve(to, now)?;
        match self.send(chain, to).await {
            Ok(grant) => Ok(grant),
            Err(e) => {
                // Nothing (or not everything) was given: let the address try again.
                if let Ok(mut map) = self.last_grant.lock() {
                    match previous {
                        Some(t) => map.insert(to, t),
                        None => map.remove(&to),
                    };
                }
                Err(e)
            }
        }
    }

    fn reserve(&self, to: Address, now: u64) -> Result<Option<u64>> {
        let mut map = self
            .last_grant
            .lock()
            .map_err(|_| ChainError::Evm("faucet limiter poisoned".into()))?;
        let previous = map.get(&to).copied();
        if let Some(last) = previous {
            let next = last.saturating_add(self.config.interval_secs);
            if now < next {
                return Err(ChainError::RateLimited {
                    address: to,
                    retry_after_secs: next - now,
                });
            }
        }
        map.insert(to, now);
        Ok(previous)
    }

    async fn send(&self, chain: &dyn Chain, to: Address) -> Result<FaucetGrant> {
        let eth_tx = if self.config.eth_amount.is_zero() {
            None
        } else {
            Some(
                chain
                    .transfer_eth(self.from, to, self.config.eth_amount)
                    .await?
                    .tx_hash,
            )
        };
        let pma_tx = if self.config.pma_amount.is_zero() {
            None
        } else if self.config.mint {
            Some(
                chain
                    .mint_tokens(self.from, to, self.config.pma_amount)
                    .await?
                    .tx_hash,
            )
        } else {
            Some(
                chain
                    .erc20_transfer(self.from, to, self.config.pma_amount)
                    .await?
                    .tx_hash,
            )
        };
        Ok(FaucetGrant {
            to,
            eth: self.config.eth_amount,
            pma: self.config.pma_amount,
            eth_tx,
            pma_tx,
        })
    }
}
