//! One poll: delete expired files, then claim and write queued exports one at a time, a chunk
//! of rows per statement, to `<name>.part`, renamed to `<name>` once complete. The rows are
//! read from the replica when one answers (a chunk that fails there is read again from the
//! primary); claims, leases and outcomes are written to the primary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::ExportConfig;
use crate::db::Db;
use crate::db::entity::export;
use crate::domain::export::{encode, header};
use crate::error::AppError;
use crate::poll_loop;
use crate::service::exports::lifecycle::{self, READ_FAILED, WRITE_FAILED};
use crate::service::exports::rows::{Chunk, Cursor, Job};

/// Exports claimed per poll at most (each is written to the end before the next).
const EXPORTS_PER_POLL: u64 = 4;
/// Expired files deleted per poll at most.
const EXPIRIES_PER_POLL: u64 = 100;

pub struct Worker {
    config: ExportConfig,
    db: Db,
    clock: Arc<dyn Clock>,
}

/// Why a run stopped before completing.
enum Stop {
    /// Another process took the export over (this run's lease ended): leave it alone.
    LostLease,
    /// FAILED with this safe message.
    Failed(&'static str),
}

impl Worker {
    pub fn new(config: ExportConfig, db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { config, db, clock }
    }

    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) {
        poll_loop::every(self.config.poll_interval, stop, "exports", || self.poll()).await;
    }

    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::minutes(5))
    }

    /// Expires what is due, then writes up to a few queued exports.
    pub async fn poll(&self) -> Result<usize, AppError> {
        self.expire().await?;
        let mut written = 0;
        for row in lifecycle::waiting(self.db.primary(), self.clock.now(), EXPORTS_PER_POLL).await?
        {
            let Some(claimed) =
                lifecycle::claim(self.db.primary(), &row, self.clock.now(), self.lease()).await?
            else {
                continue; // another process took it, or it was interrupted too often
            };
            if self.run_one(claimed).await? {
                written += 1;
            }
        }
        Ok(written)
    }

    async fn expire(&self) -> Result<(), AppError> {
        for row in
            lifecycle::expired(self.db.primary(), self.clock.now(), EXPIRIES_PER_POLL).await?
        {
            if !lifecycle::mark_expired(self.db.primary(), row.id).await? {
                continue;
            }
            if let Some(name) = &row.file_name {
                remove(&self.config.dir.join(name)).await;
            }
            tracing::info!(export = row.id, "export expired; file deleted");
        }
        Ok(())
    }

    /// Writes a claimed export; true when it completed.
    async fn run_one(&self, row: export::Model) -> Result<bool, AppError> {
        let Some(name) = row.file_name.clone() else {
            return Err(AppError::internal("claimed export without a file name"));
        };
        let path = self.config.dir.join(&name);
        let part = self.config.dir.join(format!("{name}.part"));
        let started = Instant::now();
        match self.write(&row, &part, &path).await {
            Ok((rows, size)) => {
                let done = lifecycle::complete(
                    self.db.primary(),
                    row.id,
                    row.attempts,
                    rows,
                    size,
                    self.clock.now(),
                )
                .await?;
                if done.is_none() {
                    remove(&path).await;
                    return Ok(false);
                }
                tracing::info!(
                    export = row.id,
                    rows,
                    bytes = size,
                    seconds = started.elapsed().as_secs_f64(),
                    "export completed"
                );
                Ok(true)
            }
            Err(Stop::LostLease) => {
                remove(&part).await;
                tracing::warn!(export = row.id, "export taken over by another process");
                Ok(false)
            }
            Err(Stop::Failed(message)) => {
                remove(&part).await;
                lifecycle::fail(
                    self.db.primary(),
                    row.id,
                    row.attempts,
                    message,
                    self.clock.now(),
                )
                .await?;
                Ok(false)
            }
        }
    }

    /// Writes every row to `part`, then renames it to `path`: (rows, bytes).
    async fn write(
        &self,
        row: &export::Model,
        part: &PathBuf,
        path: &PathBuf,
    ) -> Result<(i64, i64), Stop> {
        let io_failed = |err: std::io::Error| {
            tracing::error!(export = row.id, error = %err, "cannot write the export file");
            Stop::Failed(WRITE_FAILED)
        };
        let read_failed = |err: AppError| {
            tracing::error!(export = row.id, error = %err, "cannot read the export's rows");
            Stop::Failed(READ_FAILED)
        };
        let job = Job::load(self.db.primary(), row)
            .await
            .map_err(read_failed)?;
        tokio::fs::create_dir_all(&self.config.dir)
            .await
            .map_err(io_failed)?;
        let file = tokio::fs::File::create(part).await.map_err(io_failed)?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let columns = job.columns();
        let mut size = 0usize;
        let opening = header(job.format, columns);
        size += opening.len();
        out.write_all(&opening).await.map_err(io_failed)?;
        // One reading of the clock for the whole file: every line's status is as of it.
        let now = self.clock.now();
        let mut cursor = Cursor::Start;
        let mut rows = 0i64;
        let mut renewed = Instant::now();
        let renew_every = self.config.lease / 3;
        loop {
            let chunk = self.chunk(&job, &cursor, now).await.map_err(read_failed)?;
            let bytes = encode(job.format, columns, &chunk.rows);
            size += bytes.len();
            rows += chunk.rows.len() as i64;
            out.write_all(&bytes).await.map_err(io_failed)?;
            if renewed.elapsed() >= renew_every {
                let held = lifecycle::renew(
                    self.db.primary(),
                    row.id,
                    row.attempts,
                    self.clock.now(),
                    self.lease(),
                )
                .await
                .map_err(read_failed)?;
                if !held {
                    return Err(Stop::LostLease);
                }
                renewed = Instant::now();
            }
            match chunk.next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        out.flush().await.map_err(io_failed)?;
        let file = out.into_inner();
        file.sync_all().await.map_err(io_failed)?;
        drop(file);
        tokio::fs::rename(part, path).await.map_err(io_failed)?;
        Ok((rows, i64::try_from(size).unwrap_or(i64::MAX)))
    }
}

impl Worker {
    /// The rows after `cursor`: from the replica if it answers, else (or when reading there
    /// fails) from the primary.
    async fn chunk(
        &self,
        job: &Job,
        cursor: &Cursor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Chunk, AppError> {
        let reads = self.db.reads();
        let limit = self.config.chunk_rows;
        match job.chunk(reads, cursor, limit, now).await {
            Err(err) if self.db.is_replica(reads) => {
                tracing::warn!(error = %err, "reading export rows from the replica failed: reading them from the primary");
                self.db.replica_failed();
                job.chunk(self.db.primary(), cursor, limit, now).await
            }
            read => read,
        }
    }
}

/// Deletes a file; one already gone is fine.
async fn remove(path: &PathBuf) {
    match tokio::fs::remove_file(path).await {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => tracing::warn!(error = %err, "cannot delete an export file"),
    }
}
