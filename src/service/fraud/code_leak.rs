//! CODE_LEAK's hourly counts at ingestion (migrations `m20261210_000001` and `..._000003`):
//! each stored conversion naming a live code of a brand with the rule on adds one to its
//! code's hour ([`CodeCounts::add`], written once per batch with the rollups); judging a code's
//! 7-day share ([`window`]) reads the window's hours (at most 169 rows) and, only when the
//! window's edge falls inside an edge hour's first and last conversion, the raw conversions of
//! that part of the hour ([`code_counts::edge_before`], [`code_counts::edge_after`]). The cost
//! does not grow with a popular code's orders. A window the counts do not cover (a backfill
//! older than a day, or counts not built yet) is judged from the conversions themselves, as
//! exact.
//!
//! "Through a click of the code's creator" is judged when a conversion is stored: a click that
//! arrives after its order does not change the counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, OnConflict, Query, SimpleExpr,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};

use crate::db::entity::{click, code_leak_hour, conversion, discount_code, fraud_rule};
use crate::domain::fraud::code_counts::{
    self, Edge, HourCount, add_to, covers, edge_after, edge_before, hours, kept_from,
};
use crate::domain::fraud::{CODE_LEAK_WINDOW, CodeWindow, Rule};
use crate::error::AppError;

/// Rows per multi-row insert.
const INSERT_CHUNK: usize = 500;

/// The last hour (epoch seconds) this process deleted expired counts at.
static PRUNED_HOUR: AtomicI64 = AtomicI64::new(i64::MIN);

/// A batch's counts not written yet, by (code, hour).
#[derive(Debug, Default)]
pub(crate) struct CodeCounts {
    pending: BTreeMap<(String, DateTime<Utc>), HourCount>,
    /// The batch's clock, for deleting expired hours.
    now: Option<DateTime<Utc>>,
}

impl CodeCounts {
    /// Counts a stored conversion of `code` (a live code of the brand) at `at`;
    /// `creator_click`: it named a click of the code's creator.
    pub fn add(&mut self, code: &str, creator_click: bool, at: DateTime<Utc>, now: DateTime<Utc>) {
        self.now = Some(now);
        if at < kept_from(now) {
            return; // older than any window the counts answer
        }
        let key = (code.to_owned(), code_counts::hour_of(at));
        add_to(&mut self.pending, key, &HourCount::one(at, creator_click));
    }

    /// The batch's counts of `code` from `first` to `last` (hours, inclusive).
    fn of(
        &self,
        code: &str,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, &HourCount)> {
        self.pending
            .range((code.to_owned(), first)..=(code.to_owned(), last))
            .map(|((_, hour), count)| (*hour, count))
    }

