//! Keeps the rollups in step with the events, inside the transaction that writes the event: a
//! click, a conversion (and every later change to it: refunds, a late earlier order that makes
//! it not new), a commission line. Per enrollment: by day (`daily_rollups`, with the day's
//! visitor sketch in `daily_sketches`), by week (`weekly_rollups`) and by calendar month
//! (`monthly_rollups`); for the whole brand by day, week and month (`brand_daily_rollups`,
//! `brand_weekly_rollups`, `brand_monthly_rollups`); the coarser levels keep sums and sketch in
//! one row.
//! Reports over whole days then read these rows instead of the events (see
//! `service::performance`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, IntoIden, JoinType, OnConflict, Query, SimpleExpr,
    TableRef, ValueTuple,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use crate::db::entity::{commission, conversion, enrollment};
use crate::domain::calendar::{Grain, local_day, next_period_start, period_start};
use crate::domain::conversion::{Kind, Status};
use crate::domain::metrics::{ConversionFacts, Counters, conversion_counters};
use crate::domain::uniques::{BadSketch, VisitorCount, VisitorSketch};
use crate::error::AppError;

/// `enrollment_id` of events that have none.
pub const NO_ENROLLMENT: i64 = 0;

/// `creator_id` of the creator levels' rows of events without an enrollment.
pub const NO_CREATOR: i64 = 0;

/// Rows per multi-row statement (well under SQLite's bound-parameter limit).
const CHUNK: usize = 400;

/// The additive counter columns, named alike in every rollup table.
pub(crate) const COUNTER_COLUMNS: [&str; 6] = [
    "clicks",
    "sales",
    "leads",
    "new_customers",
    "revenue_minor",
    "commissions_minor",
];

/// A rollup key: a date (a day, or a period's first day) and an enrollment.
type Key = (NaiveDate, i64);

/// A level of the rollups: its table of sums, its table of sketches (the same table for the
/// brand levels, whose rows hold both), their date column (the period's first day) and the
/// column of their owner (`enrollment_id`, `creator_id`; none for the brand levels).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Level {
    pub table: &'static str,
    pub sketches: &'static str,
    pub date: &'static str,
    pub grain: Grain,
    pub owner: Option<&'static str>,
}

/// Per enrollment and local day, week (Monday to Sunday) and calendar month.
pub(crate) const DAYS: Level = Level {
    table: "daily_rollups",
    sketches: "daily_sketches",
    date: "day",
    grain: Grain::Day,
    owner: Some("enrollment_id"),
};
pub(crate) const WEEKS: Level = Level {
    table: "weekly_rollups",
    sketches: "weekly_sketches",
    date: "week",
    grain: Grain::Week,
    owner: Some("enrollment_id"),
};
pub(crate) const MONTHS: Level = Level {
    table: "monthly_rollups",
    sketches: "monthly_sketches",
    date: "month",
    grain: Grain::Month,
    owner: Some("enrollment_id"),
};
/// Per creator (the sums of its enrollments; `creator_id` [`NO_CREATOR`] for events without an
/// enrollment) and local day, week and calendar month.
pub(crate) const CREATOR_DAYS: Level = Level {
    table: "creator_daily_rollups",
    sketches: "creator_daily_sketches",
    date: "day",
    grain: Grain::Day,
    owner: Some("creator_id"),
};
pub(crate) const CREATOR_WEEKS: Level = Level {
    table: "creator_weekly_rollups",
    sketches: "creator_weekly_sketches",
    date: "week",
    grain: Grain::Week,
    owner: Some("creator_id"),
};
pub(crate) const CREATOR_MONTHS: Level = Level {
    table: "creator_monthly_rollups",
    sketches: "creator_monthly_sketches",
    date: "month",
    grain: Grain::Month,
    owner: Some("creator_id"),
};
/// The whole brand per day, week and month.
pub(crate) const BRAND_DAYS: Level = Level {
    table: "brand_daily_rollups",
    sketches: "brand_daily_rollups",
    date: "day",
    grain: Grain::Day,
    owner: None,
};
pub(crate) const BRAND_WEEKS: Level = Level {
    table: "brand_weekly_rollups",
    sketches: "brand_weekly_rollups",
    date: "week",
    grain: Grain::Week,
    owner: None,
};
pub(crate) const BRAND_MONTHS: Level = Level {
    table: "brand_monthly_rollups",
    sketches: "brand_monthly_rollups",
    date: "month",
    grain: Grain::Month,
    owner: None,
};

