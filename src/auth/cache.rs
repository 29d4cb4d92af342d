//! Verified credentials kept in process, so that an authenticated request costs no database
//! round trip: a session's caller by session id, an API key's by the SHA-256 of its secret.
//!
//! - Bounded: at most [`CAPACITY`] credentials, least recently used dropped first.
//! - Revocation is pushed, not polled: every write that ends a session, changes an account's
//!   role or creator records, deactivates it or revokes a key publishes a [`Revocation`]
//!   (`crate::events::Revocations`), and every process on the database evicts what it names
//!   within moments (PostgreSQL NOTIFY; in process on SQLite).
//! - A safety net: an entry is trusted for [`TTL`] at most, and never past the session's or the
//!   key's own expiry.
//! - Race-free: a lookup that started before an eviction is not cached (it may have read the
//!   state before the revocation).
//! - Off while the process may miss revocations: on PostgreSQL the cache serves nothing until
//!   the listener is in place, and is cleared whenever it loses or regains its connection.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use lru::LruCache;
use serde::{Deserialize, Serialize};

use super::{Actor, Principal};
use crate::db::entity::user;

/// Credentials kept at most.
pub const CAPACITY: usize = 10_000;
/// How long a cached credential is trusted without reading the database again, whatever the
/// revocations say: bounds the harm of a lost notification.
pub const TTL: Duration = Duration::seconds(30);

/// What a cached credential is found by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    /// A session (refresh-token family) id, the `sid` of its access tokens.
    Session(String),
    /// The SHA-256 (hex) of an API key's secret, as stored.
    ApiKey(String),
}

/// What a write revoked, as published to every process: the entries it covers are evicted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Revocation {
    /// One session ended (logout, `endSession`, refresh-token reuse).
    Session { session_id: String },
    /// Everything of one account: its sessions ended, its role, creator records or status
    /// changed, or it signed in again (its `lastLoginAt`).
    User { user_id: i64 },
    /// An API key revoked.
    ApiKey { key_id: i64 },
}

impl Revocation {
    fn covers(&self, actor: &Actor) -> bool {
        match (self, actor.principal) {
            (Self::Session { session_id }, _) => actor.session_id.as_ref() == Some(session_id),
            (Self::User { user_id }, Principal::User(id)) => *user_id == id,
            (Self::ApiKey { key_id }, Principal::ApiKey(id)) => *key_id == id,
            _ => false,
        }
    }
}

