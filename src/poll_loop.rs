//! What the outbox workers (webhook deliveries, mail) share: the loop, one poll per interval
//! until told to stop (a failed poll is logged and tried again next interval), and the lease
//! of a claimed row.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

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

/// A background loop's task and its stop signal (the workers and the click partitions' upkeep).
pub struct Running {
    what: &'static str,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Running {
    /// Spawns `run` (needs a tokio runtime) with the receiver it must watch to stop; `what`
    /// names it in the log.
    pub fn spawn<F, Fut>(what: &'static str, run: F) -> Self
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(stopped));
        Self {
            what,
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Tells the loop to stop and waits for it (the work in flight finishes first).
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = match self.task.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, worker = self.what, "background loop ended abnormally");
        }
    }
}

/// How long a row an outbox worker claimed is left alone by the other processes: the
/// attempt's timeout plus a margin.
pub fn lease(attempt_timeout: Duration) -> chrono::Duration {
    chrono::Duration::from_std(attempt_timeout + Duration::from_secs(30))
        .unwrap_or(chrono::Duration::minutes(5))
}
