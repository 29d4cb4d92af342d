//! Database access: connecting (SQLite pragmas, PostgreSQL pool), migrations, entities.

pub mod entity;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// Opens the pool. SQLite: WAL, foreign keys on, a busy timeout and `synchronous=FULL` on every
/// connection, file created when missing. PostgreSQL: sized pool with an acquire timeout.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.expose().to_owned());
    options
        .max_connections(config.max_connections)
        .min_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .sqlx_logging(false);
    if config.is_sqlite() {
        let busy_timeout = config.sqlite_busy_timeout;
        options.map_sqlx_sqlite_opts(move |opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                .synchronous(SqliteSynchronous::Full)
        });
    }
    Database::connect(options).await
}

/// Readiness: the database answers a trivial statement.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}
