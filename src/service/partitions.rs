//! The monthly partitions of `clicks` on PostgreSQL (migration `m20261210_000004_partition_clicks`)
//! and raw click retention: [`maintain`] runs at start-up and every hour
//! (`tracking::partitions`).
//!
//! - Ahead: the current month (UTC) and the next two always have their partition.
//! - Behind: clicks that landed in `clicks_default` (a month without a partition: far in the
//!   past or the future) are moved into their month's new partition, so the default stays
//!   small and every month can be pruned, and dropped, on its own.
//! - Retention (`PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS`): a month whose every instant is older
//!   than the retention is dropped whole, once its clicks are in the rollups. The rollups are
//!   written in the transaction that stores the clicks, so committed clicks are in them; the
//!   check below still compares, per brand and local day, the partition's human clicks with
//!   `brand_daily_rollups` and keeps the month when any day has fewer (a restored database
//!   whose rollups were not rebuilt, say). Dropped months are recorded in
//!   `dropped_click_partitions` (`rollups rebuild` refuses to run after one, as it would lose
//!   their clicks).
//!
//! Each step runs in its own transaction under one advisory lock, so the instances of a
//! cluster never do it twice at once. SQLite keeps one table: [`maintain`] does nothing there.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use tracing::instrument;

use crate::error::AppError;

/// Arbitrary, fixed: serializes partition maintenance across the processes of one database.
const MAINTENANCE_LOCK: i64 = 0x5047_7061_7274_6974;

/// Months kept ahead of the current one.
const MONTHS_AHEAD: u32 = 2;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maintained {
    /// Partitions created (`clicks_pYYYY_MM`).
    pub created: Vec<String>,
    /// Clicks moved out of the default partition into their month.
    pub moved: u64,
    /// Partitions dropped by retention.
    pub dropped: Vec<String>,
    /// Months past the retention kept because the rollups lack some of their clicks.
    pub kept: Vec<String>,
}

/// `clicks_pYYYY_MM`, the partition of the month starting on `month` (UTC).
pub fn partition_name(month: NaiveDate) -> String {
    format!("clicks_p{:04}_{:02}", month.year(), month.month())
}

/// The first day of the month of `at` (UTC).
pub fn month_of(at: DateTime<Utc>) -> NaiveDate {
    let day = at.date_naive();
    day.with_day(1).unwrap_or(day)
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month.checked_add_months(Months::new(1)).unwrap_or(month)
}

fn bound(month: NaiveDate) -> String {
    format!("{} 00:00:00+00", month.format("%Y-%m-%d"))
}

/// Creates the partitions ahead, moves stray clicks out of the default partition and, with a
/// retention, drops the months past it whose clicks the rollups hold. `now` is the app's clock.
#[instrument(skip(db))]
pub async fn maintain(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    retention_days: Option<u32>,
) -> Result<Maintained, AppError> {
    let mut done = Maintained::default();
    if db.get_database_backend() != DbBackend::Postgres || !is_partitioned(db).await? {
        return Ok(done);
    }
    let current = month_of(now);
    let mut wanted: Vec<NaiveDate> = (0..=MONTHS_AHEAD)
        .filter_map(|n| current.checked_add_months(Months::new(n)))
        .collect();
    wanted.extend(months_in_default(db).await?);
    wanted.sort();
    wanted.dedup();
    let existing = partitions(db).await?;
    for month in wanted {
        let name = partition_name(month);
        if existing.contains(&name) {
            continue;
        }
        done.moved += create_month(db, month).await?;
        done.created.push(name);
    }
    if let Some(days) = retention_days {
        let horizon = now - chrono::Duration::days(i64::from(days));
        for month in droppable(db, horizon).await? {
            let name = partition_name(month);
            if drop_month(db, month, now).await? {
                done.dropped.push(name);
            } else {
                done.kept.push(name);
            }
        }
    }
    if !done.created.is_empty() || !done.dropped.is_empty() || !done.kept.is_empty() {
        tracing::info!(
            created = ?done.created,
            moved = done.moved,
            dropped = ?done.dropped,
            kept = ?done.kept,
            "click partitions maintained"
        );
    }
    Ok(done)
}

/// Whether `clicks` is the partitioned table (it is not after its migration was rolled back).
async fn is_partitioned(db: &DatabaseConnection) -> Result<bool, AppError> {
    let row = db
        .query_one_raw(pg(
            "SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass('clicks')",
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<String>("", "kind")? == "p",
        None => false,
    })
}

/// The names of the monthly partitions of `clicks` (not the default one).
pub async fn partitions<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, AppError> {
    let rows = db
        .query_all_raw(pg("SELECT c.relname::text AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'clicks'::regclass AND c.relname::text <> 'clicks_default' \
             ORDER BY 1"))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String>("", "name")?))
        .collect()
}

/// The months of the clicks in the default partition (normally none: a scan of an empty table).
async fn months_in_default(db: &DatabaseConnection) -> Result<Vec<NaiveDate>, AppError> {
    let rows = db
        .query_all_raw(pg(
            "SELECT DISTINCT to_char(date_trunc('month', occurred_at AT TIME ZONE 'UTC'), \
             'YYYY-MM-DD') AS month FROM clicks_default",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("", "month")?;
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(AppError::internal)
        })
        .collect()
}

