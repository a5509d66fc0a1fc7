//! What the platform needs from an Ethereum network, implemented by the embedded devnet and by
//! any JSON-RPC node.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol_types::{SolCall, SolEvent};
use async_trait::async_trait;

use crate::consent::{PullPaymentTerms, SignedConsent, SignedPermit};
use crate::contracts::{PMAToken, PullPayments};
use crate::error::{ChainError, Result};
use crate::sender::{PlatformSigners, sign_eip1559};
use crate::types::{CallRequest, ChainLog, ContractAddresses, LogQuery, PaymentState, TxReceipt};

/// How long [`Chain::transact`] waits for a receipt to become final.
pub const DEFAULT_RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Sends of one transaction when the node says its nonce was already used.
const NONCE_ATTEMPTS: u32 = 5;

/// The node refused a transaction because another one from the same wallet took its nonce
/// (mined: "nonce too low"; waiting in the pool: "replacement transaction underpriced").
fn nonce_taken(e: &ChainError) -> bool {
    match e {
        ChainError::Rejected(m) => {
            let m = m.to_ascii_lowercase();
            m.contains("nonce too low") || m.contains("replacement transaction underpriced")
        }
        _ => false,
    }
}

/// Gas limit of a pull (`execute`), sent without an estimate: the contract's work is bounded
/// (the payment's slots, one `transferFrom`, an event); a first pull stays under half of it
/// (`tests/devnet.rs`), which leaves room for a costlier token.
pub const EXECUTE_GAS_LIMIT: u64 = 250_000;

/// Resolves once an accepted transaction is durable on the network (see
/// [`Chain::submit_raw_transaction`]).
pub type Durable = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

