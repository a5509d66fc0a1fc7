//! The devnet's Ethereum JSON-RPC face: enough of the standard methods for MetaMask, web3.py,
//! ethers and alloy to read balances, send signed transactions and follow receipts and logs.
//! The server mounts [`RpcHandler::handle`] at `POST /api/v2/open-auth/rpc/{networkID}`.
//!
//! State is only kept for the latest block: a block parameter naming an older block reads the
//! latest state (receipts, blocks and logs of every block are kept).

use std::sync::Arc;

use alloy::consensus::transaction::Recovered;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::rpc::types::{BlockNumberOrTag, Filter, FilterBlockOption, TransactionRequest};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::devnet::{DevBlock, Devnet, GasMeter};
use crate::error::ChainError;
use crate::types::{CallRequest, ChainLog, LogQuery, TxReceipt};

const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const SERVER_ERROR: i64 = -32000;
/// EIP-1474's "limit exceeded": a batch, gas or rate limit of this endpoint was hit.
pub const LIMIT_EXCEEDED: i64 = -32005;
/// What geth answers for a reverted call/estimate, with the revert data in `data`.
const EXECUTION_REVERTED: i64 = 3;
/// A single `eth_getLogs` may not span more blocks than this.
const MAX_LOG_RANGE: u64 = 10_000;

struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    fn params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
}

impl From<ChainError> for RpcError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Reverted { reason, data } => RpcError {
                code: EXECUTION_REVERTED,
                message: format!("execution reverted: {reason}"),
                data: Some(json!(data)),
            },
            ChainError::Rejected(msg) => RpcError::new(SERVER_ERROR, msg),
            ChainError::InvalidInput(msg) => RpcError::params(msg),
            e @ ChainError::GasBudgetExhausted { .. } => {
                RpcError::new(LIMIT_EXCEEDED, format!("{e}; send fewer or cheaper calls"))
            }
            other => RpcError::new(SERVER_ERROR, other.to_string()),
        }
    }
}

type RpcResult = Result<Value, RpcError>;

/// What one request to the public endpoint may cost: the CPU of a request is bounded by its
/// number of calls and by the gas its EVM runs may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcLimits {
    /// Calls in one batch; a larger batch is refused whole.
    pub max_batch: usize,
    /// Gas of one `eth_call` / `eth_estimateGas` run, whatever the call asks for.
    pub gas_cap: u64,
    /// Gas of all the EVM runs of one request (batch) together.
    pub gas_budget: u64,
}

