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
//! allowed and a full window restores it. In memory, bounded in size (least recently used keys
//! are forgotten first). Time is passed in so that the rule is testable.
//!
//! On PostgreSQL several instances share each bucket ([`RateLimits::share`], issue #24): a
//! process serves a caller `1/n` of the bucket (n instances, counted by their event listeners)
//! and, once a second, adds what its callers spent to the shared bucket in the database and
//! takes its share of what is left (also for keys other instances spent, so an idle instance
//! does not hold a stale full share); a trade only ever takes tokens back from a process's
//! part, never adds any (the shared bucket may not yet hold the others' spending), so a part
//! grows back only by its own refill. A caller therefore gets about the configured limit
//! whatever the number of instances, erring low rather than high while a trade lags behind
//! another instance's spending, and no request writes to the database.
//!
//! An allowed call learns what is left of its bucket ([`Budget`]); `POST /graphql` reports it
//! in `extensions.cost.throttleStatus`. The budget counts requests, not cost points.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lru::LruCache;
use serde_json::json;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Principal;
use crate::config::{DatabaseConfig, RateLimitConfig};
use crate::error::{AppError, ErrorCode};
use crate::prometheus::Metrics;
use crate::service::rate_limits;

/// Keys remembered per limiter; past it the least recently seen key starts afresh.
const CAPACITY: usize = 100_000;

