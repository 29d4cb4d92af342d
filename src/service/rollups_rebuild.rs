//! Recomputes a brand's rollups from its events: for operators after a restore or a data fix
//! (`partnergraph rollups rebuild`), and for tests, which check that the rollups kept at
//! ingestion equal the ones rebuilt from scratch. Runs in one transaction under the brand's
//! ingestion lock, so no batch is ingested half-way through it. After the raw click retention
//! dropped a month of clicks (PostgreSQL) it refuses: the rollups are all that is left of them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::ingest::lock_brand;
use super::rollups::{
    BRAND_LEVELS, CREATOR_LEVELS, ENROLLMENT_LEVELS, RollupDelta, Written, fill_from_days,
};
use crate::db::entity::{
    brand, brand_daily_rollup, brand_monthly_rollup, brand_weekly_rollup, click, commission,
    conversion, daily_rollup, daily_sketch, monthly_rollup, monthly_sketch, weekly_rollup,
    weekly_sketch,
};
use crate::error::AppError;
use crate::events::caches::{self, Invalidation};

/// How much a rebuild reads and gathers before it writes.
#[derive(Clone, Copy, Debug)]
pub struct Batches {
    /// Events read per statement.
    pub page: u64,
    /// Rollup keys gathered from clicks before they are written: clicks come in id order, which
    /// is about time order, so most days are complete when written and each sketch is written
    /// once.
    pub click_keys: usize,
}

impl Default for Batches {
    fn default() -> Self {
        Self {
            page: 5_000,
            click_keys: 100_000,
        }
    }
}

/// What a rebuild read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Human clicks (bots are not counted in rollups, so not read).
    pub clicks: u64,
    pub conversions: u64,
    pub commission_lines: u64,
}

pub async fn rebuild(db: &DatabaseConnection, brand_id: i64) -> Result<Rebuilt, AppError> {
    rebuild_in(db, brand_id, Batches::default()).await
}

