//! The web pages (`[web]`): dashboard sessions, the login throttle and set-password links.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Lifetime of a dashboard session (the `pp_session` cookie), hours.
    pub session_hours: i64,
    /// Failed logins allowed per email-and-client-IP pair within `login_window_secs`; past it
    /// that pair is refused until the window has passed.
    pub login_max_failures: i64,
    /// Failed logins allowed per client IP across all emails within `login_window_secs`.
    pub login_max_failures_per_ip: i64,
    pub login_window_secs: i64,
    /// Lifetime of a one-time set-password link, hours.
    pub password_link_hours: i64,
    /// Mark cookies `Secure` (sent over HTTPS only): set it when a TLS proxy is in front.
    pub secure_cookies: bool,
    /// Base URL that printed links start with (set-password links of the CLI); empty: the
    /// `listen` address over http.
    pub public_url: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            session_hours: 12,
            login_max_failures: 5,
            login_max_failures_per_ip: 50,
            login_window_secs: 15 * 60,
            password_link_hours: 72,
            secure_cookies: false,
            public_url: String::new(),
        }
    }
}
