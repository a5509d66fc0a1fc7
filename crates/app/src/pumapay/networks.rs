//! The Ethereum networks of the pull-payment API, by `networkID` (1 main, 3 test), built on first
//! use from configuration: the embedded devnet or any JSON-RPC node.
use crate::{App, AppError};
use payplane_chain::{
    Address, Chain, ContractAddresses, Devnet, DevnetConfig, Faucet, FaucetConfig, GasPolicy,
    HdWallet, PlatformSigners, RpcChain, RpcConfig, RpcHandler, RpcLimits, SnapshotPolicy,
};
use payplane_store::pumapay::network_contracts as deployed;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

pub struct Network {
    pub id: i64,
    pub chain: Arc<dyn Chain>,
    /// The embedded network's JSON-RPC face, when configuration makes it public.
    pub rpc: Option<RpcHandler>,
    /// The test-network faucet (embedded, public networks only).
    pub faucet: Option<Faucet>,
    /// How far the test clock moved this network ahead of the wall clock, seconds (persisted in
    /// `network_clocks`; the embedded network's blocks carry the moved time too).
    pub clock_offset: Arc<AtomicI64>,
    /// The platform's executor (HD index 0): it sends registrations, pulls and cancellations.
    pub executor: Address,
    /// The embedded network itself (the same as `chain`), for what only it has: its snapshot.
    pub devnet: Option<Arc<Devnet>>,
}

