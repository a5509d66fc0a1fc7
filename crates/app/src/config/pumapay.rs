//! The pull-payment API, business side (`[pumapay]`).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PumapayConfig {
    /// Lifetime of a console session (`x-access-token`), hours.
    pub session_hours: i64,
    /// Failed logins allowed per email-and-client-IP pair within `login_window_secs`; past it
    /// that pair answers 429 (the same email from another IP, or another email, still may try).
    pub login_max_failures: i64,
    pub login_window_secs: i64,
    /// Failed logins allowed per client IP across all emails within `login_window_secs`, so one
    /// address cannot spray passwords over many accounts.
    pub login_max_failures_per_ip: i64,
    /// Registrations (attempts, whether they succeed or not) allowed per client IP within
    /// `register_window_secs`; past it registration answers 429.
    pub register_max_per_ip: i64,
    pub register_window_secs: i64,
    /// New payment models on the test network (3) start approved instead of pending.
    pub auto_approve_test_network: bool,
    /// Only businesses an operator marked as PSP may create sub-businesses.
    pub psp_requires_operator_flag: bool,
    /// Largest accepted product image after base64 decoding, bytes.
    pub image_max_bytes: usize,
    /// Public base URL of this server for `imageUrl` (empty: URLs are relative paths).
    pub public_url: String,
}

impl Default for PumapayConfig {
    fn default() -> Self {
        PumapayConfig {
            session_hours: 12,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            login_max_failures_per_ip: 50,
            register_max_per_ip: 10,
            register_window_secs: 3600,
            auto_approve_test_network: false,
            psp_requires_operator_flag: false,
            image_max_bytes: 512 * 1024,
            public_url: String::new(),
        }
    }
}
