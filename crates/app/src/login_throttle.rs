//! The throttle of password logins (the dashboard's and the console's): failures are counted per
//! email-and-client-IP pair and per client IP. Past `max_per_pair` for the pair, or `max_per_ip`
//! for the IP, within the window, attempts answer 429 without being checked. Counting by pair
//! (not by email alone) means a stranger cannot lock an owner out of their own account from
//! another address, and one email's lockout does not block a colleague behind the same IP.
use crate::{App, AppError, ErrorKind};
use payplane_store::login_failures::{self, Area};

/// A password hash of a random string: verified when the email is unknown (or has no password),
/// so a failed login takes as long whether or not the account exists.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

pub struct LoginThrottle {
    area: Area,
    max_per_pair: i64,
    max_per_ip: i64,
    /// Start of the window, µs.
    since: i64,
    now: i64,
}

impl LoginThrottle {
    /// The dashboard's, from `[web]`.
    pub fn dashboard(app: &App) -> Self {
        let c = &app.config.web;
        Self::new(
            app,
            Area::Dashboard,
            c.login_max_failures,
            c.login_max_failures_per_ip,
            c.login_window_secs,
        )
    }

    /// The console's, from `[pumapay]`.
    pub fn console(app: &App) -> Self {
        let c = &app.config.pumapay;
        Self::new(
            app,
            Area::Console,
            c.login_max_failures,
            c.login_max_failures_per_ip,
            c.login_window_secs,
        )
    }

    fn new(app: &App, area: Area, max_per_pair: i64, max_per_ip: i64, window_secs: i64) -> Self {
        let now = app.now();
        LoginThrottle {
            area,
            max_per_pair,
            max_per_ip,
            since: now - window_secs * 1_000_000,
            now,
        }
    }

    /// 429 `error.login.rate.limited` when this email from this IP, or this IP, is over its limit.
    pub async fn check(&self, app: &App, email: &str, ip: &str) -> Result<(), AppError> {
        let (by_pair, by_ip) =
            login_failures::count(&app.db.read, self.area, email, ip, self.since).await?;
        if by_pair >= self.max_per_pair || by_ip >= self.max_per_ip {
            return Err(AppError::new(
                ErrorKind::TooManyRequests,
                "error.login.rate.limited",
                "Too many failed logins; try again later",
            ));
        }
        Ok(())
    }

    /// Counts a failed attempt.
    pub async fn failed(&self, app: &App, email: &str, ip: &str) -> Result<(), AppError> {
        login_failures::record(app.db.writer(), self.area, email, ip, self.now, self.since).await?;
        Ok(())
    }
}
