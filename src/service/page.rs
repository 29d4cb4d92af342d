//! Keyset paging shared by list services: rows after a key, in key order, one more than asked
//! (so the API layer knows whether another page follows), and the total count.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::AppError;

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
