//! The delivery engine of webhooks and postbacks (`[webhooks]`).
use super::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Delay before each attempt, seconds: the first is immediate; after the last, a delivery is dead.
    pub schedule_secs: Vec<i64>,
    /// Random extra delay, as a fraction of each retry delay.
    pub jitter: f64,
    pub timeout_secs: u64,
    /// Deliver to loopback, private and link-local addresses (tests, local development).
    pub allow_private: bool,
    pub poll_ms: u64,
    /// How long a claimed delivery is leased; a worker that dies mid-batch has its deliveries
    /// retried after this.
    pub lease_secs: i64,
    /// Deliveries claimed per batch, and sent at once.
    pub batch: i64,
    /// Bytes of a receiver's response kept in the attempt log.
    pub max_response_bytes: usize,
    /// Outgoing proxy for deliveries (`http://host:port`). Empty: deliveries connect directly
    /// and proxy environment variables (`HTTP_PROXY`, …) are ignored, because a proxy resolves
    /// the target itself and the SSRF guard would never see its address.
    pub proxy: Secret,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            schedule_secs: vec![0, 5, 300, 1800, 7200, 18000, 36000, 36000],
            jitter: 0.1,
            timeout_secs: 10,
            allow_private: false,
            poll_ms: 25,
            lease_secs: 60,
            batch: 256,
            max_response_bytes: 1024,
            proxy: Secret::default(),
        }
    }
}
