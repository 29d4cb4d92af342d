//! The click queue: redirects hand clicks to a bounded in-memory queue and never wait for the
//! database; one writer task stores them in batches.
//!
//! - Enqueueing never waits: when the queue is full the click is dropped, counted and logged
//!   (at most once a second), so a slow database degrades click capture, never redirects.
//! - The writer inserts a batch when it reaches `batch_size` rows or when its oldest click has
//!   waited `flush_interval`, whichever comes first: one multi-row INSERT per batch.
//! - A batch that fails for a transient reason is retried with doubling backoff a few times,
//!   then logged and dropped (counted as failed). A batch refused by a constraint (a row whose
//!   link has gone) is written row by row, so one bad row loses only itself.
//! - [`ClickQueue::shutdown`] refuses new clicks and waits until every queued one is written;
//!   a hard crash loses what was still queued (at most the capacity, normally well under
//!   `flush_interval` worth of clicks, plus any batch being retried).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::TrackingConfig;
use crate::db::entity::{brand, click};
use crate::service::fraud::checks as fraud;
use crate::service::rollups::RollupDelta;

/// `clicks.source` of clicks recorded by `GET /r/{code}`.
pub const SOURCE_REDIRECT: &str = "REDIRECT";

/// A click as captured by a redirect; no raw IP or user agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClick {
    pub brand_id: i64,
    pub link_id: i64,
    pub enrollment_id: Option<i64>,
    pub click_id: String,
    pub occurred_at: DateTime<Utc>,
    pub visitor_key: String,
    pub user_agent_class: &'static str,
    pub referrer_host: Option<String>,
    pub country: Option<String>,
    pub is_bot: bool,
    /// The paid-ad click parameter the redirect URL carried (PAID_TRAFFIC), its name only.
    pub paid_click_param: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct QueueSettings {
    pub capacity: usize,
    pub batch_size: usize,
    pub flush_interval: Duration,
    /// Retries of a batch after its first failure.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub retry_backoff: Duration,
}

impl QueueSettings {
    /// Retries: 3, after 200 ms, 400 ms and 800 ms (1.4 s in all) before a batch is dropped.
    pub fn from_config(config: &TrackingConfig) -> Self {
        Self {
            capacity: config.click_queue_capacity,
            batch_size: config.click_batch_size,
            flush_interval: config.click_flush_interval,
            max_retries: 3,
            retry_backoff: Duration::from_millis(200),
        }
    }
}

/// Totals since start-up, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClickStats {
    /// Accepted into the queue.
    pub enqueued: u64,
    /// Stored in the database.
    pub written: u64,
    /// Refused because the queue was full or shut down.
    pub dropped: u64,
    /// Accepted but lost because writing them failed.
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    enqueued: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

enum Message {
    Click(NewClick),
    /// Answered once every click queued before it has been written (or given up on).
    Flush(oneshot::Sender<()>),
    /// Stop accepting; drain what is queued; end the writer.
    Shutdown,
}

pub struct ClickQueue {
    tx: mpsc::Sender<Message>,
    closed: AtomicBool,
    counters: Arc<Counters>,
    writer: Mutex<Option<JoinHandle<()>>>,
    drop_warning: RateLimitedWarning,
}

impl ClickQueue {
    /// The queue and its writer task (needs a tokio runtime), which stamps the rows it writes
    /// (`created_at`) with `clock`.
    pub fn start(db: DatabaseConnection, settings: QueueSettings, clock: Arc<dyn Clock>) -> Self {
        let (queue, rx) = Self::unstarted(settings.capacity);
        let writer = Writer {
            db,
            counters: queue.counters.clone(),
            settings,
            clock,
        };
        let handle = tokio::spawn(writer.run(rx));
        *lock(&queue.writer) = Some(handle);
        queue
    }

    fn unstarted(capacity: usize) -> (Self, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let queue = Self {
            tx,
            closed: AtomicBool::new(false),
            counters: Arc::default(),
            writer: Mutex::new(None),
            drop_warning: RateLimitedWarning::new(Duration::from_secs(1)),
        };
        (queue, rx)
    }

    /// Queues a click without waiting; `false` when it was dropped (queue full or shut down).
    pub fn enqueue(&self, click: NewClick) -> bool {
        let accepted =
            !self.closed.load(Ordering::Acquire) && self.tx.try_send(Message::Click(click)).is_ok();
        if accepted {
            self.counters.enqueued.fetch_add(1, Ordering::Relaxed);
        } else {
            let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if self.drop_warning.allow() {
                tracing::warn!(
                    dropped_total = dropped,
                    "click queue full or closed: dropping clicks"
                );
            }
        }
        accepted
    }

