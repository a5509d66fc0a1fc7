//! The token cache across API processes: a token used in every API process (so each has it
//! cached) is revoked through one of them, in turn; that process must refuse it at once and
//! every other within the cache time (`docs/foundation.md`, "Tokens"). Each request goes to one
//! process on purpose (no failover): a killed one is waited for, and a restarted one has an
//! empty cache, which refuses at once.
use super::Api;
use anyhow::{Result, anyhow, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const LABEL: &str = "soak-revoke";

#[derive(Debug, Default)]
pub struct Revocations {
    pub rounds: u64,
    /// The longest time another process went on accepting a revoked token, ms.
    pub max_lag_ms: f64,
    pub problems: Vec<String>,
}

/// The status of `method path` sent to `base` only, with `token`; waits while the process is
/// down or starting (connection refused, 5xx), for up to 20 s.
async fn on(
    http: &Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
) -> Result<StatusCode> {
    let started = Instant::now();
    loop {
        let r = http
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match r {
            Ok(r) if !r.status().is_server_error() => return Ok(r.status()),
            _ if started.elapsed() > Duration::from_secs(20) => {
                bail!("{base}{path}: no answer in 20 s")
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Revocation rounds until `stop`, about one a second, with `cache` the processes' token cache
/// time.
pub async fn revocations(
    api: Api,
    main_token: String,
    cache: Duration,
    stop: Arc<AtomicBool>,
) -> Result<Revocations> {
    let http = Client::new();
    let bases = api.bases.clone();
    let mut r = Revocations::default();
    while !stop.load(Ordering::Relaxed) {
        r.rounds += 1;
        // A creation whose answer a kill lost leaves a token nobody knows: revoke the leftovers
        // so the five-token limit is never reached.
        for t in api.all("/users/me/tokens").await? {
            if t["label"] == LABEL
                && let Some(id) = t["id"].as_str()
            {
                api.call(
                    Method::DELETE,
                    &format!("/users/me/tokens/{id}"),
                    None,
                    None,
                )
                .await?;
            }
        }
        let (s, v) = api
            .call(
                Method::POST,
                "/users/me/tokens",
                Some(json!({"label": LABEL})),
                None,
            )
            .await?;
        if s != StatusCode::CREATED {
            continue; // a lost answer: the leftover is revoked next round
        }
        let token = v["token"]
            .as_str()
            .ok_or_else(|| anyhow!("token without secret: {v}"))?
            .to_string();
        let id = v["id"].as_str().unwrap_or_default().to_string();
        for base in bases.iter() {
            let s = on(&http, base, Method::GET, "/users/me", &token).await?;
            if s != StatusCode::OK {
                r.problems.push(format!(
                    "{base} refused a new token before its revocation: {s}"
                ));
            }
        }
        let revoker = &bases[r.rounds as usize % bases.len()];
        let path = format!("/users/me/tokens/{id}");
        // 404: a retry after the process died having revoked it.
        let s = on(&http, revoker, Method::DELETE, &path, &main_token).await?;
        if s != StatusCode::NO_CONTENT && s != StatusCode::NOT_FOUND {
            bail!("revoking a token: {s}");
        }
        let revoked = Instant::now();
        if on(&http, revoker, Method::GET, "/users/me", &token).await? != StatusCode::UNAUTHORIZED {
            r.problems.push(format!(
                "{revoker} accepted a token after revoking it itself"
            ));
        }
        for base in bases.iter().filter(|b| *b != revoker) {
            loop {
                let s = on(&http, base, Method::GET, "/users/me", &token).await?;
                let lag = revoked.elapsed();
                if s == StatusCode::UNAUTHORIZED {
                    r.max_lag_ms = r.max_lag_ms.max(lag.as_secs_f64() * 1e3);
                    break;
                }
                // A second for the requests themselves on a busy machine.
                if lag > cache + Duration::from_secs(1) {
                    r.problems.push(format!(
                        "{base} still accepted a revoked token {} ms after its revocation (cache {} s)",
                        lag.as_millis(),
                        cache.as_secs()
                    ));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(r)
}
