//! The embedded test network, open to wallets and tools: its Ethereum JSON-RPC and its faucet.
use super::envelope::{Envelope, Reply, ok};
use crate::error::ApiError;
use crate::extract::{Body, ClientIp, PathParams};
use crate::rate_limit::RpcRateLimit;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use payplane_app::pumapay::networks::network;
use payplane_app::{App, AppError};
use payplane_chain::ChainError;
use payplane_chain::jsonrpc::{batch_too_large, limit_exceeded};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// Ethereum JSON-RPC of the embedded network (`eth_chainId`, `eth_sendRawTransaction`,
/// `eth_getTransactionReceipt`, `eth_call`, `eth_getLogs`, …), for wallets, web3 libraries and
/// tools. Single and batch requests; the body and answer are JSON-RPC 2.0, not the API envelope.
#[utoipa::path(post, path = "/api/v2/open-auth/rpc/{networkID}", tag = "Network",
    params(("networkID" = i64, Path, format = "network-id", description = "3 (test network); 1 has no public node here (404)")),
    request_body(content = serde_json::Value, description = "A JSON-RPC 2.0 request or batch (any JSON: what is not a valid call is answered with a JSON-RPC error)"),
    responses((status = 200, description = "JSON-RPC 2.0 response; a batch over `chain.rpc_max_batch` calls is refused whole (-32600), a call past the request's gas budget gets -32005"),
        (status = 404, description = "This network has no public embedded node"),
        (status = 429, description = "This client made too many calls (each call of a batch counts): a JSON-RPC error -32005, with Retry-After")))]
pub async fn rpc(
    State(app): State<App>,
    Extension(limiter): Extension<RpcRateLimit>,
    ClientIp(ip): ClientIp,
    PathParams(id): PathParams<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let net = network(&app, id).await?;
    if net.rpc.is_none() {
        return Err(AppError::not_found(
            "error.rpc.unavailable",
            format!("Network {id} has no public embedded node"),
        )
        .into());
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        let parse_error = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}});
        return Ok(Json(parse_error).into_response());
    };
    let max_batch = net.rpc.as_ref().map_or(1, |h| h.limits().max_batch);
    let calls = match &request {
        Value::Array(items) if items.len() > max_batch => {
            return Ok(Json(batch_too_large(items.len(), max_batch)).into_response());
        }
        Value::Array(items) => items.len().max(1),
        _ => 1,
    };
    {
        // Each call of a batch counts, so batching is no way around the limit.
        let cost = u32::try_from(calls).unwrap_or(u32::MAX);
        if let Err(refused) = limiter.check(ip, cost) {
            let secs = refused.retry_after_secs();
            let id = match &request {
                Value::Object(o) => o.get("id").cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            };
            let answer = limit_exceeded(
                id,
                format!("rate limit exceeded: too many calls from this client; retry in {secs} s"),
                Some(json!({ "retryAfter": secs })),
            );
            let mut res = (StatusCode::TOO_MANY_REQUESTS, Json(answer)).into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return Ok(res);
        }
    }
    // Executing a transaction runs the EVM: keep it off the async workers.
    let answer = tokio::task::spawn_blocking(move || net.rpc.as_ref().map(|h| h.handle(request)))
        .await
        .map_err(AppError::internal)?
        .unwrap_or(Value::Null);
    Ok(match answer {
        // Only notifications: JSON-RPC over HTTP answers nothing.
        Value::Null => StatusCode::NO_CONTENT.into_response(),
        v => Json(v).into_response(),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaucetRequest {
    /// The address to fund (EIP-55 or lowercase).
    #[schema(format = "eth-address")]
    address: String,
    /// The network: 3 (the default; the faucet exists on the test network only).
    #[serde(rename = "networkID")]
    #[schema(minimum = 3, maximum = 3)]
    network_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaucetGrantView {
    address: String,
    /// Wei, as a decimal string.
    eth: String,
    /// PMA token units (18 decimals), as a decimal string.
    pma: String,
    eth_tx_hash: Option<String>,
    pma_tx_hash: Option<String>,
}

/// Test ETH and PMA for an address on the test network, once a day per address.
#[utoipa::path(post, path = "/api/v2/open-auth/faucet", tag = "Network", request_body = FaucetRequest,
    responses((status = 200, body = Envelope<FaucetGrantView>), (status = 429, description = "This address was funded recently")))]
pub async fn faucet(
    State(app): State<App>,
    Body(req): Body<FaucetRequest>,
) -> Reply<FaucetGrantView> {
    let id = req.network_id.unwrap_or(3);
    let address = payplane_chain::parse_address(&req.address)
        .ok()
        // The token refuses to mint to the zero address, so a grant to it could only fail.
        .filter(|a| !a.is_zero())
        .ok_or_else(|| {
            AppError::field(
                "address",
                "error.address.invalid",
                "address must be a 0x-prefixed EIP-55 address, not the zero address",
            )
        })?;
    let net = network(&app, id).await?;
    let faucet = net.faucet.as_ref().ok_or_else(|| {
        AppError::bad_request(
            "error.faucet.unavailable",
            format!("Network {id} has no faucet"),
        )
    })?;
    let grant = faucet
        .drip(net.chain.as_ref(), address)
        .await
        .map_err(|e| match e {
            ChainError::RateLimited {
                retry_after_secs, ..
            } => AppError::too_many_requests(
                "error.faucet.rate.limited",
                format!("This address was funded recently; try again in {retry_after_secs} s"),
                retry_after_secs,
            ),
            other => AppError::internal(other),
        })?;
    ok(
        "Faucet grant sent",
        FaucetGrantView {
            address: grant.to.to_checksum(None),
            eth: grant.eth.to_string(),
            pma: grant.pma.to_string(),
            eth_tx_hash: grant.eth_tx.map(|h| h.to_string()),
            pma_tx_hash: grant.pma_tx.map(|h| h.to_string()),
        },
    )
}
