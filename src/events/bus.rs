//! The per-process fan-out: a bounded broadcast channel, fed by the PostgreSQL listener or, on
//! SQLite, by the commits of this process; and the process's credential cache, told of
//! revocations the same way, and its other shared caches (links, reports), told of changes by
//! other processes (PostgreSQL only: see [`super::caches`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgNotification, PgPool, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::caches::{self, CACHE_CHANNEL, SharedCache};
use super::{AUTH_CHANNEL, CHANNEL, Event, parse_payload, revocations};
use crate::auth::cache::{CredentialCache, Revocation};

/// Wait before listening again after the listener lost PostgreSQL.
const RETRY: Duration = Duration::from_secs(1);
/// The `application_name` of the listener's connection (how an operator, or a test, finds it
/// in `pg_stat_activity`).
pub const LISTENER_APPLICATION_NAME: &str = "partnergraph-listener";
/// Revocation notice ids kept for the writers waiting for theirs.
const APPLIED_CAPACITY: usize = 256;

/// One per application: subscribers take an [`EventStream`] from it.
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    listening: watch::Receiver<bool>,
    /// Bumped when the PostgreSQL listener loses its connection and when it regains it (events
    /// were missed in between).
    gaps: watch::Receiver<u64>,
    listener: Mutex<Option<JoinHandle<()>>>,
    /// Evicted on every revocation; on PostgreSQL, served only while the listener listens.
    credentials: Arc<CredentialCache>,
    /// The ids of revocation notices this process's listener has applied (PostgreSQL), which
    /// the revoking process waits for ([`super::Revocations::commit`]).
    applied: broadcast::Sender<String>,
}

impl EventBus {
    /// Starts the bus over `db`; `capacity` events wait for a slow subscriber before it is told
    /// it fell behind. On PostgreSQL this spawns the listener task (one connection of its own),
    /// so it needs a tokio runtime; [`EventBus::shutdown`] stops it. Revocations reach
    /// `credentials`, which serves at once on SQLite and, on PostgreSQL, while the listener
    /// listens (see [`crate::auth::cache`]); other processes' changes reach `caches` (which
    /// are also cleared whenever the listener loses or regains its connection).
    pub fn start(
        db: &DatabaseConnection,
        capacity: usize,
        credentials: Arc<CredentialCache>,
        caches: Vec<Arc<dyn SharedCache>>,
    ) -> Arc<Self> {
        let (sender, _) = broadcast::channel(capacity.max(1));
        let (applied, _) = broadcast::channel(APPLIED_CAPACITY);
        let (ready, listening) = watch::channel(false);
        let (lost, gaps) = watch::channel(0);
        let mut listener = None;
        if db.get_database_backend() == DbBackend::Postgres {
            let options = db.get_postgres_connection_pool().connect_options();
            let options = (*options)
                .clone()
                .application_name(LISTENER_APPLICATION_NAME);
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_lazy_with(options);
            credentials.suspend();
            let feeds = Feeds {
                events: sender.clone(),
                credentials: credentials.clone(),
                caches,
                applied: applied.clone(),
                lost,
            };
            listener = Some(tokio::spawn(listen(pool, feeds, ready)));
        } else {
            ready.send_replace(true);
            credentials.resume();
        }
        let bus = Arc::new(Self {
            sender,
            listening,
            gaps,
            listener: Mutex::new(listener),
            credentials,
            applied,
        });
        if let Some(key) = database_key(db) {
            let mut buses = local_buses().lock().unwrap_or_else(PoisonError::into_inner);
            let entry = buses.entry(key).or_default();
            entry.retain(|bus| bus.strong_count() > 0);
            entry.push(Arc::downgrade(&bus));
        }
        bus
    }

    /// The events published from now on.
    pub fn subscribe(&self) -> EventStream {
        let mut gaps = self.gaps.clone();
        gaps.mark_unchanged();
        EventStream {
            events: self.sender.subscribe(),
            gaps: Some(gaps),
            listening: self.listening.clone(),
        }
    }