/// What a rebuild has written so far: the (day, enrollment) and (day, creator) keys it has
/// written day sketches for (its deltas keep only the day levels: the weeks and months are
/// filled from the days at its end), and the creators of the enrollments it has met.
#[derive(Debug, Default)]
pub(crate) struct Written {
    days: HashSet<Key>,
    creator_days: HashSet<Key>,
    creators: HashMap<i64, i64>,
}

/// Changes to one level: counters and new visitors by key.
#[derive(Debug, Default)]
struct Changes<K> {
    counters: BTreeMap<K, Counters>,
    visitors: BTreeMap<K, BTreeSet<String>>,
}

impl Changes<Key> {
    /// The same changes by creator: each enrollment's key moved to its creator's
    /// ([`NO_CREATOR`] for no enrollment, or one not found).
    fn by_creator(&self, creators: &HashMap<i64, i64>) -> Self {
        let creator =
            |enrollment_id: &i64| creators.get(enrollment_id).copied().unwrap_or(NO_CREATOR);
        let mut out = Self::default();
        for ((date, enrollment_id), counters) in &self.counters {
            out.add((*date, creator(enrollment_id)), counters);
        }
        for ((date, enrollment_id), keys) in &self.visitors {
            out.visitors
                .entry((*date, creator(enrollment_id)))
                .or_default()
                .extend(keys.iter().cloned());
        }
        out
    }
}

impl<K: Ord> Changes<K> {
    fn add(&mut self, key: K, counters: &Counters) {
        self.counters.entry(key).or_default().add(counters);
    }

    fn visitor(&mut self, key: K, visitor_key: &str) {
        self.visitors
            .entry(key)
            .or_default()
            .insert(visitor_key.to_owned());
    }
}

/// Pending changes to one brand's rollups, applied in one go.
#[derive(Debug, Default)]
pub(crate) struct RollupDelta {
    /// By enrollment and day, week and month (the period's first day).
    enrollment: [Changes<Key>; 3],
    /// The same changes summed over the brand, by day, week and month.
    brand: [Changes<NaiveDate>; 3],
    /// Only the day levels (a rebuild fills the weeks and months from them at the end).
    days_only: bool,
}

/// The levels, in the order of [`RollupDelta`]'s arrays.
pub(crate) const ENROLLMENT_LEVELS: [Level; 3] = [DAYS, WEEKS, MONTHS];
pub(crate) const CREATOR_LEVELS: [Level; 3] = [CREATOR_DAYS, CREATOR_WEEKS, CREATOR_MONTHS];
pub(crate) const BRAND_LEVELS: [Level; 3] = [BRAND_DAYS, BRAND_WEEKS, BRAND_MONTHS];

impl RollupDelta {
    /// Changes to the day levels only: a rebuild's, which then fills the weeks and months from
    /// the days ([`fill_from_days`]).
    pub fn days_only() -> Self {
        Self {
            days_only: true,
            ..Self::default()
        }
    }

    /// How many levels (day, week, month) the delta keeps.
    fn levels(&self) -> usize {
        if self.days_only { 1 } else { 3 }
    }

    pub fn add(&mut self, day: NaiveDate, enrollment_id: Option<i64>, counters: &Counters) {
        let enrollment_id = enrollment_id.unwrap_or(NO_ENROLLMENT);
        let levels = self.levels();
        for (level, changes) in ENROLLMENT_LEVELS
            .iter()
            .zip(&mut self.enrollment)
            .take(levels)
        {
            changes.add((period_start(day, level.grain), enrollment_id), counters);
        }
        for (level, changes) in BRAND_LEVELS.iter().zip(&mut self.brand).take(levels) {
            changes.add(period_start(day, level.grain), counters);
        }
    }

