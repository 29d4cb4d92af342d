//! Keeps `daily_rollups` and `daily_sketches` in step with the events, inside the transaction
//! that writes the event: a click, a conversion (and every later change to it: refunds, a
//! late earlier order that makes it not new), a commission line. Reports over whole days then
//! read these rows instead of the events (see `service::performance`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::entity::{commission, conversion, daily_rollup, daily_sketch};
use crate::domain::calendar::local_day;
use crate::domain::conversion::{Kind, Status};
use crate::domain::metrics::{ConversionFacts, Counters, conversion_counters};
use crate::domain::uniques::VisitorSketch;
use crate::error::AppError;

/// `enrollment_id` of events that have none.
pub const NO_ENROLLMENT: i64 = 0;

/// Rows per multi-row statement (well under SQLite's bound-parameter limit).
const CHUNK: usize = 400;

/// Pending changes to one brand's rollups, applied in one go.
#[derive(Debug, Default)]
pub(crate) struct RollupDelta {
    counters: BTreeMap<(NaiveDate, i64), Counters>,
    visitors: BTreeMap<(NaiveDate, i64), BTreeSet<String>>,
}

impl RollupDelta {
    pub fn add(&mut self, day: NaiveDate, enrollment_id: Option<i64>, counters: &Counters) {
        let key = (day, enrollment_id.unwrap_or(NO_ENROLLMENT));
        self.counters.entry(key).or_default().add(counters);
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
        self.visitors
            .entry((day, enrollment_id.unwrap_or(NO_ENROLLMENT)))
            .or_default()
            .insert(visitor_key.to_owned());
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
        self.counters.len()
    }

    /// Writes the changes: counters are added to existing rows (upsert), new visitors merged
    /// into the day's sketches. Keys are written in order, so concurrent writers lock rows in the
    /// same order. A key whose changes net to zero (a sale refunded in the same batch) still
    /// gets its row: the report has a row for every enrollment and day with events, as when the
    /// events are read raw.
    ///
    /// A sketch is read, merged and written back. Two writers cannot lose each other's
    /// visitors: every key with visitors also has a click counted, and the counter upsert
    /// comes first and locks that `daily_rollups` row until commit (PostgreSQL: the read that
    /// follows, a new snapshot under READ COMMITTED, sees what the other writer committed;
    /// SQLite has one writer at a time).
    pub async fn apply<C: ConnectionTrait>(self, db: &C, brand_id: i64) -> Result<(), DbErr> {
        let rows: Vec<daily_rollup::ActiveModel> = self
            .counters
            .into_iter()
            .map(|((day, enrollment_id), c)| daily_rollup::ActiveModel {
                brand_id: Set(brand_id),
                day: Set(day),
                enrollment_id: Set(enrollment_id),
                clicks: Set(c.clicks),
                sales: Set(c.sales),
                leads: Set(c.leads),
                new_customers: Set(c.new_customers),
                revenue_minor: Set(c.revenue_minor),
                commissions_minor: Set(c.commissions_minor),
            })
            .collect();
        for chunk in rows.chunks(CHUNK) {
            daily_rollup::Entity::insert_many(chunk.to_vec())
                .on_conflict(add_on_conflict())
                .exec_without_returning(db)
                .await?;
        }
        let visitors: Vec<_> = self.visitors.into_iter().collect();
        for chunk in visitors.chunks(CHUNK) {
            merge_sketches(db, brand_id, chunk).await?;
        }
        Ok(())
    }
}

/// Adds each key's new visitors to its stored sketch (or a new one) and writes it back.
async fn merge_sketches<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    chunk: &[((NaiveDate, i64), BTreeSet<String>)],
) -> Result<(), DbErr> {
    use daily_sketch::Column as S;
    let days: BTreeSet<NaiveDate> = chunk.iter().map(|((day, _), _)| *day).collect();
    let enrollments: BTreeSet<i64> = chunk.iter().map(|((_, id), _)| *id).collect();
    // Days x enrollments may name a few rows not in the chunk: they are skipped.
    let mut stored: HashMap<(NaiveDate, i64), Vec<u8>> = daily_sketch::Entity::find()
        .filter(S::BrandId.eq(brand_id))
        .filter(S::Day.is_in(days))
        .filter(S::EnrollmentId.is_in(enrollments))
        .all(db)
        .await?
        .into_iter()
        .map(|row| ((row.day, row.enrollment_id), row.sketch))
        .collect();
    let mut rows = Vec::with_capacity(chunk.len());
    for (key, keys) in chunk {
        let mut sketch = match stored.remove(key) {
            // A stored sketch that does not decode is corrupt data, not a passing failure.
            Some(bytes) => {
                VisitorSketch::from_bytes(&bytes).map_err(|e| DbErr::Custom(e.to_string()))?
            }
            None => VisitorSketch::new(),
        };
        for visitor_key in keys {
            sketch.insert(visitor_key);
        }
        rows.push(daily_sketch::ActiveModel {
            brand_id: Set(brand_id),
            day: Set(key.0),
            enrollment_id: Set(key.1),
            sketch: Set(sketch.to_bytes()),
        });
    }
    daily_sketch::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([S::BrandId, S::Day, S::EnrollmentId])
                .update_column(S::Sketch)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// `ON CONFLICT (key) DO UPDATE SET c = daily_rollups.c + excluded.c` for every counter.
fn add_on_conflict() -> OnConflict {
    use daily_rollup::Column as C;
    let mut on_conflict = OnConflict::columns([C::BrandId, C::Day, C::EnrollmentId]);
    for column in [
        C::Clicks,
        C::Sales,
        C::Leads,
        C::NewCustomers,
        C::RevenueMinor,
        C::CommissionsMinor,
    ] {
        on_conflict.value(
            column,
            Expr::col((daily_rollup::Entity, column)).add(Expr::col((
                sea_orm::sea_query::Alias::new("excluded"),
                column,
            ))),
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
