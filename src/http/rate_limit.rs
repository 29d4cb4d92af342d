//! Request rate limits: a token bucket per caller, checked with authentication (the
//! [`super::auth::Caller`] extractor, the WebSocket `connection_init`) before the body is parsed
//! or any operation runs.
//!
//! - A user (access token) or an API key: `per_caller` requests per window.
//! - Anonymous calls (`login`, `registerBrand`, `refreshSession`, `acceptInvite`, postbacks
//!   without a key) and calls whose credential does not verify: `per_ip` per window and client IP
//!   (an IPv6 client by its /64, the smallest block one subscriber gets).
//!
//! Each bucket holds `limit` tokens and refills at `limit / window`, so a burst of `limit` is
//! allowed and a full window restores it. In memory and per process, bounded in size (least
//! recently used keys are forgotten first). Time is passed in so that the rule is testable.
//!
//! An allowed call learns what is left of its bucket ([`Budget`]); `POST /graphql` reports it
//! in `extensions.cost.throttleStatus`. The budget counts requests, not cost points.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lru::LruCache;
use serde_json::json;

use crate::auth::Principal;
use crate::config::RateLimitConfig;
use crate::error::ErrorCode;

/// Keys remembered per limiter; past it the least recently seen key starts afresh.
const CAPACITY: usize = 100_000;

pub struct KeyedLimiter<K: Hash + Eq> {
    limit: f64,
    per_second: f64,
    buckets: Mutex<LruCache<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq> KeyedLimiter<K> {
    /// `limit` requests per `window` (both at least 1 / 1 ms, as the configuration ensures).
    pub fn new(limit: u32, window: Duration, capacity: usize) -> Self {
        let limit = f64::from(limit.max(1));
        let window = window.max(Duration::from_millis(1)).as_secs_f64();
        Self {
            limit,
            per_second: limit / window,
            buckets: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Takes one token for `key`: the budget left, or `Err(whole seconds until one is
    /// available)` (at least 1).
    pub fn check(&self, key: K, now: Instant) -> Result<Budget, u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.get_or_insert_mut(key, || Bucket {
            tokens: self.limit,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.limit);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(Budget {
                capacity: self.limit,
                remaining: bucket.tokens,
                per_second: self.per_second,
            })
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            // Saturating float-to-int cast: a wait is never negative, and is small.
            Err((wait.ceil() as u64).max(1))
        }
    }
}

/// What is left of a caller's bucket once its request took a token: `remaining` of `capacity`
/// requests, refilled at `per_second`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub capacity: f64,
    pub remaining: f64,
    pub per_second: f64,
}

/// The process's request limits (see the module documentation).
pub struct RateLimits {
    callers: KeyedLimiter<Principal>,
    anonymous: KeyedLimiter<Option<IpAddr>>,
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        Self {
            callers: KeyedLimiter::new(config.per_caller, config.window, CAPACITY),
            anonymous: KeyedLimiter::new(config.per_ip, config.window, CAPACITY),
        }
    }

    /// An authenticated call by `principal`.
    pub fn caller(&self, principal: Principal) -> Result<Budget, Limited> {
        self.callers
            .check(principal, Instant::now())
            .map_err(|retry_after_secs| Limited { retry_after_secs })
    }

    /// A call without (valid) credentials from `ip`; `None` (no connection info) is one client.
    pub fn anonymous(&self, ip: Option<IpAddr>) -> Result<Budget, Limited> {
        self.anonymous
            .check(ip.map(ip_key), Instant::now())
            .map_err(|retry_after_secs| Limited { retry_after_secs })
    }
}

/// A refused call; answered by [`too_many_requests`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after_secs: u64,
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        too_many_requests(self.retry_after_secs)
    }
}

/// IPv6 clients by their /64: one subscriber usually has at least that many addresses.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        IpAddr::V4(_) => ip,
    }
}

/// 429 with `Retry-After` and the GraphQL error shape (`RATE_LIMITED`, `retryAfter`).
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let body = json!({ "errors": [{
        "message": format!("too many requests, retry in {retry_after_secs}s"),
        "extensions": { "code": ErrorCode::RateLimited.as_str(), "retryAfter": retry_after_secs },
    }] });
    too_many(
        (StatusCode::OK, Json(body)).into_response(),
        retry_after_secs,
    )
}

/// `response` as a refusal by a rate limit: 429 with `Retry-After`.
pub fn too_many(mut response: Response, retry_after_secs: u64) -> Response {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_of_the_limit_then_refuses() {
        let limiter = KeyedLimiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
        }
        // One token comes back every 20 s.
        assert_eq!(limiter.check("a", t0), Err(20));
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(15)), Err(5));
        assert!(limiter.check("b", t0).is_ok(), "other keys are unaffected");
    }

    #[test]
    fn refills_at_the_rate_and_fully_after_a_window() {
        let limiter = KeyedLimiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check("a", t0).unwrap();
        }
        assert!(limiter.check("a", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.check("a", t0 + Duration::from_secs(20)).is_err());
        let later = t0 + Duration::from_secs(600);
        for _ in 0..3 {
            assert!(limiter.check("a", later).is_ok());
        }
        assert!(
            limiter.check("a", later).is_err(),
            "never more than the limit"
        );
    }

    #[test]
    fn refused_calls_do_not_count() {
        let limiter = KeyedLimiter::new(1, Duration::from_secs(10), 100);
        let t0 = Instant::now();
        limiter.check("a", t0).unwrap();
        for i in 0..100 {
            assert!(limiter.check("a", t0 + Duration::from_millis(i)).is_err());
        }
        assert!(limiter.check("a", t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn retry_after_is_at_least_a_second() {
        let limiter = KeyedLimiter::new(1000, Duration::from_secs(1), 100);
        let t0 = Instant::now();
        for _ in 0..1000 {
            limiter.check("a", t0).unwrap();
        }
        assert_eq!(limiter.check("a", t0), Err(1));
    }

    #[test]
    fn an_allowed_call_learns_the_budget_left() {
        let limiter = KeyedLimiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        let first = limiter.check("a", t0).unwrap();
        assert_eq!(first.capacity, 3.0);
        assert_eq!(first.remaining, 2.0);
        assert!((first.per_second - 0.05).abs() < 1e-12);
        assert_eq!(limiter.check("a", t0).unwrap().remaining, 1.0);
        // 10 s later half a token has come back.
        let later = limiter.check("a", t0 + Duration::from_secs(10)).unwrap();
        assert!((later.remaining - 0.5).abs() < 1e-9, "{later:?}");
    }

    #[test]
    fn stays_bounded() {
        let limiter = KeyedLimiter::new(1, Duration::from_secs(60), 10);
        let t0 = Instant::now();
        for i in 0..100 {
            limiter.check(i, t0).unwrap();
        }
        assert!(limiter.buckets.lock().unwrap().len() <= 10);
        assert!(limiter.check(99, t0).is_err(), "recent keys are remembered");
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(ip_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn refusals_carry_retry_after_and_the_code() {
        let response = too_many_requests(7);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
