//! Unique clicks: the distinct visitors of each report row and of the whole report, estimated
//! by merging HyperLogLog sketches (`domain::uniques`). Whole local days come from the stored
//! sketch of each (period, enrollment) in `daily_sketches` and the coarser levels, of each
//! (period, creator) when the report reads the creator levels (`Scope::by_creator`), or of
//! each period in `brand_daily_rollups` and the coarser levels when the report is brand-wide,
//! the partial edge days from the raw clicks, as for the other facts (`facts.rs`). Rows get the
//! same keys as the additive counters (`grouping.rs`).

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, StreamTrait,
};

use super::facts::{Level, Owner, OwnerOf, Scope, level_rows, periods};
use super::grouping::{Dims, Owners, RowKey};
use crate::db::entity::click;
use crate::domain::calendar::{local_day, split_range};
use crate::domain::uniques::{VisitorCount, frames};
use crate::error::AppError;
use crate::service::rollups::{self, NO_ENROLLMENT};

/// Distinct visitors per row key, and over every row.
#[derive(Debug, Default, PartialEq)]
pub struct Uniques {
    pub rows: HashMap<RowKey, i64>,
    pub total: i64,
}

/// Merges the visitors of every scope of a report, then counts them.
///
/// Rows are kept in a vector and found by their key once per owner (enrollment or creator)
/// when the report has no time grain, so that merging a quarter's 125,000 creator sketches
/// does not hash a row key for each (8% of the first page at scale 1.0, session 17).
#[derive(Default)]
pub struct Counter {
    rows: Vec<(RowKey, VisitorCount)>,
    slots: HashMap<RowKey, usize>,
    total: VisitorCount,
}

/// The row of each owner of a report without a time grain, as found once.
type OwnerSlots = HashMap<Owner, usize>;

impl Counter {
    /// Adds one brand's visitors; `owners` resolves its enrollments to row keys.
    pub async fn add<C: ConnectionTrait + StreamTrait>(
        &mut self,
        db: &C,
        scope: &Scope,
        owners: &Owners,
    ) -> Result<(), AppError> {
        let dims = &scope.dims;
        let mut found = OwnerSlots::new();
        let split = split_range(scope.from, scope.to, scope.tz);
        // Unrestricted, the brand's own period sketches hold every visitor of the whole days:
        // they give the total in a few rows (and its rows too when nothing is grouped by what
        // an enrollment has), so the enrollments' sketches, when read, go to the rows only.
        let brand_total = !scope.restricted();
        if let Some((first, end)) = split.days.filter(|_| brand_total) {
            let rows = scope.whole_brand() && !dims.is_empty();
            for (level, first, end) in scope.levels(first, end) {
                for (start, bytes) in brand_sketches(db, scope, level, first, end).await? {
                    let row =
                        rows.then(|| self.slot_of(&mut found, (dims, owners), Owner::Brand, start));
                    self.merge(bytes.as_deref(), true, row)?;
                }
            }
        }
        let per_owner = split.days.filter(|_| !scope.whole_brand());
        let sqlite = ConnectionTrait::get_database_backend(db) == DbBackend::Sqlite;
        if let Some(days) = per_owner.filter(|_| sqlite && dims.grain.is_none()) {
            self.add_owners(db, scope, owners, &mut found, days, !brand_total)
                .await?;
        } else if let Some((first, end)) = per_owner {
            for (level, first, end) in scope.levels(first, end) {
                // A period at a time: a quarter of a large program is millions of
                // sketches, never all held (a row stream costs 3-5 us a row more on SQLite).
                // A restricted report (some campaigns or creators) reads few: one statement
                // (a statement a day cost PostgreSQL 90 round trips for one campaign by DAY).
                let mut at = first;
                while at < end {
                    let next = if scope.restricted() {
                        end
                    } else {
                        level.next(at).unwrap_or(end)
                    };
                    let (owned, owner) = level.owned(scope);
                    for (owner_id, day, bytes) in sketches(db, scope, owned, at, next).await? {
                        let row = (!dims.is_empty()).then(|| {
                            self.slot_of(&mut found, (dims, owners), owner(owner_id), day)
                        });
                        self.merge(bytes.as_deref(), !brand_total, row)?;
                    }
                    at = next;
                }
            }
        }
        for (from, to) in split.edges {
            use click::Column as C;
            let day = local_day(from, scope.tz);
            let mut select = click::Entity::find()
                .select_only()
                .columns([C::EnrollmentId, C::VisitorKey])
                .filter(C::BrandId.eq(scope.brand_id))
                .filter(C::IsBot.eq(false))
                .filter(C::OccurredAt.gte(from))
                .filter(C::OccurredAt.lt(to));
            if scope.restricted() {
                select = select.filter(C::EnrollmentId.in_subquery(scope.enrollments()));
            }
            let clicks: Vec<(Option<i64>, String)> = select.into_tuple().all(db).await?;
            for (enrollment_id, visitor_key) in clicks {
                self.total.add_key(&visitor_key);
                if !dims.is_empty() {
                    let owner = Owner::Enrollment(enrollment_id.unwrap_or(NO_ENROLLMENT));
                    let slot = self.slot_of(&mut found, (dims, owners), owner, day);
                    self.rows[slot].1.add_key(&visitor_key);
                }
            }
        }
        Ok(())
    }