impl Default for RpcLimits {
    /// geth's precedent (`--rpc.batch-request-limit` 1000, `--rpc.gascap` 50M), tightened: a
    /// public endpoint on a shared server.
    fn default() -> Self {
        RpcLimits {
            max_batch: 100,
            gas_cap: 30_000_000,
            gas_budget: 50_000_000,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RpcHandler {
    devnet: Arc<Devnet>,
    limits: RpcLimits,
}

impl RpcHandler {
    pub fn new(devnet: Arc<Devnet>) -> Self {
        Self::with_limits(devnet, RpcLimits::default())
    }

    pub fn with_limits(devnet: Arc<Devnet>, limits: RpcLimits) -> Self {
        RpcHandler { devnet, limits }
    }

    pub fn limits(&self) -> RpcLimits {
        self.limits
    }

    /// Answers one JSON-RPC 2.0 request or a batch (array). Notifications (no `id`) get no
    /// entry in a batch answer; a lone notification answers `Value::Null` (send HTTP 204).
    pub fn handle(&self, request: Value) -> Value {
        let mut meter = GasMeter::new(self.limits.gas_cap, self.limits.gas_budget);
        match request {
            Value::Array(items) if items.is_empty() => {
                error_response(Value::Null, RpcError::new(INVALID_REQUEST, "empty batch"))
            }
            Value::Array(items) if items.len() > self.limits.max_batch => {
                batch_too_large(items.len(), self.limits.max_batch)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .filter_map(|item| self.handle_one(item, &mut meter))
                    .collect(),
            ),
            single => self.handle_one(single, &mut meter).unwrap_or(Value::Null),
        }
    }

    fn handle_one(&self, request: Value, meter: &mut GasMeter) -> Option<Value> {
        let Value::Object(obj) = request else {
            return Some(error_response(
                Value::Null,
                RpcError::new(INVALID_REQUEST, "request must be an object"),
            ));
        };
        let id = obj.get("id").cloned();
        let Some(method) = obj.get("method").and_then(Value::as_str) else {
            return Some(error_response(
                id.unwrap_or(Value::Null),
                RpcError::new(INVALID_REQUEST, "missing method"),
            ));
        };
        let params = match obj.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Some(error_response(
                    id.unwrap_or(Value::Null),
                    RpcError::params("params must be an array"),
                ));
            }
        };
        let result = self.dispatch(method, &params, meter);
        let id = id?;
        Some(match result {
            Ok(value) => json!({ "jsonrpc": "2.0", "id": id, "result": value }),
            Err(e) => error_response(id, e),
        })
    }

    fn dispatch(&self, method: &str, params: &[Value], meter: &mut GasMeter) -> RpcResult {
        let d = &self.devnet;
        match method {
            "eth_chainId" => Ok(quantity(d.chain_id_value())),
            "net_version" => Ok(json!(d.chain_id_value().to_string())),
            "net_listening" => Ok(json!(true)),
            "web3_clientVersion" => Ok(json!(concat!(
                "payplane-devnet/",
                env!("CARGO_PKG_VERSION")
            ))),
            "eth_syncing" | "eth_mining" => Ok(json!(false)),
            "eth_accounts" => Ok(json!([])),
            "eth_blockNumber" => Ok(quantity(d.head().number)),
            "eth_gasPrice" => Ok(quantity(d.suggested_gas_price())),
            "eth_maxPriorityFeePerGas" => {
                Ok(quantity(d.suggested_gas_price() - u128::from(d.base_fee())))
            }
            "eth_feeHistory" => self.fee_history(params),
            "eth_getBalance" => Ok(json!(d.balance_of(param::<Address>(params, 0)?))),
            "eth_getTransactionCount" => Ok(quantity(d.nonce_of(param::<Address>(params, 0)?))),
            "eth_getCode" => Ok(json!(d.code_of(param::<Address>(params, 0)?))),
            "eth_getStorageAt" => {
                let slot: U256 = param(params, 1)?;
                Ok(json!(B256::from(
                    d.storage_at(param::<Address>(params, 0)?, slot)
                )))
            }
            "eth_call" => Ok(json!(d.call_metered_sync(&call_request(params)?, meter)?)),
            "eth_estimateGas" => Ok(quantity(
                d.estimate_gas_metered_sync(&call_request(params)?, meter)?,
            )),
            "eth_sendRawTransaction" => Ok(json!(d.submit_raw(&param::<Bytes>(params, 0)?)?)),
            "eth_getTransactionReceipt" => Ok(d
                .transaction(param(params, 0)?)
                .map(|t| receipt_json(&t.receipt, t.envelope.tx_type() as u8))
                .unwrap_or(Value::Null)),
            "eth_getTransactionByHash" => Ok(d
                .transaction(param(params, 0)?)
                .map(|t| self.tx_json(&t))
                .unwrap_or(Value::Null)),
            "eth_getBlockByNumber" => {
                let tag: BlockNumberOrTag = param(params, 0)?;
                let full = optional_param::<bool>(params, 1)?.unwrap_or(false);
                Ok(self
                    .resolve(tag)
                    .and_then(|n| d.block(n))
                    .map(|b| self.block_json(&b, full))
                    .unwrap_or(Value::Null))
            }
            "eth_getBlockByHash" => {
                let full = optional_param::<bool>(params, 1)?.unwrap_or(false);
                Ok(d.block_by_hash(param(params, 0)?)
                    .map(|b| self.block_json(&b, full))
                    .unwrap_or(Value::Null))
            }
            "eth_getLogs" => self.get_logs(params),
            _ => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("the method {method} does not exist/is not available"),
            )),
        }
    }

    fn resolve(&self, tag: BlockNumberOrTag) -> Option<u64> {
        match tag {
            BlockNumberOrTag::Number(n) => Some(n),
            BlockNumberOrTag::Earliest => Some(0),
            _ => Some(self.devnet.head().number),
        }
    }

    fn fee_history(&self, params: &[Value]) -> RpcResult {
        let count: U256 = param(params, 0)?;
        let count = count.saturating_to::<u64>().clamp(1, 1024);
        let newest = self
            .resolve(param(params, 1)?)
            .unwrap_or(0)
            .min(self.devnet.head().number);
        let percentiles: Vec<f64> = optional_param(params, 2)?.unwrap_or_default();
        let oldest = newest.saturating_sub(count - 1);
        let blocks: Vec<DevBlock> = (oldest..=newest)
            .filter_map(|n| self.devnet.block(n))
            .collect();
        let tip = self.devnet.suggested_gas_price() - u128::from(self.devnet.base_fee());
        let base_fee = quantity(self.devnet.base_fee());
        Ok(json!({
            "oldestBlock": quantity(oldest),
            "baseFeePerGas": vec![base_fee; blocks.len() + 1],
            "gasUsedRatio": blocks.iter().map(|b| b.gas_used as f64 / b.gas_limit as f64).collect::<Vec<_>>(),
            "reward": blocks.iter().map(|_| vec![quantity(tip); percentiles.len()]).collect::<Vec<_>>(),
        }))
    }

    fn get_logs(&self, params: &[Value]) -> RpcResult {
        let filter: Filter = param(params, 0)?;
        let head = self.devnet.head().number;
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let block = self
                    .devnet
                    .block_by_hash(hash)
                    .ok_or_else(|| RpcError::params("unknown block hash"))?;
                (block.number, block.number)
            }
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => (
                from_block.and_then(|t| self.resolve(t)).unwrap_or(head),
                to_block.and_then(|t| self.resolve(t)).unwrap_or(head),
            ),
        };
        if to >= from && to - from > MAX_LOG_RANGE {
            return Err(RpcError::new(
                SERVER_ERROR,
                format!("block range over {MAX_LOG_RANGE}"),
            ));
        }
        let query = LogQuery {
            from_block: from,
            to_block: Some(to),
            addresses: filter.address.iter().copied().collect(),
            topic0: vec![],
        };
        let logs: Vec<Value> = self
            .devnet
            .logs_sync(&query)
            .into_iter()
            .filter(|l| filter.matches_topics(&l.topics))
            .map(|l| log_json(&l))
            .collect();
        Ok(Value::Array(logs))
    }

    fn tx_json(&self, t: &crate::devnet::DevTransaction) -> Value {
        let block = self.devnet.block(t.receipt.block_number);
        let tx = alloy::rpc::types::Transaction {
            inner: Recovered::new_unchecked(t.envelope.clone(), t.from),
            block_hash: Some(t.receipt.block_hash),
            block_number: Some(t.receipt.block_number),
            transaction_index: Some(t.receipt.transaction_index),
            effective_gas_price: Some(t.receipt.effective_gas_price),
            block_timestamp: block.map(|b| b.timestamp),
        };
        serde_json::to_value(tx).unwrap_or(Value::Null)
    }

    fn block_json(&self, b: &DevBlock, full: bool) -> Value {
        let transactions: Vec<Value> = if full {
            b.transactions
                .iter()
                .filter_map(|h| self.devnet.transaction(*h))
                .map(|t| self.tx_json(&t))
                .collect()
        } else {
            b.transactions.iter().map(|h| json!(h)).collect()
        };
        json!({
            "number": quantity(b.number),
            "hash": b.hash,
            "parentHash": b.parent_hash,
            "nonce": "0x0000000000000000",
            "sha3Uncles": alloy::consensus::EMPTY_OMMER_ROOT_HASH,
            "logsBloom": b.logs_bloom,
            "transactionsRoot": b.transactions_root,
            "stateRoot": b.state_root,
            "receiptsRoot": b.receipts_root,
            "miner": Address::ZERO,
            "difficulty": "0x0",
            "totalDifficulty": "0x0",
            "extraData": "0x",
            "size": quantity(1000 + 200 * b.transactions.len() as u64),
            "gasLimit": quantity(b.gas_limit),
            "gasUsed": quantity(b.gas_used),
            "timestamp": quantity(b.timestamp),
            "baseFeePerGas": quantity(b.base_fee),
            "mixHash": alloy::primitives::keccak256(b.number.to_be_bytes()),
            "transactions": transactions,
            "uncles": [],
        })
    }
}

