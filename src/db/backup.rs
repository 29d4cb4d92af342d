//! `partnergraph backup --out FILE`: an online, consistent copy of the SQLite database, taken
//! while the server serves.
//!
//! The copy is SQLite's `VACUUM INTO` on a connection of its own to the configured file, rather
//! than the online backup API. `VACUUM INTO` reads the whole database in one read transaction:
//! in WAL mode that is a snapshot which the server's writers never block and never invalidate,
//! so the copy is the database as of one commit however busy the server is. The backup API,
//! stepped a few pages at a time, restarts from the first page whenever another connection
//! writes, and may never finish under steady ingestion; stepped all at once, it is the same read
//! transaction as `VACUUM INTO`, reached only through unsafe FFI under sqlx's connection. `VACUUM
//! INTO` is plain SQL through the driver, and its copy is compacted (no free pages).
//!
//! The file appears only when complete and checked: the name is claimed first (an existing file
//! is never overwritten, a path that cannot be written fails before the database is opened),
//! the copy is made next to it under a temporary name, passes `PRAGMA integrity_check`, is
//! switched to a rollback journal (one self-contained file), flushed to disk (`VACUUM INTO`
//! does not sync its output), and renamed over the claimed name. On any failure both are
//! removed. PostgreSQL is backed up with its own tools (docs/operations.md).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, ConnectOptions, Connection, Row};

use crate::config::DatabaseConfig;

/// What a finished backup holds, for the command's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    /// Migrations recorded as applied in the copy, and the latest of them.
    pub migrations: u64,
    pub latest_migration: Option<String>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the database is PostgreSQL: back it up with PostgreSQL's own tools (pg_dump, or \
         pg_basebackup with WAL archiving), see docs/operations.md#backups"
    )]
    Postgres,
    #[error("the database is in memory: there is nothing on disk to back up")]
    InMemory,
    #[error("no SQLite database at {0}")]
    NoDatabase(PathBuf),
    #[error("{0} already exists: a backup never overwrites a file, choose a new name")]
    OutputExists(PathBuf),
    #[error("cannot write the backup to {path}: {source}")]
    Output { path: PathBuf, source: io::Error },
    #[error("the backup path {0} is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("copying the database failed: {0}")]
    Copy(sqlx::Error),
    #[error("the copy failed its integrity check: {0}")]
    Integrity(String),
}

/// Copies the configured SQLite database to `out`, which must not exist yet.
pub async fn backup(config: &DatabaseConfig, out: &Path) -> Result<BackupSummary, BackupError> {
    let started = Instant::now();
    let source = source_options(config)?;
    let claimed = Claimed::new(out)?;
    let temporary = claimed
        .temporary
        .to_str()
        .ok_or_else(|| BackupError::NotUtf8(out.into()))?;

    let mut conn = source.connect().await.map_err(|source| BackupError::Open {
        path: config_path(config),
        source,
    })?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(temporary)
        .execute(&mut conn)
        .await;
    // Closing is best effort: the copy is already made or has already failed.
    let _ = conn.close().await;
    copied.map_err(BackupError::Copy)?;

    let (migrations, latest_migration) = check_copy(&claimed.temporary).await?;
    let bytes = claimed.finish()?;
    Ok(BackupSummary {
        path: out.to_path_buf(),
        bytes,
        migrations,
        latest_migration,
        elapsed: started.elapsed(),
    })
}

/// A connection to the configured file that never creates it and waits for locks as the
/// server's connections do. The journal mode is left as the server set it.
fn source_options(config: &DatabaseConfig) -> Result<SqliteConnectOptions, BackupError> {
    if !config.is_sqlite() {
        return Err(BackupError::Postgres);
    }
    let url = config.url.expose();
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(BackupError::InMemory);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|source| BackupError::Open {
            path: PathBuf::from(url),
            source,
        })?
        .create_if_missing(false)
        .busy_timeout(config.sqlite_busy_timeout);
    let path = options.get_filename().to_path_buf();
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path));
    }
    Ok(options)
}

fn config_path(config: &DatabaseConfig) -> PathBuf {
    SqliteConnectOptions::from_str(config.url.expose())
        .map(|options| options.get_filename().to_path_buf())
        .unwrap_or_default()
}

/// Opens the copy, checks it, and leaves it one self-contained file (rollback journal; the
/// server turns WAL on again when it opens it). Returns its applied migrations.
async fn check_copy(path: &Path) -> Result<(u64, Option<String>), BackupError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(|source| BackupError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let result = check_on(&mut conn).await;
    let _ = conn.close().await;
    result
}

async fn check_on(conn: &mut SqliteConnection) -> Result<(u64, Option<String>), BackupError> {
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(BackupError::Copy)?
        .iter()
        .map(|row| row.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    if problems != ["ok"] {
        return Err(BackupError::Integrity(problems.join("; ")));
    }
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut *conn)
        .await
        .map_err(BackupError::Copy)?;
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(BackupError::Copy)?;
    if has_migrations == 0 {
        return Ok((0, None));
    }
    let row = sqlx::query("SELECT count(*), max(version) FROM seaql_migrations")
        .fetch_one(&mut *conn)
        .await
        .map_err(BackupError::Copy)?;
    let count: i64 = row.try_get(0).map_err(BackupError::Copy)?;
    let latest: Option<String> = row.try_get(1).map_err(BackupError::Copy)?;
    Ok((u64::try_from(count).unwrap_or(0), latest))
}

/// The backup's name, claimed as an empty file so that nothing else takes it meanwhile, and the
/// temporary file next to it that `VACUUM INTO` fills (it accepts an empty file). Both are
/// removed when dropped unless [`Claimed::finish`] renamed the one over the other.
struct Claimed {
    out: PathBuf,
    temporary: PathBuf,
    done: bool,
}

impl Claimed {
    fn new(out: &Path) -> Result<Self, BackupError> {
        let create = |path: &Path| OpenOptions::new().write(true).create_new(true).open(path);
        match create(out) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(BackupError::OutputExists(out.to_path_buf()));
            }
            Err(source) => {
                return Err(BackupError::Output {
                    path: out.to_path_buf(),
                    source,
                });
            }
        }
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.partial", std::process::id()));
        let temporary = out.with_file_name(name);
        // A leftover of a run that was killed is not ours to remove: fail, naming it.
        if let Err(source) = create(&temporary) {
            let _ = fs::remove_file(out);
            return Err(BackupError::Output {
                path: temporary,
                source,
            });
        }
        Ok(Self {
            out: out.to_path_buf(),
            temporary,
            done: false,
        })
    }

    /// Flushes the copy to disk and renames it over the claimed name; returns its size.
    fn finish(mut self) -> Result<u64, BackupError> {
        let output = |source| BackupError::Output {
            path: self.out.clone(),
            source,
        };
        let file = File::open(&self.temporary).map_err(output)?;
        file.sync_all().map_err(output)?;
        let bytes = file.metadata().map_err(output)?.len();
        fs::rename(&self.temporary, &self.out).map_err(output)?;
        self.done = true;
        // The rename itself survives a power loss once the directory is flushed too.
        if let Some(dir) = self.out.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(output)?;
        }
        Ok(bytes)
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.temporary);
            let _ = fs::remove_file(&self.out);
        }
    }
}
