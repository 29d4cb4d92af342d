//! Database access: connecting (SQLite pragmas, PostgreSQL pool), migrations, entities, the
//! SQLite backup command ([`backup`]), the primary with its read replica ([`Db`]), and reading
//! models from some of their columns ([`projection`]).

pub mod backup;
pub mod entity;
pub mod projection;
pub mod replica;

pub use replica::{Db, ReplicaState};

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// A pooled connection idle for this long is pinged before it is handed out; one used more
/// recently is handed out as is. sqlx pings on every acquire by default: a round trip before
/// each statement, which on PostgreSQL doubled the round trips of the contract `Creators` page
/// (BENCHMARKS.md, session 19). A connection that broke while hot fails its statement once and
/// is then dropped; the connections a server loses are mostly idle ones (a restarted database,
/// a proxy's idle timeout), which the ping still catches. HikariCP's window is 500 ms.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens the pool. SQLite: WAL, foreign keys on, a busy timeout and `synchronous=FULL` on every
/// connection, file created when missing. PostgreSQL: sized pool with an acquire timeout, and
/// JIT compilation off: the server's statements are short, and a report's aggregate over a few
/// hundred thousand rollup rows spent 100 ms of its 450 compiling itself (measured at scale 1.0,
/// BENCHMARKS.md row 4). Both: connections pinged only after [`PING_IF_IDLE_FOR`] idle.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.expose().to_owned());
    options
        .max_connections(config.max_connections)
        .min_connections(1)
        .acquire_timeout(config.acquire_timeout)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
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
    } else {
        options.map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]));
    }
    Database::connect(options).await
}

/// Readiness: the database answers a trivial statement.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

    /// `.cargo/config.toml` builds the bundled SQLite with `SQLITE_ENABLE_QPSG`: without it, every
    /// statement with `LIMIT ?` is compiled again on each execution.
    #[tokio::test]
    async fn sqlite_is_built_with_a_stable_query_planner() {
        let db = Database::connect("sqlite::memory:").await.expect("memory");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n FROM pragma_compile_options \
                 WHERE compile_options = 'ENABLE_QPSG'",
            ))
            .await
            .expect("query")
            .expect("row");
        let n: i64 = row.try_get("", "n").expect("n");
        assert_eq!(n, 1, "SQLite was built without SQLITE_ENABLE_QPSG");
    }

    /// The pool does not ping a connection on every hand-out, only after it idled.
    #[tokio::test]
    async fn the_pool_pings_only_idle_connections() {
        use crate::config::{DatabaseConfig, Secret};
        let db = super::connect(&DatabaseConfig {
            url: Secret::new("sqlite::memory:"),
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(5),
            sqlite_busy_timeout: std::time::Duration::from_secs(5),
        })
        .await
        .expect("connect");
        let options = db.get_sqlite_connection_pool().options();
        assert!(!options.get_test_before_acquire(), "a ping per hand-out");
        super::ping(&db)
            .await
            .expect("the pool still hands out connections");
    }
}