    /// Adds the batch's counts to the stored ones (one statement per 500 hours) and, once an
    /// hour per process, deletes every brand's expired hours (on `idx_code_leak_hours_hour`).
    pub async fn save<C: ConnectionTrait>(self, db: &C, brand_id: i64) -> Result<(), AppError> {
        let Some(now) = self.now else {
            return Ok(());
        };
        let rows: Vec<code_leak_hour::ActiveModel> = self
            .pending
            .into_iter()
            .map(|((code, hour), count)| row(brand_id, code, hour, &count))
            .collect();
        let table = Alias::new("code_leak_hours");
        let mut on_conflict = OnConflict::columns([
            code_leak_hour::Column::BrandId,
            code_leak_hour::Column::DiscountCode,
            code_leak_hour::Column::Hour,
        ]);
        let stored = |c: code_leak_hour::Column| Expr::col((table.clone(), c));
        let new = |c: code_leak_hour::Column| Expr::col((Alias::new("excluded"), c));
        for column in [
            code_leak_hour::Column::Conversions,
            code_leak_hour::Column::WithCreatorClick,
        ] {
            on_conflict.value(column, stored(column).add(new(column)));
        }
        let (first, last) = (
            code_leak_hour::Column::FirstAt,
            code_leak_hour::Column::LastAt,
        );
        on_conflict.value(first, Func::least([stored(first), new(first)]));
        on_conflict.value(last, Func::greatest([stored(last), new(last)]));
        for chunk in rows.chunks(INSERT_CHUNK) {
            code_leak_hour::Entity::insert_many(chunk.to_vec())
                .on_conflict(on_conflict.clone())
                .exec_without_returning(db)
                .await?;
        }
        let hour = code_counts::hour_of(now).timestamp();
        if PRUNED_HOUR.swap(hour, Ordering::Relaxed) < hour {
            code_leak_hour::Entity::delete_many()
                .filter(code_leak_hour::Column::Hour.lt(kept_from(now)))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

fn row(
    brand_id: i64,
    code: String,
    hour: DateTime<Utc>,
    count: &HourCount,
) -> code_leak_hour::ActiveModel {
    code_leak_hour::ActiveModel {
        brand_id: Set(brand_id),
        discount_code: Set(code),
        hour: Set(hour),
        conversions: Set(count.conversions),
        with_creator_click: Set(count.with_creator_click),
        first_at: Set(Some(count.first_at)),
        last_at: Set(Some(count.last_at)),
    }
}

/// The code's conversions in the 7 days up to `at` (this one included, in `pending` or
/// stored), and how many named no click of the code's enrollment `enrollment_id`: from the
/// counts when they cover the window, else from the conversions.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn window(
    txn: &DatabaseTransaction,
    pending: &CodeCounts,
    brand_id: i64,
    code: &str,
    enrollment_id: i64,
    at: DateTime<Utc>,
    counted_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<CodeWindow, AppError> {
    let occurred = || Expr::col((Alias::new("c"), conversion::Column::OccurredAt));
    if !covers(counted_from, at, now) {
        let range = Condition::all()
            .add(occurred().gt(at - CODE_LEAK_WINDOW))
            .add(occurred().lte(at));
        let (total, with_click) = raw_counts(txn, brand_id, code, enrollment_id, range).await?;
        return Ok(CodeWindow::of_counts(total, with_click));
    }
    let (first, last) = hours(at);
    let mut counts: BTreeMap<DateTime<Utc>, HourCount> = BTreeMap::new();
    for stored in code_leak_hour::Entity::find()
        .filter(code_leak_hour::Column::BrandId.eq(brand_id))
        .filter(code_leak_hour::Column::DiscountCode.eq(code))
        .filter(code_leak_hour::Column::Hour.gte(first))
        .filter(code_leak_hour::Column::Hour.lte(last))
        .all(txn)
        .await?
    {
        // Bounds are always written; an hour without them is cut through to be safe.
        let bounds = (stored.hour, stored.hour + Duration::hours(1));
        counts.insert(
            stored.hour,
            HourCount {
                conversions: stored.conversions,
                with_creator_click: stored.with_creator_click,
                first_at: stored.first_at.unwrap_or(bounds.0),
                last_at: stored.last_at.unwrap_or(bounds.1),
            },
        );
    }
    for (hour, count) in pending.of(code, first, last) {
        add_to(&mut counts, hour, count);
    }
    let (mut total, mut with_click) = counts.values().fold((0, 0), |(n, w), h| {
        (n + h.conversions, w + h.with_creator_click)
    });
    let edges = code_counts::edges(at);
    for (edge, range) in [
        (
            edge_before(counts.get(&first), at),
            Condition::all()
                .add(occurred().gte(edges.before.0))
                .add(occurred().lte(edges.before.1)),
        ),
        (
            edge_after(counts.get(&last), at),
            Condition::all()
                .add(occurred().gt(edges.after.0))
                .add(occurred().lt(edges.after.1)),
        ),
    ] {
        let (n, w) = match edge {
            Edge::Nothing => (0, 0),
            Edge::Whole(n, w) => (n, w),
            Edge::Count => raw_counts(txn, brand_id, code, enrollment_id, range).await?,
        };
        total -= n;
        with_click -= w;
    }
    Ok(CodeWindow::of_counts(total, with_click))
}

/// The code's conversions whose `occurred_at` meets `occurred` (on conversions aliased `c`),
/// and how many named a click of `enrollment_id`: one aggregate statement, the conversions
/// through the `(brand_id, discount_code, occurred_at)` index, each one's click by its unique
/// `(brand_id, click_id)`.
async fn raw_counts(
    txn: &DatabaseTransaction,
    brand_id: i64,
    code: &str,
    enrollment_id: i64,
    occurred: Condition,
) -> Result<(i64, i64), AppError> {
    let (c, cl) = (Alias::new("c"), Alias::new("cl"));
    let statement = Query::select()
        .expr_as(Func::count(Expr::val(1)), Alias::new("total"))
        .expr_as(
            Func::count(Expr::col((cl.clone(), click::Column::Id))),
            Alias::new("with_click"),
        )
        .from_as(conversion::Entity, c.clone())
        .join_as(
            JoinType::LeftJoin,
            click::Entity,
            cl.clone(),
            click_of(&c, &cl, Expr::val(enrollment_id)),
        )
        .and_where(Expr::col((c.clone(), conversion::Column::BrandId)).eq(brand_id))
        .and_where(Expr::col((c, conversion::Column::DiscountCode)).eq(code))
        .cond_where(occurred)
        .to_owned();
    let row = txn
        .query_one(&statement)
        .await?
        .ok_or_else(|| AppError::internal("an aggregate without a row"))?;
    Ok((row.try_get("", "total")?, row.try_get("", "with_click")?))
}

/// `cl` is the click the conversion `c` names (the brand's, by its unique key), made on
/// `enrollment`.
fn click_of(c: &Alias, cl: &Alias, enrollment: SimpleExpr) -> SimpleExpr {
    Expr::col((cl.clone(), click::Column::BrandId))
        .equals((c.clone(), conversion::Column::BrandId))
        .and(
            Expr::col((cl.clone(), click::Column::ClickId))
                .equals((c.clone(), conversion::Column::ClickId)),
        )
        .and(Expr::col((cl.clone(), click::Column::EnrollmentId)).eq(enrollment))
}

/// Rebuilds the brand's counts from its conversions of the kept hours (in the caller's
/// transaction, which holds the brand's ingestion lock) and records from when they are whole.
pub(crate) async fn rebuild(
    txn: &DatabaseTransaction,
    brand_id: i64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    clear(txn, brand_id).await?;
    let from = kept_from(now);
    let (c, dc, cl) = (Alias::new("c"), Alias::new("dc"), Alias::new("cl"));
    let statement = Query::select()
        .column((c.clone(), conversion::Column::DiscountCode))
        .column((c.clone(), conversion::Column::OccurredAt))
        .expr_as(
            Expr::col((cl.clone(), click::Column::Id)).is_not_null(),
            Alias::new("creator_click"),
        )
        .from_as(conversion::Entity, c.clone())
        .join_as(
            JoinType::InnerJoin,
            discount_code::Entity,
            dc.clone(),
            Expr::col((dc.clone(), discount_code::Column::BrandId))
                .equals((c.clone(), conversion::Column::BrandId))
                .and(
                    Expr::col((dc.clone(), discount_code::Column::Code))
                        .equals((c.clone(), conversion::Column::DiscountCode)),
                )
                .and(Expr::col((dc.clone(), discount_code::Column::ArchivedAt)).is_null()),
        )
        .join_as(
            JoinType::LeftJoin,
            click::Entity,
            cl.clone(),
            click_of(
                &c,
                &cl,
                Expr::col((dc, discount_code::Column::EnrollmentId)),
            ),
        )
        .and_where(Expr::col((c.clone(), conversion::Column::BrandId)).eq(brand_id))
        .and_where(Expr::col((c.clone(), conversion::Column::DiscountCode)).is_not_null())
        .and_where(Expr::col((c, conversion::Column::OccurredAt)).gte(from))
        .to_owned();
    let mut counts: BTreeMap<(String, DateTime<Utc>), HourCount> = BTreeMap::new();
    for row in txn.query_all(&statement).await? {
        let code: String = row.try_get("", "discount_code")?;
        let at: DateTime<Utc> = row.try_get("", "occurred_at")?;
        let creator_click: bool = row.try_get("", "creator_click")?;
        let key = (code, code_counts::hour_of(at));
        add_to(&mut counts, key, &HourCount::one(at, creator_click));
    }
    let rows: Vec<code_leak_hour::ActiveModel> = counts
        .into_iter()
        .map(|((code, hour), count)| row(brand_id, code, hour, &count))
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        code_leak_hour::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    set_counted_from(txn, brand_id, Some(from)).await?;
    Ok(from)
}

/// Drops the brand's counts and their mark (the rule is off: they are no longer kept).
pub(crate) async fn clear(txn: &DatabaseTransaction, brand_id: i64) -> Result<(), AppError> {
    code_leak_hour::Entity::delete_many()
        .filter(code_leak_hour::Column::BrandId.eq(brand_id))
        .exec(txn)
        .await?;
    set_counted_from(txn, brand_id, None).await
}

async fn set_counted_from(
    txn: &DatabaseTransaction,
    brand_id: i64,
    from: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    fraud_rule::Entity::update_many()
        .col_expr(fraud_rule::Column::CountedFrom, Expr::value(from))
        .filter(fraud_rule::Column::BrandId.eq(brand_id))
        .filter(fraud_rule::Column::Rule.eq(Rule::CodeLeak.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}
