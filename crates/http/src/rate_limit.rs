//! A keyed token-bucket rate limiter, for any route that needs one (the public JSON-RPC uses it
//! per client IP).
//!
//! Each key has a bucket of `burst` tokens that refills at `per_period` tokens per `period`; a
//! request costs one or more tokens. Arithmetic is in integer micro-tokens, so refills are exact
//! and never drift. Memory is bounded: a bucket that has refilled completely is the same as no
//! bucket, so such idle keys are dropped by a sweep, and at `max_keys` the least recently seen
//! keys are dropped too.
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Micro-tokens per token.
const SCALE: u128 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Tokens a fresh (or long idle) key may spend at once.
    pub burst: u32,
    /// Tokens added per `period`.
    pub per_period: u32,
    pub period: Duration,
}

impl Quota {
    pub fn per_minute(per_minute: u32, burst: u32) -> Quota {
        Quota {
            burst,
            per_period: per_minute,
            period: Duration::from_secs(60),
        }
    }

    fn capacity(&self) -> u128 {
        u128::from(self.burst) * SCALE
    }

    /// Micro-tokens earned over `elapsed`.
    fn earned(&self, elapsed: Duration) -> u128 {
        let period = self.period.as_nanos().max(1);
        elapsed
            .as_nanos()
            .saturating_mul(u128::from(self.per_period) * SCALE)
            / period
    }