    /// Merges every owner's sketches of the whole days `[first, end)` of a report without a
    /// time grain on SQLite, into the total when `to_total`. One row per owner holds its
    /// sketches of every level ([`owner_sketches`]): a quarter by creator at scale 1.0 is
    /// 10,000 rows rather than 125,000, each of which crosses from SQLite's worker thread to
    /// the runtime by a thread switch (the first page of the whole report: 1.05 -> 0.80 s,
    /// session 20, though SQLite spends about 210 ms more grouping). Streamed, so the
    /// quarter's 30 MB of sketches are never all held. PostgreSQL reads rows cheaply and
    /// groups these slowly (a hash aggregate of 30 MB: 390 ms against 140 ms for the rows),
    /// so it reads a period at a time. A report grouped by time alone is not grouped here:
    /// one campaign by DAY grouped by period in the statement took 142 ms against 31 ms.
    async fn add_owners<C: ConnectionTrait + StreamTrait>(
        &mut self,
        db: &C,
        scope: &Scope,
        owners: &Owners,
        found: &mut OwnerSlots,
        (first, end): (NaiveDate, NaiveDate),
        to_total: bool,
    ) -> Result<(), AppError> {
        let Some((select, owner)) = owner_sketches(scope, first, end) else {
            return Ok(());
        };
        let dims = &scope.dims;
        let mut rows = std::pin::pin!(db.stream(&select).await?);
        while let Some(row) = rows.try_next().await? {
            let owner_id = row.try_get::<i64>("", "owner_id")?;
            let framed = row.try_get::<Option<Vec<u8>>>("", "sketches")?;
            let row = (!dims.is_empty())
                .then(|| self.slot_of(found, (dims, owners), owner(owner_id), first));
            for sketch in frames(framed.as_deref().unwrap_or_default()) {
                let sketch = sketch.map_err(AppError::internal)?;
                self.merge(Some(sketch), to_total, row)?;
            }
        }
        Ok(())
    }

    /// The row of `owner`'s visitors of `day`: by owner alone when the report has no time
    /// grain (found once, in `found`), else by its key.
    fn slot_of(
        &mut self,
        found: &mut OwnerSlots,
        (dims, owners): (&Dims, &Owners),
        owner: Owner,
        day: NaiveDate,
    ) -> usize {
        match (owner, dims.grain) {
            (Owner::Enrollment(_) | Owner::Creator(_), None) => {
                if let Some(&slot) = found.get(&owner) {
                    return slot;
                }
                let slot = self.slot(dims.key(&owners.resolve(owner), None));
                found.insert(owner, slot);
                slot
            }
            _ => self.slot(dims.key(&owners.resolve(owner), Some(day))),
        }
    }