    /// A stored click (bots count for nothing).
    pub fn click(
        &mut self,
        tz: Tz,
        enrollment_id: Option<i64>,
        at: DateTime<Utc>,
        is_bot: bool,
        visitor_key: &str,
    ) {
        if is_bot {
            return;
        }
        let day = local_day(at, tz);
        let one = Counters {
            clicks: 1,
            ..Counters::default()
        };
        self.add(day, enrollment_id, &one);
        let enrollment_id = enrollment_id.unwrap_or(NO_ENROLLMENT);
        let levels = self.levels();
        for (level, changes) in ENROLLMENT_LEVELS
            .iter()
            .zip(&mut self.enrollment)
            .take(levels)
        {
            changes.visitor((period_start(day, level.grain), enrollment_id), visitor_key);
        }
        for (level, changes) in BRAND_LEVELS.iter().zip(&mut self.brand).take(levels) {
            changes.visitor(period_start(day, level.grain), visitor_key);
        }
    }

    /// A conversion changed from `before` (none: new) to `after`.
    pub fn conversion(
        &mut self,
        tz: Tz,
        before: Option<&conversion::Model>,
        after: &conversion::Model,
    ) -> Result<(), AppError> {
        // Unattributed conversions count for nothing and make no rollup row.
        if let Some(before) = before.filter(|b| b.enrollment_id.is_some()) {
            let old = counters_of(before)?;
            self.add(
                local_day(before.occurred_at, tz),
                before.enrollment_id,
                &Counters::default().minus(&old),
            );
        }
        if after.enrollment_id.is_some() {
            let new = counters_of(after)?;
            self.add(local_day(after.occurred_at, tz), after.enrollment_id, &new);
        }
        Ok(())
    }

    /// A new commission line, dated with its `occurred_at`.
    pub fn commission(&mut self, tz: Tz, line: &commission::Model) {
        let amount = Counters {
            commissions_minor: line.amount_minor,
            ..Counters::default()
        };
        self.add(
            local_day(line.occurred_at, tz),
            Some(line.enrollment_id),
            &amount,
        );
    }

    /// Keys with changes so far (the rebuild writes its delta when it grows large).
    pub fn len(&self) -> usize {
        self.enrollment[0].counters.len()
    }

    /// Writes the changes: counters are added to existing rows (upsert), new visitors merged
    /// into the period's sketches. Keys are written in order, so concurrent writers lock rows in
    /// the same order. A key whose changes net to zero (a sale refunded in the same batch) still
    /// gets its row: the report has a row for every enrollment and day with events, as when the
    /// events are read raw.
    ///
    /// A sketch is read, merged and written back. Two writers cannot lose each other's
    /// visitors: every key with visitors also has a click counted, and the counter upsert
    /// comes first and locks that row until commit (PostgreSQL: the read that follows, a new
    /// snapshot under READ COMMITTED, sees what the other writer committed; SQLite has one
    /// writer at a time).
    pub async fn apply<C: ConnectionTrait>(self, db: &C, brand_id: i64) -> Result<(), DbErr> {
        self.apply_with(db, brand_id, None).await
    }

    /// [`apply`](Self::apply) in a rebuild, which deleted the brand's rows first: only the
    /// sketches of keys in `written` (written by an earlier call of the same rebuild) are read
    /// back, and the keys written now are added to it. Clicks come about in time order, so
    /// most keys are new and most chunks read nothing.
    pub async fn apply_in_rebuild<C: ConnectionTrait>(
        self,
        db: &C,
        brand_id: i64,
        written: &mut Written,
    ) -> Result<(), DbErr> {
        self.apply_with(db, brand_id, Some(written)).await
    }

