//! The conversion change feed: every conversion created or changed (attribution, status,
//! refunds, new-customer flag), oldest change first, by its per-brand change position. A
//! conversion changed twice appears once, at its latest position.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::auth::{Actor, Permission};
use crate::db::entity::conversion;
use crate::error::AppError;

/// Up to `limit` changes after position `after` (exclusive), and how many follow it in all.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<conversion::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadChanges)?;
    let select = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::ChangeSeq.gt(after.unwrap_or(0)));
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(conversion::Column::ChangeSeq)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}
