//! The hourly upkeep of the click partitions (PostgreSQL): partitions ahead, stray clicks out
//! of the default partition, retention (`service::partitions::maintain`). `app::serve` runs one
//! at start-up, before serving; this loop runs the next ones. Nothing to do on SQLite.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::poll_loop;
use crate::service::partitions;

/// Between two runs: months come one at a time, and a month past the retention can wait an
/// hour.
pub const INTERVAL: Duration = Duration::from_secs(3_600);

/// The running loop.
pub struct ClickPartitions {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl ClickPartitions {
    /// Starts the loop (needs a tokio runtime); its first run comes one [`INTERVAL`] after
    /// start. `clock` says which month it is.
    pub fn start(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        retention_days: Option<u32>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            poll_loop::every(INTERVAL, stopped, "click partitions", || {
                let (db, now) = (db.clone(), clock.now());
                async move {
                    let done = partitions::maintain(&db, now, retention_days).await?;
                    Ok(done.created.len() + done.dropped.len())
                }
            })
            .await;
        });
        Self {
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Stops the loop after the run in progress, if any.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = match self.task.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, "click partition loop ended abnormally");
        }
    }
}
