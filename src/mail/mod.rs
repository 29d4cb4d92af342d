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

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::MailConfig;
use crate::poll_loop::Running;

pub use worker::{Outcome, Transport, Worker};

/// The running worker.
pub struct Mail {
    running: Running,
}

impl Mail {
    /// Starts the worker (needs a tokio runtime). Its first poll comes one poll interval after
    /// start. `clock` says what is due and dates what the worker records.
    pub fn start(config: &MailConfig, db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        let worker = Worker::new(config.clone(), db, clock);
        Self {
            running: Running::spawn("mail", |stopped| worker.run(stopped)),
        }
    }

    /// Stops polling after the sends in flight finish; what is still due stays in the outbox.
    pub async fn shutdown(&self) {
        self.running.shutdown().await;
    }
}
