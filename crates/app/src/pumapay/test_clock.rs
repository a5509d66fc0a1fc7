//! The test clock (`POST /api/v2/admin/test-clock/advance`): moves the test network's time ahead,
//! so a monthly subscription with a trial runs its whole schedule in a test in seconds.
//!
//! Schedule time ([`Network::now_secs`]) is the wall clock plus the network's offset
//! (`network_clocks`); the embedded network's blocks take the same time, so both move together.
//! On a node (anvil, hardhat) the node's own clock is moved too: `evm_increaseTime`, `evm_mine`.
use crate::pumapay::networks::{Network, network};
use crate::{App, AppError};
use payplane_store::pumapay::clocks;
use std::sync::atomic::Ordering;

/// The most one advance may move the clock: ten years.
pub const MAX_ADVANCE_SECS: i64 = 10 * 366 * 86_400;

/// The network's time after an advance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkTime {
    pub network_id: i64,
    /// How far the network runs ahead of the wall clock, seconds.
    pub offset_secs: i64,
    /// The network's time, unix seconds.
    pub now: i64,
}

/// Moves network `network_id` (the test network, 3) `seconds` ahead; audit-logged as
/// `test-clock.advance` with target `network-3+N`.
pub async fn advance(
    app: &App,
    actor: &str,
    source: &str,
    network_id: i64,
    seconds: i64,
) -> Result<NetworkTime, AppError> {
    if !app.config.pull_payments.test_clock {
        return Err(AppError::forbidden(
            "error.test.clock.disabled",
            "The test clock is switched off on this server ([pull_payments] test_clock = false)",
        ));
    }
    if network_id != 3 {
        return Err(AppError::field(
            "networkID",
            "error.test.clock.network",
            "The test clock moves the test network only: networkID must be 3",
        ));
    }
    if !(1..=MAX_ADVANCE_SECS).contains(&seconds) {
        return Err(AppError::field(
            "seconds",
            "error.test.clock.seconds",
            format!("seconds must be a whole number from 1 to {MAX_ADVANCE_SECS} (ten years)"),
        ));
    }
    let net = network(app, network_id).await?;
    // A node's clock first: if it refuses, nothing moved anywhere.
    net.chain
        .advance_time(seconds as u64)
        .await
        .map_err(|e| {
            AppError::unavailable(format!(
                "Network {network_id}: the node refused to move its clock (evm_increaseTime, evm_mine; anvil and hardhat have them): {e}"
            ))
        })?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let offset = clocks::advance(&mut tx, network_id, seconds, now).await?;
    payplane_store::audit::record(
        &mut tx,
        actor,
        "test-clock.advance",
        &format!("network-{network_id}+{seconds}"),
        source,
        now,
    )
    .await?;
    tx.commit().await?;
    net.clock_offset.store(offset, Ordering::SeqCst);
    // Pulls that just fell due need not wait for a poll.
    crate::jobs::wake(app);
    Ok(NetworkTime {
        network_id,
        offset_secs: offset,
        now: net.now_secs(app),
    })
}

/// Re-reads the network's offset from the database, for a process whose clock another process
/// moved (API and worker roles apart, on a node).
pub async fn refresh(app: &App, net: &Network) -> Result<i64, AppError> {
    let offset = clocks::offset(&app.db.read, net.id).await?;
    net.clock_offset.store(offset, Ordering::SeqCst);
    Ok(offset)
}
