//! Keyset paging shared by list services: rows after a key, in key order, one more than asked
//! (so the API layer knows whether another page follows), and the total count when asked.
//!
//! A page carries its count in its own statement, as an uncorrelated subquery over the same
//! filters without the cursor (`(SELECT COUNT(*) FROM (...)) AS pg_total_count`), which the
//! database runs once: one round trip. A window count (`COUNT(*) OVER ()`) would do the same
//! in one statement but materializes every matching row, whole, before the `LIMIT`: 17 ms for
//! a page of a brand's 10,000 creators against 2 ms for the subquery's index-only count
//! (PostgreSQL, BENCHMARKS.md row 2). A list whose count the database keeps (a brand's
//! creators, unfiltered: `creator_counts`) reads it instead ([`Total::Stored`]), in the same
//! place. An empty page has no row to carry the count: a later one then reads it in a second
//! statement, an empty first page means zero.

use sea_orm::sea_query::{Alias, Condition, Expr, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Value,
};

use crate::db::projection::{self, Columns, Projected};
use crate::error::AppError;

/// A requested page size: `default` when none is asked, else 1 to `max` (BAD_USER_INPUT on
/// `first` otherwise).
pub fn page_size(first: Option<i32>, default: u64, max: u64) -> Result<u64, AppError> {
    match first {
        None => Ok(default),
        Some(n) if n >= 1 && (n as u64) <= max => Ok(n as u64),
        Some(_) => Err(AppError::bad_input(
            "first",
            format!("must be between 1 and {max}"),
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeysetPage {
    /// Return rows whose key is greater than this.
    pub after: Option<i64>,
    /// How many rows to fetch (page size + 1).
    pub limit: u64,
    /// Whether to count every matching row (`totalCount` was selected).
    pub count: bool,
}

/// Pages `select` by the ascending id column `key`.
pub async fn by_id<E, C, Db>(
    db: &Db,
    select: Select<E>,
    key: C,
    page: KeysetPage,
) -> Result<(Vec<E::Model>, u64), AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
    Db: ConnectionTrait,
{
    let total = page.count.then(|| Total::Counted.expr(&select));
    let mut rows = select;
    if let Some(after) = page.after {
        rows = rows.filter(key.gt(after));
    }
    let rows = rows.order_by_asc(key).limit(page.limit);
    fetch(db, rows, total, page.after.is_some(), |row| {
        E::Model::from_query_result(row, "")
    })
    .await
}

/// Where a page's `totalCount` comes from.
#[derive(Clone, Debug)]
pub enum Total {
    /// Counting the rows the filters match.
    Counted,
    /// A one-value statement reading a count the database keeps (no row: zero).
    Stored(Box<SelectStatement>),
}

impl Total {
    /// The count as an expression of the page's statement, for the rows of `all` (the page's
    /// filters without its cursor).
    fn expr<E: EntityTrait>(self, all: &Select<E>) -> SimpleExpr {
        match self {
            Total::Counted => {
                let mut counted = Query::select();
                counted
                    .expr(Expr::cust("COUNT(*)"))
                    .from_subquery(all.clone().into_query(), Alias::new("counted"));
                Expr::SubQuery(None, Box::new(counted.into()))
            }
            Total::Stored(stored) => {
                let stored = Expr::SubQuery(None, Box::new((*stored).into()));
                Func::coalesce([stored, Expr::val(0i64)]).into()
            }
        }
    }
}

/// The alias of the count in a page's statement.
const TOTAL_ALIAS: &str = "pg_total_count";

/// `rows` (filtered, ordered, limited), each made a model by `read`, and when `total` is given,
/// that count in the page's statement. The count is 0 when not asked.
async fn fetch<E, M, Db>(
    db: &Db,
    rows: Select<E>,
    total: Option<SimpleExpr>,
    after_cursor: bool,
    read: impl Fn(&QueryResult) -> Result<M, DbErr>,
) -> Result<(Vec<M>, u64), AppError>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    let Some(total) = total else {
        let statement = rows.build(db.get_database_backend());
        let results = db.query_all_raw(statement).await?;
        let models = results.iter().map(read).collect::<Result<_, _>>()?;
        return Ok((models, 0));
    };
    let statement = rows
        .column_as(total.clone(), TOTAL_ALIAS)
        .build(db.get_database_backend());
    let results = db.query_all_raw(statement).await?;
    let mut count: i64 = 0;
    let mut models = Vec::with_capacity(results.len());
    for row in &results {
        count = row.try_get("", TOTAL_ALIAS)?;
        models.push(read(row)?);
    }
    if models.is_empty() && after_cursor {
        let mut alone = Query::select();
        alone.expr_as(total, Alias::new(TOTAL_ALIAS));
        if let Some(row) = db.query_one(&alone).await? {
            count = row.try_get("", TOTAL_ALIAS)?;
        }
    }
    Ok((models, u64::try_from(count).unwrap_or_default()))
}

/// A value a list can be sorted by (ties broken by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

impl From<SortValue> for Value {
    fn from(value: SortValue) -> Self {
        match value {
            SortValue::Int(i) => i.into(),
            SortValue::Text(s) => s.into(),
        }
    }
}

/// A page of a list sorted by `(column, id)`, ascending or descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedPage {
    pub after: Option<(SortValue, i64)>,
    pub limit: u64,
    pub descending: bool,
    /// Whether to count every matching row (`totalCount` was selected).
    pub count: bool,
}

/// Pages `select` by `(sort, id)`, its count from `total`; the caller applies filters first.
pub async fn sorted<E, C, I, Db>(
    db: &Db,
    select: Select<E>,
    sort: C,
    id: I,
    page: SortedPage,
    total: Total,
) -> Result<(Vec<E::Model>, u64), AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
    I: ColumnTrait,
    Db: ConnectionTrait,
{
    let total = page.count.then(|| total.expr(&select));
    let after_cursor = page.after.is_some();
    let rows = after_sorted(select, sort, id, page);
    fetch(db, rows, total, after_cursor, |row| {
        E::Model::from_query_result(row, "")
    })
    .await
}

/// [`sorted`], selecting and reading only `columns` ([`projection`]); the sort and id columns
/// are always read (the cursor is made of them).
#[allow(clippy::too_many_arguments)]
pub async fn sorted_columns<E, Db>(
    db: &Db,
    select: Select<E>,
    columns: Columns<E::Column>,
    sort: E::Column,
    id: E::Column,
    page: SortedPage,
    total: Total,
) -> Result<(Vec<E::Model>, u64), AppError>
where
    E: EntityTrait,
    E::Model: Projected + Sync,
    Db: ConnectionTrait,
{
    let columns = columns.with(sort).with(id);
    let select = select.select_only().columns(columns.iter());
    let total = page.count.then(|| total.expr(&select));
    let after_cursor = page.after.is_some();
    let rows = after_sorted(select, sort, id, page);
    fetch(db, rows, total, after_cursor, |row| {
        projection::read(row, &columns)
    })
    .await
}

/// `select` past the page's cursor, in `(sort, id)` order, limited to the page.
fn after_sorted<E, C, I>(select: Select<E>, sort: C, id: I, page: SortedPage) -> Select<E>
where
    E: EntityTrait,
    C: ColumnTrait,
    I: ColumnTrait,
{
    let mut rows = select;
    if let Some((value, after_id)) = page.after {
        let value: Value = value.into();
        let (beyond, beyond_id): (SimpleExpr, SimpleExpr) = if page.descending {
            (sort.lt(value.clone()), id.lt(after_id))
        } else {
            (sort.gt(value.clone()), id.gt(after_id))
        };
        rows = rows.filter(
            Condition::any()
                .add(beyond)
                .add(Condition::all().add(sort.eq(value)).add(beyond_id)),
        );
    }
    let order = if page.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    rows.order_by(sort, order.clone())
        .order_by(id, order)
        .limit(page.limit)
}

/// `%text%` for a case-insensitive LIKE, with `\` escaping LIKE's wildcards.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern(" Maya "), "%maya%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
