//! The first page of a brand's report by creator ordered by a sum the rollups keep (clicks,
//! sales, leads, new customers, revenue or commissions, descending), cut in the database: one
//! statement sums that column per creator over the range's whole days (the creator levels) and
//! returns the page's creators in order with the report's row count; the page's rows are then
//! computed as the report restricted to those creators, and the totals as the brand's. The
//! other rows (10,000 creators at scale 1.0) are never built.
//!
//! The sums read the range as periods that add and subtract ([`signed_cover`]): a month at an
//! edge of the range minus its days outside it, when that reads fewer periods than its weeks
//! and days inside (a quarter from a Saturday: 8 periods' rows instead of 13).
//!
//! It is the answer the whole computation gives: over whole days a creator's value of such a
//! metric is its rollup sum (nothing else adds to it: costs add other costs, deliverables
//! impressions), and the rows that only costs or deliverables make have a value of 0, so they
//! sort after a page whose last value is above 0. Otherwise (partial days at the range's
//! edges, a last value of 0 or below, a page of fewer rows than asked, or the events without a
//! creator on the page) the report is computed whole.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr,
    SubQueryStatement, UnionType, WithClause,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
};

use super::facts::{self, Scope};
use super::grouping::Dims;
use super::{Computed, Filter, Part, RowPage, Spec, build_in, snapshot};
use crate::db::entity::{brand, cost, deliverable, enrollment};
use crate::domain::calendar::{Grain, split_range};
use crate::domain::content::DeliverableStatus;
use crate::domain::ranking::{Direction, ReportMetric};
use crate::domain::signed_cover::{Counted, SignedSpan, signed_cover};
use crate::error::AppError;
use crate::service::rollups::{self, NO_CREATOR};

/// The largest page cut in the database; a larger one is computed whole.
pub const MAX_FIRST: usize = 500;

/// The rollup column `metric` is the sum of, if nothing but the rollups adds to it over whole
/// days.
fn summed(metric: ReportMetric) -> Option<&'static str> {
    match metric {
        ReportMetric::Clicks => Some("clicks"),
        ReportMetric::Sales => Some("sales"),
        ReportMetric::Leads => Some("leads"),
        ReportMetric::NewCustomers => Some("new_customers"),
        ReportMetric::Revenue => Some("revenue_minor"),
        ReportMetric::Commissions => Some("commissions_minor"),
        _ => None,
    }
}

/// The column to rank creators by, when `page` of the report `dims` of `filter` may be cut in
/// the database: its first page (at most [`MAX_FIRST`] rows) by creator alone, unfiltered, in
/// descending order of a rollup sum.
pub(super) fn ranked_by(filter: &Filter, dims: &Dims, page: &RowPage) -> Option<&'static str> {
    let order = page.order?;
    let by_creator = *dims
        == Dims {
            creator: true,
            ..Dims::default()
        };
    let unfiltered =
        filter.campaign_ids.is_none() && filter.creator_ids.is_none() && filter.platforms.is_none();
    let first_page = page.after.is_none() && (1..=MAX_FIRST).contains(&page.first);
    if by_creator && unfiltered && first_page && order.direction == Direction::Desc {
        summed(order.metric)
    } else {
        None
    }
}

/// The page's creators in order, and how many rows the whole report has.
#[derive(Debug, PartialEq)]
pub(super) struct Leaders {
    pub creator_ids: Vec<i64>,
    pub row_count: usize,
}

#[derive(FromQueryResult)]
struct Ranked {
    owner_id: i64,
    value: i64,
    row_count: i64,
}

