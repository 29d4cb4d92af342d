//! Users: the signed-in viewer, and the brand's staff list for ADMIN.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission};
use crate::db::entity::{creator, user};
use crate::error::AppError;

/// The caller's own account; API keys have none.
pub async fn viewer(db: &DatabaseConnection, actor: &Actor) -> Result<user::Model, AppError> {
    let user_id = actor
        .user_id()
        .ok_or_else(|| AppError::Forbidden("API keys have no user account".into()))?;
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// A user the caller may see: itself, or (ADMIN) a user of its brand.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<user::Model, AppError> {
    if actor.user_id() == Some(id) {
        return viewer(db, actor).await;
    }
    super::scoped::get::<user::Entity, _>(db, actor, Permission::ManageUsers, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<user::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let select = user::Entity::find().filter(user::Column::BrandId.eq(brand_id));
    page::by_id(db, select, user::Column::Id, page).await
}

/// The creator records linked to an account (one per brand it works with). Bounded by the
/// number of brands a creator works with.
pub async fn creator_records(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Vec<creator::Model>, AppError> {
    Ok(creator::Entity::find()
        .filter(creator::Column::UserId.eq(user_id))
        .order_by_asc(creator::Column::Id)
        .all(db)
        .await?)
}