#[async_trait]
pub trait Chain: Send + Sync {
    fn chain_id(&self) -> u64;
    fn contracts(&self) -> ContractAddresses;
    /// The platform wallets this chain can send from.
    fn signers(&self) -> &PlatformSigners;
    /// Pause between receipt polls.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(100)
    }

    async fn block_number(&self) -> Result<u64>;
    /// Timestamp of the latest block (schedules compare against chain time, not the server's).
    async fn latest_block_timestamp(&self) -> Result<u64>;
    async fn gas_price(&self) -> Result<u128>;
    async fn balance(&self, address: Address) -> Result<U256>;
    /// Next nonce of `address`, counting transactions the node holds pending.
    async fn transaction_count(&self, address: Address) -> Result<u64>;
    async fn code(&self, address: Address) -> Result<Bytes>;
    /// A read call against the latest state; a revert is [`ChainError::Reverted`] with its reason.
    async fn call(&self, req: &CallRequest) -> Result<Bytes>;
    async fn estimate_gas(&self, req: &CallRequest) -> Result<u64>;
    async fn send_raw_transaction(&self, raw: Bytes) -> Result<B256>;
    /// Hands `raw` to the network and returns as soon as it is accepted in order (its nonce is
    /// taken), with what resolves once it is durable. A network that only answers once a
    /// transaction is durable (any JSON-RPC node) has nothing left to wait for; the embedded
    /// devnet answers before its block's `fsync`, so one sender's next transaction can join the
    /// same block.
    async fn submit_raw_transaction(&self, raw: Bytes) -> Result<(B256, Durable)> {
        let hash = self.send_raw_transaction(raw).await?;
        Ok((hash, Box::pin(async { Ok(()) })))
    }
    /// [`Self::submit_raw_transaction`] of a transaction this process has just signed as
    /// `from`. A network in this process may take `from` as given instead of recovering it
    /// from the signature: the embedded devnet does, since recovering a signer was a fifth of
    /// the CPU of an executor's pull (BENCH.md, issue 14). Any other sends it as it is.
    async fn submit_signed_transaction(
        &self,
        raw: Bytes,
        from: Address,
    ) -> Result<(B256, Durable)> {
        let _ = from;
        self.submit_raw_transaction(raw).await
    }
    /// The receipt once it is final (the backend's confirmation depth), `None` before.
    async fn receipt(&self, hash: B256) -> Result<Option<TxReceipt>>;
    async fn logs(&self, query: &LogQuery) -> Result<Vec<ChainLog>>;
    /// Moves the network's block time `secs` seconds ahead (the test clock). The embedded devnet
    /// takes its block time from the caller's clock, so there this does nothing (move that clock
    /// instead); a node gets `evm_increaseTime` then `evm_mine` (anvil, hardhat), so the next
    /// block carries the moved time.
    async fn advance_time(&self, secs: u64) -> Result<()>;

    /// Signs `req` with the platform wallet `from` and sends it; the hash once the network
    /// holds it durably. See [`Self::submit_transaction`].
    async fn send_transaction(&self, from: Address, req: CallRequest) -> Result<B256> {
        let (hash, durable) = self.submit_transaction(from, req).await?;
        durable.await.map(|()| hash)
    }

    /// Signs `req` with the platform wallet `from` and hands it to the network: its hash as soon
    /// as the network accepted it in order, with what resolves once it is durable. The gas limit
    /// is `req.gas` or an estimate (so a refused transaction fails here, with the contract's
    /// reason, and costs nothing) plus the policy's margin; fees from the node's gas price and
    /// the policy. The sender's nonce lock is held only from choosing the nonce to the network's
    /// acceptance, so one sender's transactions can share a block, and several can be in flight.
    async fn submit_transaction(&self, from: Address, req: CallRequest) -> Result<(B256, Durable)> {
        let signer = self
            .signers()
            .get(from)
            .ok_or(ChainError::UnknownSender(from))?;
        let policy = *self.signers().gas_policy();
        let req = CallRequest {
            from: Some(from),
            ..req
        };
        let gas_limit = match req.gas {
            Some(g) => g,
            None => policy.gas_limit(self.estimate_gas(&req).await?)?,
        };
        let (max_fee, priority_fee) = policy.fees(self.gas_price().await?)?;
        let slot = self.signers().nonce_slot(from);
        let mut cached = slot.lock().await;
        let mut attempt = 1;
        let (hash, durable) = loop {
            let nonce = match *cached {
                Some(n) => n,
                None => self.transaction_count(from).await?,
            };
            let raw = sign_eip1559(
                &signer,
                self.chain_id(),
                nonce,
                &req,
                gas_limit,
                max_fee,
                priority_fee,
            )?;
            match self.submit_signed_transaction(raw, from).await {
                Ok((hash, durable)) => {
                    *cached = Some(nonce + 1);
                    tracing::debug!(%from, nonce, %hash, "transaction sent");
                    break (hash, durable);
                }
                Err(e) => {
                    // The node may or may not hold it (a timeout after acceptance): re-read next time.
                    *cached = None;
                    if attempt < NONCE_ATTEMPTS && nonce_taken(&e) {
                        // Another process sends from this wallet too (several workers and API
                        // processes share the executor) and used the nonce first. The node
                        // refused this transaction, so sending it again with the next nonce
                        // cannot make it twice.
                        attempt += 1;
                        tracing::debug!(%from, nonce, attempt, "nonce taken by another sender; retrying");
                        continue;
                    }
                    return Err(e);
                }
            }
        };
        drop(cached);
        Ok((
            hash,
            Box::pin(async move {
                let r = durable.await;
                if r.is_err() {
                    // A block that could not be written: the network dropped this transaction
                    // and those after it, so re-read the nonce next time.
                    *slot.lock().await = None;
                }
                r
            }),
        ))
    }

    async fn wait_for_receipt(&self, hash: B256, timeout: Duration) -> Result<TxReceipt> {
        let started = Instant::now();
        loop {
            if let Some(receipt) = self.receipt(hash).await? {
                return Ok(receipt);
            }
            if started.elapsed() >= timeout {
                return Err(ChainError::Timeout(hash, timeout));
            }
            tokio::time::sleep(self.poll_interval()).await;
        }
    }

    /// Send, wait until final, and turn a failed receipt into [`ChainError::FailedOnChain`].
    async fn transact(&self, from: Address, req: CallRequest) -> Result<TxReceipt> {
        let (hash, durable) = self.submit_transaction(from, req).await?;
        self.settle(hash, durable).await
    }

    /// Waits for a transaction handed to the network ([`Self::submit_transaction`]): durable,
    /// then final; a failed receipt is [`ChainError::FailedOnChain`].
    async fn settle(&self, hash: B256, durable: Durable) -> Result<TxReceipt> {
        durable.await?;
        let receipt = self.wait_for_receipt(hash, DEFAULT_RECEIPT_TIMEOUT).await?;
        if receipt.success {
            Ok(receipt)
        } else {
            Err(ChainError::FailedOnChain(Box::new(receipt)))
        }
    }

    /// Logs of the token and pull-payment contracts.
    async fn contract_logs(&self, from_block: u64, to_block: Option<u64>) -> Result<Vec<ChainLog>> {
        let c = self.contracts();
        self.logs(&LogQuery {
            from_block,
            to_block,
            addresses: vec![c.token, c.pull_payments],
            topic0: vec![],
        })
        .await
    }

    async fn token_balance(&self, owner: Address) -> Result<U256> {
        let out = self
            .call(&CallRequest::call(
                self.contracts().token,
                PMAToken::balanceOfCall { account: owner }.abi_encode(),
            ))
            .await?;
        Ok(PMAToken::balanceOfCall::abi_decode_returns(&out)?)
    }

    /// What the pull-payment contract may still move from `owner`.
    async fn token_allowance(&self, owner: Address) -> Result<U256> {
        let c = self.contracts();
        let data = PMAToken::allowanceCall {
            owner,
            spender: c.pull_payments,
        }
        .abi_encode();
        let out = self.call(&CallRequest::call(c.token, data)).await?;
        Ok(PMAToken::allowanceCall::abi_decode_returns(&out)?)
    }

    /// The EIP-2612 nonce the customer's next permit must carry.
    async fn permit_nonce(&self, owner: Address) -> Result<U256> {
        let out = self
            .call(&CallRequest::call(
                self.contracts().token,
                PMAToken::noncesCall { owner }.abi_encode(),
            ))
            .await?;
        Ok(PMAToken::noncesCall::abi_decode_returns(&out)?)
    }

    /// The digest the contract verifies, computed on chain (to cross-check a wallet's signature).
    async fn consent_digest_on_chain(&self, terms: &PullPaymentTerms) -> Result<B256> {
        let data = PullPayments::termsDigestCall {
            t: terms.to_contract_terms(),
        }
        .abi_encode();
        let out = self
            .call(&CallRequest::call(self.contracts().pull_payments, data))
            .await?;
        Ok(PullPayments::termsDigestCall::abi_decode_returns(&out)?)
    }

    async fn payment_state(&self, payment_id: B256) -> Result<PaymentState> {
        let data = PullPayments::paymentCall {
            paymentId: payment_id,
        }
        .abi_encode();
        let out = self
            .call(&CallRequest::call(self.contracts().pull_payments, data))
            .await?;
        let p = PullPayments::paymentCall::abi_decode_returns(&out)?;
        Ok(PaymentState {
            customer: p.customer,
            treasury: p.treasury,
            start_time: p.startTime,
            trial_period: p.trialPeriod,
            frequency: p.frequency,
            expiry: p.expiry,
            max_pulls: p.maxPulls,
            pulls: p.pulls,
            cancelled: p.cancelled,
            token_cap: p.tokenCap,
            pulled: p.pulled,
        })
    }

    /// The receipt of the transaction that emitted `event` for `payment_id`, if any: how a
    /// transaction whose answer was lost (a crash after sending) is found again.
    async fn find_payment_tx(
        &self,
        event: PaymentEvent,
        payment_id: B256,
    ) -> Result<Option<TxReceipt>> {
        let topic0 = match event {
            PaymentEvent::Registered => PullPayments::Registered::SIGNATURE_HASH,
            PaymentEvent::Executed(_) => PullPayments::Executed::SIGNATURE_HASH,
            PaymentEvent::Cancelled => PullPayments::Cancelled::SIGNATURE_HASH,
        };
        let logs = self
            .logs(&LogQuery {
                from_block: 0,
                to_block: None,
                addresses: vec![self.contracts().pull_payments],
                topic0: vec![topic0],
            })
            .await?;
        for log in logs {
            if log.topics.get(1) != Some(&payment_id) {
                continue;
            }
            if let PaymentEvent::Executed(k) = event {
                let Ok(e) =
                    PullPayments::Executed::decode_raw_log(log.topics.iter().copied(), &log.data)
                else {
                    continue;
                };
                if e.pullIndex != U256::from(k) {
                    continue;
                }
            }
            return self.receipt(log.tx_hash).await;
        }
        Ok(None)
    }

    /// Registers the customer's signed consent; with a permit, the allowance is set in the same
    /// transaction.
    async fn register_pull_payment(
        &self,
        from: Address,
        consent: &SignedConsent,
        permit: Option<&SignedPermit>,
    ) -> Result<TxReceipt> {
        let t = consent.terms.to_contract_terms();
        let data = match permit {
            None => PullPayments::registerCall {
                t,
                signature: consent.signature.clone(),
            }
            .abi_encode(),
            Some(p) => PullPayments::registerWithPermitCall {
                t,
                signature: consent.signature.clone(),
                permitValue: p.value,
                permitDeadline: p.deadline,
                v: p.v,
                r: p.r,
                s: p.s,
            }
            .abi_encode(),
        };
        self.transact(
            from,
            CallRequest::call(self.contracts().pull_payments, data),
        )
        .await
    }

    /// One pull of `amount` token units, by an executor: [`Self::submit_pull`], then
    /// [`Self::settle`].
    async fn execute_pull(
        &self,
        from: Address,
        payment_id: B256,
        amount: U256,
    ) -> Result<TxReceipt> {
        let (hash, durable) = self.submit_pull(from, payment_id, amount).await?;
        self.settle(hash, durable).await
    }

    /// Hands one pull of `amount` token units to the network without waiting for its block. A
    /// read call first, so a pull the contract refuses fails here with its reason
    /// ([`ChainError::Reverted`]) and costs nothing; then the transaction, with the fixed
    /// [`EXECUTE_GAS_LIMIT`] instead of an estimate search (3–5 more EVM runs).
    async fn submit_pull(
        &self,
        from: Address,
        payment_id: B256,
        amount: U256,
    ) -> Result<(B256, Durable)> {
        let data = PullPayments::executeCall {
            paymentId: payment_id,
            tokenAmount: amount,
        }
        .abi_encode();
        let req = CallRequest::call(self.contracts().pull_payments, data).from(from);
        self.call(&req).await?;
        self.submit_transaction(
            from,
            CallRequest {
                gas: Some(EXECUTE_GAS_LIMIT),
                ..req
            },
        )
        .await
    }

    /// Cancel as the treasury, an executor or the customer (whoever `from` is).
    async fn cancel_pull_payment(&self, from: Address, payment_id: B256) -> Result<TxReceipt> {
        let data = PullPayments::cancelCall {
            paymentId: payment_id,
        }
        .abi_encode();
        self.transact(
            from,
            CallRequest::call(self.contracts().pull_payments, data),
        )
        .await
    }

    /// Relay the customer's signed cancellation (see [`crate::consent::sign_cancel`]).
    async fn cancel_with_signature(
        &self,
        from: Address,
        payment_id: B256,
        signature: Bytes,
    ) -> Result<TxReceipt> {
        let data = PullPayments::cancelWithSignatureCall {
            paymentId: payment_id,
            signature,
        }
        .abi_encode();
        self.transact(
            from,
            CallRequest::call(self.contracts().pull_payments, data),
        )
        .await
    }

    async fn erc20_transfer(&self, from: Address, to: Address, amount: U256) -> Result<TxReceipt> {
        let data = PMAToken::transferCall { to, value: amount }.abi_encode();
        self.transact(from, CallRequest::call(self.contracts().token, data))
            .await
    }

    /// Mints PMA; only the token's owner (the executor on the devnet) may.
    async fn mint_tokens(&self, from: Address, to: Address, amount: U256) -> Result<TxReceipt> {
        let data = PMAToken::mintCall { to, amount }.abi_encode();
        self.transact(from, CallRequest::call(self.contracts().token, data))
            .await
    }

    async fn transfer_eth(&self, from: Address, to: Address, amount: U256) -> Result<TxReceipt> {
        self.transact(
            from,
            CallRequest {
                to: Some(to),
                value: amount,
                ..Default::default()
            },
        )
        .await
    }
}

