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
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement, Value,
};

use crate::db::projection::Columns;
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
    let rows = rows.order_by_asc(key);
    fetch(db, rows, page.limit, total, page.after.is_some(), |row| {
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

/// The first `limit` of `rows` (filtered, ordered), each made a model by `read`, and when
/// `total` is given, that count in the page's statement. The count is 0 when not asked.
async fn fetch<E, M, Db>(
    db: &Db,
    rows: Select<E>,
    limit: u64,
    total: Option<SimpleExpr>,
    after_cursor: bool,
    read: impl Fn(&QueryResult) -> Result<M, DbErr>,
) -> Result<(Vec<M>, u64), AppError>
where
    E: EntityTrait,
    Db: ConnectionTrait,
{
    let statement = page_statement(db.get_database_backend(), rows, total.as_ref(), limit);
    let (rows, count) = rows_and_count(db, statement, total, after_cursor).await?;
    let models = rows.iter().map(read).collect::<Result<_, _>>()?;
    Ok((models, count))
}

/// The rows of a page's `statement`, and its count: read from the rows' [`TOTAL_ALIAS`] column
/// when `total` is given, or alone when a later page is empty (no row carries it).
async fn rows_and_count<Db: ConnectionTrait>(
    db: &Db,
    statement: Statement,
    total: Option<SimpleExpr>,
    after_cursor: bool,
) -> Result<(Vec<QueryResult>, u64), AppError> {
    let rows = db.query_all_raw(statement).await?;
    let Some(total) = total else {
        return Ok((rows, 0));
    };
    let mut count: i64 = 0;
    if let Some(row) = rows.first() {
        count = row.try_get("", TOTAL_ALIAS)?;
    } else if after_cursor {
        let mut alone = Query::select();
        alone.expr_as(total, Alias::new(TOTAL_ALIAS));
        if let Some(row) = db.query_one(&alone).await? {
            count = row.try_get("", TOTAL_ALIAS)?;
        }
    }
    Ok((rows, u64::try_from(count).unwrap_or_default()))
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
    let limit = page.limit;
    let rows = after_sorted(select, sort, id, page);
    fetch(db, rows, limit, total, after_cursor, |row| {
        E::Model::from_query_result(row, "")
    })
    .await
}

/// A page of `select` by `(sort, id)` that selects only `columns` and the sort and id columns
/// (its cursor is made of them), to be read by position ([`projection`]): built for `backend`,
/// not run. A caller may build a statement around it (a join), keeping its columns first in
/// their order.
pub fn sorted_query<E: EntityTrait>(
    backend: DbBackend,
    select: Select<E>,
    columns: Columns<E::Column>,
    (sort, id): (E::Column, E::Column),
    page: SortedPage,
    total: Total,
) -> PageQuery<E::Column> {
    let columns = columns.with(sort).with(id);
    let select = select.select_only().columns(columns.iter());
    let total = page.count.then(|| total.expr(&select));
    let after_cursor = page.after.is_some();
    let (limit, descending) = (page.limit, page.descending);
    let rows = after_sorted(select, sort, id, page);
    PageQuery {
        statement: page_statement(backend, rows, total.as_ref(), limit),
        columns,
        sort,
        descending,
        total,
        after_cursor,
    }
}

/// `rows` (filtered and ordered, not limited) for `backend`, with `LIMIT limit` written in
/// its text rather than bound. PostgreSQL's generic plan of a statement assumes a tenth of the
/// table for a `LIMIT` parameter, so it kept planning a page afresh on every execution (0.1 ms
/// of `bind` for the creators page, 0.23 ms joined to its channels, against microseconds for a
/// cached plan; BENCHMARKS.md, session 22). The limit is a page size, a number the API bounds
/// (1 to 101): a few statement texts, each prepared once per connection.
///
/// With `total`, the count is selected last, as [`TOTAL_ALIAS`].
fn page_statement<E: EntityTrait>(
    backend: DbBackend,
    rows: Select<E>,
    total: Option<&SimpleExpr>,
    limit: u64,
) -> Statement {
    let rows = match total {
        Some(total) => rows.column_as(total.clone(), TOTAL_ALIAS),
        None => rows,
    };
    let mut statement = backend.build(&rows.into_query());
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    statement
}

/// A page's statement ([`sorted_query`]): its columns, then its count as [`TOTAL_ALIAS`] when
/// `totalCount` was asked.
pub struct PageQuery<C> {
    pub statement: Statement,
    /// The columns the statement selects first, in this set's order.
    pub columns: Columns<C>,
    /// The page's order: by this column, then the id, both descending or both ascending.
    pub sort: C,
    pub descending: bool,
    total: Option<SimpleExpr>,
    after_cursor: bool,
}

impl<C: ColumnTrait> PageQuery<C> {
    /// The names of the columns the statement selects, in order: its columns, then the count's
    /// when it has one.
    pub fn selected(&self) -> impl Iterator<Item = &'static str> + '_ {
        let count = self.total.is_some().then_some(TOTAL_ALIAS);
        self.columns
            .iter()
            .map(|column| column.as_str())
            .chain(count)
    }

    /// How many columns the statement selects: what a join's columns come after.
    pub fn width(&self) -> usize {
        self.columns.len() + usize::from(self.total.is_some())
    }

    /// The rows of `statement` (this page's, or one built around it that keeps the count's
    /// column) and the count (0 when not asked).
    pub async fn rows<Db: ConnectionTrait>(
        &self,
        db: &Db,
        statement: Statement,
    ) -> Result<(Vec<QueryResult>, u64), AppError> {
        rows_and_count(db, statement, self.total.clone(), self.after_cursor).await
    }
}

/// `select` past the page's cursor, in `(sort, id)` order (the caller limits it to the page).
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
    rows.order_by(sort, order.clone()).order_by(id, order)
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
