//! Creator records (a brand's partner). Staff read their brand's; a creator account reads only
//! its own records.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::auth::{Actor, Permission, Role};
use crate::db::entity::creator;
use crate::error::AppError;

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<creator::Model, AppError> {
    let query = creator::Entity::find_by_id(id);
    let query = if actor.role == Role::Creator {
        if !actor.creator_ids.contains(&id) {
            return Err(AppError::NotFound);
        }
        query
    } else {
        let brand_id = actor
            .require(Permission::ReadBrand)
            .map_err(|_| AppError::NotFound)?;
        query.filter(creator::Column::BrandId.eq(brand_id))
    };
    query.one(db).await?.ok_or(AppError::NotFound)
}