/// `page` of `brand`'s report by creator ranked by `column` ([`ranked_by`]), `None` when the
/// sums alone cannot tell it (see the module's documentation).
pub(super) async fn first_page(
    db: &DatabaseConnection,
    brand: &brand::Model,
    filter: &Filter,
    page: &RowPage,
    column: &'static str,
    margin: Decimal,
) -> Result<Option<Computed>, AppError> {
    let (selected, margin) = (page.selected(), Some(margin));
    let currency_code = &brand.currency_code;
    let tz: Tz = brand.timezone.parse().map_err(AppError::internal)?;
    let by_creator = Dims {
        creator: true,
        ..Dims::default()
    };
    let scope = Scope {
        brand_id: brand.id,
        tz,
        from: filter.from,
        to: filter.to,
        campaign_ids: None,
        creator_ids: None,
        dims: by_creator,
    };
    let txn = snapshot(db).await?;
    let Some(leaders) = leaders(&txn, &scope, column, page.first).await? else {
        txn.commit().await?;
        return Ok(None);
    };
    let part = |creator_ids| Part {
        brand: brand.clone(),
        creator_ids,
    };
    let spec = |dims| Spec {
        filter,
        dims,
        selected,
        margin,
        currency_code: currency_code.to_owned(),
    };
    let page_rows = vec![part(Some(leaders.creator_ids))];
    let leading = build_in(&txn, page_rows, spec(by_creator)).await?;
    let whole = build_in(&txn, vec![part(None)], spec(Dims::default())).await?;
    txn.commit().await?;
    Ok(Some(Computed {
        currency_code: currency_code.to_owned(),
        totals: whole.totals,
        rows: leading.rows,
        row_count: leaders.row_count,
    }))
}

/// The `first` creators with the largest sums of `column` over the scope's whole days (ties by
/// creator id), and the report's row count, in one statement; `None` when they do not make the
/// report's first page on their own.
async fn leaders<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    column: &'static str,
    first: usize,
) -> Result<Option<Leaders>, AppError> {
    let split = split_range(scope.from, scope.to, scope.tz);
    let (Some((first_day, end)), true) = (split.days, split.edges.is_empty()) else {
        return Ok(None);
    };
    let Some(through) = last_day(db, scope.brand_id).await? else {
        return Ok(None);
    };
    let spans = signed_cover(first_day, end, through);
    let Some(periods) = signed_periods(scope, &spans, column) else {
        return Ok(None);
    };
    let outside = pieces_in_months_around(&spans, (first_day, end));
    let rows = db
        .query_all(&ranking(scope, periods, column, first, &outside))
        .await?;
    let ranked = rows
        .iter()
        .map(|row| Ranked::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let decided = ranked.len() == first
        && ranked.last().is_some_and(|r| r.value > 0)
        && ranked.iter().all(|r| r.owner_id != NO_CREATOR);
    if !decided {
        return Ok(None);
    }
    let row_count = ranked.first().map_or(0, |r| r.row_count);
    Ok(Some(Leaders {
        creator_ids: ranked.iter().map(|r| r.owner_id).collect(),
        row_count: usize::try_from(row_count).map_err(AppError::internal)?,
    }))
}

/// The last day of the brand's creator rollups (`None`: no rows at all): the periods after it
/// hold no rows, which [`signed_cover`] reads for nothing.
async fn last_day<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
) -> Result<Option<NaiveDate>, AppError> {
    let day = Alias::new(rollups::CREATOR_DAYS.date);
    let select = Query::select()
        .expr_as(Func::max(Expr::col(day)), Alias::new("last_day"))
        .from(Alias::new(rollups::CREATOR_DAYS.table))
        .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    Ok(row.try_get::<Option<NaiveDate>>("", "last_day")?)
}

/// The creator rollup rows of `spans` as one `UNION ALL`: `owner_id`, `column` (negated in
/// subtracted spans) and `inside` (1 in the spans inside the range, 0 in the others).
fn signed_periods(
    scope: &Scope,
    spans: &[SignedSpan],
    column: &'static str,
) -> Option<SelectStatement> {
    let mut periods: Option<SelectStatement> = None;
    for &((grain, from, to), part) in spans {
        let level = facts::Level::of(grain).creator;
        let mut rows = facts::level_rows(scope, (level, level.table), from, to, &[]);
        let value = Expr::col(Alias::new(column));
        let value: SimpleExpr = match part {
            Counted::Subtracted => value.mul(-1),
            Counted::Inside | Counted::Around => value,
        };
        // A literal, not a bound value, which PostgreSQL would type as text in a select list.
        let inside = if part == Counted::Inside { "1" } else { "0" };
        rows.expr_as(value, Alias::new(column))
            .expr_as(Expr::cust(inside), Alias::new("inside"));
        match &mut periods {
            None => periods = Some(rows),
            Some(union) => {
                union.union(UnionType::All, rows);
            }
        }
    }
    periods
}

