//! CODE_LEAK's hourly counts at ingestion (migration `m20261210_000001_create_code_leak_hours`):
//! each stored conversion naming a live code of a brand with the rule on adds one to its code's
//! hour ([`count`]); judging a code's 7-day share ([`window`]) reads the window's hours and the
//! raw conversions of its two edges ([`code_counts::edges`]), so the cost does not grow with a
//! popular code's orders. A window the counts do not cover (a backfill older than a day, or
//! counts not built yet) is judged from the conversions themselves, as exact.
//!
//! "Through a click of the code's creator" is judged when a conversion is stored: a click that
//! arrives after its order does not change the counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, JoinType, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};

use crate::db::entity::{click, code_leak_hour, conversion, discount_code, fraud_rule};
use crate::domain::fraud::code_counts::{self, covers, edges, hours, in_window, kept_from};
use crate::domain::fraud::{CODE_LEAK_WINDOW, CodeWindow, Rule};
use crate::error::AppError;

/// Rows per multi-row insert of a rebuild.
const INSERT_CHUNK: usize = 500;

/// The last hour (epoch seconds) this process deleted expired counts at.
static PRUNED_HOUR: AtomicI64 = AtomicI64::new(i64::MIN);

/// Adds a stored conversion of `code` (a live code of the brand) at `at` to its hour;
/// `creator_click`: it named a click of the code's creator. Once an hour per process, also
/// deletes every brand's expired hours (on `idx_code_leak_hours_hour`).
pub(crate) async fn count(
    txn: &DatabaseTransaction,
    brand_id: i64,
    code: &str,
    creator_click: bool,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if at < kept_from(now) {
        return Ok(()); // older than any window the counts answer
    }
    let row = code_leak_hour::ActiveModel {
        brand_id: Set(brand_id),
        discount_code: Set(code.to_owned()),
        hour: Set(code_counts::hour_of(at)),
        conversions: Set(1),
        with_creator_click: Set(i64::from(creator_click)),
    };
    let table = Alias::new("code_leak_hours");
    let mut on_conflict = OnConflict::columns([
        code_leak_hour::Column::BrandId,
        code_leak_hour::Column::DiscountCode,
        code_leak_hour::Column::Hour,
    ]);
    for column in [
        code_leak_hour::Column::Conversions,
        code_leak_hour::Column::WithCreatorClick,
    ] {
        on_conflict.value(
            column,
            Expr::col((table.clone(), column)).add(Expr::col((Alias::new("excluded"), column))),
        );
    }
    code_leak_hour::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(txn)
        .await?;
    let hour = code_counts::hour_of(now).timestamp();
    if PRUNED_HOUR.swap(hour, Ordering::Relaxed) < hour {
        code_leak_hour::Entity::delete_many()
            .filter(code_leak_hour::Column::Hour.lt(kept_from(now)))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The code's conversions in the 7 days up to `at` (this one included), and how many named no
/// click of the code's enrollment `enrollment_id`: from the counts when they cover the window,
/// else from the conversions.
pub(crate) async fn window(
    txn: &DatabaseTransaction,
    brand_id: i64,
    code: &str,
    enrollment_id: i64,
    at: DateTime<Utc>,
    counted_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<CodeWindow, AppError> {
    let raw = |occurred: Condition| raw_counts(txn, brand_id, code, enrollment_id, occurred);
    let occurred = || Expr::col((Alias::new("c"), conversion::Column::OccurredAt));
    if !covers(counted_from, at, now) {
        let (total, with_click) = raw(Condition::all()
            .add(occurred().gt(at - CODE_LEAK_WINDOW))
            .add(occurred().lte(at)))
        .await?;
        return Ok(code_window(in_window(total, 0), in_window(with_click, 0)));
    }
    let (first, last) = hours(at);
    let sums = code_leak_hour::Entity::find()
        .select_only()
        .column_as(sum(code_leak_hour::Column::Conversions), "total")
        .column_as(sum(code_leak_hour::Column::WithCreatorClick), "with_click")
        .filter(code_leak_hour::Column::BrandId.eq(brand_id))
        .filter(code_leak_hour::Column::DiscountCode.eq(code))
        .filter(code_leak_hour::Column::Hour.gte(first))
        .filter(code_leak_hour::Column::Hour.lte(last))
        .into_tuple::<(Option<i64>, Option<i64>)>()
        .one(txn)
        .await?
        .unwrap_or_default();
    // Two range reads, not one with OR: each stays on the index's occurred_at range.
    let e = edges(at);
    let before = raw(Condition::all()
        .add(occurred().gte(e.before.0))
        .add(occurred().lte(e.before.1)))
    .await?;
    let after = raw(Condition::all()
        .add(occurred().gt(e.after.0))
        .add(occurred().lt(e.after.1)))
    .await?;
    let (edge_total, edge_with_click) = (before.0 + after.0, before.1 + after.1);
    Ok(code_window(
        in_window(sums.0.unwrap_or(0), edge_total),
        in_window(sums.1.unwrap_or(0), edge_with_click),
    ))
}

/// `CAST(SUM(column) AS BIGINT)` (PostgreSQL's SUM of a BIGINT is NUMERIC).
fn sum(column: code_leak_hour::Column) -> sea_orm::sea_query::SimpleExpr {
    Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
}

fn code_window(total: u64, with_click: u64) -> CodeWindow {
    CodeWindow {
        total,
        without_creator_click: total.saturating_sub(with_click),
    }
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
            Expr::col((cl.clone(), click::Column::BrandId))
                .equals((c.clone(), conversion::Column::BrandId))
                .and(
                    Expr::col((cl.clone(), click::Column::ClickId))
                        .equals((c.clone(), conversion::Column::ClickId)),
                )
                .and(Expr::col((cl, click::Column::EnrollmentId)).eq(enrollment_id)),
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
            Expr::col((cl.clone(), click::Column::BrandId))
                .equals((c.clone(), conversion::Column::BrandId))
                .and(
                    Expr::col((cl.clone(), click::Column::ClickId))
                        .equals((c.clone(), conversion::Column::ClickId)),
                )
                .and(
                    Expr::col((cl, click::Column::EnrollmentId))
                        .equals((dc, discount_code::Column::EnrollmentId)),
                ),
        )
        .and_where(Expr::col((c.clone(), conversion::Column::BrandId)).eq(brand_id))
        .and_where(Expr::col((c.clone(), conversion::Column::DiscountCode)).is_not_null())
        .and_where(Expr::col((c, conversion::Column::OccurredAt)).gte(from))
        .to_owned();
    let mut counts: BTreeMap<(String, DateTime<Utc>), (i64, i64)> = BTreeMap::new();
    for row in txn.query_all(&statement).await? {
        let code: String = row.try_get("", "discount_code")?;
        let at: DateTime<Utc> = row.try_get("", "occurred_at")?;
        let creator_click: bool = row.try_get("", "creator_click")?;
        let entry = counts.entry((code, code_counts::hour_of(at))).or_default();
        entry.0 += 1;
        entry.1 += i64::from(creator_click);
    }
    let rows: Vec<code_leak_hour::ActiveModel> = counts
        .into_iter()
        .map(
            |((code, hour), (n, with_click))| code_leak_hour::ActiveModel {
                brand_id: Set(brand_id),
                discount_code: Set(code),
                hour: Set(hour),
                conversions: Set(n),
                with_creator_click: Set(with_click),
            },
        )
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