    async fn apply_with<C: ConnectionTrait>(
        self,
        db: &C,
        brand_id: i64,
        mut written: Option<&mut Written>,
    ) -> Result<(), DbErr> {
        // Every change has a day, so the day level names every enrollment of the delta.
        let enrollment_ids = self.enrollment[0].counters.keys().map(|(_, id)| *id);
        let mut creators = HashMap::new();
        let creators = match written.as_deref_mut() {
            Some(written) => &mut written.creators,
            None => &mut creators,
        };
        resolve_creators(db, brand_id, enrollment_ids, creators).await?;
        let by_creator: Vec<Changes<Key>> = self
            .enrollment
            .iter()
            .map(|changes| changes.by_creator(creators))
            .collect();
        for (level, changes) in ENROLLMENT_LEVELS.into_iter().zip(self.enrollment) {
            // A rebuild's delta has no week or month changes: only the days know their keys.
            let known = written
                .as_deref_mut()
                .filter(|_| level.grain == Grain::Day)
                .map(|w| &mut w.days);
            apply_level(db, brand_id, level, changes, known).await?;
        }
        for (level, changes) in CREATOR_LEVELS.into_iter().zip(by_creator) {
            let known = written
                .as_deref_mut()
                .filter(|_| level.grain == Grain::Day)
                .map(|w| &mut w.creator_days);
            apply_level(db, brand_id, level, changes, known).await?;
        }
        for (level, changes) in BRAND_LEVELS.into_iter().zip(self.brand) {
            apply_brand(db, brand_id, level, changes).await?;
        }
        Ok(())
    }
}

/// Adds to `creators` the creator of each of `enrollment_ids` it does not know yet (an
/// enrollment's creator never changes), in statements of [`CHUNK`] ids.
async fn resolve_creators<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    enrollment_ids: impl Iterator<Item = i64>,
    creators: &mut HashMap<i64, i64>,
) -> Result<(), DbErr> {
    let unknown: Vec<i64> = enrollment_ids
        .filter(|id| *id != NO_ENROLLMENT && !creators.contains_key(id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in unknown.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::Id)
            .column(enrollment::Column::CreatorId)
            .filter(enrollment::Column::BrandId.eq(brand_id))
            .filter(enrollment::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        creators.extend(rows);
    }
    Ok(())
}

/// A level per enrollment or creator: counters upserted, then the periods' new visitors merged
/// into their stored sketches (or new ones) a chunk at a time.
async fn apply_level<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    level: Level,
    changes: Changes<Key>,
    mut known: Option<&mut HashSet<Key>>,
) -> Result<(), DbErr> {
    let key_columns = ["brand_id", level.date, owner_of(level)?];
    let rows: Vec<_> = changes.counters.into_iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(level.table))
            .columns(
                key_columns
                    .into_iter()
                    .chain(COUNTER_COLUMNS)
                    .map(Alias::new),
            )
            .on_conflict(add_on_conflict(level.table, &key_columns));
        for ((date, enrollment_id), c) in chunk {
            let mut values: Vec<SimpleExpr> =
                vec![brand_id.into(), (*date).into(), (*enrollment_id).into()];
            values.extend(counter_values(c));
            insert.values(values).map_err(sql_error)?;
        }
        db.execute(&insert).await?;
    }
    let visitors: Vec<_> = changes.visitors.into_iter().collect();
    for chunk in visitors.chunks(CHUNK) {
        let mut stored = stored_sketches(db, level, brand_id, chunk, known.as_deref_mut()).await?;
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(level.sketches))
            .columns(key_columns.into_iter().chain(["sketch"]).map(Alias::new))
            .on_conflict(
                OnConflict::columns(key_columns.map(Alias::new))
                    .update_column(Alias::new("sketch"))
                    .to_owned(),
            );
        for (key, keys) in chunk {
            let sketch = merged(stored.remove(key).flatten().as_deref(), keys)?;
            insert
                .values([brand_id.into(), key.0.into(), key.1.into(), sketch.into()])
                .map_err(sql_error)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// A brand-wide level: counters upserted, then each period's sketch merged (few periods per
/// write).
async fn apply_brand<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    level: Level,
    changes: Changes<NaiveDate>,
) -> Result<(), DbErr> {
    let (table, date) = (Alias::new(level.table), Alias::new(level.date));
    let key_columns = ["brand_id", level.date];
    let rows: Vec<_> = changes.counters.into_iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(table.clone())
            .columns(
                key_columns
                    .into_iter()
                    .chain(COUNTER_COLUMNS)
                    .map(Alias::new),
            )
            .on_conflict(add_on_conflict(level.table, &key_columns));
        for (day, c) in chunk {
            let mut values: Vec<SimpleExpr> = vec![brand_id.into(), (*day).into()];
            values.extend(counter_values(c));
            insert.values(values).map_err(sql_error)?;
        }
        db.execute(&insert).await?;
    }
    for (start, keys) in changes.visitors {
        // Every period with visitors has a click counted above, so its row exists and is
        // locked.
        let mut select = Query::select();
        select
            .column(Alias::new("sketch"))
            .from(table.clone())
            .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id))
            .and_where(Expr::col(date.clone()).eq(start));
        let stored = match db.query_one(&select).await? {
            Some(row) => row.try_get::<Option<Vec<u8>>>("", "sketch")?,
            None => None,
        };
        let sketch = merged(stored.as_deref(), &keys)?;
        let mut update = Query::update();
        update
            .table(table.clone())
            .value(Alias::new("sketch"), sketch)
            .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id))
            .and_where(Expr::col(date.clone()).eq(start));
        db.execute(&update).await?;
    }
    Ok(())
}

