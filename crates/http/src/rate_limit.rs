//! Rate limits: how many requests one caller may make (`[rate_limit]`), and how many calls one
//! client may make to the public JSON-RPC (`[chain] rpc_rate_*`).
//!
//! Both are [`KeyedLimiter`]s: governor's keyed GCRA limiter (each key may spend `burst` cells
//! at once, refilled at the quota's rate; a refused check takes nothing), plus the housekeeping
//! that keeps its memory bounded. A key whose bucket has refilled is indistinguishable from a
//! key never seen, so a periodic sweep (`retain_recent`) forgets it: the limiter remembers only
//! keys active within the last `burst / rate`.
//!
//! Who a request counts against ([`RequestLimits`]): the credential it carries, a bearer token, a
//! `pma-api-key` or an `x-access-token`, once that credential has authenticated (the extractors
//! report it, [`authenticated`]); otherwise the client's address. A made-up credential is never
//! counted on its own, so sending a fresh random one with each request buys no fresh budget,
//! and guessing credentials is limited per address.
use crate::error::{ErrorBody, Face, render};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use payplane_app::{App, AppError, Config};
use sha2::{Digest, Sha256};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How often the limiter forgets refilled keys (and the request limits, stale credentials).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// `count` cells per `period`, at most `burst` at once; `None` when `count` is 0 (no limit).
pub fn quota(count: u32, period: Duration, burst: u32) -> Option<Quota> {
    let count = NonZeroU32::new(count)?;
    let per_cell = period / count.get();
    Some(
        Quota::with_period(per_cell.max(Duration::from_nanos(1)))?
            .allow_burst(NonZeroU32::new(burst.max(1))?),
    )
}

/// A refusal: the request may be retried after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

impl Refused {
    /// The `Retry-After` header value: whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let s = self.retry_after.as_secs();
        let s = if self.retry_after.subsec_nanos() > 0 {
            s.saturating_add(1)
        } else {
            s
        };
        s.max(1)
    }
}

/// governor's keyed limiter with its memory kept bounded.
pub struct KeyedLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    limiter: RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
    start: C::Instant,
    /// When the last sweep ran, nanoseconds since `start`.
    last_sweep: AtomicU64,
    max_keys: usize,
    /// Whether the last sweep left `max_keys` or more keys (all of them still in use).
    full: AtomicBool,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(quota: Quota, max_keys: usize) -> Self {
        Self::with_clock(quota, max_keys, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> KeyedLimiter<K, C> {
    pub fn with_clock(quota: Quota, max_keys: usize, clock: C) -> Self {
        let start = clock.now();
        KeyedLimiter {
            limiter: RateLimiter::dashmap_with_clock(quota, clock),
            start,
            last_sweep: AtomicU64::new(0),
            max_keys: max_keys.max(1),
            full: AtomicBool::new(false),
        }
    }

    fn elapsed_nanos(&self) -> u64 {
        self.limiter
            .clock()
            .now()
            .duration_since(self.start)
            .as_u64()
    }

    /// Takes `cost` cells from `key`'s bucket, or refuses (taking nothing).
    pub fn check(&self, key: &K, cost: u32) -> Result<(), Refused> {
        self.sweep_if_due();
        self.check_now(key, cost)
    }

    /// [`check`](Self::check) without the sweep (for a caller that ran it).
    pub fn check_now(&self, key: &K, cost: u32) -> Result<(), Refused> {
        let Some(cost) = NonZeroU32::new(cost) else {
            return Ok(());
        };
        match self.limiter.check_key_n(key, cost) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Refused {
                retry_after: not_until.wait_time_from(self.limiter.clock().now()),
            }),
            // More than a full bucket: no wait makes it possible.
            Err(_) => Err(Refused {
                retry_after: Duration::MAX,
            }),
        }
    }

    /// Forgets refilled keys, at most once per [`SWEEP_EVERY`] (whichever check finds it due
    /// runs it), and notes whether the limiter is still full afterwards. True if it swept.
    pub fn sweep_if_due(&self) -> bool {
        let now = self.elapsed_nanos();
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) < SWEEP_EVERY.as_nanos() as u64
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        let before = self.limiter.len();
        self.limiter.retain_recent();
        let after = self.limiter.len();
        if after < before / 2 {
            self.limiter.shrink_to_fit();
        }
        self.full.store(after >= self.max_keys, Ordering::Relaxed);
        true
    }

    /// Whether the last sweep found `max_keys` keys in use: callers then key by something
    /// coarser (the request limits fall back to the client address).
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// The rate-limit key of a client address: the address itself for IPv4, its /64 for IPv6 (one
/// subscriber usually holds a whole /64, so per-address keys would be free to multiply).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

