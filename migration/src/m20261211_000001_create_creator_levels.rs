//! A level of the rollups per creator (issue #18): `creator_daily_rollups`,
//! `creator_weekly_rollups` and `creator_monthly_rollups` (sums), with `creator_daily_sketches`,
//! `creator_weekly_sketches` and `creator_monthly_sketches` (visitors), keyed by brand, period
//! start and creator.
//!
//! Design decisions:
//! - A report grouped by nothing but CREATOR and PLATFORM (a creator's primary platform), and
//!   filtered by nothing finer than creators, reads these rows instead of the enrollments': the
//!   dashboard's top creators, the creator portal. At scale 1.0 a 90-day report reads about
//!   125,000 creator-period rows against 270,000 enrollment-period rows (10,000 creators,
//!   25,000 enrollments); PostgreSQL's aggregate over them took 97 against 175 ms.
//! - `creator_id` 0 stands for "no creator" (events without an enrollment), as `enrollment_id` 0
//!   does in the enrollment levels; so, again, no foreign key to `creators`. The rows cascade
//!   with their brand.
//! - Sums and sketches in tables of their own, as the enrollment levels: a report that does not
//!   read unique clicks scans narrow rows.
//! - Existing rows are converted: sums by `INSERT ... SELECT` from each enrollment level joined
//!   with the enrollments, sketches as the union of the enrollments' sketches of the same
//!   period, one period of a brand at a time.

use std::collections::BTreeMap;

use datasketches::hll::{HllType, HllUnion};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{date_placeholder, fk, index, merge_sketch, periods_of, placeholder};
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counter columns, named alike in every rollup table.
const COUNTERS: &str = "clicks, sales, leads, new_customers, revenue_minor, commissions_minor";
const SUMS: &str = "SUM(r.clicks), SUM(r.sales), SUM(r.leads), SUM(r.new_customers), \
                    SUM(r.revenue_minor), SUM(r.commissions_minor)";

/// A level: the enrollments' sums and sketches it is made from, the creators' tables, and the
/// date column of all four.
struct Level {
    enrollment_sums: &'static str,
    enrollment_sketches: &'static str,
    sums: &'static str,
    sketches: &'static str,
    date: &'static str,
}

const LEVELS: [Level; 3] = [
    Level {
        enrollment_sums: "daily_rollups",
        enrollment_sketches: "daily_sketches",
        sums: "creator_daily_rollups",
        sketches: "creator_daily_sketches",
        date: "day",
    },
    Level {
        enrollment_sums: "weekly_rollups",
        enrollment_sketches: "weekly_sketches",
        sums: "creator_weekly_rollups",
        sketches: "creator_weekly_sketches",
        date: "week",
    },
    Level {
        enrollment_sums: "monthly_rollups",
        enrollment_sketches: "monthly_sketches",
        sums: "creator_monthly_rollups",
        sketches: "creator_monthly_sketches",
        date: "month",
    },
];

/// Sketches written per multi-row statement.
const CHUNK: usize = 200;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for level in &LEVELS {
            manager.create_table(sums_table(level)).await?;
            manager.create_table(sketch_table(level)).await?;
            for table in [level.sums, level.sketches] {
                manager
                    .create_index(index(table, &["brand_id", "creator_id", level.date]))
                    .await?;
            }
            let db = manager.get_connection();
            db.execute_unprepared(&format!(
                "INSERT INTO {sums} (brand_id, {date}, creator_id, {COUNTERS}) \
                 SELECT r.brand_id, r.{date}, COALESCE(e.creator_id, 0), {SUMS} \
                 FROM {source} r LEFT JOIN enrollments e ON e.id = r.enrollment_id \
                 GROUP BY r.brand_id, r.{date}, COALESCE(e.creator_id, 0)",
                sums = level.sums,
                date = level.date,
                source = level.enrollment_sums,
            ))
            .await?;
            merge_sketches(manager, level).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for level in &LEVELS {
            for table in [level.sketches, level.sums] {
                manager
                    .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

/// The keys of a creator level: brand, period start, creator.
fn keyed(table_name: &'static str, date_column: &'static str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(table_name))
        .col(big_integer(Alias::new("brand_id")))
        .col(date(Alias::new(date_column)))
        .col(big_integer(Alias::new("creator_id")))
        .to_owned()
}

fn finish(
    mut table: TableCreateStatement,
    level: &Level,
    name: &'static str,
) -> TableCreateStatement {
    table
        .primary_key(
            Index::create()
                .col(Alias::new("brand_id"))
                .col(Alias::new(level.date))
                .col(Alias::new("creator_id")),
        )
        .foreign_key(&mut fk(
            Alias::new(name),
            Alias::new("brand_id"),
            Brands::Table,
            Brands::Id,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn sums_table(level: &Level) -> TableCreateStatement {
    let mut table = keyed(level.sums, level.date);
    for column in COUNTERS.split(", ") {
        table.col(big_integer(Alias::new(column)).default(0));
    }
    finish(table, level, level.sums)
}

fn sketch_table(level: &Level) -> TableCreateStatement {
    let mut table = keyed(level.sketches, level.date);
    table.col(blob(Alias::new("sketch")));
    finish(table, level, level.sketches)
}

/// Each creator-period's sketch: the union of its enrollments' sketches of the period, one
/// period of a brand at a time (a day's sketches fit in memory, the table may not).
async fn merge_sketches(manager: &SchemaManager<'_>, level: &Level) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let periods = periods_of(db, level.enrollment_sketches, level.date).await?;
    for row in periods {
        let brand_id: i64 = row.try_get("", "brand_id")?;
        let start: String = row.try_get("", "start")?;
        let start = start.get(..10).unwrap_or_default().to_owned();
        let sketches = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT COALESCE(e.creator_id, 0) AS creator_id, s.sketch FROM {source} s \
                     LEFT JOIN enrollments e ON e.id = s.enrollment_id \
                     WHERE s.brand_id = {p1} AND s.{date} = {p2}",
                    source = level.enrollment_sketches,
                    date = level.date,
                    p1 = placeholder(backend, 1),
                    p2 = date_placeholder(backend, 2),
                ),
                [brand_id.into(), start.clone().into()],
            ))
            .await?;
        let mut unions: BTreeMap<i64, HllUnion> = BTreeMap::new();
        for sketch in sketches {
            let creator_id: i64 = sketch.try_get("", "creator_id")?;
            let bytes: Vec<u8> = sketch.try_get("", "sketch")?;
            merge_sketch(&mut unions, creator_id, &bytes)?;
        }
        let rows: Vec<(i64, Vec<u8>)> = unions
            .into_iter()
            .map(|(creator_id, union)| (creator_id, union.to_sketch(HllType::Hll8).serialize()))
            .collect();
        for chunk in rows.chunks(CHUNK) {
            let mut values = Vec::with_capacity(chunk.len() * 4);
            let mut tuples = Vec::with_capacity(chunk.len());
            for (creator_id, bytes) in chunk {
                let n = values.len();
                tuples.push(format!(
                    "({}, {}, {}, {})",
                    placeholder(backend, n + 1),
                    date_placeholder(backend, n + 2),
                    placeholder(backend, n + 3),
                    placeholder(backend, n + 4),
                ));
                values.extend([
                    brand_id.into(),
                    start.clone().into(),
                    (*creator_id).into(),
                    bytes.clone().into(),
                ]);
            }
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO {sketches} (brand_id, {date}, creator_id, sketch) VALUES {}",
                    tuples.join(", "),
                    sketches = level.sketches,
                    date = level.date,
                ),
                values,
            ))
            .await?;
        }
    }
    Ok(())
}
