//! The webhook delivery worker: a background task that sends due outbox rows
//! (`webhook_deliveries`), signed, and records each outcome. Started by `app::build` like the
//! click writer and stopped by [`Webhooks::shutdown`].
//!
//! Several server processes may share one database: a row is claimed with a conditional UPDATE
//! that moves its `next_attempt_at` past the request timeout (a lease), so only one process
//! sends it; a process that dies mid-request leaves the row to be sent again when the lease
//! ends (at-least-once delivery: receivers deduplicate by the event id).

pub mod targets;
mod worker;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::seal::SealingKey;
use crate::clock::Clock;
use crate::config::WebhookConfig;
use crate::poll_loop::Running;

pub use worker::Worker;

/// The running worker.
pub struct Webhooks {
    running: Running,
}

impl Webhooks {
    /// Starts the worker (needs a tokio runtime). Its first poll comes one poll interval after
    /// start, then one interval after each poll ends. `clock` says what is due and dates what
    /// the worker records; `sealing_key` opens the endpoints' sealed secrets.
    pub fn start(
        config: &WebhookConfig,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        sealing_key: SealingKey,
    ) -> Self {
        let worker = Worker::new(config.clone(), db, clock, sealing_key);
        Self {
            running: Running::spawn("webhooks", |stopped| worker.run(stopped)),
        }
    }

    /// Stops polling after the attempts in flight finish; what is still due stays in the outbox
    /// for the next start.
    pub async fn shutdown(&self) {
        self.running.shutdown().await;
    }
}
