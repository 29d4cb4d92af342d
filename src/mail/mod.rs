//! The mail worker: a background task that sends due outbox rows (`mail_outbox`, written by
//! `service::mail` with the change that causes them) over SMTP, and records each outcome,
//! retrying with exponential backoff. Started by `app::build` like the webhook worker and
//! stopped by [`Mail::shutdown`]. It also queues the "commission approved" mail
//! (`service::mail::approvals`).
//!
//! Without an SMTP server the worker logs each message instead (under `--dev`/`--demo`), or
//! leaves mail queued (otherwise; a warning at start-up says so), to go out once one is set.
//!
//! Several server processes may share one database: a row is claimed with a conditional UPDATE
//! that moves its `next_attempt_at` past the send timeout (a lease), so only one process sends
//! it; one that dies mid-send leaves the row to be sent again when the lease ends (at least
//! once).

mod worker;

use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::MailConfig;

pub use worker::{Outcome, Transport, Worker};

/// The running worker.
pub struct Mail {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Mail {
    /// Starts the worker (needs a tokio runtime). Its first poll comes one poll interval after
    /// start. `clock` says what is due and dates what the worker records.
    pub fn start(config: &MailConfig, db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let worker = Worker::new(config.clone(), db, clock);
        let task = tokio::spawn(worker.run(stopped));
        Self {
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Stops polling after the sends in flight finish; what is still due stays in the outbox.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = match self.task.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, "mail worker ended abnormally");
        }
    }
}
