//! Reads the facts a report is built from, for one brand and range: daily rollups for the whole
//! local days inside the range, the raw events for its partial edges, and costs and published
//! deliverables (few per campaign) from their own tables. Every fact carries its brand-timezone
//! day and its owner; grouping happens later (`grouping.rs`). Distinct visitors are counted by
//! the database (`uniques.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait, Select,
};

use super::grouping::Dims;
use crate::db::entity::{click, commission, conversion, cost, deliverable, enrollment};
use crate::domain::calendar::{Grain, cover, local_day, next_period_start, split_range};
use crate::domain::content::DeliverableStatus;
use crate::domain::metrics::Counters;
use crate::error::AppError;
use crate::service::rollups::{self, COUNTER_COLUMNS, NO_ENROLLMENT, counters_of};

/// Who an event belongs to: an enrollment (clicks, conversions, lines, deliverables), a
/// creator (its level of the rollups; [`NO_CREATOR`]: events without an enrollment), a
/// campaign and maybe a creator (costs), or the whole brand (its brand-level rollups).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Enrollment(i64),
    Creator(i64),
    Brand,
    Cost {
        campaign_id: i64,
        creator_id: Option<i64>,
    },
}

/// The owner a rollup row's `owner_id` names (an enrollment or a creator).
pub(super) type OwnerOf = fn(i64) -> Owner;

/// Additive counters of an owner on a day (`None`: the report has no time grain).
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub owner: Owner,
    pub day: Option<NaiveDate>,
    pub counters: Counters,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub facts: Vec<Fact>,
}

/// What to read for one brand.
pub struct Scope {
    pub brand_id: i64,
    pub tz: Tz,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Only these campaigns / creators (`None`: all).
    pub campaign_ids: Option<Vec<i64>>,
    pub creator_ids: Option<Vec<i64>>,
    /// The report's dimensions: whether facts need their day, and which rollup levels can
    /// answer.
    pub dims: Dims,
}

impl Scope {
    pub(super) fn restricted(&self) -> bool {
        self.campaign_ids.is_some() || self.creator_ids.is_some()
    }

    /// Whether facts need their day (the report has a time grain).
    fn by_day(&self) -> bool {
        self.dims.grain.is_some()
    }

    /// Whole days are read from the brand levels (a row per period) rather than every
    /// enrollment's rows: nothing is grouped or filtered by what an enrollment has.
    pub(super) fn whole_brand(&self) -> bool {
        let d = &self.dims;
        !(d.campaign || d.creator || d.platform || d.offer || self.restricted())
    }

    /// Whole days are read from the creator levels (a row per creator and period, against one
    /// per enrollment and period): nothing is grouped or filtered by what only an enrollment
    /// has (its campaign or offer). A creator's platform is the creator's.
    pub(super) fn by_creator(&self) -> bool {
        let d = &self.dims;
        !(self.whole_brand() || d.campaign || d.offer || self.campaign_ids.is_some())
    }

    /// The brand's enrollments within the campaign and creator restrictions.
    pub(super) fn enrollments(&self) -> SelectStatement {
        let mut select = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::Id)
            .filter(enrollment::Column::BrandId.eq(self.brand_id));
        if let Some(ids) = &self.campaign_ids {
            select = select.filter(enrollment::Column::CampaignId.is_in(ids.clone()));
        }
        if let Some(ids) = &self.creator_ids {
            select = select.filter(enrollment::Column::CreatorId.is_in(ids.clone()));
        }
        select.into_query()
    }

    fn day_of(&self, at: DateTime<Utc>) -> Option<NaiveDate> {
        self.by_day().then(|| local_day(at, self.tz))
    }
}

pub async fn collect<C: ConnectionTrait>(db: &C, scope: &Scope) -> Result<Facts, AppError> {
    let mut facts = Facts::default();
    let split = split_range(scope.from, scope.to, scope.tz);
    if let Some((first, end)) = split.days {
        if scope.whole_brand() {
            brand_rollups(db, scope, first, end, &mut facts).await?;
        } else {
            rollups(db, scope, first, end, &mut facts).await?;
        }
    }
    for (from, to) in split.edges {
        edge_clicks(db, scope, from, to, &mut facts).await?;
        edge_conversions(db, scope, from, to, &mut facts).await?;
        edge_commissions(db, scope, from, to, &mut facts).await?;
    }
    costs(db, scope, &mut facts).await?;
    deliverables(db, scope, &mut facts).await?;
    Ok(facts)
}

#[derive(FromQueryResult)]
struct RollupSum {
    /// The enrollment or creator.
    owner_id: i64,
    day: NaiveDate,
    clicks: i64,
    sales: i64,
    leads: i64,
    new_customers: i64,
    revenue_minor: i64,
    commissions_minor: i64,
}