/// After a rebuild of the day levels: the brand's weeks and months, per enrollment, per creator
/// and for the whole brand, from its days. Sums by one `INSERT ... SELECT ... GROUP BY` per level; sketches
/// as the unions of the day sketches, a period at a time, each written once. (Kept batch by
/// batch instead, a month's sketches were read back and rewritten by every batch of the
/// rebuild: on PostgreSQL at scale 1.0 it took 398 s.)
pub(crate) async fn fill_from_days<C: ConnectionTrait>(db: &C, brand_id: i64) -> Result<(), DbErr> {
    for (days, coarse) in [
        (DAYS, WEEKS),
        (DAYS, MONTHS),
        (CREATOR_DAYS, CREATOR_WEEKS),
        (CREATOR_DAYS, CREATOR_MONTHS),
        (BRAND_DAYS, BRAND_WEEKS),
        (BRAND_DAYS, BRAND_MONTHS),
    ] {
        fill_sums(db, brand_id, days, coarse).await?;
        fill_sketches(db, brand_id, days, coarse).await?;
    }
    Ok(())
}

/// SQL for the first day of the period of `grain` holding the DATE column `column`.
fn period_of(column: &str, grain: Grain, backend: DatabaseBackend) -> String {
    match (grain, backend) {
        (Grain::Day, _) => column.to_owned(),
        (Grain::Week, DatabaseBackend::Postgres) => {
            format!("CAST(date_trunc('week', {column}) AS DATE)")
        }
        (Grain::Month, DatabaseBackend::Postgres) => {
            format!("CAST(date_trunc('month', {column}) AS DATE)")
        }
        // 'weekday 0' moves to the coming Sunday (or stays on one); six days back is its Monday.
        (Grain::Week, _) => format!("date({column}, 'weekday 0', '-6 days')"),
        (Grain::Month, _) => format!("strftime('%Y-%m-01', {column})"),
    }
}

async fn fill_sums<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    days: Level,
    coarse: Level,
) -> Result<(), DbErr> {
    let period = Expr::cust(period_of(
        days.date,
        coarse.grain,
        db.get_database_backend(),
    ));
    let mut columns = vec!["brand_id", coarse.date];
    let mut select = Query::select();
    select
        .column(Alias::new("brand_id"))
        .expr(period.clone())
        .from(Alias::new(days.table))
        .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id))
        .group_by_col(Alias::new("brand_id"))
        .add_group_by([period]);
    if let Some(owner) = days.owner {
        columns.push(owner);
        select
            .column(Alias::new(owner))
            .group_by_col(Alias::new(owner));
    }
    for column in COUNTER_COLUMNS {
        columns.push(column);
        select.expr(Func::cast_as(
            Func::sum(Expr::col(Alias::new(column))),
            Alias::new("BIGINT"),
        ));
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(coarse.table))
        .columns(columns.into_iter().map(Alias::new))
        .select_from(select)
        .map_err(sql_error)?;
    db.execute(&insert).await?;
    Ok(())
}

