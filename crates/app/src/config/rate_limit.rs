//! `[rate_limit]`: how many requests one caller may make to either API face.
use serde::{Deserialize, Serialize};

/// Every request is counted against one key: the credential it carries (a bearer token, a
/// `pma-api-key` or an `x-access-token`), or, with none, the client's address. Each key may make
/// `burst` requests at once, refilled at `per_second`; past that the answer is 429 with
/// `Retry-After`. Counts live in the process (see docs/operations.md for several processes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second per key (0: no limit).
    pub per_second: u32,
    /// Requests a key may make at once before the sustained rate applies.
    pub burst: u32,
    /// Keys remembered before the limiter falls back to keying every request by its client
    /// address (a flood of made-up credentials cannot grow memory without bound).
    pub max_keys: usize,
}

impl Default for RateLimitConfig {
    /// Generous: an integration that polls or batches is not slowed, a runaway loop or a
    /// scripted burst from one credential is.
    fn default() -> Self {
        RateLimitConfig {
            per_second: 100,
            burst: 200,
            max_keys: 100_000,
        }
    }
}
