//! Unique clicks: the distinct visitors of each report row and of the whole report, estimated
//! by merging HyperLogLog sketches (`domain::uniques`). Whole local days come from the stored
//! sketch of each (day, enrollment) in `daily_sketches`, or of each day in
//! `brand_daily_rollups` when the report is brand-wide, the partial edge days from the raw
//! clicks, as for the other facts (`facts.rs`). Rows get the same keys as the additive
//! counters (`grouping.rs`).

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, StreamTrait};

use super::facts::{Owner, Scope};
use super::grouping::{Dims, Owners, RowKey};
use crate::db::entity::{brand_daily_rollup, click, daily_sketch};
use crate::domain::calendar::{local_day, split_range};
use crate::domain::uniques::{VisitorCount, VisitorSketch};
use crate::error::AppError;
use crate::service::rollups::NO_ENROLLMENT;

/// Distinct visitors per row key, and over every row.
#[derive(Debug, Default, PartialEq)]
pub struct Uniques {
    pub rows: HashMap<RowKey, i64>,
    pub total: i64,
}

/// Merges the visitors of every scope of a report, then counts them.
#[derive(Default)]
pub struct Counter {
    rows: HashMap<RowKey, VisitorCount>,
    total: VisitorCount,
}

impl Counter {
    /// Adds one brand's visitors; `owners` resolves its enrollments to row keys.
    pub async fn add<C: ConnectionTrait + StreamTrait>(
        &mut self,
        db: &C,
        scope: &Scope,
        dims: &Dims,
        owners: &Owners,
    ) -> Result<(), AppError> {
        let mut keys: HashMap<i64, RowKey> = HashMap::new();
        let mut key_of = |enrollment_id: i64, day: NaiveDate| -> RowKey {
            if dims.grain.is_some() {
                let resolved = owners.resolve(Owner::Enrollment(enrollment_id));
                return dims.key(&resolved, Some(day));
            }
            keys.entry(enrollment_id)
                .or_insert_with(|| {
                    dims.key(&owners.resolve(Owner::Enrollment(enrollment_id)), None)
                })
                .clone()
        };
        let split = split_range(scope.from, scope.to, scope.tz);
        if let Some((first, end)) = split.days.filter(|_| scope.whole_brand()) {
            use brand_daily_rollup::Column as B;
            let rows: Vec<(NaiveDate, Option<Vec<u8>>)> = brand_daily_rollup::Entity::find()
                .select_only()
                .columns([B::Day, B::Sketch])
                .filter(B::BrandId.eq(scope.brand_id))
                .filter(B::Day.gte(first))
                .filter(B::Day.lt(end))
                .into_tuple()
                .all(db)
                .await?;
            for (day, bytes) in rows {
                let Some(bytes) = bytes else { continue };
                let sketch = VisitorSketch::from_bytes(&bytes).map_err(AppError::internal)?;
                self.total.add_sketch(&sketch);
                if dims.grain.is_some() {
                    let key = dims.key(&owners.resolve(Owner::Brand), Some(day));
                    self.rows.entry(key).or_default().add_sketch(&sketch);
                }
            }
        } else if let Some((first, end)) = split.days {
            use daily_sketch::Column as S;
            let mut select = daily_sketch::Entity::find()
                .select_only()
                .columns([S::EnrollmentId, S::Day, S::Sketch])
                .filter(S::BrandId.eq(scope.brand_id))
                .filter(S::Day.gte(first))
                .filter(S::Day.lt(end));
            if scope.restricted() {
                select = select.filter(S::EnrollmentId.in_subquery(scope.enrollments()));
            }
            // Streamed: a quarter of a large program is millions of sketches, never all held.
            let mut rows = select
                .into_tuple::<(i64, NaiveDate, Vec<u8>)>()
                .stream(db)
                .await?;
            while let Some((enrollment_id, day, bytes)) = rows.try_next().await? {
                let sketch = VisitorSketch::from_bytes(&bytes).map_err(AppError::internal)?;
                self.total.add_sketch(&sketch);
                if !dims.is_empty() {
                    self.rows
                        .entry(key_of(enrollment_id, day))
                        .or_default()
                        .add_sketch(&sketch);
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
                    let enrollment_id = enrollment_id.unwrap_or(NO_ENROLLMENT);
                    self.rows
                        .entry(key_of(enrollment_id, day))
                        .or_default()
                        .add_key(&visitor_key);
                }
            }
        }
        Ok(())
    }

    pub fn count(self, dims: &Dims) -> Uniques {
        let total = self.total.count();
        let mut rows: HashMap<RowKey, i64> = self
            .rows
            .into_iter()
            .map(|(key, visitors)| (key, visitors.count()))
            .collect();
        if dims.is_empty() {
            // The report's only row holds every visitor.
            rows.insert(RowKey::default(), total);
        }
        Uniques { rows, total }
    }
}