async fn fill_sketches<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    days: Level,
    coarse: Level,
) -> Result<(), DbErr> {
    let brand = || Expr::col(Alias::new("brand_id")).eq(brand_id);
    let mut bounds = Query::select();
    bounds
        .expr_as(Func::min(Expr::col(Alias::new("day"))), Alias::new("first"))
        .expr_as(Func::max(Expr::col(Alias::new("day"))), Alias::new("last"))
        .from(Alias::new(days.table))
        .and_where(brand());
    let Some(row) = db.query_one(&bounds).await? else {
        return Ok(());
    };
    let (Some(first), Some(last)) = (
        row.try_get::<Option<NaiveDate>>("", "first")?,
        row.try_get::<Option<NaiveDate>>("", "last")?,
    ) else {
        return Ok(());
    };
    let mut start = period_start(first, coarse.grain);
    while start <= last {
        let end = next_period_start(start, coarse.grain)
            .ok_or_else(|| DbErr::Custom(format!("no period after {start}")))?;
        let mut select = Query::select();
        select
            .column(Alias::new("sketch"))
            .from(Alias::new(days.sketches))
            .and_where(brand())
            .and_where(Expr::col(Alias::new("day")).gte(start))
            .and_where(Expr::col(Alias::new("day")).lt(end))
            .and_where(Expr::col(Alias::new("sketch")).is_not_null());
        if let Some(owner) = days.owner {
            select.column(Alias::new(owner));
        }
        // By owner (enrollment or creator); the brand's own union under 0.
        let mut unions: BTreeMap<i64, VisitorCount> = BTreeMap::new();
        for row in db.query_all(&select).await? {
            let owner_id = match days.owner {
                Some(owner) => row.try_get::<i64>("", owner)?,
                None => 0,
            };
            let bytes: Vec<u8> = row.try_get("", "sketch")?;
            unions
                .entry(owner_id)
                .or_default()
                .add_stored(&bytes)
                .map_err(bad_sketch)?;
        }
        if let Some(owner) = coarse.owner {
            let mut rows: Vec<_> = unions.into_iter().collect();
            for chunk in rows.chunks_mut(CHUNK) {
                let mut insert = Query::insert();
                insert
                    .into_table(Alias::new(coarse.sketches))
                    .columns(["brand_id", coarse.date, owner, "sketch"].map(Alias::new));
                for (owner_id, union) in chunk {
                    let bytes = union.to_bytes().map_err(bad_sketch)?;
                    insert
                        .values([
                            brand_id.into(),
                            start.into(),
                            (*owner_id).into(),
                            bytes.into(),
                        ])
                        .map_err(sql_error)?;
                }
                db.execute(&insert).await?;
            }
        } else if let Some(mut union) = unions.remove(&0) {
            let bytes = union.to_bytes().map_err(bad_sketch)?;
            let mut update = Query::update();
            update
                .table(Alias::new(coarse.table))
                .value(Alias::new("sketch"), bytes)
                .and_where(brand())
                .and_where(Expr::col(Alias::new(coarse.date)).eq(start));
            db.execute(&update).await?;
        }
        start = end;
    }
    Ok(())
}

fn counter_values(c: &Counters) -> [SimpleExpr; 6] {
    [
        c.clicks.into(),
        c.sales.into(),
        c.leads.into(),
        c.new_customers.into(),
        c.revenue_minor.into(),
        c.commissions_minor.into(),
    ]
}

/// The owner column of a level per enrollment or creator.
fn owner_of(level: Level) -> Result<&'static str, DbErr> {
    level
        .owner
        .ok_or_else(|| sql_error(format!("{} has no owner column", level.table)))
}

/// A stored sketch that does not decode: corrupt data, not a passing failure.
fn bad_sketch(e: BadSketch) -> DbErr {
    DbErr::Custom(e.to_string())
}

/// A statement that could not be built (a programming error, reported as such).
fn sql_error(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("rollup statement: {e}"))
}