impl RollupSum {
    /// The row's sums as the fact of `owner` (on its period's first day when the report has a
    /// time grain).
    fn fact(&self, owner: Owner, scope: &Scope) -> Fact {
        Fact {
            owner,
            day: scope.by_day().then_some(self.day),
            counters: Counters {
                clicks: self.clicks,
                sales: self.sales,
                leads: self.leads,
                new_customers: self.new_customers,
                revenue_minor: self.revenue_minor,
                commissions_minor: self.commissions_minor,
                ..Counters::default()
            },
        }
    }
}

/// A level of the rollups: days, weeks (Monday to Sunday) or calendar months, per enrollment
/// and per creator (`table` for the sums, `sketches` for the visitors) and for the whole brand
/// (`brand.table`, sums and sketch in one row).
#[derive(Clone, Copy)]
pub(super) struct Level {
    pub enrollment: rollups::Level,
    pub creator: rollups::Level,
    pub brand: rollups::Level,
}

impl Level {
    pub(super) fn of(grain: Grain) -> Self {
        let (enrollment, creator, brand) = match grain {
            Grain::Day => (rollups::DAYS, rollups::CREATOR_DAYS, rollups::BRAND_DAYS),
            Grain::Week => (rollups::WEEKS, rollups::CREATOR_WEEKS, rollups::BRAND_WEEKS),
            Grain::Month => (
                rollups::MONTHS,
                rollups::CREATOR_MONTHS,
                rollups::BRAND_MONTHS,
            ),
        };
        Self {
            enrollment,
            creator,
            brand,
        }
    }

    /// The level per creator when the scope reads creators, per enrollment otherwise, and
    /// the owner its rows belong to.
    pub(super) fn owned(&self, scope: &Scope) -> (rollups::Level, OwnerOf) {
        if scope.by_creator() {
            (self.creator, Owner::Creator)
        } else {
            (self.enrollment, Owner::Enrollment)
        }
    }

    /// The date column of both tables (a week's is its Monday, a month's its first day).
    pub(super) fn date(&self) -> &'static str {
        self.enrollment.date
    }

    /// The start of the period after the one starting on `start`.
    pub(super) fn next(&self, start: NaiveDate) -> Option<NaiveDate> {
        next_period_start(start, self.enrollment.grain)
    }
}

impl Scope {
    /// The whole days `[first, end)` as ranges of each level: whole calendar months and whole
    /// weeks from their levels when the report's grain allows (months: none or MONTH; weeks:
    /// none or WEEK), the rest by day.
    pub(super) fn levels(
        &self,
        first: NaiveDate,
        end: NaiveDate,
    ) -> Vec<(Level, NaiveDate, NaiveDate)> {
        let grain = self.dims.grain;
        let months = matches!(grain, None | Some(Grain::Month));
        let weeks = matches!(grain, None | Some(Grain::Week));
        cover(first, end, months, weeks)
            .into_iter()
            .map(|(grain, from, to)| (Level::of(grain), from, to))
            .collect()
    }
}

/// The enrollments' (or creators', `Scope::by_creator`) sums over whole days, in one statement:
/// the rows of every level's periods (months, weeks, days; `Scope::levels`) as one `UNION ALL`,
/// summed by owner (and period when the report has a time grain), so a quarter returns a row
/// per owner rather than one per owner and level.
async fn rollups<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    first: NaiveDate,
    end: NaiveDate,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let sums = |level: rollups::Level| level.table;
    let Some((periods, owner_of)) = periods(scope, first, end, sums, &COUNTER_COLUMNS) else {
        return Ok(());
    };
    let (owner, day) = (Alias::new("owner_id"), Alias::new("day"));
    let mut select = Query::select();
    select
        .column(owner.clone())
        .expr_as(Func::min(Expr::col(day.clone())), day.clone())
        .from_subquery(periods, Alias::new("periods"))
        .group_by_col(owner);
    for column in COUNTER_COLUMNS {
        let (sum, alias) = sum_of(column);
        select.expr_as(sum, alias);
    }
    if scope.by_day() {
        select.group_by_col(day);
    }
    for row in db.query_all(&select).await? {
        let row = RollupSum::from_query_result(&row, "")?;
        facts.facts.push(row.fact(owner_of(row.owner_id), scope));
    }
    Ok(())
}