impl Devnet {
    fn chain_id_value(&self) -> u64 {
        crate::chain::Chain::chain_id(self)
    }
}

/// JSON-RPC 2.0 has no per-call answer to a refused batch: one response object, id null (what
/// geth answers past `--rpc.batch-request-limit`, with the same code).
pub fn batch_too_large(len: usize, max: usize) -> Value {
    error_response(
        Value::Null,
        RpcError::new(
            INVALID_REQUEST,
            format!("batch too large: {len} calls, at most {max} per request"),
        ),
    )
}

/// The answer to a request refused by a limit outside the handler (a rate limit, say): in the
/// JSON-RPC error shape, with the request's id when it was a single call.
pub fn limit_exceeded(id: Value, message: impl Into<String>, data: Option<Value>) -> Value {
    error_response(
        id,
        RpcError {
            code: LIMIT_EXCEEDED,
            message: message.into(),
            data,
        },
    )
}

fn error_response(id: Value, e: RpcError) -> Value {
    let mut error = json!({ "code": e.code, "message": e.message });
    if let Some(data) = e.data {
        error["data"] = data;
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": error })
}

fn quantity(n: impl Into<u128>) -> Value {
    json!(format!("0x{:x}", n.into()))
}

fn param<T: DeserializeOwned>(params: &[Value], i: usize) -> Result<T, RpcError> {
    let v = params
        .get(i)
        .ok_or_else(|| RpcError::params(format!("missing parameter {i}")))?;
    serde_json::from_value(v.clone()).map_err(|e| RpcError::params(format!("parameter {i}: {e}")))
}

fn optional_param<T: DeserializeOwned>(params: &[Value], i: usize) -> Result<Option<T>, RpcError> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => param(params, i).map(Some),
    }
}