/// A stored sketch (or a new one) with `visitor_keys` added, serialized. A stored sketch that
/// does not decode is corrupt data, not a passing failure.
fn merged(stored: Option<&[u8]>, visitor_keys: &BTreeSet<String>) -> Result<Vec<u8>, DbErr> {
    let mut sketch = match stored {
        Some(bytes) => VisitorSketch::from_bytes(bytes).map_err(bad_sketch)?,
        None => VisitorSketch::new(),
    };
    for visitor_key in visitor_keys {
        sketch.insert(visitor_key);
    }
    Ok(sketch.to_bytes())
}

/// The stored sketches of the chunk's keys (with `known`, a rebuild's written keys, only of
/// those in it; the others are added to it): the table joined with a `VALUES` list of the
/// (date, enrollment) pairs, so that each key is sought in the primary key. (Filtering by
/// `date IN (..) AND enrollment_id IN (..)` instead made PostgreSQL test every row of the
/// chunk's days against 400 parameters: a scale-1.0 rebuild did not finish in 8 minutes.)
async fn stored_sketches<C: ConnectionTrait, T>(
    db: &C,
    sketches: Level,
    brand_id: i64,
    chunk: &[(Key, T)],
    known: Option<&mut HashSet<Key>>,
) -> Result<HashMap<Key, Option<Vec<u8>>>, DbErr> {
    let keys: Vec<Key> = match known {
        None => chunk.iter().map(|(key, _)| *key).collect(),
        // `insert` is false for a key written before: that one has a stored sketch.
        Some(known) => chunk
            .iter()
            .map(|(key, _)| *key)
            .filter(|key| !known.insert(*key))
            .collect(),
    };
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = Alias::new("keys");
    let (table, date) = (Alias::new(sketches.sketches), Alias::new(sketches.date));
    let owner = owner_of(sketches)?;
    let owner_column = Alias::new(owner);
    let values = keys
        .iter()
        .map(|(day, owner_id)| ValueTuple::Two((*day).into(), (*owner_id).into()))
        .collect();
    let mut select = Query::select();
    select
        .column((table.clone(), date.clone()))
        .column((table.clone(), owner_column.clone()))
        .column((table.clone(), Alias::new("sketch")))
        .from(table.clone())
        .join(
            JoinType::InnerJoin,
            TableRef::ValuesList(values, listed.clone().into_iden()),
            Condition::all()
                .add(Expr::col((table.clone(), Alias::new("brand_id"))).eq(brand_id))
                .add(
                    Expr::col((table.clone(), date.clone()))
                        .equals((listed.clone(), Alias::new("column1"))),
                )
                .add(Expr::col((table, owner_column)).equals((listed, Alias::new("column2")))),
        );
    let mut stored = HashMap::with_capacity(chunk.len());
    for row in db.query_all(&select).await? {
        stored.insert(
            (
                row.try_get::<NaiveDate>("", sketches.date)?,
                row.try_get::<i64>("", owner)?,
            ),
            row.try_get::<Option<Vec<u8>>>("", "sketch")?,
        );
    }
    Ok(stored)
}

/// `ON CONFLICT (key) DO UPDATE SET c = table.c + excluded.c` for every counter.
fn add_on_conflict(table: &str, key: &[&str]) -> OnConflict {
    let mut on_conflict = OnConflict::columns(key.iter().map(|column| Alias::new(*column)));
    for column in COUNTER_COLUMNS {
        on_conflict.value(
            Alias::new(column),
            Expr::col((Alias::new(table), Alias::new(column)))
                .add(Expr::col((Alias::new("excluded"), Alias::new(column)))),
        );
    }
    on_conflict
}

/// What a stored conversion counts for.
pub(crate) fn counters_of(row: &conversion::Model) -> Result<Counters, AppError> {
    let kind = Kind::parse(&row.kind).ok_or_else(|| AppError::internal("stored kind"))?;
    let status = Status::parse(&row.status).ok_or_else(|| AppError::internal("stored status"))?;
    Ok(conversion_counters(&ConversionFacts {
        kind,
        attributed: row.enrollment_id.is_some(),
        status,
        new_customer: row.new_customer,
        brand_amount_minor: row.brand_amount_minor,
        refunded_brand_minor: row.refunded_brand_minor,
    }))
}
