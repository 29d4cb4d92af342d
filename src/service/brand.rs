use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tracing::instrument;

use crate::auth::{Actor, Principal, Role};
use crate::db::entity::{brand, creator};
use crate::error::AppError;

/// A brand the caller belongs to: staff and keys see their own brand, creator accounts the
/// brands they have a creator record with. Anything else is NOT_FOUND.
#[instrument(skip(db))]
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<brand::Model, AppError> {
    let visible = match (actor.role, actor.principal) {
        (Role::Creator, Principal::User(user_id)) => {
            creator::Entity::find()
                .filter(creator::Column::BrandId.eq(id))
                .filter(creator::Column::UserId.eq(user_id))
                .count(db)
                .await?
                > 0
        }
        _ => actor.brand_id == Some(id),
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    brand::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