    /// Waits until every click queued so far is written (or given up on after its retries).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            // An error only means the writer is gone: nothing is left to wait for.
            let _ = done.await;
        }
    }

    /// Refuses further clicks and waits for the writer to store every queued one. Call before
    /// closing the pool; later calls return at once.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        // Queued behind every accepted click; fails only when the writer is already gone.
        let _ = self.tx.send(Message::Shutdown).await;
        let handle = lock(&self.writer).take();
        if let Some(handle) = handle
            && let Err(err) = handle.await
        {
            tracing::error!(error = %err, "click writer ended abnormally");
        }
        let stats = self.stats();
        tracing::info!(
            written = stats.written,
            dropped = stats.dropped,
            failed = stats.failed,
            "click queue drained"
        );
    }

    pub fn stats(&self) -> ClickStats {
        ClickStats {
            enqueued: self.counters.enqueued.load(Ordering::Relaxed),
            written: self.counters.written.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }
}

struct Writer {
    db: DatabaseConnection,
    counters: Arc<Counters>,
    settings: QueueSettings,
    clock: Arc<dyn Clock>,
}

impl Writer {
    /// Runs until the queue is closed (shutdown) or every sender is gone, then drains it.
    async fn run(self, mut rx: mpsc::Receiver<Message>) {
        let batch_size = self.settings.batch_size.max(1);
        let mut batch = Vec::with_capacity(batch_size);
        let mut inbox = Vec::with_capacity(batch_size);
        let mut deadline: Option<tokio::time::Instant> = None;
        loop {
            let received = match deadline {
                None => rx.recv_many(&mut inbox, batch_size).await,
                Some(at) => {
                    match tokio::time::timeout_at(at, rx.recv_many(&mut inbox, batch_size)).await {
                        Ok(received) => received,
                        Err(_elapsed) => {
                            self.write(&mut batch).await;
                            deadline = None;
                            continue;
                        }
                    }
                }
            };
            if received == 0 {
                // Closed and drained.
                self.write(&mut batch).await;
                return;
            }
            for message in inbox.drain(..) {
                match message {
                    Message::Click(click) => {
                        if batch.is_empty() {
                            deadline =
                                Some(tokio::time::Instant::now() + self.settings.flush_interval);
                        }
                        batch.push(click);
                        if batch.len() >= batch_size {
                            self.write(&mut batch).await;
                            deadline = None;
                        }
                    }
                    Message::Flush(ack) => {
                        self.write(&mut batch).await;
                        deadline = None;
                        let _ = ack.send(());
                    }
                    Message::Shutdown => rx.close(),
                }
            }
        }
    }