impl Network {
    /// The network's time, unix seconds: what schedules compare with due dates.
    pub fn now_secs(&self, app: &App) -> i64 {
        app.now().div_euclid(1_000_000) + self.clock_offset.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
pub struct Networks {
    built: tokio::sync::Mutex<HashMap<i64, Arc<Network>>>,
}

/// The network `id`, built on first use. Unknown ids are a 400; a known but unconfigured network
/// (by default the main network, 1) is a 400 that says how to configure it.
pub async fn network(app: &App, id: i64) -> Result<Arc<Network>, AppError> {
    if id != 1 && id != 3 {
        return Err(AppError::field(
            "networkID",
            "error.network.invalid",
            "networkID must be 1 (main) or 3 (test)",
        ));
    }
    let mut built = app.networks.built.lock().await;
    if let Some(n) = built.get(&id) {
        return Ok(n.clone());
    }
    let Some(cfg) = app.config.chain.networks.get(&id.to_string()).cloned() else {
        // A network this server has no backend for is one that does not exist here.
        return Err(AppError::not_found(
            "error.network.not.configured",
            format!(
                "Network {id} is not configured on this server (set chain.networks.{id} or PAYPLANE_CHAIN_RPC_URL_{id})"
            ),
        ));
    };
    let phrase = crate::pumapay::wallets::mnemonic(app).await?;
    let wallet = HdWallet::from_phrase(&phrase).map_err(AppError::internal)?;
    let executor = wallet.executor().map_err(AppError::internal)?.address();
    let clock_offset = Arc::new(AtomicI64::new(
        payplane_store::pumapay::clocks::offset(&app.db.read, id).await?,
    ));
    let network = match cfg.backend.as_str() {
        "devnet" => {
            let mut dc = DevnetConfig::new(phrase, data_dir(app, id));
            dc.chain_id = cfg.chain_id;
            dc.snapshot = SnapshotPolicy {
                every_txs: app.config.chain.devnet_snapshot_every_txs,
                every_secs: app.config.chain.devnet_snapshot_every_secs,
            };
            let clock = app.clock.clone();
            let offset = clock_offset.clone();
            let chain_clock: Arc<dyn payplane_chain::Clock> = Arc::new(move || {
                (clock.now_micros().div_euclid(1_000_000) + offset.load(Ordering::SeqCst)).max(0)
                    as u64
            });
            let devnet = {
                let chain_clock = chain_clock.clone();
                tokio::task::spawn_blocking(move || Devnet::open(dc, chain_clock))
                    .await
                    .map_err(AppError::internal)?
                    .map_err(AppError::internal)?
            };
            let devnet = Arc::new(devnet);
            Network {
                id,
                rpc: cfg
                    .public
                    .then(|| RpcHandler::with_limits(devnet.clone(), rpc_limits(app))),
                faucet: cfg
                    .public
                    .then(|| Faucet::new(FaucetConfig::default(), executor, chain_clock)),
                chain: devnet.clone(),
                clock_offset,
                executor,
                devnet: Some(devnet),
            }
        }
        _ => {
            let signers = PlatformSigners::from_wallet(&wallet, [], GasPolicy::default())
                .map_err(AppError::internal)?;
            let rc = RpcConfig {
                url: cfg.url.0.clone(),
                // 0: whatever chain the node serves (`PAYPLANE_CHAIN_RPC_URL_n` alone).
                expected_chain_id: (cfg.chain_id != 0).then_some(cfg.chain_id),
                confirmations: cfg.confirmations.max(1),
                poll_interval: Duration::from_millis(500),
                contracts: configured_contracts(id, &cfg.token, &cfg.pull_payments)?,
            };
            let configured = rc.contracts.is_some();
            let chain = RpcChain::connect(rc, signers).await.map_err(|e| {
                AppError::unavailable(format!(
                    "Network {id}: the JSON-RPC node could not be reached: {e}"
                ))
            })?;
            let executor = wallet.executor().map_err(AppError::internal)?.address();
            let dev = is_development_chain(chain.chain_id());
            if !configured {
                if !dev {
                    return Err(AppError::bad_request(
                        "error.network.contracts.not.configured",
                        format!(
                            "Network {id} (chain id {}) has no contracts configured: set chain.networks.{id}.token and chain.networks.{id}.pull_payments (or PAYPLANE_CHAIN_TOKEN_{id} and PAYPLANE_CHAIN_PULL_PAYMENTS_{id}); the server deploys its own only on a development chain (chain id 31337 or 1337)",
                            chain.chain_id()
                        ),
                    ));
                }
                dev_contracts(app, id, &chain, executor).await?;
            }
            let clock = app.clock.clone();
            let offset = clock_offset.clone();
            let chain_clock: Arc<dyn payplane_chain::Clock> = Arc::new(move || {
                (clock.now_micros().div_euclid(1_000_000) + offset.load(Ordering::SeqCst)).max(0)
                    as u64
            });
            Network {
                id,
                chain: Arc::new(chain),
                rpc: None,
                // On a development node whose contracts the server deployed, the executor owns
                // the token and can mint, as on the embedded network.
                faucet: (dev && !configured && cfg.public)
                    .then(|| Faucet::new(FaucetConfig::default(), executor, chain_clock)),
                clock_offset,
                executor,
                devnet: None,
            }
        }
    };
    let network = Arc::new(network);
    built.insert(id, network.clone());
    Ok(network)
}

/// At shutdown: every embedded network built so far writes its state snapshot, so the next
/// start replays nothing (dropping the devnet would too, but only once the last reference goes).
pub async fn close(app: &App) {
    let devnets: Vec<Arc<Devnet>> = app
        .networks
        .built
        .lock()
        .await
        .values()
        .filter_map(|n| n.devnet.clone())
        .collect();
    for devnet in devnets {
        match tokio::task::spawn_blocking(move || devnet.write_snapshot()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "devnet snapshot not written at shutdown"),
            Err(e) => tracing::warn!(error = %e, "devnet snapshot not written at shutdown"),
        }
    }
}

/// The public JSON-RPC's per-request limits (`[chain] rpc_*`).
pub fn rpc_limits(app: &App) -> RpcLimits {
    let c = &app.config.chain;
    RpcLimits {
        max_batch: c.rpc_max_batch,
        gas_cap: c.rpc_gas_cap,
        gas_budget: c.rpc_gas_budget,
    }
}

fn data_dir(app: &App, id: i64) -> Option<PathBuf> {
    let dir = app.config.chain.data_dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir).join(format!("network-{id}")))
}

/// Local development chains (anvil and hardhat: 31337; ganache and geth `--dev`: 1337), where the
/// server may deploy its own contracts.
pub fn is_development_chain(chain_id: u64) -> bool {
    chain_id == 31337 || chain_id == 1337
}