/// The days of `[first, end)` that lie in the months read whole ([`Counted::Around`]): a creator
/// whose rows are all outside the spans inside the range is in the report only if it has a
/// day here.
fn pieces_in_months_around(
    spans: &[SignedSpan],
    (first, end): (NaiveDate, NaiveDate),
) -> Vec<(NaiveDate, NaiveDate)> {
    spans
        .iter()
        .filter(|(_, part)| *part == Counted::Around)
        .map(|&((_, from, to), _)| (Ord::max(from, first), Ord::min(to, end)))
        .collect()
}

/// `WITH sums AS (SELECT owner_id, SUM(column) AS value, MAX(inside) AS inside FROM periods
/// GROUP BY owner_id) SELECT owner_id, value, (row count) AS row_count FROM sums
/// ORDER BY value DESC, owner_id = 0, owner_id LIMIT first`; the row count ([`row_count`]) is
/// of the creators of the sums in the range ([`NO_CREATOR`] as none), of the costs and of the
/// published deliverables in the range, as the whole report groups them. A creator of the sums
/// is in the range when it has rows in a span inside it, or else a day in `outside` (the
/// range's days in the months read whole; its sums are then 0 when it has none).
fn ranking(
    scope: &Scope,
    periods: SelectStatement,
    column: &'static str,
    first: usize,
    outside: &[(NaiveDate, NaiveDate)],
) -> sea_orm::sea_query::WithQuery {
    let (owner, value, sums, inside) = (
        Alias::new("owner_id"),
        Alias::new("value"),
        Alias::new("sums"),
        Alias::new("inside"),
    );
    let (sum, _) = facts::sum_of(column);
    let per_creator = Query::select()
        .column(owner.clone())
        .expr_as(sum, value.clone())
        .expr_as(Func::max(Expr::col(inside.clone())), inside.clone())
        .from_subquery(periods, Alias::new("periods"))
        .group_by_col(owner.clone())
        .to_owned();
    let row_count = SimpleExpr::SubQuery(
        None,
        Box::new(SubQueryStatement::SelectStatement(row_count(
            scope, outside,
        ))),
    );
    let no_creator_last = Expr::case(Expr::col(owner.clone()).eq(NO_CREATOR), 1).finally(0);
    let select = Query::select()
        .column(owner.clone())
        .column(value.clone())
        .expr_as(row_count, Alias::new("row_count"))
        .from(sums.clone())
        .order_by(value, Order::Desc)
        .order_by_expr(no_creator_last.into(), Order::Asc)
        .order_by(owner, Order::Asc)
        .limit(first as u64)
        .to_owned();
    let sums = CommonTableExpression::new()
        .query(per_creator)
        .table_name(sums)
        .to_owned();
    select.with(WithClause::new().cte(sums).to_owned())
}

/// Whether the row of `sums` named `row` is a creator in the range ([`ranking`]).
fn in_range(scope: &Scope, row: &Alias, outside: &[(NaiveDate, NaiveDate)]) -> SimpleExpr {
    let mut in_range = Expr::col((row.clone(), Alias::new("inside"))).eq(1);
    for &(from, to) in outside {
        let days = facts::Level::of(Grain::Day).creator;
        let mut day_rows = facts::level_rows(scope, (days, days.table), from, to, &[]);
        day_rows.and_where(
            Expr::col((
                Alias::new(days.table),
                Alias::new(days.owner.unwrap_or("creator_id")),
            ))
            .equals((row.clone(), Alias::new("owner_id"))),
        );
        in_range = in_range.or(Expr::exists(day_rows));
    }
    in_range
}

/// The report's rows: the creators of `sums` in the range (the row without a creator as one),
/// plus the creators of the costs and published deliverables in the range that are not among
/// them (few: counted apart, so that the 10,000 creators of `sums` are not deduplicated
/// against them, which took a fifth of the statement).
fn row_count(scope: &Scope, outside: &[(NaiveDate, NaiveDate)]) -> SelectStatement {
    let (sums, row, owner) = (Alias::new("sums"), Alias::new("s"), Alias::new("owner_id"));
    let in_sums = Query::select()
        .expr(Func::count(Expr::val(1)))
        .from_as(sums.clone(), row.clone())
        .and_where(in_range(scope, &row, outside))
        .to_owned();
    let (others, creator) = (Alias::new("others"), Alias::new("creator_id"));
    let mut other_creators = cost_creators(scope);
    other_creators.union(UnionType::Distinct, deliverable_creators(scope));
    let among_sums = Query::select()
        .expr(Expr::val(1))
        .from_as(sums, row.clone())
        .and_where(Expr::col((row.clone(), owner)).equals((others.clone(), creator)))
        .and_where(in_range(scope, &row, outside))
        .to_owned();
    let not_in_sums = Query::select()
        .expr(Func::count(Expr::val(1)))
        .from_subquery(other_creators, others)
        .and_where(Expr::exists(among_sums).not())
        .to_owned();
    let total = SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(in_sums)))
        .add(SimpleExpr::SubQuery(
            None,
            Box::new(SubQueryStatement::SelectStatement(not_in_sums)),
        ));
    Query::select().expr(total).to_owned()
}