    /// Time until `missing` micro-tokens have been earned (rounded up).
    fn time_to_earn(&self, missing: u128) -> Duration {
        let rate = u128::from(self.per_period) * SCALE;
        if rate == 0 {
            return Duration::MAX;
        }
        let nanos = missing
            .saturating_mul(self.period.as_nanos())
            .div_ceil(rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// How long an untouched bucket takes to fill up from empty: after that it is idle.
    fn idle_after(&self) -> Duration {
        self.time_to_earn(self.capacity())
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    micro_tokens: u128,
    updated: Instant,
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

pub struct RateLimiter<K> {
    quota: Quota,
    max_keys: usize,
    state: Mutex<State<K>>,
}

struct State<K> {
    buckets: HashMap<K, Bucket>,
    last_sweep: Option<Instant>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(quota: Quota, max_keys: usize) -> Self {
        RateLimiter {
            quota,
            max_keys: max_keys.max(1),
            state: Mutex::new(State {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Takes `cost` tokens from `key`'s bucket, or refuses (taking nothing).
    pub fn check(&self, key: &K, cost: u32) -> Result<(), Refused> {
        self.check_at(key, cost, Instant::now())
    }

    pub fn check_at(&self, key: &K, cost: u32, now: Instant) -> Result<(), Refused> {
        let q = self.quota;
        let cost = u128::from(cost) * SCALE;
        if cost > q.capacity() {
            // More than a full bucket: no wait makes it possible.
            return Err(Refused {
                retry_after: Duration::MAX,
            });
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let idle_after = q.idle_after();
        let sweep_due = state
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= idle_after);
        if sweep_due {
            state.sweep_idle(&q, now);
            state.last_sweep = Some(now);
        }
        if !state.buckets.contains_key(key) && state.buckets.len() >= self.max_keys {
            state.sweep_idle(&q, now);
            if state.buckets.len() >= self.max_keys {
                state.drop_least_recent(self.max_keys);
            }
        }
        let bucket = state.buckets.entry(key.clone()).or_insert(Bucket {
            micro_tokens: q.capacity(),
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated);
        let available = bucket
            .micro_tokens
            .saturating_add(q.earned(elapsed))
            .min(q.capacity());
        if available < cost {
            // Leave the bucket as it was: a refused request costs nothing and earns nothing.
            return Err(Refused {
                retry_after: q.time_to_earn(cost - available),
            });
        }
        bucket.micro_tokens = available - cost;
        bucket.updated = now;
        Ok(())
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .buckets
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Hash + Eq + Clone> State<K> {
    /// Drops buckets that have refilled completely (a fresh bucket would be identical).
    fn sweep_idle(&mut self, q: &Quota, now: Instant) {
        self.buckets.retain(|_, b| {
            let earned = q.earned(now.saturating_duration_since(b.updated));
            b.micro_tokens.saturating_add(earned) < q.capacity()
        });
    }

    /// Drops the least recently seen eighth (at least one) of `max_keys`, so a flood of new keys
    /// pays one pass over the map per eighth, not one per key.
    fn drop_least_recent(&mut self, max_keys: usize) {
        let n = (max_keys / 8).max(1).min(self.buckets.len());
        let mut seen: Vec<Instant> = self.buckets.values().map(|b| b.updated).collect();
        let (_, cutoff, _) = seen.select_nth_unstable(n - 1);
        let cutoff = *cutoff;
        let mut dropped = 0;
        self.buckets.retain(|_, b| {
            if dropped < n && b.updated <= cutoff {
                dropped += 1;
                false
            } else {
                true
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn a_key_spends_its_burst_then_waits_for_the_refill() {
        let l = RateLimiter::new(Quota::per_minute(60, 3), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check_at(&"a", 1, t0), Ok(()));
        }
        let refused = l.check_at(&"a", 1, t0).unwrap_err();
        assert_eq!(refused.retry_after, SEC);
        assert_eq!(refused.retry_after_secs(), 1);
        // Other keys are independent.
        assert_eq!(l.check_at(&"b", 3, t0), Ok(()));
        // Half a token after 0.5 s is not enough; one after 1 s is.
        let refused = l.check_at(&"a", 1, t0 + SEC / 2).unwrap_err();
        assert_eq!(refused.retry_after, SEC / 2);
        assert_eq!(refused.retry_after_secs(), 1);
        assert_eq!(l.check_at(&"a", 1, t0 + SEC), Ok(()));
        assert!(l.check_at(&"a", 1, t0 + SEC).is_err());
    }

    #[test]
    fn a_refused_request_takes_nothing_and_a_cost_counts_whole() {
        let l = RateLimiter::new(Quota::per_minute(60, 5), 100);
        let t0 = Instant::now();
        assert_eq!(l.check_at(&1, 4, t0), Ok(()));
        let refused = l.check_at(&1, 3, t0).unwrap_err();
        assert_eq!(refused.retry_after, 2 * SEC);
        assert_eq!(l.check_at(&1, 1, t0), Ok(()));
        // A cost above the burst can never pass.
        assert_eq!(
            l.check_at(&2, 6, t0).unwrap_err().retry_after,
            Duration::MAX
        );
        // The bucket never holds more than the burst, however long the key was idle.
        let later = t0 + 3600 * SEC;
        assert_eq!(l.check_at(&1, 5, later), Ok(()));
        assert!(l.check_at(&1, 1, later).is_err());
    }

    #[test]
    fn idle_keys_are_forgotten_and_memory_stays_bounded() {
        let l = RateLimiter::new(Quota::per_minute(60, 2), 16);
        let t0 = Instant::now();
        for k in 0..16 {
            l.check_at(&k, 1, t0).unwrap();
        }
        assert_eq!(l.len(), 16);
        // A flood of new keys never grows the map past its bound.
        for k in 16..1000 {
            l.check_at(&k, 1, t0).unwrap();
            assert!(l.len() <= 16, "{}", l.len());
        }
        // Once every bucket has refilled (2 s here), the next check sweeps them all.
        l.check_at(&5000, 1, t0 + 10 * SEC).unwrap();
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn a_busy_key_survives_eviction_of_least_recent_ones() {
        let l: RateLimiter<String> = RateLimiter::new(Quota::per_minute(1, 10), 8);
        let key = |s: &str| s.to_string();
        let t0 = Instant::now();
        l.check_at(&key("busy"), 1, t0).unwrap();
        for k in 0..7 {
            l.check_at(&format!("k{k}"), 1, t0 + SEC).unwrap();
        }
        // Full: the busy key is refreshed, so the next newcomer evicts an older one.
        l.check_at(&key("busy"), 1, t0 + 2 * SEC).unwrap();
        l.check_at(&key("new"), 1, t0 + 3 * SEC).unwrap();
        assert!(l.len() <= 8);
        // The busy key's spent tokens were remembered: 8 left of 10.
        for _ in 0..8 {
            l.check_at(&key("busy"), 1, t0 + 3 * SEC).unwrap();
        }
        assert!(l.check_at(&key("busy"), 1, t0 + 3 * SEC).is_err());
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
}
