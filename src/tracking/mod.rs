//! Click tracking for `GET /r/{code}`, the hot path: links come from an in-memory cache
//! ([`cache`]), clicks go through a bounded queue to a batched writer ([`clicks`]), so a
//! redirect never waits for the database on a cache hit. `domain::bots` flags automated traffic and
//! [`visitor`] turns IP and user agent into a keyed hash (the raw IP is never stored).

pub mod cache;
pub mod clicks;
pub mod partitions;
pub mod visitor;

use std::num::NonZeroUsize;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use cache::{CachedLink, LinkCache};
pub use clicks::{ClickQueue, ClickStats, NewClick, QueueSettings};
pub use partitions::ClickPartitions;
pub use visitor::VisitorKeys;

use crate::clock::Clock;
use crate::config::TrackingConfig;
use crate::events::{Invalidation, SharedCache};

/// Shared by the redirect handler and (as GraphQL data) the link resolvers, which call
/// `tracking.links.invalidate(code)` after changing a link; other processes' changes come
/// through the event bus (as a [`SharedCache`]).
pub struct Tracking {
    pub links: LinkCache,
    pub clicks: ClickQueue,
    /// The hourly upkeep of the click partitions and retention (PostgreSQL).
    pub partitions: ClickPartitions,
    pub visitors: VisitorKeys,
    /// The app's clock: redirects date their clicks with it, the click writer its rows.
    pub clock: Arc<dyn Clock>,
}

impl Tracking {
    /// Builds the cache and starts the click writer and the partition upkeep (needs a tokio
    /// runtime).
    pub fn start(config: &TrackingConfig, db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        let capacity = NonZeroUsize::new(config.link_cache_capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            links: LinkCache::new(capacity, config.link_cache_ttl),
            clicks: ClickQueue::start(
                db.clone(),
                QueueSettings::from_config(config),
                clock.clone(),
            ),
            partitions: ClickPartitions::start(db, clock.clone(), config.raw_click_retention_days),
            visitors: VisitorKeys::new(&config.visitor_key_secret),
            clock,
        }
    }
}

impl SharedCache for Tracking {
    fn invalidate(&self, change: &Invalidation) {
        if let Invalidation::Link { code } = change {
            self.links.invalidate(code);
        }
    }

    fn clear(&self) {
        self.links.clear();
    }
}
