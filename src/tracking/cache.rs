//! The link cache behind `GET /r/{code}`: a redirect is answered from memory, and the database
//! is read only on a miss.
//!
//! - Bounded: at most `capacity` links, least recently used evicted first. Unknown codes are
//!   remembered too (negative entries), in a separate map of the same bound, so that a burst of
//!   made-up codes costs one query per code per TTL and can never evict real links.
//! - Fresh: entries expire after the TTL (default 60 s). This process drops an entry as soon as
//!   the link resolvers call [`LinkCache::invalidate`]; a change made through *another* server
//!   process reaches it within moments on PostgreSQL (the write notifies, this process's
//!   listener invalidates: [`crate::events::caches`]), and the whole cache is cleared when the
//!   listener loses or regains its connection. The TTL is the safety net behind that.
//! - Coalesced: concurrent misses for one code share a single query.
//! - Race-free invalidation: a load that started before an invalidation is not cached.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tokio::sync::OnceCell;
use url::Url;

use crate::db::entity::tracking_link;
use crate::domain::destination::{self, Utm};

/// What a redirect needs about a live (not archived) link, ACTIVE or PAUSED.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedLink {
    pub link_id: i64,
    pub brand_id: i64,
    pub enrollment_id: i64,
    pub code: String,
    pub destination_url: String,
    pub utm: Utm,
    pub deep_link: Option<String>,
    /// The destination with the UTM values applied, ready for the click id.
    pub location: Url,
    /// A PAUSED link answers a "paused" page instead of redirecting, and records no click.
    pub paused: bool,
}

impl CachedLink {
    /// `None` when the stored destination is not an absolute http(s) URL: such a link is
    /// answered as unknown rather than redirecting somewhere unintended.
    fn from_row(row: tracking_link::Model) -> Option<Self> {
        let utm = Utm {
            source: row.utm_source,
            medium: row.utm_medium,
            campaign: row.utm_campaign,
            content: row.utm_content,
        };
        let Some(location) = destination::with_utm(&row.destination_url, &utm) else {
            tracing::error!(
                link_id = row.id,
                "tracking link has an unusable destination"
            );
            return None;
        };
        Some(Self {
            link_id: row.id,
            brand_id: row.brand_id,
            enrollment_id: row.enrollment_id,
            code: row.code,
            destination_url: row.destination_url,
            utm,
            deep_link: row.deep_link,
            location,
            paused: row.paused_at.is_some(),
        })
    }
}

/// A code as stored (lower-case), or `None` when it cannot be a code at all: such requests
/// are answered 404 without a lookup.
pub fn normalize_code(raw: &str) -> Option<String> {
    crate::domain::codes::normalize_link_code(raw)
}

type Link = Option<Arc<CachedLink>>;
/// A finished load: the link (or none) and the invalidation generation it started in.
type Loaded = (Link, u64);

struct Maps {
    links: LruCache<String, (Arc<CachedLink>, Instant)>,
    unknown: LruCache<String, Instant>,
}

pub struct LinkCache {
    ttl: Duration,
    maps: Mutex<Maps>,
    inflight: Mutex<HashMap<String, Arc<OnceCell<Loaded>>>>,
    /// Bumped (under the `maps` lock) by every invalidation.
    generation: AtomicU64,
}

impl LinkCache {
    pub fn new(capacity: NonZeroUsize, ttl: Duration) -> Self {
        Self {
            ttl,
            maps: Mutex::new(Maps {
                links: LruCache::new(capacity),
                unknown: LruCache::new(capacity),
            }),
            inflight: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The live link for `code` (any case), or `None` for an unknown, archived or malformed
    /// code. A fresh cache entry answers without any I/O; only a miss queries the database.
    pub async fn lookup(&self, db: &DatabaseConnection, code: &str) -> Result<Link, DbErr> {
        let Some(code) = normalize_code(code) else {
            return Ok(None);
        };
        if let Some(cached) = self.cached(&code, Instant::now()) {
            return Ok(cached);
        }
        let guard = InflightGuard::join(&self.inflight, &code);
        let (link, generation) = guard
            .cell
            .get_or_try_init(|| async {
                let generation = self.generation.load(Ordering::Acquire);
                Ok::<_, DbErr>((load(db, &code).await?, generation))
            })
            .await?
            .clone();
        self.store(&code, link.clone(), generation, Instant::now());
        Ok(link)
    }

    /// Forgets `code` (any case), so the next redirect reads the link again. The link service
    /// calls this after creating, changing (destination, UTM values, pausing, resuming) or
    /// archiving a link, and after deleting a creator (for each of its links).
    pub fn invalidate(&self, code: &str) {
        let code = code.to_ascii_lowercase();
        {
            let mut maps = self.maps();
            self.generation.fetch_add(1, Ordering::AcqRel);
            maps.links.pop(&code);
            maps.unknown.pop(&code);
        }
        lock(&self.inflight).remove(&code);
    }

    /// Forgets every code (invalidations may have been missed); loads under way are not cached.
    pub fn clear(&self) {
        {
            let mut maps = self.maps();
            self.generation.fetch_add(1, Ordering::AcqRel);
            maps.links.clear();
            maps.unknown.clear();
        }
        lock(&self.inflight).clear();
    }

    /// `Some(answer)` for a fresh entry; expired entries are dropped.
    fn cached(&self, code: &str, now: Instant) -> Option<Link> {
        let mut maps = self.maps();
        if let Some((link, at)) = maps.links.get(code) {
            if now.saturating_duration_since(*at) < self.ttl {
                return Some(Some(link.clone()));
            }
            maps.links.pop(code);
        }
        if let Some(at) = maps.unknown.get(code) {
            if now.saturating_duration_since(*at) < self.ttl {
                return Some(None);
            }
            maps.unknown.pop(code);
        }
        None
    }

    /// Caches a load unless an invalidation happened since it started (it may be stale).
    fn store(&self, code: &str, link: Link, generation: u64, now: Instant) {
        let mut maps = self.maps();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        match link {
            Some(link) => {
                maps.unknown.pop(code);
                maps.links.put(code.to_owned(), (link, now));
            }
            None => {
                maps.links.pop(code);
                maps.unknown.put(code.to_owned(), now);
            }
        }
    }

    fn maps(&self) -> MutexGuard<'_, Maps> {
        lock(&self.maps)
    }
}

/// One query: the live link with this code; archived links are unknown, paused ones known (and
/// marked).
async fn load(db: &DatabaseConnection, code: &str) -> Result<Link, DbErr> {
    let row = tracking_link::Entity::find()
        .filter(tracking_link::Column::Code.eq(code))
        .filter(tracking_link::Column::ArchivedAt.is_null())
        .one(db)
        .await?;
    Ok(row.and_then(CachedLink::from_row).map(Arc::new))
}

/// A poisoned lock only means another request panicked mid-update of a cache: the maps are
/// still valid, so keep serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Membership in the in-flight load of a code; whoever finishes (or is cancelled) first
/// removes the entry, so the map never outgrows the loads actually running.
struct InflightGuard<'a> {
    map: &'a Mutex<HashMap<String, Arc<OnceCell<Loaded>>>>,
    code: &'a str,
    cell: Arc<OnceCell<Loaded>>,
}