    /// The row of `key`, added when new.
    fn slot(&mut self, key: RowKey) -> usize {
        let next = self.rows.len();
        let slot = *self.slots.entry(key.clone()).or_insert(next);
        if slot == next {
            self.rows.push((key, VisitorCount::default()));
        }
        slot
    }

    /// Merges a stored sketch (none: no visitor yet) into the total when `to_total`, and into
    /// row `row`.
    ///
    /// A stored sketch that does not decode is corrupt data: an internal error.
    fn merge(
        &mut self,
        sketch: Option<&[u8]>,
        to_total: bool,
        row: Option<usize>,
    ) -> Result<(), AppError> {
        let Some(sketch) = sketch else {
            return Ok(());
        };
        if to_total {
            self.total.add_stored(sketch).map_err(AppError::internal)?;
        }
        if let Some(row) = row {
            self.rows[row]
                .1
                .add_stored(sketch)
                .map_err(AppError::internal)?;
        }
        Ok(())
    }

    pub fn count(mut self, dims: &Dims) -> Result<Uniques, AppError> {
        let total = self.total.count().map_err(AppError::internal)?;
        let mut rows = HashMap::with_capacity(self.rows.len() + 1);
        for (key, mut visitors) in self.rows {
            rows.insert(key, visitors.count().map_err(AppError::internal)?);
        }
        if dims.is_empty() {
            // The report's only row holds every visitor.
            rows.insert(RowKey::default(), total);
        }
        Ok(Uniques { rows, total })
    }
}

/// Each owner's (enrollment's or creator's, `Level::owned`) stored sketches of every level's
/// periods in `[first, end)` (`facts::periods`), concatenated into one value (`sketches`),
/// each framed by its length as four bytes big-endian (`domain::uniques::frames`), and the
/// owner an `owner_id` names; `None` when no period is covered. SQLite's `||` and
/// `group_concat` keep a binary value's bytes and length whole (as text, cast back).
fn owner_sketches(
    scope: &Scope,
    first: NaiveDate,
    end: NaiveDate,
) -> Option<(SelectStatement, OwnerOf)> {
    let sketches = |level: rollups::Level| level.sketches;
    let (periods, owner_of) = periods(scope, first, end, sketches, &["sketch"])?;
    let framed = "CAST(group_concat(unhex(printf('%08x', length(sketch))) || sketch, '') AS BLOB)";
    let owner = Alias::new("owner_id");
    let mut select = Query::select();
    select
        .column(owner.clone())
        .expr_as(Expr::cust(framed), Alias::new("sketches"))
        .from_subquery(periods, Alias::new("periods"))
        .group_by_col(owner);
    Some((select, owner_of))
}

/// The whole brand's stored sketches of the periods of `level` in `[from, to)`.
async fn brand_sketches<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    level: Level,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Option<Vec<u8>>)>, AppError> {
    let date_column = Alias::new(level.date());
    let mut select = Query::select();
    select
        .expr_as(Expr::col(date_column.clone()), Alias::new("date"))
        .column(Alias::new("sketch"))
        .from(Alias::new(level.brand.sketches))
        .and_where(Expr::col(Alias::new("brand_id")).eq(scope.brand_id))
        .and_where(Expr::col(date_column.clone()).gte(from))
        .and_where(Expr::col(date_column).lt(to));
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        rows.push((
            row.try_get::<NaiveDate>("", "date")?,
            row.try_get::<Option<Vec<u8>>>("", "sketch")?,
        ));
    }
    Ok(rows)
}

/// The stored sketches per enrollment or creator of the periods of `level` (e.g.
/// `daily_sketches`, `creator_monthly_sketches`) of the scope in `[from, to)`.
async fn sketches<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    level: rollups::Level,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, Option<Vec<u8>>)>, AppError> {
    let select = level_rows(scope, (level, level.sketches), from, to, &["sketch"]);
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        rows.push((
            row.try_get::<i64>("", "owner_id")?,
            row.try_get::<NaiveDate>("", "day")?,
            row.try_get::<Option<Vec<u8>>>("", "sketch")?,
        ));
    }
    Ok(rows)
}
