//! Bearer-token authentication for the accounts API.
use crate::{App, AppError};
use payplane_core::secrets::{ip_allowed, sha256_hex};
use payplane_store::pazemo::tokens;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "live" => Some(Mode::Live),
            "test" => Some(Mode::Test),
            _ => None,
        }
    }
}

/// Who is calling, established from a verified token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub token_id: String,
    pub mode: Mode,
    pub read_only: bool,
    pub admin: bool,
    /// The token's IP allow-list as stored (empty: any address); a token it creates stays within it.
    pub allow_ips: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    principal: Principal,
    allow: Vec<ipnet::IpNet>,
    cached_at: i64,
    /// Set by the one request that reloads this entry once it is past half its life.
    refreshing: Arc<AtomicBool>,
}

const BAD_TOKEN: &str = "Full authentication is required to access this resource";

/// Verifies a raw token for a request from `ip`. Verified tokens are cached in-process for
/// `tokens.cache_secs`; the IP allow-list is checked on every request. An entry past half its
/// life is reloaded by the first request that sees it while the others go on using it, so a
/// busy token is reloaded once before it expires, not by every request that finds it expired
/// at the same moment (each reload is two reads and a write of its last-used time).
pub async fn authenticate(app: &App, raw: &str, ip: IpAddr) -> Result<Principal, AppError> {
    let hash = sha256_hex(raw.as_bytes());
    let now = app.now();
    let ttl = app.config.tokens.cache_secs * 1_000_000;
    let cached = app
        .token_cache
        .lock()
        .ok()
        .and_then(|c| c.get(&hash).filter(|t| now - t.cached_at < ttl).cloned());
    let entry = match cached {
        Some(entry)
            if now - entry.cached_at < ttl / 2 || entry.refreshing.swap(true, Ordering::AcqRel) =>
        {
            entry
        }
        _ => match load(app, &hash, now).await {
            Ok(entry) => {
                if let Ok(mut c) = app.token_cache.lock() {
                    if c.len() > 100_000 {
                        c.clear();
                    }
                    c.insert(hash, entry.clone());
                }
                entry
            }
            Err(e) => {
                // Revoked or deleted since it was cached (by another process), or unreadable:
                // nobody goes on using the old entry.
                forget(app, &hash);
                return Err(e);
            }
        },
    };
    if !ip_allowed(&entry.allow, ip) {
        return Err(AppError::unauthorized(format!(
            "Requests from {ip} are not allowed for this token"
        )));
    }
    Ok(entry.principal)
}

async fn load(app: &App, hash: &str, now: i64) -> Result<CachedToken, AppError> {
    let token = tokens::by_hash(&app.db.read, hash)
        .await?
        .filter(|t| t.revoked_at.is_none())
        .ok_or_else(|| AppError::unauthorized(BAD_TOKEN))?;
    let user = payplane_store::pazemo::users::get(&app.db.read, &token.user_id)
        .await?
        .ok_or_else(|| AppError::unauthorized(BAD_TOKEN))?;
    // Last-used time is refreshed when the cache entry is (re)built: at most one write per token
    // per cache period instead of one per request.
    tokens::touch(app.db.writer(), &token.id, now).await?;
    Ok(CachedToken {
        principal: Principal {
            user_id: token.user_id.clone(),
            token_id: token.id.clone(),
            mode: Mode::parse(&token.mode).unwrap_or(Mode::Test),
            read_only: token.access == "read_only",
            admin: user.is_admin(),
            allow_ips: token.allow_ips.clone(),
        },
        allow: token
            .allow_ips
            .iter()
            .filter_map(|s| payplane_core::secrets::parse_ip_or_cidr(s))
            .collect(),
        cached_at: now,
        refreshing: Arc::default(),
    })
}

/// Drops a token from this process's cache (after revocation).
pub fn forget(app: &App, token_hash: &str) {
    if let Ok(mut c) = app.token_cache.lock() {
        c.remove(token_hash);
    }
}
