//! A week level per enrollment (`weekly_rollups`, `weekly_sketches`), week and month levels for
//! the whole brand (`brand_weekly_rollups`, `brand_monthly_rollups`), and the month level's
//! sketches moved out of `monthly_rollups` into `monthly_sketches` (issue #18).
//!
//! Design decisions:
//! - A report without a time grain reads whole calendar months from the month level, then whole
//!   weeks (Monday to Sunday, as the WEEK grain) of what is left, then days: a quarter from a
//!   Saturday is 2 months, 3 weeks and 8 days per enrollment (13 rows) instead of 2 months and
//!   29 days (31). A WEEK report reads whole weeks from the week level.
//! - The brand levels do the same for reports without entity dimensions or filters (the
//!   dashboard totals): 13 brand rows and sketches for a quarter instead of 90 days of 64 KB
//!   sketches.
//! - Per enrollment, sums and sketches in tables of their own, as the days have been since the
//!   sketches came: a report that does not read unique clicks scans narrow rows. With the
//!   sketches inline, a scale-1.0 PostgreSQL `monthly_rollups` was 66,000 pages for 50,000 rows
//!   (sketches up to 10 KB, rewritten by every batch) and its scan took 510 of a report's 850 ms.
//!   The brand levels (a row per period) keep the sketch inline (`NULL` until the period has a
//!   visitor), as `brand_daily_rollups` does.
//! - Existing rows are converted: sums from the daily sums, sketches merged from the daily
//!   sketches (one period of a brand at a time: a week's sketches fit in memory, the table may
//!   not), month sketches copied. At scale 1.0 (10M clicks) on PostgreSQL it took about 3
//!   minutes.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate as ChronoDate};
use datasketches::hll::{HllType, HllUnion};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{
    add_column, date_placeholder, drop_column, fk, index, merge_sketch, periods_of, placeholder,
};
use crate::m20261124_000001_create_tenancy::Brands;
use crate::m20261204_000001_create_visitor_sketches::MonthlyRollups;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counter columns, named alike in every rollup table.
const COUNTERS: &str = "clicks, sales, leads, new_customers, revenue_minor, commissions_minor";
const SUMS: &str = "SUM(clicks), SUM(sales), SUM(leads), SUM(new_customers), \
                    SUM(revenue_minor), SUM(commissions_minor)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(weekly_rollups()).await?;
        manager
            .create_index(index(
                WeeklyRollups::Table,
                &[
                    WeeklyRollups::BrandId,
                    WeeklyRollups::EnrollmentId,
                    WeeklyRollups::Week,
                ],
            ))
            .await?;
        for (table, date) in [("weekly_sketches", "week"), ("monthly_sketches", "month")] {
            manager.create_table(sketch_table(table, date)).await?;
            manager
                .create_index(index(table, &["brand_id", "enrollment_id", date]))
                .await?;
        }
        manager
            .create_table(brand_level(
                BrandWeeklyRollups::Table,
                BrandWeeklyRollups::Week,
            ))
            .await?;
        manager
            .create_table(brand_level(
                BrandMonthlyRollups::Table,
                BrandMonthlyRollups::Month,
            ))
            .await?;

        let backend = manager.get_database_backend();
        let week = period_of("day", Period::Week, backend);
        let month = period_of("day", Period::Month, backend);
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO weekly_rollups (brand_id, week, enrollment_id, {COUNTERS}) \
             SELECT brand_id, {week}, enrollment_id, {SUMS} FROM daily_rollups \
             GROUP BY brand_id, {week}, enrollment_id"
        ))
        .await?;
        for (table, column, period) in [
            ("brand_weekly_rollups", "week", &week),
            ("brand_monthly_rollups", "month", &month),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO {table} (brand_id, {column}, {COUNTERS}) \
                 SELECT brand_id, {period}, {SUMS} FROM brand_daily_rollups \
                 GROUP BY brand_id, {period}"
            ))
            .await?;
        }
        db.execute_unprepared(
            "INSERT INTO monthly_sketches (brand_id, month, enrollment_id, sketch) \
             SELECT brand_id, month, enrollment_id, sketch FROM monthly_rollups \
             WHERE sketch IS NOT NULL",
        )
        .await?;
        drop_column(manager, MonthlyRollups::Table, MonthlyRollups::Sketch).await?;
        let weeks = Target {
            table: "weekly_rollups",
            date: "week",
            period: Period::Week,
        };
        merge_sketches(manager, "daily_sketches", true, weeks).await?;
        for (table, date, period) in [
            ("brand_weekly_rollups", "week", Period::Week),
            ("brand_monthly_rollups", "month", Period::Month),
        ] {
            let target = Target {
                table,
                date,
                period,
            };
            merge_sketches(manager, "brand_daily_rollups", false, target).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            MonthlyRollups::Table,
            blob_null(MonthlyRollups::Sketch),
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE monthly_rollups SET sketch = (SELECT s.sketch FROM monthly_sketches s \
                 WHERE s.brand_id = monthly_rollups.brand_id AND s.month = monthly_rollups.month \
                 AND s.enrollment_id = monthly_rollups.enrollment_id)",
            )
            .await?;
        for table in [
            "monthly_sketches",
            "weekly_sketches",
            "brand_monthly_rollups",
            "brand_weekly_rollups",
            "weekly_rollups",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn weekly_rollups() -> TableCreateStatement {
    use WeeklyRollups as W;
    let mut table = Table::create();
    table
        .table(W::Table)
        .col(big_integer(W::BrandId))
        .col(date(W::Week))
        .col(big_integer(W::EnrollmentId));
    counter_columns(&mut table);
    table
        .primary_key(
            Index::create()
                .col(W::BrandId)
                .col(W::Week)
                .col(W::EnrollmentId),
        )
        .foreign_key(&mut fk(
            W::Table,
            W::BrandId,
            Brands::Table,
            Brands::Id,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

/// The visitor sketches of an enrollment level, by brand, period start and enrollment.
fn sketch_table(table_name: &'static str, date_column: &'static str) -> TableCreateStatement {
    Table::create()
        .table(table_name)
        .col(big_integer(Alias::new("brand_id")))
        .col(date(date_column))
        .col(big_integer(Alias::new("enrollment_id")))
        .col(blob(Alias::new("sketch")))
        .primary_key(
            Index::create()
                .col(Alias::new("brand_id"))
                .col(date_column)
                .col(Alias::new("enrollment_id")),
        )
        .foreign_key(&mut fk(
            table_name,
            Alias::new("brand_id"),
            Brands::Table,
            Brands::Id,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

/// A brand-wide level: the brand's sums and sketch per period (`date`: the period's first day).
fn brand_level<T: Iden + Copy + 'static, D: Iden + Copy + 'static>(
    table_name: T,
    date_column: D,
) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(table_name)
        .col(big_integer(Alias::new("brand_id")))
        .col(date(date_column));
    counter_columns(&mut table);
    table
        .col(blob_null(Alias::new("sketch")))
        .primary_key(Index::create().col(Alias::new("brand_id")).col(date_column))
        .foreign_key(&mut fk(
            table_name,
            Alias::new("brand_id"),
            Brands::Table,
            Brands::Id,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

fn counter_columns(table: &mut TableCreateStatement) {
    for column in COUNTERS.split(", ") {
        table.col(big_integer(Alias::new(column)).default(0));
    }
}

#[derive(Clone, Copy)]
enum Period {
    Week,
    Month,
}

impl Period {
    /// The first day of the period after the one starting on `start`.
    fn next(self, start: ChronoDate) -> Option<ChronoDate> {
        match self {
            Period::Week => start.checked_add_days(Days::new(7)),
            Period::Month => start.checked_add_months(Months::new(1)),
        }
    }
}

/// SQL for the first day of the period holding the DATE column `column` (weeks start on
/// Monday, as ISO weeks and the WEEK grain).
fn period_of(column: &str, period: Period, backend: DatabaseBackend) -> String {
    match (period, backend) {
        (Period::Week, DatabaseBackend::Postgres) => {
            format!("CAST(date_trunc('week', {column}) AS DATE)")
        }
        (Period::Month, DatabaseBackend::Postgres) => {
            format!("CAST(date_trunc('month', {column}) AS DATE)")
        }
        // 'weekday 0' moves to the coming Sunday (or stays on one); six days back is its Monday.
        (Period::Week, _) => format!("date({column}, 'weekday 0', '-6 days')"),
        (Period::Month, _) => format!("strftime('%Y-%m-01', {column})"),
    }
}

/// A level whose sketches are merged from the days.
struct Target {
    table: &'static str,
    date: &'static str,
    period: Period,
}

/// The sketch of each period of `target` (made from the daily sums above): the union of the
/// sketches of its days in `source`, written to `weekly_sketches` (by enrollment, from
/// `daily_sketches`) or to the brand period's row (from the brand's days).
async fn merge_sketches(
    manager: &SchemaManager<'_>,
    source: &str,
    by_enrollment: bool,
    target: Target,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let periods = periods_of(db, target.table, target.date).await?;
    let enrollment = if by_enrollment {
        "enrollment_id"
    } else {
        "CAST(0 AS BIGINT)"
    };
    for row in periods {
        let brand_id: i64 = row.try_get("", "brand_id")?;
        let start: String = row.try_get("", "start")?;
        let first: ChronoDate = start
            .get(..10)
            .unwrap_or_default()
            .parse()
            .map_err(|e| DbErr::Custom(format!("stored period {start}: {e}")))?;
        let end = target
            .period
            .next(first)
            .ok_or_else(|| DbErr::Custom(format!("no period after {first}")))?;
        let days = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT {enrollment} AS enrollment_id, sketch FROM {source} \
                     WHERE brand_id = {p1} AND day >= {p2} AND day < {p3} AND sketch IS NOT NULL",
                    p1 = placeholder(backend, 1),
                    p2 = date_placeholder(backend, 2),
                    p3 = date_placeholder(backend, 3),
                ),
                [
                    brand_id.into(),
                    first.to_string().into(),
                    end.to_string().into(),
                ],
            ))
            .await?;
        let mut unions: BTreeMap<i64, HllUnion> = BTreeMap::new();
        for day in days {
            let enrollment_id: i64 = day.try_get("", "enrollment_id")?;
            let bytes: Vec<u8> = day.try_get("", "sketch")?;
            merge_sketch(&mut unions, enrollment_id, &bytes)?;
        }
        for (enrollment_id, union) in unions {
            let bytes = union.to_sketch(HllType::Hll8).serialize();
            let statement = if by_enrollment {
                // Weeks per enrollment: a row of `weekly_sketches`.
                Statement::from_sql_and_values(
                    backend,
                    format!(
                        "INSERT INTO weekly_sketches (brand_id, week, enrollment_id, sketch) \
                         VALUES ({}, {}, {}, {})",
                        placeholder(backend, 1),
                        date_placeholder(backend, 2),
                        placeholder(backend, 3),
                        placeholder(backend, 4),
                    ),
                    [
                        brand_id.into(),
                        start.clone().into(),
                        enrollment_id.into(),
                        bytes.into(),
                    ],
                )
            } else {
                // The brand's period: the sketch of its row.
                Statement::from_sql_and_values(
                    backend,
                    format!(
                        "UPDATE {table} SET sketch = {p1} WHERE brand_id = {p2} AND {date} = {p3}",
                        table = target.table,
                        date = target.date,
                        p1 = placeholder(backend, 1),
                        p2 = placeholder(backend, 2),
                        p3 = date_placeholder(backend, 3),
                    ),
                    [bytes.into(), brand_id.into(), start.clone().into()],
                )
            };
            db.execute_raw(statement).await?;
        }
    }
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
pub enum WeeklyRollups {
    Table,
    BrandId,
    Week,
    EnrollmentId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum BrandWeeklyRollups {
    Table,
    Week,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum BrandMonthlyRollups {
    Table,
    Month,
}