/// [`rebuild`] with other batch sizes (tests use tiny ones, so that keys span batches).
pub async fn rebuild_in(
    db: &DatabaseConnection,
    brand_id: i64,
    batches: Batches,
) -> Result<Rebuilt, AppError> {
    if let Some(month) = super::partitions::last_dropped_month(db).await? {
        // The rollups are all that is left of those clicks.
        return Err(AppError::Conflict(format!(
            "raw clicks up to {} were dropped by the raw click retention: a rebuild from the \
             events would lose them",
            month.format("%Y-%m")
        )));
    }
    let txn = db.begin().await?;
    let brand = lock_brand(&txn, brand_id).await?;
    let tz: chrono_tz::Tz = brand.timezone.parse().map_err(AppError::internal)?;
    daily_rollup::Entity::delete_many()
        .filter(daily_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    daily_sketch::Entity::delete_many()
        .filter(daily_sketch::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    brand_daily_rollup::Entity::delete_many()
        .filter(brand_daily_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    monthly_rollup::Entity::delete_many()
        .filter(monthly_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    monthly_sketch::Entity::delete_many()
        .filter(monthly_sketch::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    weekly_rollup::Entity::delete_many()
        .filter(weekly_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    weekly_sketch::Entity::delete_many()
        .filter(weekly_sketch::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    brand_weekly_rollup::Entity::delete_many()
        .filter(brand_weekly_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    brand_monthly_rollup::Entity::delete_many()
        .filter(brand_monthly_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    for level in CREATOR_LEVELS {
        for table in [level.table, level.sketches] {
            let delete = Query::delete()
                .from_table(Alias::new(table))
                .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id))
                .to_owned();
            txn.execute(&delete).await?;
        }
    }
    let mut written = Written::default();
    let done = Rebuilt {
        clicks: add_clicks(&txn, brand_id, tz, batches, &mut written).await?,
        conversions: add_pages::<conversion::Entity, _>(
            &txn,
            brand_id,
            batches.page,
            &mut written,
            |c, d| d.conversion(tz, None, c),
        )
        .await?,
        commission_lines: add_pages::<commission::Entity, _>(
            &txn,
            brand_id,
            batches.page,
            &mut written,
            |line, delta| {
                delta.commission(tz, line);
                Ok(())
            },
        )
        .await?,
    };
    fill_from_days(&txn, brand_id).await?;
    // Every instance's cached report pages of the brand were computed from the old rollups.
    caches::notify(&txn, &[Invalidation::Reports { brand_id }]).await?;
    txn.commit().await?;
    Ok(done)
}

/// After rebuilding: PostgreSQL vacuums and analyzes the rollup tables (a rebuild leaves the
/// brand's old rows dead beside the new ones; at scale 1.0 half of every table, which doubled
/// the pages a report read until autovacuum came by), SQLite runs `PRAGMA optimize`. Outside
/// any transaction, as VACUUM must be.
pub async fn tidy(db: &DatabaseConnection) -> Result<(), AppError> {
    let statement = match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut tables: Vec<&str> = Vec::new();
            for level in ENROLLMENT_LEVELS
                .iter()
                .chain(&CREATOR_LEVELS)
                .chain(&BRAND_LEVELS)
            {
                for table in [level.table, level.sketches] {
                    if !tables.contains(&table) {
                        tables.push(table);
                    }
                }
            }
            format!("VACUUM (ANALYZE) {}", tables.join(", "))
        }
        _ => "PRAGMA optimize".to_owned(),
    };
    db.execute_unprepared(&statement).await?;
    Ok(())
}

/// An event table with an id and a brand.
trait Event: EntityTrait {
    fn id_column() -> Self::Column;
    fn brand_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> i64;
}

macro_rules! event {
    ($entity:ident) => {
        impl Event for $entity::Entity {
            fn id_column() -> Self::Column {
                $entity::Column::Id
            }
            fn brand_column() -> Self::Column {
                $entity::Column::BrandId
            }
            fn id_of(model: &Self::Model) -> i64 {
                model.id
            }
        }
    };
}
event!(conversion);
event!(commission);

/// `column + 0`: the same value, but no index on `column` can serve it. The pages below are
/// keyset pages by id; given `brand_id = ?` on an indexed column, SQLite (no statistics) reads
/// the brand's whole index range and sorts it for every page, so the rebuild was quadratic (10M
/// clicks: 2,000 pages of 10M rows). Without it, each page is a primary-key range.
fn not_indexed(column: Expr) -> Expr {
    column.add(0)
}

/// Adds every event of the brand to the rollups, a page at a time; returns how many it read.
async fn add_pages<E, F>(
    txn: &DatabaseTransaction,
    brand_id: i64,
    page_size: u64,
    written: &mut Written,
    mut add: F,
) -> Result<u64, AppError>
where
    E: Event,
    E::Model: Sync,
    F: FnMut(&E::Model, &mut RollupDelta) -> Result<(), AppError>,
{
    let (mut after, mut read) = (0, 0);
    loop {
        let page = E::find()
            .filter(not_indexed(Expr::col((E::default(), E::brand_column()))).eq(brand_id))
            .filter(E::id_column().gt(after))
            .order_by_asc(E::id_column())
            .limit(page_size)
            .all(txn)
            .await?;
        let Some(last) = page.last() else {
            return Ok(read);
        };
        after = E::id_of(last);
        let mut delta = RollupDelta::days_only();
        for event in &page {
            add(event, &mut delta)?;
        }
        read += page.len() as u64;
        delta.apply_in_rebuild(txn, brand_id, written).await?;
    }
}

/// Clicks are most of the events: read only the columns a rollup needs, and skip bots in SQL.
async fn add_clicks(
    txn: &DatabaseTransaction,
    brand_id: i64,
    tz: chrono_tz::Tz,
    batches: Batches,
    written: &mut Written,
) -> Result<u64, AppError> {
    type Row = (i64, Option<i64>, DateTime<Utc>, String);
    let (mut after, mut read) = (0, 0);
    let mut delta = RollupDelta::days_only();
    loop {
        let page: Vec<Row> = click::Entity::find()
            .select_only()
            .columns([
                click::Column::Id,
                click::Column::EnrollmentId,
                click::Column::OccurredAt,
                click::Column::VisitorKey,
            ])
            .filter(not_indexed(Expr::col(click::Column::BrandId)).eq(brand_id))
            .filter(click::Column::IsBot.eq(false))
            .filter(click::Column::Id.gt(after))
            .order_by_asc(click::Column::Id)
            .limit(batches.page)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = page.last() else {
            delta.apply_in_rebuild(txn, brand_id, written).await?;
            return Ok(read);
        };
        after = last.0;
        for (_, enrollment_id, at, visitor_key) in &page {
            delta.click(tz, *enrollment_id, *at, false, visitor_key);
        }
        read += page.len() as u64;
        if delta.len() >= batches.click_keys {
            std::mem::replace(&mut delta, RollupDelta::days_only())
                .apply_in_rebuild(txn, brand_id, written)
                .await?;
        }
    }
}

/// Every brand's id, for `rollups rebuild` without `--brand`.
pub async fn brand_ids(db: &DatabaseConnection) -> Result<Vec<i64>, AppError> {
    Ok(brand::Entity::find()
        .select_only()
        .column(brand::Column::Id)
        .order_by_asc(brand::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