/// The rows of `columns` of every level's periods in `[first, end)` (`Scope::levels`) as one
/// `UNION ALL` (`owner_id`, `day` and the columns), read from each level's `table` (its sums or
/// its sketches), and the owner an `owner_id` names; `None` when no period is covered.
pub(super) fn periods(
    scope: &Scope,
    first: NaiveDate,
    end: NaiveDate,
    table: fn(rollups::Level) -> &'static str,
    columns: &[&'static str],
) -> Option<(SelectStatement, OwnerOf)> {
    let mut periods: Option<SelectStatement> = None;
    let mut owner_of = Owner::Enrollment as OwnerOf;
    for (level, first, end) in scope.levels(first, end) {
        let (level, owner) = level.owned(scope);
        owner_of = owner;
        let rows = level_rows(scope, (level, table(level)), first, end, columns);
        match &mut periods {
            None => periods = Some(rows),
            Some(union) => {
                union.union(UnionType::All, rows);
            }
        }
    }
    periods.map(|periods| (periods, owner_of))
}

/// `SUM(column)` as BIGINT, named after the column. PostgreSQL sums BIGINT in a 128-bit state
/// kept in memory per group, and INTEGER in a plain BIGINT: counts (a rollup row's clicks,
/// sales, leads or new customers: one enrollment's in one period, far below 2^31) are summed as
/// INTEGER, which took a report's aggregate over 270,000 rollup rows from 280 to 180 ms at
/// scale 1.0; money (`_minor`) keeps the 64-bit sum.
pub(super) fn sum_of(column: &'static str) -> (SimpleExpr, Alias) {
    let value = Expr::col(Alias::new(column));
    let summed: SimpleExpr = if column.ends_with("_minor") {
        value
    } else {
        Func::cast_as(value, Alias::new("INTEGER")).into()
    };
    let sum = Func::cast_as(Func::sum(summed), Alias::new("BIGINT"));
    (sum.into(), Alias::new(column))
}

/// The rows of `table` (`level.table` for the sums, `level.sketches` for the visitors) of
/// `level` (per enrollment or creator) for the periods in `[first, end)`: owner (`owner_id`),
/// period start (`day`) and `columns`.
pub(super) fn level_rows(
    scope: &Scope,
    (level, table): (rollups::Level, &'static str),
    first: NaiveDate,
    end: NaiveDate,
    columns: &[&'static str],
) -> SelectStatement {
    let owner = Alias::new(level.owner.unwrap_or("enrollment_id"));
    let date = Alias::new(level.date);
    let mut select = Query::select();
    select
        .expr_as(Expr::col(owner.clone()), Alias::new("owner_id"))
        .expr_as(Expr::col(date.clone()), Alias::new("day"))
        .columns(columns.iter().copied().map(Alias::new))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("brand_id")).eq(scope.brand_id))
        .and_where(Expr::col(date.clone()).gte(first))
        .and_where(Expr::col(date).lt(end));
    scope.restrict_owner(&mut select, owner);
    select
}

impl Scope {
    /// Restricts a read of rollup rows whose owner is `owner` (enrollment or creator, as
    /// [`Scope::by_creator`] says) to the scope's campaigns and creators.
    pub(super) fn restrict_owner(&self, select: &mut SelectStatement, owner: Alias) {
        if !self.restricted() {
            return;
        }
        match (&self.creator_ids, self.by_creator()) {
            (Some(ids), true) => select.and_where(Expr::col(owner).is_in(ids.iter().copied())),
            _ => select.and_where(Expr::col(owner).in_subquery(self.enrollments())),
        };
    }
}

/// The brand's sums over whole days, from its day, week and month levels, by period when the
/// report has a time grain.
async fn brand_rollups<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    first: NaiveDate,
    end: NaiveDate,
    facts: &mut Facts,
) -> Result<(), AppError> {
    // The sums only: the periods' sketches are read when unique clicks are (`uniques.rs`).
    for (level, first, end) in scope.levels(first, end) {
        let date = Alias::new(level.date());
        let mut select = Query::select();
        select
            .expr_as(Expr::val(NO_ENROLLMENT), Alias::new("owner_id"))
            .expr_as(Expr::col(date.clone()), Alias::new("day"))
            .columns(COUNTER_COLUMNS.map(Alias::new))
            .from(Alias::new(level.brand.table))
            .and_where(Expr::col(Alias::new("brand_id")).eq(scope.brand_id))
            .and_where(Expr::col(date.clone()).gte(first))
            .and_where(Expr::col(date).lt(end));
        for row in db.query_all(&select).await? {
            let row = RollupSum::from_query_result(&row, "")?;
            facts.facts.push(row.fact(Owner::Brand, scope));
        }
    }
    Ok(())
}