/// A credential as the limiter knows it: its kind and a digest of its value (the limiter keeps
/// no copy of a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    /// `Authorization: Bearer` (accounts API tokens, operators).
    Bearer([u8; 16]),
    /// `pma-api-key`.
    ApiKey([u8; 16]),
    /// `x-access-token` (a console session).
    Session([u8; 16]),
}

fn digest(raw: &str) -> [u8; 16] {
    let full = Sha256::digest(raw.as_bytes());
    let mut d = [0u8; 16];
    d.copy_from_slice(&full[..16]);
    d
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

impl Credential {
    pub fn bearer(raw: &str) -> Credential {
        Credential::Bearer(digest(raw))
    }
    pub fn api_key(raw: &str) -> Credential {
        Credential::ApiKey(digest(raw))
    }
    pub fn session(raw: &str) -> Credential {
        Credential::Session(digest(raw))
    }

    /// The credentials a request presents, as each extractor reads them.
    fn presented(headers: &HeaderMap) -> impl Iterator<Item = Credential> {
        [
            header(headers, "pma-api-key").map(Credential::api_key),
            header(headers, "x-access-token").map(Credential::session),
            crate::extract::bearer_token(headers).map(Credential::bearer),
        ]
        .into_iter()
        .flatten()
    }
}

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    Credential(Credential),
    Address(IpAddr),
}

/// How long a credential stays known after it last authenticated; past it, its next request is
/// counted against the address until it authenticates again.
const KNOWN_FOR: Duration = Duration::from_secs(600);

/// The per-caller limit of every request (`[rate_limit]`).
pub struct RequestLimits {
    app: App,
    limiter: KeyedLimiter<Caller>,
    /// Credentials that authenticated lately, with when (seconds since start, by this limiter's
    /// clock). Only these are counted on their own.
    known: DashMap<Credential, u64>,
}

impl RequestLimits {
    /// The limits of `app.config.rate_limit`; `None` when `per_second` is 0.
    pub fn from_app(app: &App) -> Option<Arc<RequestLimits>> {
        let c = &app.config.rate_limit;
        let quota = quota(c.per_second, Duration::from_secs(1), c.burst)?;
        Some(Arc::new(RequestLimits {
            app: app.clone(),
            limiter: KeyedLimiter::new(quota, c.max_keys),
            known: DashMap::new(),
        }))
    }

    fn now_secs(&self) -> u64 {
        self.limiter.elapsed_nanos() / 1_000_000_000
    }

    /// The caller a request counts against: a presented credential that authenticated lately,
    /// else the client address (also whenever the limiter is full of keys in use).
    fn caller(&self, parts: &Parts) -> Caller {
        if !self.limiter.is_full()
            && let Some(c) =
                Credential::presented(&parts.headers).find(|c| self.known.contains_key(c))
        {
            return Caller::Credential(c);
        }
        Caller::Address(client_key(crate::extract::client_ip(&self.app, parts)))
    }

    fn remember(&self, credential: Credential) {
        let now = self.now_secs();
        let fresh = self
            .known
            .get(&credential)
            .is_some_and(|seen| now.saturating_sub(*seen) < KNOWN_FOR.as_secs() / 2);
        if fresh || self.known.len() >= self.limiter.max_keys {
            return;
        }
        self.known.insert(credential, now);
    }

    fn sweep_known(&self) {
        let now = self.now_secs();
        self.known
            .retain(|_, seen| now.saturating_sub(*seen) < KNOWN_FOR.as_secs());
    }
}

/// Called by the credential extractors once `credential` has authenticated: from now on the
/// requests carrying it count against it rather than against the client address.
pub fn authenticated(parts: &Parts, credential: Credential) {
    if let Some(limits) = parts.extensions.get::<Arc<RequestLimits>>() {
        limits.remember(credential);
    }
}

