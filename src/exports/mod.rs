//! The export worker: a background task that writes queued exports (`startExport`) to files in
//! the export directory and deletes the files whose time is up. Started by `app::build` like
//! the webhook and mail workers and stopped by [`Exports::shutdown`].
//!
//! Several server processes may share one database (and must then share the export
//! directory): an export is claimed with a conditional UPDATE under a lease that the run renews
//! while it writes (`service::exports::lifecycle`), so one process writes it; a process that
//! dies mid-run leaves it to be written again, into a new file, when the lease ends.

mod worker;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::ExportConfig;
use crate::db::Db;
use crate::error::AppError;
use crate::poll_loop::Running;

pub use worker::Worker;

/// The running worker.
pub struct Exports {
    running: Running,
    worker: Arc<Worker>,
}

impl Exports {
    /// Starts the worker (needs a tokio runtime); its first poll comes one interval after
    /// start. `clock` says when files expire and dates what the worker records; rows are read
    /// from `db.reads()`, the rest from and to the primary.
    pub fn start(config: &ExportConfig, db: Db, clock: Arc<dyn Clock>) -> Self {
        let worker = Arc::new(Worker::new(config.clone(), db, clock));
        let running = Running::spawn("exports", |stopped| worker.clone().run(stopped));
        Self { running, worker }
    }

    /// One poll now, in the caller's task (tests; the loop keeps its own schedule): expires
    /// what is due, then writes what is queued. Returns how many exports it wrote.
    pub async fn poll(&self) -> Result<usize, AppError> {
        self.worker.poll().await
    }

    /// Stops polling after the export being written finishes; queued ones wait for the next
    /// start.
    pub async fn shutdown(&self) {
        self.running.shutdown().await;
    }
}