/// What a report reads of the stored clicks: a brand's human clicks in `[from, to)`, their
/// enrollment and time (for the partial days at its edges; whole days come from the rollups).
/// On PostgreSQL the range on `occurred_at` limits it to the partitions of its months.
pub fn raw_clicks(brand_id: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> Select<click::Entity> {
    click::Entity::find()
        .select_only()
        .column(click::Column::EnrollmentId)
        .column(click::Column::OccurredAt)
        .filter(click::Column::BrandId.eq(brand_id))
        .filter(click::Column::IsBot.eq(false))
        .filter(click::Column::OccurredAt.gte(from))
        .filter(click::Column::OccurredAt.lt(to))
}

async fn edge_clicks<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let mut select = raw_clicks(scope.brand_id, from, to);
    if scope.restricted() {
        select = select.filter(click::Column::EnrollmentId.in_subquery(scope.enrollments()));
    }
    let rows: Vec<(Option<i64>, DateTime<Utc>)> = select.into_tuple().all(db).await?;
    for (enrollment_id, at) in rows {
        facts.facts.push(Fact {
            owner: Owner::Enrollment(enrollment_id.unwrap_or(NO_ENROLLMENT)),
            day: scope.day_of(at),
            counters: Counters {
                clicks: 1,
                ..Counters::default()
            },
        });
    }
    Ok(())
}

async fn edge_conversions<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let mut select = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(scope.brand_id))
        .filter(conversion::Column::EnrollmentId.is_not_null())
        .filter(conversion::Column::OccurredAt.gte(from))
        .filter(conversion::Column::OccurredAt.lt(to));
    if scope.restricted() {
        select = select.filter(conversion::Column::EnrollmentId.in_subquery(scope.enrollments()));
    }
    for row in select.all(db).await? {
        let counters = counters_of(&row)?;
        if let Some(enrollment_id) = row.enrollment_id {
            facts.facts.push(Fact {
                owner: Owner::Enrollment(enrollment_id),
                day: scope.day_of(row.occurred_at),
                counters,
            });
        }
    }
    Ok(())
}

async fn edge_commissions<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let mut select = commission::Entity::find()
        .select_only()
        .column(commission::Column::EnrollmentId)
        .column(commission::Column::OccurredAt)
        .column(commission::Column::AmountMinor)
        .filter(commission::Column::BrandId.eq(scope.brand_id))
        .filter(commission::Column::OccurredAt.gte(from))
        .filter(commission::Column::OccurredAt.lt(to));
    if scope.restricted() {
        select = select.filter(commission::Column::EnrollmentId.in_subquery(scope.enrollments()));
    }
    let rows: Vec<(i64, DateTime<Utc>, i64)> = select.into_tuple().all(db).await?;
    for (enrollment_id, at, amount) in rows {
        facts.facts.push(Fact {
            owner: Owner::Enrollment(enrollment_id),
            day: scope.day_of(at),
            counters: Counters {
                commissions_minor: amount,
                ..Counters::default()
            },
        });
    }
    Ok(())
}

async fn costs<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let mut select = cost::Entity::find()
        .filter(cost::Column::BrandId.eq(scope.brand_id))
        .filter(cost::Column::IncurredAt.gte(scope.from))
        .filter(cost::Column::IncurredAt.lt(scope.to));
    if let Some(ids) = &scope.campaign_ids {
        select = select.filter(cost::Column::CampaignId.is_in(ids.clone()));
    }
    if let Some(ids) = &scope.creator_ids {
        select = select.filter(cost::Column::CreatorId.is_in(ids.clone()));
    }
    for row in select.all(db).await? {
        facts.facts.push(Fact {
            owner: Owner::Cost {
                campaign_id: row.campaign_id,
                creator_id: row.creator_id,
            },
            day: scope.day_of(row.incurred_at),
            counters: Counters {
                other_costs_minor: row.brand_amount_minor,
                ..Counters::default()
            },
        });
    }
    Ok(())
}

async fn deliverables<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    facts: &mut Facts,
) -> Result<(), AppError> {
    let mut select = deliverable::Entity::find()
        .filter(deliverable::Column::BrandId.eq(scope.brand_id))
        .filter(deliverable::Column::Status.eq(DeliverableStatus::Published.as_str()))
        .filter(deliverable::Column::PublishedAt.gte(scope.from))
        .filter(deliverable::Column::PublishedAt.lt(scope.to));
    if scope.restricted() {
        select = select.filter(deliverable::Column::EnrollmentId.in_subquery(scope.enrollments()));
    }
    for row in select.all(db).await? {
        let Some(published_at) = row.published_at else {
            continue;
        };
        facts.facts.push(Fact {
            owner: Owner::Enrollment(row.enrollment_id),
            day: scope.day_of(published_at),
            counters: Counters {
                impressions: row.impressions,
                ..Counters::default()
            },
        });
    }
    Ok(())
}
