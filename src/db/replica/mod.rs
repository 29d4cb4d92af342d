//! The databases a process reads from: the primary, and a streaming replica when one is
//! configured (`PARTNERGRAPH_DATABASE_REPLICA_URL`, PostgreSQL only).
//!
//! [`Db::reads`] is the replica while it answers and keeps up, and the primary otherwise;
//! writes, and reads whose answer must include what was just written, use [`Db::primary`].
//! Who reads where is decided above (the GraphQL layer for queries, the export worker for its
//! rows): see `docs/architecture.md` ("Reads from a replica").
//!
//! The replica is checked every `check_interval` ([`check`]), and at once when a read on it
//! failed ([`Db::replica_failed`]). A check reads the primary's WAL position and the replica's
//! replay position, each within `check_timeout`, on connections of their own. A replica that
//! stops answering is left for the primary with one warning per outage; one that answers but
//! lags more than `max_lag` behind (measured in time, see [`lag`]: a paused or slow replay)
//! likewise, with one warning per episode. Once it answers and keeps up again, reads return
//! to it.

mod check;
mod lag;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbBackend, SqlxPostgresConnector};

use self::check::{Replica, watch};
use crate::config::ReplicaConfig;

/// The primary pool and, when configured, the replica's.
#[derive(Clone)]
pub struct Db {
    primary: DatabaseConnection,
    replica: Option<Arc<Replica>>,
}

/// What the last check of the replica found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// Not checked yet: reads go to the primary.
    Unknown = 0,
    Up = 1,
    Down = 2,
    /// Answers, but more than the allowed lag behind the primary: reads go to the primary.
    Lagging = 3,
}

impl ReplicaState {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Up,
            2 => Self::Down,
            3 => Self::Lagging,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Up => "up",
            Self::Down => "down",
            Self::Lagging => "lagging",
        }
    }
}

impl Db {
    /// The primary alone: every read goes to it.
    pub fn primary_only(primary: DatabaseConnection) -> Self {
        Self {
            primary,
            replica: None,
        }
    }

