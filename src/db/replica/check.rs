//! The replica's check: does it answer, and how far behind the primary is it
//! ([`super::lag`])? Its outcome is the [`ReplicaState`] reads follow, with one log line per
//! change (a warning when reads leave the replica, an info line when they return).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

use super::ReplicaState;
use super::lag::{PrimarySamples, parse_lsn};

/// The replica's pools and what its checks found.
pub(super) struct Replica {
    pub(super) pool: DatabaseConnection,
    /// One connection for the checks: a replica whose pool is busy with queries still
    /// answers them.
    pub(super) probe: DatabaseConnection,
    /// One connection to the primary for its WAL position (the request pool is not waited
    /// on); `None` when the primary is not PostgreSQL (unit tests): no lag is measured.
    pub(super) primary_probe: Option<DatabaseConnection>,
    pub(super) state: AtomicU8,
    /// A check is running (one at a time, however many reads failed at once).
    pub(super) checking: AtomicBool,
    pub(super) check_timeout: Duration,
    /// Above this lag reads go to the primary; `None`: the lag is measured, never acted on.
    pub(super) max_lag: Option<Duration>,
    pub(super) samples: Mutex<PrimarySamples>,
    /// The last lag measured, in milliseconds (0 before the first).
    pub(super) lag_millis: AtomicU64,
    /// The primary's WAL position could not be read at the last check (warned of once).
    pub(super) primary_unread: AtomicBool,
    /// Outages warned of since start.
    pub(super) outages: AtomicUsize,
    /// Episodes of lag above `max_lag` warned of since start.
    pub(super) lag_episodes: AtomicUsize,
}

impl Replica {
    pub(super) fn state(&self) -> ReplicaState {
        ReplicaState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(super) fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_millis.load(Ordering::Acquire))
    }

    /// One check: the primary's WAL position is sampled, then the replica's replay position
    /// read, each within the timeout. A replica that does not answer is `Down`; one that
    /// answers more than `max_lag` behind is `Lagging`; else `Up`.
    pub(super) async fn check(&self) -> ReplicaState {
        self.sample_primary().await;
        let replayed =
            tokio::time::timeout(self.check_timeout, position(&self.probe, REPLAYED)).await;
        let now = match replayed {
            Ok(Ok(replayed)) => state_of(Some(self.measure(replayed)), self.max_lag),
            _ => state_of(None, self.max_lag),
        };
        self.set_state(now);
        now
    }

    /// Keeps `now` as the state, logging the change from the one before.
    pub(super) fn set_state(&self, now: ReplicaState) {
        let before = ReplicaState::from_u8(self.state.swap(now as u8, Ordering::AcqRel));
        self.log_change(before, now);
    }

    /// Keeps the primary's position now. A primary that does not answer adds no sample: the
    /// ones kept still measure the replica (and age while it has not replayed them).
    async fn sample_primary(&self) {
        let Some(primary) = &self.primary_probe else {
            return;
        };
        let error = match tokio::time::timeout(self.check_timeout, position(primary, WRITTEN)).await
        {
            Ok(Ok(Some(lsn))) => {
                self.samples().record(Instant::now(), lsn);
                self.primary_unread.store(false, Ordering::Release);
                return;
            }
            Ok(Ok(None)) => "no position".to_owned(),
            Ok(Err(err)) => err.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        // Once per run of failures: a role that may not read it would otherwise turn the lag
        // watch off without a word.
        if !self.primary_unread.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "the primary's WAL position is not readable: the read replica's lag is measured from older positions until it is");
        }
    }

    /// The lag of a replica that replayed up to `replayed`, kept for the metrics. A server
    /// that is not in recovery (no replay position: a primary, or a promoted standby) has
    /// nothing to catch up with: 0.
    fn measure(&self, replayed: Option<u64>) -> Option<Duration> {
        let lag = match replayed {
            Some(replayed) => self.samples().lag(Instant::now(), replayed)?,
            None => Duration::ZERO,
        };
        let millis = u64::try_from(lag.as_millis()).unwrap_or(u64::MAX);
        self.lag_millis.store(millis, Ordering::Release);
        Some(lag)
    }

    fn samples(&self) -> std::sync::MutexGuard<'_, PrimarySamples> {
        // A panic while holding it left plain data behind: still usable.
        self.samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Logs the changes only: one warning when reads leave the replica (it stops answering,
    /// or falls too far behind), one line when they return.
    fn log_change(&self, before: ReplicaState, now: ReplicaState) {
        use ReplicaState::{Down, Lagging, Unknown, Up};
        match (before, now) {
            (Up | Unknown | Lagging, Down) => {
                self.outages.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(
                    "the read replica does not answer: reading from the primary until it does"
                )
            }
            (Up | Unknown | Down, Lagging) => {
                self.lag_episodes.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(
                    lag_secs = self.lag().as_secs_f64(),
                    max_lag_secs = self.max_lag.unwrap_or_default().as_secs(),
                    "the read replica lags behind the primary: reading from the primary until it catches up"
                )
            }
            (Lagging, Up) => {
                tracing::info!(
                    lag_secs = self.lag().as_secs_f64(),
                    "the read replica has caught up: reading from it"
                )
            }
            (Down, Up) => tracing::info!("the read replica answers again: reading from it"),
            (Unknown, Up) => tracing::info!("the read replica answers: reading from it"),
            _ => {}
        }
    }
}

/// The state of a replica that answered with its `lag` (`Some(None)`: answered, lag not
/// measurable yet) or did not answer (`None`), given the lag allowed.
fn state_of(answered: Option<Option<Duration>>, max_lag: Option<Duration>) -> ReplicaState {
    match (answered, max_lag) {
        (None, _) => ReplicaState::Down,
        (Some(Some(lag)), Some(max)) if lag > max => ReplicaState::Lagging,
        (Some(_), _) => ReplicaState::Up,
    }
}

/// The primary's WAL position (written so far).
const WRITTEN: &str = "SELECT pg_current_wal_lsn()::text AS lsn";
/// How far the replica has replayed (NULL on a server not in recovery).
const REPLAYED: &str = "SELECT pg_last_wal_replay_lsn()::text AS lsn";

/// The position `sql` answers, as a number.
async fn position(db: &DatabaseConnection, sql: &str) -> Result<Option<u64>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| DbErr::Custom("no row".to_owned()))?;
    match row.try_get::<Option<String>>("", "lsn")? {
        Some(text) => parse_lsn(&text)
            .map(Some)
            .ok_or_else(|| DbErr::Custom(format!("not a WAL position: {text}"))),
        None => Ok(None),
    }
}

/// Checks the replica every `interval` until its `Db` is gone.
pub(super) async fn watch(replica: Weak<Replica>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(replica) = replica.upgrade() else {
            return;
        };
        replica.check().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_is_up_unless_it_is_silent_or_more_than_the_allowed_lag_behind() {
        let (secs, max) = (Duration::from_secs, Some(Duration::from_secs(10)));
        assert_eq!(state_of(None, max), ReplicaState::Down);
        assert_eq!(state_of(None, None), ReplicaState::Down);
        assert_eq!(state_of(Some(None), max), ReplicaState::Up);
        assert_eq!(state_of(Some(Some(secs(0))), max), ReplicaState::Up);
        assert_eq!(state_of(Some(Some(secs(10))), max), ReplicaState::Up);
        let over = secs(10) + Duration::from_millis(1);
        assert_eq!(state_of(Some(Some(over)), max), ReplicaState::Lagging);
        // 0 allowed lag in the settings: measured, never acted on.
        assert_eq!(state_of(Some(Some(secs(3_600))), None), ReplicaState::Up);
    }
}