fn call_request(params: &[Value]) -> Result<CallRequest, RpcError> {
    let tx: TransactionRequest = param(params, 0)?;
    Ok(CallRequest {
        from: tx.from,
        to: match tx.to {
            Some(TxKind::Call(a)) => Some(a),
            _ => None,
        },
        data: tx.input.input().cloned().unwrap_or_default(),
        value: tx.value.unwrap_or_default(),
        gas: tx.gas,
    })
}

fn log_json(l: &ChainLog) -> Value {
    json!({
        "address": l.address,
        "topics": l.topics,
        "data": l.data,
        "blockNumber": quantity(l.block_number),
        "blockHash": l.block_hash,
        "transactionHash": l.tx_hash,
        "transactionIndex": quantity(l.tx_index),
        "logIndex": quantity(l.log_index),
        "removed": false,
    })
}

fn receipt_json(r: &TxReceipt, tx_type: u8) -> Value {
    let bloom = alloy::primitives::logs_bloom(
        r.logs
            .iter()
            .map(|l| {
                alloy::primitives::Log::new_unchecked(l.address, l.topics.clone(), l.data.clone())
            })
            .collect::<Vec<_>>()
            .iter(),
    );
    json!({
        "transactionHash": r.tx_hash,
        "transactionIndex": quantity(r.transaction_index),
        "blockHash": r.block_hash,
        "blockNumber": quantity(r.block_number),
        "from": r.from,
        "to": r.to,
        "contractAddress": r.contract_address,
        "cumulativeGasUsed": quantity(r.cumulative_gas_used),
        "gasUsed": quantity(r.gas_used),
        "effectiveGasPrice": quantity(r.effective_gas_price),
        "logs": r.logs.iter().map(log_json).collect::<Vec<_>>(),
        "logsBloom": bloom,
        "status": if r.success { "0x1" } else { "0x0" },
        "type": quantity(tx_type),
    })
}