/// The monthly partitions whose month ends at or before `horizon`, oldest first.
async fn droppable(
    db: &DatabaseConnection,
    horizon: DateTime<Utc>,
) -> Result<Vec<NaiveDate>, AppError> {
    let mut months = Vec::new();
    for name in partitions(db).await? {
        let Some(month) = name
            .strip_prefix("clicks_p")
            .and_then(|ym| NaiveDate::parse_from_str(&format!("{ym}_01"), "%Y_%m_%d").ok())
        else {
            continue;
        };
        let end = next_month(month).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if end.is_some_and(|end| end <= horizon) {
            months.push(month);
        }
    }
    Ok(months)
}

/// A transaction holding the maintenance lock.
async fn locked(db: &DatabaseConnection) -> Result<DatabaseTransaction, AppError> {
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MAINTENANCE_LOCK})"))
        .await?;
    // Attaching and dropping lock `clicks` briefly but exclusively: rather than queue every
    // click behind a long reader, give up and try again next run.
    txn.execute_unprepared("SET LOCAL lock_timeout = '10s'")
        .await?;
    Ok(txn)
}

/// Creates the partition of `month`: a table of its own filled with the month's clicks from
/// the default partition, then attached (a partition cannot be created over rows the default
/// holds). Returns how many clicks it moved. The triggers that keep `click_keys` are statement
/// triggers of `clicks` itself, which a statement on one of its partitions does not fire: the
/// move leaves the keys as they are.
async fn create_month(db: &DatabaseConnection, month: NaiveDate) -> Result<u64, AppError> {
    let txn = locked(db).await?;
    let name = partition_name(month);
    let (from, to) = (bound(month), bound(next_month(month)));
    if txn
        .query_one_raw(pg(&format!(
            "SELECT to_regclass('{name}') IS NOT NULL AS present"
        )))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        == Some(true)
    {
        // Another process made it meanwhile.
        return Ok(0);
    }
    txn.execute_unprepared(&format!(
        "CREATE TABLE {name} (LIKE clicks INCLUDING DEFAULTS);
         ALTER TABLE {name} ADD CONSTRAINT {name}_range
             CHECK (occurred_at >= '{from}' AND occurred_at < '{to}');"
    ))
    .await?;
    let moved = txn
        .execute_unprepared(&format!(
            "WITH moved AS (DELETE FROM clicks_default
                 WHERE occurred_at >= '{from}' AND occurred_at < '{to}' RETURNING *)
             INSERT INTO {name} SELECT * FROM moved"
        ))
        .await?
        .rows_affected();
    txn.execute_unprepared(&format!(
        "ALTER TABLE clicks ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}')"
    ))
    .await?;
    txn.commit().await?;
    Ok(moved)
}

/// Drops the partition of `month` when the rollups hold its clicks; `false` when they lack some
/// (the month is kept, and logged).
async fn drop_month(
    db: &DatabaseConnection,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let txn = locked(db).await?;
    let name = partition_name(month);
    let short = txn
        .query_one_raw(pg(&format!(
            "SELECT COUNT(*) AS days FROM (
                 SELECT c.brand_id, (c.occurred_at AT TIME ZONE b.timezone)::date AS day,
                        COUNT(*) AS clicks
                 FROM {name} c JOIN brands b ON b.id = c.brand_id
                 WHERE NOT c.is_bot GROUP BY 1, 2
             ) raw LEFT JOIN brand_daily_rollups r ON r.brand_id = raw.brand_id AND r.day = raw.day
             WHERE COALESCE(r.clicks, 0) < raw.clicks"
        )))
        .await?
        .map(|row| row.try_get::<i64>("", "days"))
        .transpose()?
        .unwrap_or(0);
    if short > 0 {
        tracing::warn!(
            partition = %name,
            days = short,
            "raw clicks past the retention kept: the rollups lack some of them \
             (run `partnergraph rollups rebuild`)"
        );
        return Ok(false);
    }
    let clicks = txn
        .execute_unprepared(&format!(
            "DELETE FROM click_keys k USING {name} c
                 WHERE k.brand_id = c.brand_id AND k.click_id = c.click_id"
        ))
        .await?
        .rows_affected();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO dropped_click_partitions (month, dropped_at, clicks) VALUES ($1, $2, $3)
             ON CONFLICT (month) DO UPDATE SET dropped_at = EXCLUDED.dropped_at,
                 clicks = dropped_click_partitions.clicks + EXCLUDED.clicks",
        [
            month.into(),
            now.into(),
            i64::try_from(clicks).unwrap_or(i64::MAX).into(),
        ],
    ))
    .await?;
    txn.execute_unprepared(&format!("DROP TABLE {name}"))
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// The last month whose raw clicks retention dropped, if any (PostgreSQL; `None` on SQLite).
pub async fn last_dropped_month<C: ConnectionTrait>(db: &C) -> Result<Option<NaiveDate>, AppError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    // Before the partitioning migration (or after rolling it back) there is no record.
    let recorded = db
        .query_one_raw(pg(
            "SELECT to_regclass('dropped_click_partitions') IS NOT NULL AS present",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?;
    if recorded != Some(true) {
        return Ok(None);
    }
    let Some(row) = db
        .query_one_raw(pg(
            "SELECT to_char(MAX(month), 'YYYY-MM-DD') AS month FROM dropped_click_partitions",
        ))
        .await?
    else {
        return Ok(None);
    };
    let text: Option<String> = row.try_get("", "month")?;
    text.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(AppError::internal))
        .transpose()
}

fn pg(sql: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, sql.to_owned())
}
