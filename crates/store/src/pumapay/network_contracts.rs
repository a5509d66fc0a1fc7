//! Contracts the server deployed itself on a development node, by network and chain id.
use crate::Result;
use sqlx::{AnyPool, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedContracts {
    /// Lowercase 0x-hex addresses.
    pub token: String,
    pub pull_payments: String,
    /// Microseconds.
    pub deployed_at: i64,
}

pub async fn get(
    pool: &AnyPool,
    network_id: i64,
    chain_id: i64,
) -> Result<Option<DeployedContracts>> {
    let row = sqlx::query(
        "SELECT token, pull_payments, deployed_at FROM network_contracts \
         WHERE network_id = $1 AND chain_id = $2",
    )
    .bind(network_id)
    .bind(chain_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(DeployedContracts {
            token: r.try_get(0)?,
            pull_payments: r.try_get(1)?,
            deployed_at: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Records a fresh deployment unless another process recorded one first: the row is written
/// when there is none, or replaced when it still names `stale_pull_payments` (contracts the node
/// no longer has). Returns the row in force afterwards, which every process then uses.
pub async fn record(
    pool: &AnyPool,
    network_id: i64,
    chain_id: i64,
    fresh: &DeployedContracts,
    stale_pull_payments: Option<&str>,
) -> Result<DeployedContracts> {
    sqlx::query(
        "INSERT INTO network_contracts (network_id, chain_id, token, pull_payments, deployed_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (network_id, chain_id) DO UPDATE SET token = excluded.token, \
         pull_payments = excluded.pull_payments, deployed_at = excluded.deployed_at \
         WHERE network_contracts.pull_payments = $6",
    )
    .bind(network_id)
    .bind(chain_id)
    .bind(&fresh.token)
    .bind(&fresh.pull_payments)
    .bind(fresh.deployed_at)
    .bind(stale_pull_payments.unwrap_or(""))
    .execute(pool)
    .await?;
    Ok(get(pool, network_id, chain_id)
        .await?
        .unwrap_or_else(|| fresh.clone()))
}