impl<'a> InflightGuard<'a> {
    fn join(map: &'a Mutex<HashMap<String, Arc<OnceCell<Loaded>>>>, code: &'a str) -> Self {
        let cell = lock(map).entry(code.to_owned()).or_default().clone();
        Self { map, code, cell }
    }
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        let mut map = lock(self.map);
        if map
            .get(self.code)
            .is_some_and(|cell| Arc::ptr_eq(cell, &self.cell))
        {
            map.remove(self.code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: i64) -> Arc<CachedLink> {
        Arc::new(CachedLink {
            link_id: id,
            brand_id: 1,
            enrollment_id: 1,
            code: format!("code-{id}"),
            destination_url: "https://shop.test/".into(),
            utm: Utm::default(),
            deep_link: None,
            location: Url::parse("https://shop.test/").unwrap(),
            paused: false,
        })
    }

    fn cache(capacity: usize, ttl_secs: u64) -> LinkCache {
        LinkCache::new(
            NonZeroUsize::new(capacity).unwrap(),
            Duration::from_secs(ttl_secs),
        )
    }

    #[test]
    fn codes_are_lower_cased_and_checked() {
        assert_eq!(
            normalize_code("Glow-MAYA_1").as_deref(),
            Some("glow-maya_1")
        );
        for bad in [
            "ab",
            "a b c",
            "émile",
            "abc/def",
            "abc.def",
            &"a".repeat(65),
            "",
        ] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
        assert!(normalize_code(&"a".repeat(64)).is_some());
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = cache(4, 60);
        let t0 = Instant::now();
        cache.store("abc", Some(link(1)), 0, t0);
        cache.store("zzz", None, 0, t0);
        assert_eq!(
            cache.cached("abc", t0 + Duration::from_secs(59)),
            Some(Some(link(1)))
        );
        assert_eq!(
            cache.cached("zzz", t0 + Duration::from_secs(59)),
            Some(None)
        );
        assert_eq!(cache.cached("abc", t0 + Duration::from_secs(60)), None);
        assert_eq!(cache.cached("zzz", t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn links_and_unknown_codes_are_bounded_separately() {
        let cache = cache(2, 60);
        let now = Instant::now();
        cache.store("l1", Some(link(1)), 0, now);
        cache.store("l2", Some(link(2)), 0, now);
        for i in 0..10 {
            cache.store(&format!("unknown-{i}"), None, 0, now);
        }
        assert!(cache.cached("l1", now).is_some());
        assert!(cache.cached("l2", now).is_some());
        assert!(cache.cached("unknown-0", now).is_none());
        assert_eq!(cache.cached("unknown-9", now), Some(None));
        cache.store("l3", Some(link(3)), 0, now);
        // l1 was used least recently: evicted.
        assert!(cache.cached("l1", now).is_none());
        assert_eq!(cache.maps().links.len(), 2);
        assert_eq!(cache.maps().unknown.len(), 2);
    }

    #[test]
    fn invalidation_drops_entries_and_stale_loads() {
        let cache = cache(4, 60);
        let now = Instant::now();
        cache.store("abc", Some(link(1)), 0, now);
        cache.invalidate("ABC");
        assert_eq!(cache.cached("abc", now), None);
        // A load that began before the invalidation (generation 0) is not cached.
        cache.store("abc", Some(link(1)), 0, now);
        assert_eq!(cache.cached("abc", now), None);
        cache.store("abc", Some(link(2)), 1, now);
        assert_eq!(cache.cached("abc", now), Some(Some(link(2))));
    }

    #[test]
    fn clearing_drops_every_entry_and_loads_under_way() {
        let cache = cache(4, 60);
        let now = Instant::now();
        cache.store("abc", Some(link(1)), 0, now);
        cache.store("zzz", None, 0, now);
        cache.clear();
        assert_eq!(cache.cached("abc", now), None);
        assert_eq!(cache.cached("zzz", now), None);
        cache.store("abc", Some(link(1)), 0, now);
        assert_eq!(
            cache.cached("abc", now),
            None,
            "a load from before the clear"
        );
    }
}
