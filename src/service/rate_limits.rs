//! Rate limits shared by every instance on one PostgreSQL database (issue #24): each process
//! keeps its own buckets and, once a second, trades what its callers spent for the shared
//! remainder ([`exchange`]); a process serves each caller a share of that remainder, split by
//! the number of instances ([`instances`]). A few statements per second per process, never a
//! write per request. SQLite serves from one process and never calls these.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};

use crate::error::AppError;
use crate::events::LISTENER_APPLICATION_NAME;

/// Keys per statement (three bound values each).
const CHUNK: usize = 500;

/// One limiter's configuration, as every instance has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// Bucket size: requests allowed at once.
    pub capacity: f64,
    /// Refill, requests per second.
    pub per_second: f64,
}

/// Adds what this process's callers of `limiter` spent since the last exchange to the shared
/// buckets, each refilled for the time since it was last touched (by the database's clock) and
/// never owing more than one full bucket.
pub async fn exchange(
    db: &DatabaseConnection,
    limiter: &str,
    limit: Limit,
    spent: &[(String, u32)],
) -> Result<(), AppError> {
    for chunk in spent.chunks(CHUNK) {
        let mut values: Vec<Value> = vec![
            limiter.into(),
            limit.capacity.into(),
            limit.per_second.into(),
        ];
        let mut rows = Vec::with_capacity(chunk.len());
        for (key, used) in chunk {
            let n = values.len();
            rows.push(format!("(${}, ${}::float8)", n + 1, n + 2));
            values.push(key.clone().into());
            values.push(f64::from(*used).into());
        }
        let sql = format!(
            "INSERT INTO rate_limit_buckets AS b (limiter, key, tokens, updated_at) \
             SELECT $1, t.key, $2::float8 - t.spent, now() FROM (VALUES {}) AS t(key, spent) \
             ON CONFLICT (limiter, key) DO UPDATE SET \
               tokens = GREATEST(-$2::float8, LEAST($2::float8, b.tokens \
                 + EXTRACT(EPOCH FROM (now() - b.updated_at))::float8 * $3::float8) \
                 - ($2::float8 - EXCLUDED.tokens)), \
               updated_at = now()",
            rows.join(", ")
        );
        let statement = Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values);
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// Most shared buckets read back at once.
const RECENT_MAX: i64 = 10_000;

/// The shared buckets of `limiter` any instance touched in the last `secs`, with the tokens
/// each holds now (refilled since it was touched).
pub async fn recent(
    db: &DatabaseConnection,
    limiter: &str,
    limit: Limit,
    secs: f64,
) -> Result<Vec<(String, f64)>, AppError> {
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT key, LEAST($2::float8, tokens \
           + EXTRACT(EPOCH FROM (now() - updated_at))::float8 * $3::float8) AS tokens \
         FROM rate_limit_buckets \
         WHERE limiter = $1 AND updated_at > now() - make_interval(secs => $4::float8) \
         LIMIT $5",
        [
            limiter.into(),
            limit.capacity.into(),
            limit.per_second.into(),
            secs.into(),
            RECENT_MAX.into(),
        ],
    );
    let mut buckets = Vec::new();
    for row in db.query_all_raw(statement).await? {
        buckets.push((row.try_get("", "key")?, row.try_get("", "tokens")?));
    }
    Ok(buckets)
}

/// Instances serving this database: the processes whose event listener is connected (one per
/// process, named [`LISTENER_APPLICATION_NAME`]); at least 1.
pub async fn instances(db: &DatabaseConnection) -> Result<u32, AppError> {
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT count(*)::int4 AS n FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()",
        [LISTENER_APPLICATION_NAME.into()],
    );
    let n: i32 = match db.query_one_raw(statement).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u32::try_from(n).unwrap_or(0).max(1))
}

/// Forgets shared buckets untouched for `idle_secs` (they would be full again by now).
pub async fn forget_idle(db: &DatabaseConnection, idle_secs: f64) -> Result<u64, AppError> {
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "DELETE FROM rate_limit_buckets WHERE updated_at < now() - make_interval(secs => $1::float8)",
        [idle_secs.into()],
    );
    Ok(db.execute_raw(statement).await?.rows_affected())
}