/// A cached caller and until when it may be served.
#[derive(Clone, Debug)]
pub struct Cached {
    pub actor: Actor,
    /// A session's account row, read with it: `viewer` answers from it. Every write to a field
    /// `viewer` shows revokes the account's entries ([`Revocation::User`]), as role and status
    /// changes do; `None` for an API key.
    pub account: Option<Arc<user::Model>>,
    /// The session's or key's expiry, or [`TTL`] after it was read, whichever is first.
    pub valid_until: DateTime<Utc>,
    /// An API key's `last_used_at` as last written (it is refreshed once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A lookup's place in the eviction order: taken before reading the database, handed to
/// [`CredentialCache::insert`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

pub struct CredentialCache {
    entries: Mutex<LruCache<Credential, Cached>>,
    /// Bumped (under the `entries` lock) by every eviction and clear.
    generation: AtomicU64,
    /// Whether evictions reach this process (see the module doc).
    enabled: AtomicBool,
}

impl CredentialCache {
    /// An empty cache, serving at once when `enabled` (SQLite), else from
    /// [`CredentialCache::resume`] on (PostgreSQL, once the listener is in place).
    pub fn new(capacity: usize, enabled: bool) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
            generation: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled),
        }
    }

    /// The cached caller of `credential` when it is still valid at `now`.
    pub fn get(&self, credential: &Credential, now: DateTime<Utc>) -> Option<Cached> {
        self.read(credential, now, Cached::clone)
    }

    /// The account of session `session_id`, read with it, when the session is cached and valid
    /// at `now` (the account is shared, not copied).
    pub fn account(&self, session_id: &str, now: DateTime<Utc>) -> Option<Arc<user::Model>> {
        let credential = Credential::Session(session_id.to_owned());
        self.read(&credential, now, |cached| cached.account.clone())
            .flatten()
    }

    /// `read` of the entry of `credential` when it is still valid at `now`; an expired entry is
    /// dropped. Nothing while the cache is off.
    fn read<T>(
        &self,
        credential: &Credential,
        now: DateTime<Utc>,
        read: impl FnOnce(&Cached) -> T,
    ) -> Option<T> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let mut entries = self.entries();
        match entries.get(credential) {
            Some(cached) if cached.valid_until > now => Some(read(cached)),
            Some(_) => {
                entries.pop(credential);
                None
            }
            None => None,
        }
    }

    /// Take before reading the credential from the database.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Caches `cached`, valid for [`TTL`] from `now` at most, unless something was evicted since
    /// `ticket` was taken (the read may predate a revocation) or the cache is off.
    pub fn insert(
        &self,
        credential: Credential,
        mut cached: Cached,
        ticket: Ticket,
        now: DateTime<Utc>,
    ) {
        cached.valid_until = cached.valid_until.min(now + TTL);
        let mut entries = self.entries();
        if !self.enabled.load(Ordering::Acquire)
            || self.generation.load(Ordering::Acquire) != ticket.0
        {
            return;
        }
        entries.put(credential, cached);
    }

    /// Records that an API key's `last_used_at` was written at `at`.
    pub fn touch(&self, credential: &Credential, at: DateTime<Utc>) {
        if let Some(cached) = self.entries().peek_mut(credential) {
            cached.last_used_at = Some(at);
        }
    }

    /// Drops every entry `revocation` covers.
    pub fn evict(&self, revocation: &Revocation) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let covered: Vec<Credential> = entries
            .iter()
            .filter(|(_, cached)| revocation.covers(&cached.actor))
            .map(|(credential, _)| credential.clone())
            .collect();
        for credential in covered {
            entries.pop(&credential);
        }
    }

    /// Drops everything and stops serving until [`CredentialCache::resume`]: revocations may be
    /// missed from now on (the listener lost PostgreSQL).
    pub fn suspend(&self) {
        self.enabled.store(false, Ordering::Release);
        self.clear();
    }

    /// Drops everything (revocations may have been missed) and serves from now on.
    pub fn resume(&self) {
        self.clear();
        self.enabled.store(true, Ordering::Release);
    }

    fn clear(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Entries held (tests and metrics).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A poisoned lock only means another request panicked mid-update: the map is still valid.
    fn entries(&self) -> MutexGuard<'_, LruCache<Credential, Cached>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn user(id: i64, session: &str) -> Cached {
        Cached {
            actor: Actor {
                principal: Principal::User(id),
                role: Role::Admin,
                brand_id: Some(1),
                creator_ids: vec![],
                scopes: vec![],
                session_id: Some(session.into()),
            },
            account: None,
            valid_until: now() + Duration::days(30),
            last_used_at: None,
        }
    }

    fn session(id: &str) -> Credential {
        Credential::Session(id.into())
    }

    #[test]
    fn entries_expire_at_the_ttl_or_their_own_expiry() {
        let cache = CredentialCache::new(10, true);
        cache.insert(session("a"), user(1, "a"), cache.ticket(), now());
        assert!(
            cache
                .get(&session("a"), now() + TTL - Duration::seconds(1))
                .is_some()
        );
        assert!(cache.get(&session("a"), now() + TTL).is_none());
        let mut short = user(2, "b");
        short.valid_until = now() + Duration::seconds(5);
        cache.insert(session("b"), short, cache.ticket(), now());
        assert!(
            cache
                .get(&session("b"), now() + Duration::seconds(5))
                .is_none()
        );
    }

    #[test]
    fn revocations_evict_what_they_cover_only() {
        let cache = CredentialCache::new(10, true);
        for (id, sid) in [(1, "a"), (1, "b"), (2, "c")] {
            cache.insert(session(sid), user(id, sid), cache.ticket(), now());
        }
        cache.evict(&Revocation::Session {
            session_id: "a".into(),
        });
        assert!(cache.get(&session("a"), now()).is_none());
        assert!(cache.get(&session("b"), now()).is_some());
        cache.evict(&Revocation::User { user_id: 1 });
        assert!(cache.get(&session("b"), now()).is_none());
        assert!(cache.get(&session("c"), now()).is_some());
        cache.evict(&Revocation::ApiKey { key_id: 2 });
        assert!(cache.get(&session("c"), now()).is_some());
    }

    #[test]
    fn a_lookup_older_than_an_eviction_is_not_cached() {
        let cache = CredentialCache::new(10, true);
        let ticket = cache.ticket();
        cache.evict(&Revocation::User { user_id: 9 });
        cache.insert(session("a"), user(1, "a"), ticket, now());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_suspended_cache_serves_and_keeps_nothing() {
        let cache = CredentialCache::new(10, false);
        cache.insert(session("a"), user(1, "a"), cache.ticket(), now());
        assert!(cache.is_empty());
        cache.resume();
        cache.insert(session("a"), user(1, "a"), cache.ticket(), now());
        assert!(cache.get(&session("a"), now()).is_some());
        cache.suspend();
        assert!(cache.get(&session("a"), now()).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn revocations_travel_as_json() {
        let revocation = Revocation::User { user_id: 3 };
        let json = serde_json::to_string(&revocation).unwrap();
        assert_eq!(json, r#"{"type":"user","user_id":3}"#);
        assert_eq!(
            serde_json::from_str::<Revocation>(&json).unwrap(),
            revocation
        );
    }
}