    async fn write(&self, batch: &mut Vec<NewClick>) {
        if batch.is_empty() {
            return;
        }
        let rows = std::mem::take(batch);
        let mut retries = 0;
        loop {
            match insert(&self.db, &rows, self.clock.now()).await {
                Ok(()) => {
                    self.count_written(rows.len());
                    return;
                }
                Err(err) if err.sql_err().is_some() => {
                    // A constraint refused some row: retrying the batch cannot help.
                    tracing::warn!(error = %err, rows = rows.len(), "click batch refused; writing rows one by one");
                    self.write_one_by_one(&rows).await;
                    return;
                }
                Err(err) if retries < self.settings.max_retries => {
                    let wait = self.backoff(retries);
                    retries += 1;
                    tracing::warn!(error = %err, retry = retries, ?wait, "click batch failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(err) => {
                    tracing::error!(error = %err, lost = rows.len(), retries, "click batch failed; dropping it");
                    self.count_failed(rows.len());
                    return;
                }
            }
        }
    }

    /// Each row on its own: one a constraint refuses is lost alone; one that meets a passing
    /// failure (SQLite busy, a dropped connection) is retried as a batch is.
    async fn write_one_by_one(&self, rows: &[NewClick]) {
        let mut lost = 0;
        for row in rows {
            let mut retries = 0;
            loop {
                match insert(&self.db, std::slice::from_ref(row), self.clock.now()).await {
                    Ok(()) => self.count_written(1),
                    Err(err) if err.sql_err().is_none() && retries < self.settings.max_retries => {
                        let wait = self.backoff(retries);
                        retries += 1;
                        tracing::debug!(error = %err, retry = retries, "click failed; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Err(err) => {
                        lost += 1;
                        tracing::debug!(error = %err, link_id = row.link_id, "click refused");
                    }
                }
                break;
            }
        }
        if lost > 0 {
            tracing::warn!(lost, "clicks refused by the database and dropped");
            self.count_failed(lost);
        }
    }

    /// The wait before retry `retries + 1`: the backoff, doubled each time.
    fn backoff(&self, retries: u32) -> Duration {
        self.settings.retry_backoff * 2u32.saturating_pow(retries)
    }

    fn count_written(&self, rows: usize) {
        self.counters
            .written
            .fetch_add(rows as u64, Ordering::Relaxed);
    }

    fn count_failed(&self, rows: usize) {
        self.counters
            .failed
            .fetch_add(rows as u64, Ordering::Relaxed);
    }
}

/// One multi-row INSERT (written at `now`) and the rollups of the clicks, in one transaction.
async fn insert(
    db: &DatabaseConnection,
    rows: &[NewClick],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let mut checks: Vec<fraud::NewClick> = rows
        .iter()
        .map(|c| fraud::NewClick {
            brand_id: c.brand_id,
            link_id: c.link_id,
            visitor_key: c.visitor_key.clone(),
            occurred_at: c.occurred_at,
            is_bot: c.is_bot,
        })
        .collect();
    // CLICK_SPAM (a brand's fraud rule): the extra clicks are stored as bots.
    fraud::mark_click_spam(&txn, &mut checks)
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))?;
    let rows: Vec<NewClick> = rows
        .iter()
        .zip(&checks)
        .map(|(c, checked)| NewClick {
            is_bot: checked.is_bot,
            ..c.clone()
        })
        .collect();
    let rows = rows.as_slice();
    let models = rows.iter().map(|c| click::ActiveModel {
        id: NotSet,
        brand_id: Set(c.brand_id),
        link_id: Set(c.link_id),
        enrollment_id: Set(c.enrollment_id),
        click_id: Set(c.click_id.clone()),
        occurred_at: Set(c.occurred_at),
        visitor_key: Set(c.visitor_key.clone()),
        user_agent_class: Set(Some(c.user_agent_class.to_owned())),
        referrer_host: Set(c.referrer_host.clone()),
        country: Set(c.country.clone()),
        is_bot: Set(c.is_bot),
        source: Set(SOURCE_REDIRECT.to_owned()),
        external_id: Set(None),
        paid_click_param: Set(c.paid_click_param.map(str::to_owned)),
        created_at: Set(now),
    });
    click::Entity::insert_many(models)
        .exec_without_returning(&txn)
        .await?;
    let brand_ids: BTreeSet<i64> = rows.iter().map(|c| c.brand_id).collect();
    let timezones: BTreeMap<i64, Tz> = brand::Entity::find()
        .filter(brand::Column::Id.is_in(brand_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|b| (b.id, b.timezone.parse().unwrap_or(Tz::UTC)))
        .collect();
    let mut deltas: BTreeMap<i64, RollupDelta> = BTreeMap::new();
    for c in rows {
        let tz = timezones.get(&c.brand_id).copied().unwrap_or(Tz::UTC);
        deltas.entry(c.brand_id).or_default().click(
            tz,
            c.enrollment_id,
            c.occurred_at,
            c.is_bot,
            &c.visitor_key,
        );
    }
    for (brand_id, delta) in deltas {
        delta.apply(&txn, brand_id).await?;
    }
    txn.commit().await
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lets a warning through at most once per `every`, so a flood of drops logs a few lines.
struct RateLimitedWarning {
    origin: Instant,
    every_ms: u64,
    /// Milliseconds since `origin` of the last warning, plus one (0: never warned).
    last: AtomicU64,
}

impl RateLimitedWarning {
    fn new(every: Duration) -> Self {
        Self {
            origin: Instant::now(),
            every_ms: u64::try_from(every.as_millis()).unwrap_or(u64::MAX),
            last: AtomicU64::new(0),
        }
    }

    fn allow(&self) -> bool {
        let now = u64::try_from(self.origin.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let last = self.last.load(Ordering::Relaxed);
        (last == 0 || now.saturating_sub(last) >= self.every_ms)
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(n: u32) -> NewClick {
        NewClick {
            brand_id: 1,
            link_id: 1,
            enrollment_id: Some(1),
            click_id: format!("click-{n}"),
            occurred_at: Utc::now(),
            visitor_key: "k".into(),
            user_agent_class: "desktop",
            referrer_host: None,
            country: None,
            is_bot: false,
            paid_click_param: None,
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        // No writer drains `_rx`: the one slot fills and stays full.
        let (queue, _rx) = ClickQueue::unstarted(1);
        assert!(queue.enqueue(click(1)));
        assert!(!queue.enqueue(click(2)));
        assert!(!queue.enqueue(click(3)));
        assert_eq!(
            queue.stats(),
            ClickStats {
                enqueued: 1,
                dropped: 2,
                ..ClickStats::default()
            }
        );
    }

    #[test]
    fn a_closed_queue_drops() {
        let (queue, _rx) = ClickQueue::unstarted(8);
        queue.closed.store(true, Ordering::Release);
        assert!(!queue.enqueue(click(1)));
        assert_eq!(queue.stats().dropped, 1);
    }

    #[test]
    fn drop_warnings_are_rate_limited() {
        let warning = RateLimitedWarning::new(Duration::from_secs(3600));
        assert!(warning.allow());
        assert!(!warning.allow());
        assert!(!warning.allow());
    }

    #[tokio::test]
    async fn failed_batches_are_retried_then_dropped_and_counted() {
        // An empty in-memory database: no `clicks` table, so every insert fails.
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        let queue = ClickQueue::start(
            db,
            QueueSettings {
                capacity: 16,
                batch_size: 10,
                flush_interval: Duration::from_secs(3600),
                max_retries: 2,
                retry_backoff: Duration::from_millis(1),
            },
            Arc::new(crate::clock::SystemClock),
        );
        for n in 0..3 {
            assert!(queue.enqueue(click(n)));
        }
        queue.flush().await;
        let stats = queue.stats();
        assert_eq!((stats.enqueued, stats.written, stats.failed), (3, 0, 3));
        queue.shutdown().await;
        assert!(!queue.enqueue(click(9)));
        assert_eq!(queue.stats().dropped, 1);
    }
}
