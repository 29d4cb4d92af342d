//! The per-process fan-out: a bounded broadcast channel, fed by the PostgreSQL listener or, on
//! SQLite, by the commits of this process.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::{CHANNEL, Event, parse_payload};

/// Wait before listening again after the listener lost PostgreSQL.
const RETRY: Duration = Duration::from_secs(1);

/// One per application: subscribers take an [`EventStream`] from it.
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    listening: watch::Receiver<bool>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl EventBus {
    /// Starts the bus over `db`; `capacity` events wait for a slow subscriber before it is told
    /// it fell behind. On PostgreSQL this spawns the listener task (one connection of its own),
    /// so it needs a tokio runtime; [`EventBus::shutdown`] stops it.
    pub fn start(db: &DatabaseConnection, capacity: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(capacity.max(1));
        let (ready, listening) = watch::channel(false);
        if db.get_database_backend() == DbBackend::Postgres {
            let options = db.get_postgres_connection_pool().connect_options();
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_lazy_with((*options).clone());
            let task = tokio::spawn(listen(pool, sender.clone(), ready));
            return Arc::new(Self {
                sender,
                listening,
                listener: Mutex::new(Some(task)),
            });
        }
        ready.send_replace(true);
        let bus = Arc::new(Self {
            sender,
            listening,
            listener: Mutex::new(None),
        });
        if let Some(key) = sqlite_key(db) {
            let mut buses = local_buses().lock().unwrap_or_else(PoisonError::into_inner);
            let entry = buses.entry(key).or_default();
            entry.retain(|bus| bus.strong_count() > 0);
            entry.push(Arc::downgrade(&bus));
        }
        bus
    }

    /// The events published from now on.
    pub fn subscribe(&self) -> EventStream {
        EventStream(self.sender.subscribe())
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
pub struct EventStream(broadcast::Receiver<Event>);

/// The subscriber was too slow: this many events were dropped for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lagged(pub u64);

impl EventStream {
    /// The next event; `Err(Lagged)` when events were lost for this subscriber; `None` when the
    /// bus is gone.
    pub async fn next(&mut self) -> Option<Result<Event, Lagged>> {
        match self.0.recv().await {
            Ok(event) => Some(Ok(event)),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Err(Lagged(missed))),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// SQLite buses of this process by database file, so that a commit reaches the subscribers of
/// every application open on that file (and of no other).
fn local_buses() -> &'static Mutex<HashMap<PathBuf, Vec<Weak<EventBus>>>> {
    static BUSES: OnceLock<Mutex<HashMap<PathBuf, Vec<Weak<EventBus>>>>> = OnceLock::new();
    BUSES.get_or_init(Default::default)
}

fn sqlite_key(db: &DatabaseConnection) -> Option<PathBuf> {
    (db.get_database_backend() == DbBackend::Sqlite).then(|| {
        db.get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf()
    })
}

/// Hands committed SQLite events to this process's subscribers of that database.
pub(super) fn publish_local(db: &DatabaseConnection, events: &[Event]) {
    let Some(key) = sqlite_key(db) else {
        return;
    };
    let buses: Vec<Arc<EventBus>> = local_buses()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .map(|buses| buses.iter().filter_map(Weak::upgrade).collect())
        .unwrap_or_default();
    for bus in buses {
        for event in events {
            // No subscriber is not an error.
            let _ = bus.sender.send(*event);
        }
    }
}

/// The listener task: LISTEN on [`CHANNEL`], forward every event, reconnect after errors
/// (notifications sent while disconnected are lost; subscribers see nothing of them).
async fn listen(pool: PgPool, sender: broadcast::Sender<Event>, ready: watch::Sender<bool>) {
    loop {
        match connect(&pool).await {
            Ok(mut listener) => {
                ready.send_replace(true);
                tracing::debug!(channel = CHANNEL, "listening for events");
                loop {
                    match listener.recv().await {
                        Ok(notification) => {
                            for event in parse_payload(notification.payload()) {
                                let _ = sender.send(event);
                            }
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "event listener lost PostgreSQL, reconnecting");
                            break;
                        }
                    }
                }
                ready.send_replace(false);
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
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let bus = EventBus::start(&db, 2);
        assert!(bus.ready(Duration::from_millis(10)).await);
        let mut slow = bus.subscribe();
        for id in 0..5 {
            bus.sender.send(conversion(id)).expect("a subscriber");
        }
        assert_eq!(slow.next().await, Some(Err(Lagged(3))));
        // After the gap: the most recent events the buffer kept.
        assert_eq!(slow.next().await, Some(Ok(conversion(3))));
        assert_eq!(slow.next().await, Some(Ok(conversion(4))));
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
        let (bus_one, bus_two) = (EventBus::start(&one, 8), EventBus::start(&two, 8));
        let (mut on_one, mut on_two) = (bus_one.subscribe(), bus_two.subscribe());
        publish_local(&one, &[conversion(7)]);
        assert_eq!(on_one.next().await, Some(Ok(conversion(7))));
        let nothing = tokio::time::timeout(Duration::from_millis(50), on_two.next()).await;
        assert!(nothing.is_err(), "an event crossed databases");
    }
}