/// The request limit: past it, 429 in the face's error shape with `Retry-After`, before
/// anything else runs (the body is not read, an `Idempotency-Key` is not used up).
pub async fn limit_requests(
    State(limits): State<Arc<RequestLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    if limits.limiter.sweep_if_due() {
        limits.sweep_known();
    }
    let caller = limits.caller(&parts);
    if let Err(refused) = limits.limiter.check_now(&caller, 1) {
        return too_many_requests(&limits.app, parts.uri.path(), refused);
    }
    parts.extensions.insert(limits.clone());
    next.run(Request::from_parts(parts, body)).await
}

/// 429 in the face's error shape, with `Retry-After`.
pub fn too_many_requests(app: &App, path: &str, refused: Refused) -> Response {
    let secs = refused.retry_after_secs();
    let e = AppError::too_many_requests(
        "error.rate.limited",
        format!("Too many requests; retry in {secs} s"),
        secs,
    );
    render(Face::of(path), path, &ErrorBody::from(&e), app.now())
}

/// The public JSON-RPC's per-client limiter (`[chain] rpc_rate_*`); `None` when the rate is 0.
#[derive(Clone)]
pub struct RpcRateLimit(pub Option<Arc<KeyedLimiter<IpAddr>>>);

impl RpcRateLimit {
    pub fn from_config(config: &Config) -> Self {
        let c = &config.chain;
        RpcRateLimit(
            quota(
                c.rpc_rate_per_minute,
                Duration::from_secs(60),
                c.rpc_rate_burst,
            )
            .map(|q| Arc::new(KeyedLimiter::new(q, c.rpc_rate_max_clients))),
        )
    }

    /// Takes `calls` from the client's allowance. While `rpc_rate_max_clients` clients are in
    /// use at once (a flood from that many addresses), every call is refused until they drop
    /// below: the EVM never works for an unbounded number of clients.
    pub fn check(&self, ip: IpAddr, calls: u32) -> Result<(), Refused> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter.sweep_if_due();
        if limiter.is_full() {
            return Err(Refused {
                retry_after: SWEEP_EVERY,
            });
        }
        limiter.check_now(&client_key(ip), calls)
    }
}

/// Adds the 429 every operation can answer to the OpenAPI document: the face's error shape, an
/// example of the real body, and the `Retry-After` header. An operation that documents a 429 of
/// its own keeps its description (the limiter's is appended), or all of it when it gives the
/// body (the JSON-RPC's error object).
pub fn document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for (path, item) in doc.paths.paths.iter_mut() {
        let limiter = too_many_requests_doc(Face::of(path));
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            let entry = op.responses.responses.entry("429".into());
            let RefOr::T(own) = entry.or_insert_with(|| limiter.clone().into()) else {
                continue;
            };
            if own.content.is_empty() {
                let description = format!("{}; or: {}", own.description, limiter.description);
                *own = limiter.clone();
                own.description = description;
            }
        }
    }
}

