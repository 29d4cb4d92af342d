//! What the outbox workers (webhook deliveries, mail) share: the loop, one poll per interval
//! until told to stop (a failed poll is logged and tried again next interval), and the lease
//! of a claimed row.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::AppError;

/// Calls `poll` every `interval` until `stop` turns true (or its sender is dropped). `what`
/// names the worker in the log.
pub async fn every<F, Fut>(
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    what: &'static str,
    mut poll: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, AppError>>,
{
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(err) = poll().await {
            tracing::warn!(worker = what, error = %err, "poll failed; retrying next interval");
        }
    }
}

/// How long a row an outbox worker claimed is left alone by the other processes: the
/// attempt's timeout plus a margin.
pub fn lease(attempt_timeout: Duration) -> chrono::Duration {
    chrono::Duration::from_std(attempt_timeout + Duration::from_secs(30))
        .unwrap_or(chrono::Duration::minutes(5))
}