/// The contracts of `chain.networks.{id}`: both addresses, or neither.
fn configured_contracts(
    id: i64,
    token: &str,
    pull_payments: &str,
) -> Result<Option<ContractAddresses>, AppError> {
    let (token, pull_payments) = (token.trim(), pull_payments.trim());
    if token.is_empty() && pull_payments.is_empty() {
        return Ok(None);
    }
    let parse = |name: &str, v: &str| {
        payplane_chain::parse_address(v).map_err(|_| {
            AppError::unavailable(format!(
                "Network {id}: chain.networks.{id}.{name} must be a contract address (0x + 40 hex digits), not {v:?}; set both token and pull_payments, or neither on a development chain"
            ))
        })
    };
    Ok(Some(ContractAddresses {
        token: parse("token", token)?,
        pull_payments: parse("pull_payments", pull_payments)?,
    }))
}

/// ETH the executor is given on a development node before it deploys, and pays gas with.
const DEV_EXECUTOR_ETH: u64 = 10_000;

/// The contracts this server deployed on a development node, deployed now when there are none
/// yet (or the node no longer has them: anvil forgets everything when it restarts). Addresses
/// are kept in `network_contracts`, so every restart and every process uses the same pair.
async fn dev_contracts(
    app: &App,
    id: i64,
    chain: &RpcChain,
    executor: payplane_chain::Address,
) -> Result<ContractAddresses, AppError> {
    let chain_id = i64::try_from(chain.chain_id()).map_err(AppError::internal)?;
    let unreachable = |e: payplane_chain::ChainError| {
        AppError::unavailable(format!("Network {id}: deploying the contracts failed: {e}"))
    };
    let stored = deployed::get(&app.db.read, id, chain_id).await?;
    if let Some(s) = &stored
        && let (Ok(token), Ok(pull_payments)) = (
            payplane_chain::parse_address(&s.token),
            payplane_chain::parse_address(&s.pull_payments),
        )
    {
        let addresses = ContractAddresses {
            token,
            pull_payments,
        };
        let has_code = !chain.code(token).await.map_err(unreachable)?.is_empty()
            && !chain
                .code(pull_payments)
                .await
                .map_err(unreachable)?
                .is_empty();
        if has_code {
            chain.set_contracts(addresses);
            return Ok(addresses);
        }
        tracing::warn!(network = id, chain_id, pull_payments = %s.pull_payments,
            "the development node no longer has the contracts this server deployed (was it restarted?): deploying them again");
    }
    // Gas for the deployment and later executions: anvil_setBalance (hardhat_setBalance), so
    // no dev account's key is needed.
    let want = payplane_chain::ETHER * payplane_chain::U256::from(DEV_EXECUTOR_ETH);
    if chain.balance(executor).await.map_err(unreachable)?
        < want / payplane_chain::U256::from(10u64)
    {
        chain.dev_set_balance(executor, want).await.map_err(|e| {
            AppError::unavailable(format!(
                "Network {id}: could not give the executor {} ETH on the development node ({e}); send it some ETH and retry",
                executor.to_checksum(None)
            ))
        })?;
    }
    let fresh = chain
        .deploy_contracts(
            executor,
            payplane_chain::PMA * payplane_chain::U256::from(1_000_000_000u64),
        )
        .await
        .map_err(unreachable)?;
    let row = deployed::record(
        app.db.writer(),
        id,
        chain_id,
        &deployed::DeployedContracts {
            token: format!("{:#x}", fresh.token),
            pull_payments: format!("{:#x}", fresh.pull_payments),
            deployed_at: app.now(),
        },
        stored.as_ref().map(|s| s.pull_payments.as_str()),
    )
    .await?;
    // Another process may have recorded its deployment first: everyone uses the recorded one.
    let addresses = match (
        payplane_chain::parse_address(&row.token),
        payplane_chain::parse_address(&row.pull_payments),
    ) {
        (Ok(token), Ok(pull_payments)) => ContractAddresses {
            token,
            pull_payments,
        },
        _ => fresh,
    };
    chain.set_contracts(addresses);
    tracing::info!(network = id, chain_id, token = %row.token, pull_payments = %row.pull_payments,
        "contracts deployed on the development node");
    Ok(addresses)
}