fn too_many_requests_doc(face: Face) -> utoipa::openapi::Response {
    let (schema, example) = match face {
        Face::Accounts => (
            serde_json::json!({
                "type": "object",
                "required": ["error", "error_description"],
                "properties": {
                    "error": {"type": "string", "enum": ["too_many_requests"]},
                    "error_description": {"type": "string"}
                }
            }),
            serde_json::json!({"error": "too_many_requests", "error_description": "Too many requests; retry in 1 s"}),
        ),
        Face::PullPayments => (
            serde_json::json!({
                "type": "object",
                "required": ["success", "status", "message", "errors"],
                "properties": {
                    "success": {"type": "boolean"},
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "errors": {"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": ["string", "null"]},
                            "code": {"type": "string"},
                            "message": {"type": "string"}
                        }
                    }}
                }
            }),
            serde_json::json!({"success": false, "status": 429, "message": "Too many requests; retry in 1 s",
                "errors": [{"field": null, "code": "error.rate.limited", "message": "Too many requests; retry in 1 s"}]}),
        ),
    };
    let response = serde_json::json!({
        "description": "Too many requests from this caller (its credential, or its address when it sends none): retry after `Retry-After` seconds (see docs/security.md, rate limits)",
        "headers": {"Retry-After": {"description": "Seconds to wait, at least 1 (always sent by the request limit)", "schema": {"type": "integer", "minimum": 1}}},
        "content": {"application/json": {"schema": schema, "example": example}}
    });
    serde_json::from_value(response).expect("a valid OpenAPI response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    const SEC: Duration = Duration::from_secs(1);

    fn limiter<K: Hash + Eq + Clone>(
        per_minute: u32,
        burst: u32,
        max_keys: usize,
    ) -> (KeyedLimiter<K, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let q = quota(per_minute, Duration::from_secs(60), burst).unwrap();
        (KeyedLimiter::with_clock(q, max_keys, clock.clone()), clock)
    }

    #[test]
    fn a_key_spends_its_burst_then_waits_for_the_refill() {
        let (l, clock) = limiter(60, 3, 100);
        for _ in 0..3 {
            assert_eq!(l.check(&"a", 1), Ok(()));
        }
        let refused = l.check(&"a", 1).unwrap_err();
        assert_eq!(refused.retry_after, SEC);
        assert_eq!(refused.retry_after_secs(), 1);
        // Other keys are independent.
        assert_eq!(l.check(&"b", 3), Ok(()));
        // Half a cell after 0.5 s is not enough; one after 1 s is.
        clock.advance(SEC / 2);
        let refused = l.check(&"a", 1).unwrap_err();
        assert_eq!(refused.retry_after, SEC / 2);
        assert_eq!(refused.retry_after_secs(), 1);
        clock.advance(SEC / 2);
        assert_eq!(l.check(&"a", 1), Ok(()));
        assert!(l.check(&"a", 1).is_err());
    }

    #[test]
    fn a_refused_request_takes_nothing_and_a_cost_counts_whole() {
        let (l, clock) = limiter(60, 5, 100);
        assert_eq!(l.check(&1, 4), Ok(()));
        let refused = l.check(&1, 3).unwrap_err();
        assert_eq!(refused.retry_after, 2 * SEC);
        assert_eq!(l.check(&1, 1), Ok(()));
        // A cost above the burst can never pass.
        assert_eq!(l.check(&2, 6).unwrap_err().retry_after, Duration::MAX);
        // The bucket never holds more than the burst, however long the key was idle.
        clock.advance(3600 * SEC);
        assert_eq!(l.check(&1, 5), Ok(()));
        assert!(l.check(&1, 1).is_err());
    }

    #[test]
    fn refilled_keys_are_forgotten_and_a_full_limiter_says_so() {
        let (l, clock) = limiter(60, 2, 16);
        for k in 0..1000 {
            l.check(&k, 1).unwrap();
        }
        assert_eq!(l.len(), 1000);
        // A key that spent one cell has refilled after 1 s; governor's sweep keeps it one more
        // refill interval (1 s here), then forgets it.
        clock.advance(2 * SEC);
        l.check(&5000, 1).unwrap();
        assert_eq!(l.len(), 1);
        assert!(!l.is_full());
        // 16 keys still in use at a sweep: full.
        for k in 0..16 {
            l.check(&k, 2).unwrap();
        }
        clock.advance(SEC);
        l.check(&99, 1).unwrap();
        assert!(l.is_full(), "{}", l.len());
        // Once they have refilled (2 s for two cells), they go and it is no longer full.
        clock.advance(2 * SEC);
        l.check(&99, 1).unwrap();
        assert!(!l.is_full());
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn a_busy_key_is_remembered_across_sweeps() {
        let (l, clock) = limiter(1, 10, 8);
        for _ in 0..2 {
            l.check(&"busy", 1).unwrap();
        }
        // Sweeps run; the busy key's spent cells (one a minute to refill) are kept.
        for _ in 0..5 {
            clock.advance(SEC);
            l.check(&"other", 1).unwrap();
        }
        for _ in 0..8 {
            l.check(&"busy", 1).unwrap();
        }
        assert!(l.check(&"busy", 1).is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
        assert_eq!(client_key("::ffff:203.0.113.7".parse().unwrap()), v4);
    }

    #[test]
    fn a_zero_rate_is_no_limit_and_quotas_keep_their_burst() {
        assert!(quota(0, SEC, 10).is_none());
        let q = quota(100, SEC, 200).unwrap();
        assert_eq!(q.burst_size().get(), 200);
        assert_eq!(q.replenish_interval(), Duration::from_millis(10));
    }
}
