//! Keyset paging shared by list services: rows after a key, in key order, one more than asked
//! (so the API layer knows whether another page follows), and the total count.

use sea_orm::sea_query::{Condition, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};

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
    let total = select.clone().count(db).await?;
    let mut rows = select;
    if let Some(after) = page.after {
        rows = rows.filter(key.gt(after));
    }
    let rows = rows.order_by_asc(key).limit(page.limit).all(db).await?;
    Ok((rows, total))
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
}

/// Pages `select` by `(sort, id)`; the caller applies filters first.
pub async fn sorted<E, C, I, Db>(
    db: &Db,
    select: Select<E>,
    sort: C,
    id: I,
    page: SortedPage,
) -> Result<(Vec<E::Model>, u64), AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
    I: ColumnTrait,
    Db: ConnectionTrait,
{
    let total = select.clone().count(db).await?;
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
    let rows = rows
        .order_by(sort, order.clone())
        .order_by(id, order)
        .limit(page.limit)
        .all(db)
        .await?;
    Ok((rows, total))
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