pub struct KeyedLimiter<K: Hash + Eq> {
    limit: f64,
    per_second: f64,
    /// Instances sharing each bucket (1: this process alone); each serves its part.
    shares: AtomicU32,
    buckets: Mutex<LruCache<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    /// Tokens taken since the last trade with the shared bucket.
    spent: u32,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `limit` requests per `window` (both at least 1 / 1 ms, as the configuration ensures).
    pub fn new(limit: u32, window: Duration, capacity: usize) -> Self {
        let limit = f64::from(limit.max(1));
        let window = window.max(Duration::from_millis(1)).as_secs_f64();
        Self {
            limit,
            per_second: limit / window,
            shares: AtomicU32::new(1),
            buckets: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// This process's part of a bucket: its size, refill per second, and the instances
    /// sharing it.
    fn part(&self) -> (f64, f64, f64) {
        let n = f64::from(self.shares.load(Ordering::Relaxed).max(1));
        (self.limit / n, self.per_second / n, n)
    }

    /// Takes one token for `key`: the budget left, or `Err(whole seconds until one is
    /// available)` (at least 1).
    pub fn check(&self, key: K, now: Instant) -> Result<Budget, u64> {
        let (size, per_second, n) = self.part();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.get_or_insert_mut(key, || Bucket {
            tokens: size,
            updated: now,
            spent: 0,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(size);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.spent = bucket.spent.saturating_add(1);
            // The caller's whole remainder, as far as this process can tell: its part, times
            // the instances (each serves as much).
            Ok(Budget {
                capacity: self.limit,
                remaining: bucket.tokens * n,
                per_second: self.per_second,
            })
        } else {
            let wait = (1.0 - bucket.tokens) / per_second;
            // Saturating float-to-int cast: a wait is never negative, and is small.
            Err((wait.ceil() as u64).max(1))
        }
    }

    /// Sets how many instances share each bucket.
    pub fn set_shares(&self, n: u32) {
        self.shares.store(n.max(1), Ordering::Relaxed);
    }

    /// The keys spent since the last call, with how much (their counts start again).
    pub fn take_spent(&self) -> Vec<(K, u32)> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .iter_mut()
            .filter(|(_, b)| b.spent > 0)
            .map(|(key, b)| (key.clone(), std::mem::take(&mut b.spent)))
            .collect()
    }

    /// The shared bucket of `key` holds `shared` tokens: this process keeps at most its part
    /// of them, less what its callers spent since the trade began (they are traded next time).
    /// A key new to this process starts from it too, so a caller busy elsewhere gets no fresh
    /// part here. A trade only takes tokens back, never adds any: the shared bucket does not
    /// yet hold what the other processes spent since their own last trade, so a part grown from
    /// it would serve that spending twice (a burst across three processes got 48 of a limit of
    /// 40 that way). A part grows back by its own refill.
    pub fn settle(&self, key: &K, shared: f64, now: Instant) {
        let (size, per_second, n) = self.part();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.get_or_insert_mut(key.clone(), || Bucket {
            tokens: size,
            updated: now,
            spent: 0,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        let held = (bucket.tokens + elapsed * per_second).min(size);
        let share = (shared.max(0.0) / n).min(size) - f64::from(bucket.spent);
        bucket.tokens = held.min(share);
        bucket.updated = bucket.updated.max(now);
    }

    /// Gives back spending a failed trade took, to be traded next time.
    pub fn unspend(&self, spent: &[(K, u32)]) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        for (key, n) in spent {
            if let Some(bucket) = buckets.peek_mut(key) {
                bucket.spent = bucket.spent.saturating_add(*n);
            }
        }
    }

    /// The configuration every instance shares.
    pub fn limit(&self) -> crate::service::rate_limits::Limit {
        crate::service::rate_limits::Limit {
            capacity: self.limit,
            per_second: self.per_second,
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

/// How often a process trades with the shared buckets.
const TRADE_INTERVAL: Duration = Duration::from_secs(1);

/// Shared buckets touched this recently are taken back into every process's part.
const RECENT_SECS: f64 = 3.0;

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

    /// Shares the buckets with the other instances on `database` (PostgreSQL): trades every
    /// second until `self` is dropped, over a connection of its own (the request pool's load
    /// never delays a trade, and a trade never takes a request's connection), and keeps
    /// `partnergraph_instances` current. A failed trade is logged once until one succeeds;
    /// meanwhile each process keeps its last part.
    pub fn share(self: &Arc<Self>, database: DatabaseConfig, metrics: Arc<Metrics>) {
        let limits = Arc::downgrade(self);
        let database = DatabaseConfig {
            max_connections: 1,
            ..database
        };
        tokio::spawn(async move {
            let db = loop {
                match crate::db::connect(&database).await {
                    Ok(db) => break db,
                    Err(err) => {
                        tracing::warn!(error = %err, "rate limits: cannot connect to share the buckets; retrying");
                        tokio::time::sleep(TRADE_INTERVAL).await;
                        if limits.strong_count() == 0 {
                            return;
                        }
                    }
                }
            };
            let mut tick = tokio::time::interval(TRADE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut failing = false;
            let mut forgot = Instant::now();
            loop {
                tick.tick().await;
                let Some(limits) = limits.upgrade() else {
                    break;
                };
                match limits.trade(&db).await {
                    Ok(instances) => {
                        metrics.instances(instances);
                        failing = false;
                    }
                    Err(err) if !failing => {
                        tracing::warn!(error = %err, "rate limits: cannot trade with the shared buckets");
                        failing = true;
                    }
                    Err(_) => {}
                }
                if forgot.elapsed() > limits.idle_after() {
                    forgot = Instant::now();
                    let idle = limits.idle_after().as_secs_f64();
                    if let Err(err) = rate_limits::forget_idle(&db, idle).await {
                        tracing::debug!(error = %err, "rate limits: forgetting idle buckets");
                    }
                }
            }
        });
    }

    /// A bucket untouched this long is full again: its row can go.
    fn idle_after(&self) -> Duration {
        let slowest = self
            .callers
            .limit()
            .per_second
            .min(self.anonymous.limit().per_second);
        let refill = self
            .callers
            .limit()
            .capacity
            .max(self.anonymous.limit().capacity)
            / slowest;
        Duration::from_secs_f64(refill.clamp(1.0, 86_400.0)) + Duration::from_secs(60)
    }

    async fn trade(&self, db: &DatabaseConnection) -> Result<u32, AppError> {
        let instances = rate_limits::instances(db).await?;
        self.callers.set_shares(instances);
        self.anonymous.set_shares(instances);
        trade(db, "caller", &self.callers).await?;
        trade(db, "anonymous", &self.anonymous).await?;
        Ok(instances)
    }
}

/// One limiter's trade: its spending in, every recently touched shared bucket back.
async fn trade<K: SharedKey>(
    db: &DatabaseConnection,
    name: &str,
    limiter: &KeyedLimiter<K>,
) -> Result<(), AppError> {
    let spent = limiter.take_spent();
    if !spent.is_empty() {
        let named: Vec<(String, u32)> = spent.iter().map(|(k, n)| (k.shared_name(), *n)).collect();
        if let Err(err) = rate_limits::exchange(db, name, limiter.limit(), &named).await {
            limiter.unspend(&spent);
            return Err(err);
        }
    }
    let now = Instant::now();
    for (name, tokens) in rate_limits::recent(db, name, limiter.limit(), RECENT_SECS).await? {
        if let Some(key) = K::from_shared_name(&name) {
            limiter.settle(&key, tokens, now);
        }
    }
    Ok(())
}

/// A limiter's key as the shared buckets name it.
trait SharedKey: Hash + Eq + Clone + Sized {
    fn shared_name(&self) -> String;
    fn from_shared_name(name: &str) -> Option<Self>;
}

impl SharedKey for Principal {
    fn shared_name(&self) -> String {
        match self {
            Principal::User(id) => format!("user:{id}"),
            Principal::ApiKey(id) => format!("key:{id}"),
            Principal::Connector(id) => format!("connector:{id}"),
        }
    }

    fn from_shared_name(name: &str) -> Option<Self> {
        let (kind, id) = name.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "user" => Some(Principal::User(id)),
            "key" => Some(Principal::ApiKey(id)),
            "connector" => Some(Principal::Connector(id)),
            _ => None,
        }
    }
}

impl SharedKey for Option<IpAddr> {
    fn shared_name(&self) -> String {
        match self {
            Some(ip) => format!("ip:{ip}"),
            None => "ip:-".to_owned(),
        }
    }

    fn from_shared_name(name: &str) -> Option<Self> {
        match name.strip_prefix("ip:")? {
            "-" => Some(None),
            ip => ip.parse().ok().map(Some),
        }
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
    fn shared_buckets_serve_a_part_and_settle_to_the_shared_remainder() {
        let limiter = KeyedLimiter::new(30, Duration::from_secs(3000), 100);
        limiter.set_shares(3);
        let t0 = Instant::now();
        // A part of 10 of the 30.
        for _ in 0..10 {
            limiter.check("a", t0).unwrap();
        }
        assert!(limiter.check("a", t0).is_err());
        assert_eq!(limiter.take_spent(), vec![("a", 10)]);
        assert!(limiter.take_spent().is_empty(), "traded once");
        // Others spent too: 9 are left for the three, and one was spent here since the trade.
        limiter.set_shares(1);
        limiter.check("b", t0).unwrap();
        limiter.set_shares(3);
        limiter.settle(&"b", 9.0, t0);
        let budget = limiter.check("b", t0).unwrap();
        assert!(
            (budget.remaining - 3.0 * (9.0 / 3.0 - 1.0 - 1.0)).abs() < 1e-9,
            "{budget:?}"
        );
        // A trade never grows a part: "a" spent its 10 here; the shared bucket, not yet told
        // of the others' spending, says 30 are left.
        limiter.settle(&"a", 30.0, t0);
        assert!(limiter.check("a", t0).is_err());
        // A key new here starts from the shared remainder, not a fresh part.
        limiter.settle(&"c", 0.0, t0);
        assert!(limiter.check("c", t0).is_err());
        // A failed trade gives its spending back.
        let spent = limiter.take_spent();
        limiter.unspend(&spent);
        assert_eq!(limiter.take_spent().len(), spent.len());
    }

    #[test]
    fn shared_names_round_trip() {
        for principal in [
            Principal::User(7),
            Principal::ApiKey(8),
            Principal::Connector(9),
        ] {
            assert_eq!(
                Principal::from_shared_name(&principal.shared_name()),
                Some(principal)
            );
        }
        for ip in [
            None,
            Some("192.0.2.1".parse().unwrap()),
            Some("2001:db8::".parse().unwrap()),
        ] {
            assert_eq!(
                <Option<IpAddr>>::from_shared_name(&ip.shared_name()),
                Some(ip)
            );
        }
        assert_eq!(Principal::from_shared_name("user:x"), None);
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
