//! The loop of the background workers that poll an outbox (webhook deliveries, mail): one poll
//! per interval until told to stop; a failed poll is logged and tried again next interval.

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