    /// The primary and the replica of `config`, with a pool as large as the primary's. A
    /// connection to the replica is waited for no longer than a check (`check_timeout`), when
    /// that is shorter than the primary's `acquire_timeout`: a query that meets a replica
    /// that just went away is soon run again on the primary, rather than after the whole
    /// acquire timeout. The replica is connected lazily and checked at once, then
    /// every `check_interval`, in a task that ends with the last clone of this `Db` (so it
    /// needs a tokio runtime). Until the first check answers, reads go to the primary.
    pub fn with_replica(
        primary: DatabaseConnection,
        config: &ReplicaConfig,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Self {
        let options = match PgConnectOptions::from_str(config.url.expose()) {
            Ok(options) => options,
            Err(err) => {
                // The configuration checked the URL's scheme; a URL sqlx cannot read ends here.
                tracing::error!(error = %err, "the read replica's URL is not usable: reading from the primary");
                return Self::primary_only(primary);
            }
        };
        // As on the primary (`db::connect`): short statements, no JIT.
        let options = options.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(acquire_timeout.min(config.check_timeout))
            .connect_lazy_with(options.clone());
        // The checks have connections of their own, to the replica and to the primary (with
        // the primary pool's options): pools busy with queries still answer them.
        let probe = |options| {
            SqlxPostgresConnector::from_sqlx_postgres_pool(
                PgPoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .acquire_timeout(config.check_timeout)
                    .connect_lazy_with(options),
            )
        };
        let primary_probe = (primary.get_database_backend() == DbBackend::Postgres).then(|| {
            probe(
                primary
                    .get_postgres_connection_pool()
                    .connect_options()
                    .as_ref()
                    .clone(),
            )
        });
        let replica = Arc::new(Replica {
            pool: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            probe: probe(options),
            primary_probe,
            state: AtomicU8::new(ReplicaState::Unknown as u8),
            checking: AtomicBool::new(false),
            check_timeout: config.check_timeout,
            max_lag: config.max_lag,
            samples: Mutex::new(lag::PrimarySamples::default()),
            lag_millis: AtomicU64::new(0),
            primary_unread: AtomicBool::new(false),
            outages: AtomicUsize::new(0),
            lag_episodes: AtomicUsize::new(0),
        });
        tokio::spawn(watch(Arc::downgrade(&replica), config.check_interval));
        Self {
            primary,
            replica: Some(replica),
        }
    }

    /// Writes, and reads that must see them.
    pub fn primary(&self) -> &DatabaseConnection {
        &self.primary
    }

    /// Reads that may lag a little behind the writes: the replica while it answers and keeps
    /// up, else the primary.
    pub fn reads(&self) -> &DatabaseConnection {
        self.replica().unwrap_or(&self.primary)
    }

    /// The replica, while it answers and keeps up (`None`: not configured, down or lagging).
    pub fn replica(&self) -> Option<&DatabaseConnection> {
        self.replica
            .as_ref()
            .filter(|replica| replica.state() == ReplicaState::Up)
            .map(|replica| &replica.pool)
    }

    /// The replica's state, when one is configured (for `/readyz`).
    pub fn replica_state(&self) -> Option<ReplicaState> {
        self.replica.as_ref().map(|replica| replica.state())
    }

    /// The replica's lag as last measured (0 before the first measure), when one is
    /// configured (for `/metrics`).
    pub fn replica_lag(&self) -> Option<Duration> {
        self.replica.as_ref().map(|replica| replica.lag())
    }

    /// A read on the replica failed: check it now rather than at the next tick, so that the
    /// following reads go to the primary if it is down. Returns at once.
    pub fn replica_failed(&self) {
        if let Some(replica) = &self.replica
            && !replica.checking.swap(true, Ordering::AcqRel)
        {
            let replica = replica.clone();
            tokio::spawn(async move {
                replica.check().await;
                replica.checking.store(false, Ordering::Release);
            });
        }
    }

    /// Checks the replica now and waits for the answer (start-up, tests); true when reads go
    /// to it (it answers and keeps up). Without a replica, false.
    pub async fn check_replica(&self) -> bool {
        match &self.replica {
            Some(replica) => replica.check().await == ReplicaState::Up,
            None => false,
        }
    }

    /// Whether `db` is the replica's pool (a read that failed there may be run again on the
    /// primary).
    pub fn is_replica(&self, db: &DatabaseConnection) -> bool {
        self.replica
            .as_ref()
            .is_some_and(|replica| std::ptr::eq(&replica.pool, db))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;

    use super::*;

    /// A primary (in memory) and a replica on port 1 of loopback, which refuses at once,
    /// checked every `check_interval`.
    async fn unreachable_replica(check_interval: Duration) -> Db {
        let primary = Database::connect("sqlite::memory:").await.expect("primary");
        let config = ReplicaConfig {
            url: crate::config::Secret::new("postgres://reader@127.0.0.1:1/pg"),
            check_interval,
            check_timeout: Duration::from_millis(500),
            max_lag: Some(Duration::from_secs(10)),
        };
        Db::with_replica(primary, &config, 2, Duration::from_secs(5))
    }

    /// A replica nobody listens for: reads stay on the primary, and the state says why.
    #[tokio::test]
    async fn reads_go_to_the_primary_while_the_replica_does_not_answer() {
        let db = unreachable_replica(Duration::from_secs(3_600)).await;
        assert!(!db.check_replica().await);
        assert_eq!(db.replica_state(), Some(ReplicaState::Down));
        assert!(db.replica().is_none());
        assert!(std::ptr::eq(db.reads(), db.primary()));
        assert!(!db.is_replica(db.reads()));

        let alone = Db::primary_only(db.primary().clone());
        assert_eq!(alone.replica_state(), None);
        assert!(!alone.check_replica().await);
    }

    /// An outage is warned of once, however many checks and failed reads meet it. (Counted by
    /// the replica: a test's own tracing subscriber misses events of spawned checks and of
    /// callsites other tests registered first.)
    #[tokio::test]
    async fn an_outage_is_warned_of_once() {
        let db = unreachable_replica(Duration::from_millis(20)).await;
        for _ in 0..5 {
            assert!(!db.check_replica().await);
            db.replica_failed();
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let replica = db.replica.as_ref().expect("a replica");
        assert_eq!(replica.outages.load(Ordering::SeqCst), 1);
    }

    /// A lag episode is warned of once, however many checks find it, and a new one after the
    /// replica caught up is warned of again.
    #[tokio::test]
    async fn a_lag_episode_is_warned_of_once() {
        let db = unreachable_replica(Duration::from_secs(3_600)).await;
        let replica = db.replica.as_ref().expect("a replica");
        // The watch's first check (the next is an hour away) finds it down.
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while replica.outages.load(Ordering::SeqCst) == 0 {
            assert!(std::time::Instant::now() < until, "no first check");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        use ReplicaState::{Down, Lagging, Up};
        for state in [
            Up, Lagging, Lagging, Lagging, Up, Up, Lagging, Down, Lagging,
        ] {
            replica.set_state(state);
            assert_eq!(db.replica_state(), Some(state));
            assert_eq!(db.replica().is_some(), state == Up, "{state:?}");
            assert_eq!(std::ptr::eq(db.reads(), db.primary()), state != Up);
        }
        assert_eq!(replica.lag_episodes.load(Ordering::SeqCst), 3);
        assert_eq!(replica.outages.load(Ordering::SeqCst), 2);
    }
}
