//! Ethereum networks by `networkID` (`[chain]`).
use super::Secret;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// Where embedded networks keep their journal (empty: in memory, lost at exit).
    pub data_dir: String,
    /// `networkID` → backend. By default 3 is the embedded network and 1 is not configured.
    pub networks: std::collections::BTreeMap<String, NetworkConfig>,
    /// Price of 1 ETH per fiat currency, for gas estimates in fiat (`estimatedGasResultFial`).
    pub eth_prices: std::collections::BTreeMap<String, Decimal>,
    /// Calls in one public JSON-RPC batch; a larger batch is refused whole.
    pub rpc_max_batch: usize,
    /// Gas one `eth_call` / `eth_estimateGas` run may use on the public JSON-RPC (the embedded
    /// network's own per-transaction cap, 2^24, applies as well).
    pub rpc_gas_cap: u64,
    /// Gas all the calls of one public JSON-RPC request (a batch, or one `eth_estimateGas` and
    /// its search) may use together; calls past it get a `-32005` error.
    pub rpc_gas_budget: u64,
    /// Public JSON-RPC calls each client IP may make per minute (0: no limit); each call of a
    /// batch counts.
    pub rpc_rate_per_minute: u32,
    /// Calls a client may make at once before the per-minute rate applies.
    pub rpc_rate_burst: u32,
    /// Clients in use at once (their allowance not yet refilled); while a sweep finds this many,
    /// every call is refused until they drop below.
    pub rpc_rate_max_clients: usize,
    /// Embedded networks append a snapshot frame (what changed since the last one) after this
    /// many transactions (0: never on a count). A start after a crash replays at most this many
    /// journal lines.
    pub devnet_snapshot_every_txs: u64,
    /// ... or with the first transaction this many seconds after the last one (0: never on
    /// time). A clean shutdown always writes one.
    pub devnet_snapshot_every_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// `devnet` (embedded EVM in this process) or `rpc` (any Ethereum JSON-RPC node).
    pub backend: String,
    /// The chain id the node must serve (`rpc` backend: 0 takes whatever it serves).
    pub chain_id: u64,
    /// JSON-RPC URL of the node (`rpc` backend).
    pub url: Secret,
    /// Blocks before a receipt is final (`rpc` backend).
    pub confirmations: u64,
    /// Deployed PMA token and pull-payment contract (`rpc` backend). Both empty: on a development
    /// chain (31337, 1337) the server deploys its own at first use and keeps their addresses in
    /// the database; any other chain refuses to serve until they are set.
    pub token: String,
    pub pull_payments: String,
    /// Serve the embedded network's JSON-RPC at `/api/v2/open-auth/rpc/{networkID}` and its faucet.
    pub public: bool,
}

impl Default for ChainConfig {
    fn default() -> Self {
        let mut networks = std::collections::BTreeMap::new();
        networks.insert("3".to_string(), NetworkConfig::default());
        let eth_prices = [
            ("USD", 3000),
            ("EUR", 2800),
            ("GBP", 2400),
            ("JPY", 450_000),
        ]
        .into_iter()
        .map(|(c, p)| (c.to_string(), Decimal::from(p)))
        .collect();
        ChainConfig {
            data_dir: "./data/chain".into(),
            networks,
            eth_prices,
            rpc_max_batch: 100,
            rpc_gas_cap: 30_000_000,
            rpc_gas_budget: 50_000_000,
            rpc_rate_per_minute: 1200,
            rpc_rate_burst: 200,
            rpc_rate_max_clients: 65_536,
            devnet_snapshot_every_txs: payplane_chain::SnapshotPolicy::default().every_txs,
            devnet_snapshot_every_secs: payplane_chain::SnapshotPolicy::default().every_secs,
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            backend: "devnet".into(),
            chain_id: 1337,
            url: Secret::default(),
            confirmations: 1,
            token: String::new(),
            pull_payments: String::new(),
            public: true,
        }
    }
}