/// An event of one pull payment, to find the transaction that emitted it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    Registered,
    /// The pull with this index.
    Executed(u64),
    Cancelled,
}

/// Events of the pull-payment contract found in a receipt.
pub fn executed_events(receipt: &TxReceipt) -> Vec<PullPayments::Executed> {
    receipt
        .logs
        .iter()
        .filter_map(|l| {
            PullPayments::Executed::decode_raw_log(l.topics.iter().copied(), &l.data).ok()
        })
        .collect()
}

/// Deploys the token (whole supply to `owner`) and the pull-payment contract from `owner`, and
/// makes `owner` an executor. Used for the devnet genesis' equivalent on a fresh node (anvil).
pub async fn deploy_contracts<C: Chain + ?Sized>(
    chain: &C,
    owner: Address,
    token_supply: U256,
) -> Result<ContractAddresses> {
    let token_code = crate::contracts::pma_token_creation_code()?;
    let mut data = token_code.to_vec();
    data.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&(
        owner,
        token_supply,
    )));
    let token = chain
        .transact(
            owner,
            CallRequest {
                data: data.into(),
                ..Default::default()
            },
        )
        .await?
        .contract_address
        .ok_or_else(|| ChainError::Evm("token deployment created no contract".into()))?;
    let mut data = crate::contracts::pull_payments_creation_code()?.to_vec();
    data.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&(token, owner)));
    let pull_payments = chain
        .transact(
            owner,
            CallRequest {
                data: data.into(),
                ..Default::default()
            },
        )
        .await?
        .contract_address
        .ok_or_else(|| ChainError::Evm("pull-payment deployment created no contract".into()))?;
    let set = PullPayments::setExecutorCall {
        executor: owner,
        allowed: true,
    }
    .abi_encode();
    chain
        .transact(owner, CallRequest::call(pull_payments, set))
        .await?;
    Ok(ContractAddresses {
        token,
        pull_payments,
    })
}