    /// Whether events from other processes arrive (always on SQLite); waits up to `timeout`
    /// for the PostgreSQL listener to be in place.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let mut listening = self.listening.clone();
        tokio::time::timeout(timeout, listening.wait_for(|ready| *ready))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// Stops the PostgreSQL listener (at shutdown).
    pub fn shutdown(&self) {
        if let Some(task) = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A subscriber's view of the bus.
pub struct EventStream {
    events: broadcast::Receiver<Event>,
    /// `None` once nothing can be lost that way (SQLite, or the listener stopped).
    gaps: Option<watch::Receiver<u64>>,
    /// Whether events from other processes arrive (always on SQLite).
    listening: watch::Receiver<bool>,
}

/// Events this subscriber will never see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    /// The subscriber was too slow: this many events were dropped for it.
    Lagged(u64),
    /// The PostgreSQL listener lost its connection: other processes' events sent until it
    /// listened again are lost (how many, nobody knows).
    Disconnected,
}

impl EventStream {
    /// The next event; `Err(Missed)` when events were lost for this subscriber (the events
    /// received before the loss come first); `None` when the bus is gone.
    pub async fn next(&mut self) -> Option<Result<Event, Missed>> {
        loop {
            let gap = async {
                match self.gaps.as_mut() {
                    Some(gaps) => gaps.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                received = self.events.recv() => return match received {
                    Ok(event) => Some(Ok(event)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        Some(Err(Missed::Lagged(missed)))
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                },
                lost = gap => {
                    if lost {
                        return Some(Err(Missed::Disconnected));
                    }
                }
            }
            // No sender of gaps (SQLite, or the listener stopped): only events are left.
            self.gaps = None;
        }
    }

    /// After [`Missed`]: waits (up to `within`) until events from other processes arrive
    /// again, and forgets the gaps told so far. From then on every event committed reaches
    /// this stream, so a subscriber can read what it missed from the database without a
    /// hole. `false` if the listener did not come back in time.
    pub async fn resumed(&mut self, within: Duration) -> bool {
        let back = tokio::time::timeout(within, self.listening.wait_for(|listening| *listening))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if back && let Some(gaps) = self.gaps.as_mut() {
            // A loss after this is told again: at the latest when the listener is back (the
            // gap count goes up then too), so a read made meanwhile is followed by another.
            gaps.mark_unchanged();
        }
        back
    }
}

/// The buses of this process by database (SQLite file, PostgreSQL server and database), so
/// that a commit reaches the subscribers and caches of every application open on that
/// database (and of no other).
fn local_buses() -> &'static Mutex<HashMap<String, Vec<Weak<EventBus>>>> {
    static BUSES: OnceLock<Mutex<HashMap<String, Vec<Weak<EventBus>>>>> = OnceLock::new();
    BUSES.get_or_init(Default::default)
}

fn database_key(db: &DatabaseConnection) -> Option<String> {
    match db.get_database_backend() {
        DbBackend::Sqlite => Some(
            db.get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                .display()
                .to_string(),
        ),
        DbBackend::Postgres => {
            let options = db.get_postgres_connection_pool().connect_options();
            Some(format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// The buses of this process open on `db`'s database.
fn buses_of(db: &DatabaseConnection) -> Vec<Arc<EventBus>> {
    let Some(key) = database_key(db) else {
        return Vec::new();
    };
    local_buses()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .map(|buses| buses.iter().filter_map(Weak::upgrade).collect())
        .unwrap_or_default()
}

/// Hands committed SQLite revocations to this process's credential caches of that database.
pub(super) fn evict_local(db: &DatabaseConnection, revocations: &[Revocation]) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    for bus in buses_of(db) {
        for revocation in revocations {
            bus.credentials.evict(revocation);
        }
    }
}

/// Before a PostgreSQL revocation notice is sent: a receiver of the notice ids applied by each
/// listening bus of this process on `db`'s database, for [`await_applied`].
pub(super) fn watch_applied(db: &DatabaseConnection) -> Vec<broadcast::Receiver<String>> {
    buses_of(db)
        .iter()
        .filter(|bus| *bus.listening.borrow())
        .map(|bus| bus.applied.subscribe())
        .collect()
}

/// Waits (up to `timeout`) until each receiver has seen notice `id` applied: when a revoking
/// write returns, this process refuses the revoked credential, as it did before caching.
pub(super) async fn await_applied(
    receivers: Vec<broadcast::Receiver<String>>,
    id: &str,
    timeout: Duration,
) {
    for mut receiver in receivers {
        let seen = async {
            loop {
                match receiver.recv().await {
                    Ok(applied) if applied == id => return,
                    Ok(_) => {}
                    // The bus is gone, or so many notices passed that ours went by unseen.
                    Err(_) => return,
                }
            }
        };
        if tokio::time::timeout(timeout, seen).await.is_err() {
            tracing::warn!(notice = id, "a revocation notice was not applied in time");
        }
    }
}

/// Hands committed SQLite events to this process's subscribers of that database.
pub(super) fn publish_local(db: &DatabaseConnection, events: &[Event]) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    for bus in buses_of(db) {
        for event in events {
            // No subscriber is not an error.
            let _ = bus.sender.send(*event);
        }
    }
}

/// Where the listener hands what it receives.
struct Feeds {
    events: broadcast::Sender<Event>,
    credentials: Arc<CredentialCache>,
    caches: Vec<Arc<dyn SharedCache>>,
    applied: broadcast::Sender<String>,
    /// Counts the connections lost and regained, for the subscribers
    /// ([`Missed::Disconnected`]).
    lost: watch::Sender<u64>,
}

impl Feeds {
    fn handle(&self, notification: &PgNotification) {
        match notification.channel() {
            AUTH_CHANNEL => self.revoke(notification.payload()),
            CACHE_CHANNEL => self.invalidate(notification.payload()),
            _ => {
                for event in parse_payload(notification.payload()) {
                    let _ = self.events.send(event);
                }
            }
        }
    }

    fn invalidate(&self, payload: &str) {
        match caches::parse_payload(payload) {
            Some(changes) => {
                for change in &changes {
                    for cache in &self.caches {
                        cache.invalidate(change);
                    }
                }
            }
            // Something changed; what, it cannot tell.
            None => self.clear_caches(),
        }
    }

    /// Drops every shared cache (not the credentials: see [`CredentialCache::suspend`]).
    fn clear_caches(&self) {
        for cache in &self.caches {
            cache.clear();
        }
    }

    fn revoke(&self, payload: &str) {
        match revocations::parse_payload(payload) {
            Some(notice) => {
                for revocation in &notice.revoked {
                    self.credentials.evict(revocation);
                }
                let _ = self.applied.send(notice.id);
            }
            // Something was revoked; what, it cannot tell.
            None => self.credentials.resume(),
        }
    }
}

/// The listener task: LISTEN on [`CHANNEL`], [`AUTH_CHANNEL`] and [`CACHE_CHANNEL`], forward
/// every event, evict every revocation and stale cache entry, reconnect after errors.
/// Notifications sent while disconnected are lost: every subscriber is told, at the loss and
/// (those subscribed in between) when listening again ([`Missed::Disconnected`]); the
/// credential cache is off from the moment the connection is lost and starts empty once
/// listening again; the shared caches are cleared at both moments (between them they serve what
/// they hold, within their TTL: a redirect keeps working while PostgreSQL is away).
async fn listen(pool: PgPool, feeds: Feeds, ready: watch::Sender<bool>) {
    let mut listened = false;
    loop {
        match connect(&pool).await {
            Ok(mut listener) => {
                feeds.credentials.resume();
                feeds.clear_caches();
                if listened {
                    // Those who subscribed during the gap missed its events too.
                    feeds.lost.send_modify(|lost| *lost += 1);
                }
                listened = true;
                ready.send_replace(true);
                tracing::debug!(channel = CHANNEL, "listening for events");
                // `try_recv` (unlike `recv`) tells of a lost connection instead of reconnecting
                // behind our back: the cache must not serve across the gap.
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => feeds.handle(&notification),
                        Ok(None) => {
                            tracing::warn!("event listener lost PostgreSQL, reconnecting");
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "event listener lost PostgreSQL, reconnecting");
                            break;
                        }
                    }
                }
                feeds.credentials.suspend();
                feeds.clear_caches();
                // Not listening before the loss is told, so that a subscriber told of it
                // waits for the listener to be back ([`EventStream::resumed`]).
                ready.send_replace(false);
                feeds.lost.send_modify(|lost| *lost += 1);
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for events, retrying");
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([CHANNEL, AUTH_CHANNEL, CACHE_CHANNEL])
        .await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Arc<CredentialCache> {
        Arc::new(CredentialCache::new(8, false))
    }

    fn conversion(id: i64) -> Event {
        Event::ConversionRecorded {
            brand_id: 1,
            conversion_id: id,
            campaign_id: None,
            creator_id: None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_and_memory_stays_bounded() {
        let db = sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let bus = EventBus::start(&db, 2, cache(), Vec::new());
        assert!(bus.ready(Duration::from_millis(10)).await);
        let mut slow = bus.subscribe();
        for id in 0..5 {
            bus.sender.send(conversion(id)).expect("a subscriber");
        }
        assert_eq!(slow.next().await, Some(Err(Missed::Lagged(3))));
        // After the gap: the most recent events the buffer kept.
        assert_eq!(slow.next().await, Some(Ok(conversion(3))));
        assert_eq!(slow.next().await, Some(Ok(conversion(4))));
    }

    #[tokio::test]
    async fn a_lost_connection_is_told_after_the_events_received_before_it() {
        let (sender, _) = broadcast::channel(4);
        let (lost, gaps) = watch::channel(0);
        let (_ready, listening) = watch::channel(true);
        let mut stream = EventStream {
            events: sender.subscribe(),
            gaps: Some(gaps),
            listening,
        };
        sender.send(conversion(1)).expect("a subscriber");
        lost.send_modify(|n| *n += 1);
        assert_eq!(stream.next().await, Some(Ok(conversion(1))));
        assert_eq!(stream.next().await, Some(Err(Missed::Disconnected)));
        // Without a listener (SQLite, or stopped) only events are left.
        drop(lost);
        sender.send(conversion(2)).expect("a subscriber");
        assert_eq!(stream.next().await, Some(Ok(conversion(2))));
    }

    #[tokio::test]
    async fn sqlite_commits_reach_the_buses_of_their_database_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
        let one = sea_orm::Database::connect(url("one.db"))
            .await
            .expect("one");
        let two = sea_orm::Database::connect(url("two.db"))
            .await
            .expect("two");
        let (bus_one, bus_two) = (
            EventBus::start(&one, 8, cache(), Vec::new()),
            EventBus::start(&two, 8, cache(), Vec::new()),
        );
        let (mut on_one, mut on_two) = (bus_one.subscribe(), bus_two.subscribe());
        publish_local(&one, &[conversion(7)]);
        assert_eq!(on_one.next().await, Some(Ok(conversion(7))));
        let nothing = tokio::time::timeout(Duration::from_millis(50), on_two.next()).await;
        assert!(nothing.is_err(), "an event crossed databases");
    }
}
