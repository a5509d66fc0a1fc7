//! The delivery loop: claim due deliveries, send them concurrently, record every attempt in one
//! transaction per batch. At-least-once: a delivery whose worker dies mid-flight is claimed again
//! when its lease expires, with the same `webhook-id`.
use super::{guard, sign};
use crate::{App, AppError};
use futures::StreamExt;
use payplane_store::webhooks::{self, Claimed, Endpoint, Outcome};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The HTTP client for deliveries: no redirects, a timeout, and (unless private addresses are
/// allowed) a resolver that refuses internal addresses.
///
/// Proxy environment variables are ignored: through a proxy the proxy resolves the target, so
/// the guarded resolver would never see its address. Only `webhooks.proxy` sends deliveries
/// through a proxy, and then `send` checks the target's addresses itself.
pub fn client(app: &App) -> reqwest::Client {
    let cfg = &app.config.webhooks;
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("payplane-webhooks/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    match explicit_proxy(app) {
        Some(url) => match reqwest::Proxy::all(url) {
            Ok(p) => b = b.proxy(p),
            Err(e) => tracing::error!(error = %e, "webhooks.proxy is not a usable proxy URL"),
        },
        // The proxy's own name may well resolve to a private address: the guarded resolver
        // only serves direct connections.
        None if !cfg.allow_private => b = b.dns_resolver(Arc::new(guard::GuardedResolver)),
        None => {}
    }
    b.build().unwrap_or_default()
}

/// The configured delivery proxy, if any.
fn explicit_proxy(app: &App) -> Option<&str> {
    Some(app.config.webhooks.proxy.0.trim()).filter(|p| !p.is_empty())
}

/// Claims and sends one batch; returns how many deliveries were attempted.
pub async fn run_due(app: &App, client: &reqwest::Client, worker: &str) -> Result<usize, AppError> {
    let now = app.now();
    let claimed = webhooks::claim(
        &app.db,
        worker,
        now,
        app.config.webhooks.lease_secs * 1_000_000,
        app.config.webhooks.batch,
    )
    .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<&str> = claimed.iter().map(|c| c.endpoint_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let endpoints: HashMap<String, Endpoint> = webhooks::endpoints_by_id(&app.db.read, &ids)
        .await?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let n = claimed.len();
    let outcomes: Vec<Outcome> = futures::stream::iter(claimed)
        .map(|c| {
            let endpoint = endpoints.get(&c.endpoint_id);
            async move { attempt(app, client, endpoint, c).await }
        })
        .buffer_unordered(n)
        .collect()
        .await;
    webhooks::record(&app.db, worker, &outcomes, app.now()).await?;
    Ok(n)
}

async fn attempt(
    app: &App,
    client: &reqwest::Client,
    endpoint: Option<&Endpoint>,
    c: Claimed,
) -> Outcome {
    let started = Instant::now();
    let attempt_no = c.attempts + 1;
    let result = match endpoint {
        Some(e) => send(app, client, e, &c).await,
        None => Err(("the endpoint no longer exists".to_string(), true)),
    };
    let latency_ms = started.elapsed().as_millis() as i64;
    let now = app.now();
    let (status_code, snippet, error, next_status, retry_after) = match result {
        Ok((status, body, _)) if (200..300).contains(&status) => {
            (Some(status), Some(body), None, "succeeded", None)
        }
        // 410 Gone: the receiver asks us to stop.
        Ok((410, body, _)) => (
            Some(410),
            Some(body),
            Some("receiver answered 410 Gone".into()),
            "dead",
            None,
        ),
        Ok((status, body, retry_after)) => (
            Some(status),
            Some(body),
            Some(format!("receiver answered {status}")),
            "pending",
            retry_after,
        ),
        Err((e, fatal)) => (
            None,
            None,
            Some(e),
            if fatal { "dead" } else { "pending" },
            None,
        ),
    };
    let schedule = &app.config.webhooks.schedule_secs;
    let (next_status, next_attempt_at) = match next_status {
        "pending" if (attempt_no as usize) < schedule.len() => {
            let base = schedule[attempt_no as usize];
            let jitter = rand::thread_rng().gen_range(0.0..=app.config.webhooks.jitter.max(0.0));
            let delay = ((base as f64) * (1.0 + jitter)) as i64;
            let delay = delay.max(retry_after.unwrap_or(0).min(86_400));
            ("pending", now + delay * 1_000_000)
        }
        "pending" => ("dead", now),
        s => (s, now),
    };
    Outcome {
        delivery_id: c.id,
        attempt: attempt_no,
        status_code: status_code.map(i64::from),
        latency_ms,
        response_snippet: snippet,
        error,
        next_status,
        next_attempt_at,
    }
}

type Sent = Result<(u16, String, Option<i64>), (String, bool)>;

async fn send(app: &App, client: &reqwest::Client, e: &Endpoint, c: &Claimed) -> Sent {
    let url = guard::check_url(&e.url).map_err(|m| (m, true))?;
    // Literal IPs never pass through the guarded resolver, so they are checked here.
    let literal: Option<std::net::IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(ip.into()),
        Some(url::Host::Ipv6(ip)) => Some(ip.into()),
        _ => None,
    };
    if !app.config.webhooks.allow_private && literal.is_some_and(guard::is_internal) {
        return Err(("the URL points at an internal address".into(), true));
    }
    if !app.config.webhooks.allow_private
        && literal.is_none()
        && explicit_proxy(app).is_some()
        && let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default())
    {
        guard::check_host_for_proxy(host, port).await?;
    }
    let e = &super::at_rest::opened(app, e)
        .map_err(|err| (format!("the endpoint's secrets do not open: {err}"), false))?;
    let now = app.now();
    let ts = now / 1_000_000;
    let mut secrets = vec![e.secret.as_str()];
    if let (Some(prev), Some(until)) = (&e.previous_secret, e.previous_secret_until)
        && until > now
    {
        secrets.push(prev.as_str());
    }
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &c.id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            sign::header(&secrets, &c.id, ts, &c.payload),
        );
    for (k, v) in &e.headers {
        if !k.to_ascii_lowercase().starts_with("webhook-")
            && !k.eq_ignore_ascii_case("content-type")
        {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    let mut res = req
        .body(c.payload.clone())
        .send()
        .await
        .map_err(|err| (describe(&err), false))?;
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let limit = app.config.webhooks.max_response_bytes;
    let mut body = Vec::new();
    while body.len() < limit {
        match res.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(limit);
    Ok((
        status,
        String::from_utf8_lossy(&body).into_owned(),
        retry_after,
    ))
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// The delivery loop of a worker process.
pub async fn run(app: App, worker: String, shutdown: CancellationToken) {
    let client = client(&app);
    let poll = Duration::from_millis(app.config.webhooks.poll_ms);
    while !shutdown.is_cancelled() {
        match run_due(&app, &client, &worker).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "webhook delivery batch failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