/// The creators of the brand's costs in the range ([`NO_CREATOR`] for a campaign's cost).
fn cost_creators(scope: &Scope) -> SelectStatement {
    let columns: [SimpleExpr; 2] = [Expr::col(cost::Column::CreatorId), Expr::val(NO_CREATOR)];
    let creator: SimpleExpr = Func::coalesce(columns).into();
    cost::Entity::find()
        .select_only()
        .column_as(creator, "creator_id")
        .filter(cost::Column::BrandId.eq(scope.brand_id))
        .filter(cost::Column::IncurredAt.gte(scope.from))
        .filter(cost::Column::IncurredAt.lt(scope.to))
        .into_query()
}

/// The creators of the brand's deliverables published in the range.
fn deliverable_creators(scope: &Scope) -> SelectStatement {
    let published = deliverable::Entity::find()
        .select_only()
        .column(deliverable::Column::EnrollmentId)
        .filter(deliverable::Column::BrandId.eq(scope.brand_id))
        .filter(deliverable::Column::Status.eq(DeliverableStatus::Published.as_str()))
        .filter(deliverable::Column::PublishedAt.gte(scope.from))
        .filter(deliverable::Column::PublishedAt.lt(scope.to))
        .into_query();
    enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::CreatorId)
        .filter(enrollment::Column::BrandId.eq(scope.brand_id))
        .filter(enrollment::Column::Id.in_subquery(published))
        .into_query()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::ranking::Order as RankOrder;

    fn page(metric: ReportMetric, direction: Direction, first: usize) -> RowPage {
        RowPage {
            first,
            order: Some(RankOrder { metric, direction }),
            ..RowPage::default()
        }
    }

    fn by(creator: bool, campaign: bool) -> Dims {
        Dims {
            creator,
            campaign,
            ..Dims::default()
        }
    }

    #[test]
    fn only_a_first_page_by_creator_descending_by_a_rollup_sum_is_cut_in_the_database() {
        let filter = Filter {
            from: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            ..Filter::default()
        };
        let creators = by(true, false);
        let top = page(ReportMetric::Revenue, Direction::Desc, 50);
        assert_eq!(ranked_by(&filter, &creators, &top), Some("revenue_minor"));
        let clicks = page(ReportMetric::Clicks, Direction::Desc, MAX_FIRST);
        assert_eq!(ranked_by(&filter, &creators, &clicks), Some("clicks"));

        let computed_whole = [
            // A ratio, a metric with costs, and uniques are not rollup sums.
            (creators, page(ReportMetric::Roi, Direction::Desc, 50)),
            (creators, page(ReportMetric::Spend, Direction::Desc, 50)),
            (
                creators,
                page(ReportMetric::UniqueClicks, Direction::Desc, 50),
            ),
            // The smallest sums are tied at 0 with the rows only costs make.
            (creators, page(ReportMetric::Revenue, Direction::Asc, 50)),
            (
                creators,
                page(ReportMetric::Revenue, Direction::Desc, MAX_FIRST + 1),
            ),
            (by(true, true), top.clone()),
            (by(false, true), top.clone()),
            (
                creators,
                RowPage {
                    order: None,
                    ..top.clone()
                },
            ),
        ];
        for (dims, page) in computed_whole {
            assert_eq!(ranked_by(&filter, &dims, &page), None, "{dims:?} {page:?}");
        }
        let later = RowPage {
            after: Some(super::super::paging::Place::default()),
            ..top.clone()
        };
        assert_eq!(ranked_by(&filter, &creators, &later), None, "a later page");
        let filtered = Filter {
            creator_ids: Some(vec![1]),
            ..filter
        };
        assert_eq!(ranked_by(&filtered, &creators, &top), None, "a filter");
    }
}
