//! The HTTP rate source (`[pull_payments.rates] http_url`, `http_json_path`, `http_poll_secs`):
//! a JSON endpoint asked for each currency's price of one PMA, polled by the worker role, each
//! good price stored (`exchange_rates`, source `http:<url>`) so every process uses it.
//!
//! `{currency}` in the URL and the path is replaced by the currency (`USD`), `{currency_lower}`
//! by its lower case (`usd`). The path is dotted (`data.price`, `rates.0.value`: a number
//! segment indexes an array). The price is read from the JSON number's own text (serde_json's
//! `arbitrary_precision`, enabled in this crate's manifest, keeps it) or from a string, and parsed
//! as a `Decimal`: never through a float, so `0.012345678901234567` stays exact.
//!
//! A bad answer (not 200, not JSON, no value at the path, not a number, not positive) changes
//! nothing: the last price stays in force and a warning is logged.
use super::{CURRENCIES, Rate, RateSource, parse_positive, stored};
use crate::{App, AppError};
use futures::future::BoxFuture;
use payplane_core::Clock;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An answer larger than this is not a price.
const MAX_ANSWER_BYTES: usize = 1 << 20;

pub struct HttpRateSource {
    url: String,
    path: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl HttpRateSource {
    pub fn new(url: &str, path: &str, clock: Arc<dyn Clock>) -> Result<Self, AppError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .map_err(AppError::internal)?;
        Ok(HttpRateSource {
            url: url.trim().to_string(),
            path: path.trim().to_string(),
            client,
            clock,
        })
    }

    /// The configured source, `None` when `http_url` is empty.
    pub fn from_config(app: &App) -> Result<Option<Self>, AppError> {
        let c = &app.config.pull_payments.rates;
        if c.http_url.trim().is_empty() {
            return Ok(None);
        }
        Self::new(&c.http_url, &c.http_json_path, app.clock.clone()).map(Some)
    }

    async fn fetch(&self, currency: &str) -> Result<Rate, String> {
        let url = fill(&self.url, currency);
        let res = self
            .client
            .get(&url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(format!("answered HTTP {}", res.status().as_u16()));
        }
        let body = res
            .bytes()
            .await
            .map_err(|e| format!("reading the answer failed: {e}"))?;
        if body.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is over {MAX_ANSWER_BYTES} bytes"));
        }
        let json: Value =
            serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let path = fill(&self.path, currency);
        let price = price_at(&json, &path)?;
        Ok(Rate {
            currency: currency.to_string(),
            price,
            source: self.name(),
            at: self.clock.now_micros(),
        })
    }
}

impl RateSource for HttpRateSource {
    fn name(&self) -> String {
        format!("http:{}", self.url)
    }
    fn price<'a>(&'a self, currency: &'a str) -> BoxFuture<'a, Result<Rate, AppError>> {
        Box::pin(async move {
            self.fetch(&currency.to_ascii_uppercase())
                .await
                .map_err(|e| {
                    AppError::unavailable(format!(
                        "The rate source {} gave no {currency} price: {e}",
                        self.url
                    ))
                })
        })
    }
}

fn fill(template: &str, currency: &str) -> String {
    template
        .replace("{currency_lower}", &currency.to_ascii_lowercase())
        .replace("{currency}", currency)
}

/// The positive decimal at the dotted `path` of `json` (empty path: the whole answer).
pub fn price_at(json: &Value, path: &str) -> Result<rust_decimal::Decimal, String> {
    let mut at = json;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let next = match at {
            Value::Object(o) => o.get(segment),
            Value::Array(a) => segment.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        at = next.ok_or_else(|| format!("no value at {path:?}"))?;
    }
    let text = match at {
        // With arbitrary_precision a number prints exactly as it was written.
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        other => return Err(format!("the value at {path:?} is not a number: {other}")),
    };
    parse_positive(&text)
        .ok_or_else(|| format!("the value at {path:?} is not a positive decimal number: {text}"))
}

/// Asks `source` for every currency once and stores each good price; a bad answer keeps the last
/// price and logs a warning. Returns how many prices were stored.
pub async fn poll_once(app: &App, source: &dyn RateSource) -> usize {
    let mut stored_n = 0;
    for currency in CURRENCIES {
        match source.price(currency).await {
            Ok(rate) => {
                match payplane_store::pumapay::rates::set(app.db.writer(), &stored(&rate)).await {
                    Ok(()) => stored_n += 1,
                    Err(e) => {
                        tracing::warn!(currency, error = %e, "storing the fetched PMA rate failed")
                    }
                }
            }
            Err(e) => tracing::warn!(
                currency,
                source = %source.name(),
                error = %e,
                "the rate source gave no usable price; the last one stays in force"
            ),
        }
    }
    stored_n
}

/// The poller of the worker role: asks the HTTP source every `http_poll_secs` until `shutdown`.
/// Returns at once when no `http_url` is configured.
pub async fn run(app: App, shutdown: CancellationToken) {
    let source = match HttpRateSource::from_config(&app) {
        Ok(Some(s)) => s,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "the HTTP rate source could not start");
            return;
        }
    };
    let every = Duration::from_secs(app.config.pull_payments.rates.http_poll_secs.max(1));
    tracing::info!(source = %source.name(), every_secs = every.as_secs(), "polling PMA rates");
    while !shutdown.is_cancelled() {
        poll_once(&app, &source).await;
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
