//! The Ethereum networks of the pull-payment API, by `networkID` (1 main, 3 test), built on first
//! use from configuration: the embedded devnet or any JSON-RPC node.
use crate::{App, AppError};
use payplane_chain::{
    Address, Chain, ContractAddresses, Devnet, DevnetConfig, Faucet, FaucetConfig, GasPolicy, HdWallet,
    PlatformSigners, RpcChain, RpcConfig, RpcHandler, RpcLimits,
};
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
        return Err(AppError::bad_request(
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
                chain: devnet,
                clock_offset,
                executor,
            }
        }
        _ => {
            let signers = PlatformSigners::from_wallet(&wallet, [], GasPolicy::default())
                .map_err(AppError::internal)?;
            let rc = RpcConfig {
                url: cfg.url.0.clone(),
                expected_chain_id: Some(cfg.chain_id),
                confirmations: cfg.confirmations.max(1),
                poll_interval: Duration::from_millis(500),
                contracts: match (cfg.token.parse(), cfg.pull_payments.parse()) {
                    (Ok(token), Ok(pull_payments)) => Some(ContractAddresses {
                        token,
                        pull_payments,
                    }),
                    _ => None,
                },
            };
            let chain = RpcChain::connect(rc, signers).await.map_err(|e| {
                AppError::unavailable(format!(
                    "Network {id}: the JSON-RPC node could not be reached: {e}"
                ))
            })?;
            Network {
                id,
                chain: Arc::new(chain),
                rpc: None,
                faucet: None,
                clock_offset,
                executor,
            }
        }
    };
    let network = Arc::new(network);
    built.insert(id, network.clone());
    Ok(network)
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
