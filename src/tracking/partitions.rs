//! The hourly upkeep of the click partitions (PostgreSQL): partitions ahead, stray clicks out
//! of the default partition, retention (`service::partitions::maintain`). `app::serve` runs one
//! at start-up, before serving; this loop runs the next ones. Nothing to do on SQLite.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::poll_loop::{self, Running};
use crate::service::partitions;

/// Between two runs: months come one at a time, and a month past the retention can wait an
/// hour.
pub const INTERVAL: Duration = Duration::from_secs(3_600);

/// The running loop.
pub struct ClickPartitions {
    running: Running,
}

impl ClickPartitions {
    /// Starts the loop (needs a tokio runtime); its first run comes one [`INTERVAL`] after
    /// start. `clock` says which month it is.
    pub fn start(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        retention_days: Option<u32>,
    ) -> Self {
        let running = Running::spawn("click partitions", |stopped| async move {
            poll_loop::every(INTERVAL, stopped, "click partitions", || {
                let (db, now) = (db.clone(), clock.now());
                async move {
                    let done = partitions::maintain(&db, now, retention_days).await?;
                    Ok(done.created.len() + done.dropped.len())
                }
            })
            .await;
        });
        Self { running }
    }

    /// Stops the loop after the run in progress, if any.
    pub async fn shutdown(&self) {
        self.running.shutdown().await;
    }
}
