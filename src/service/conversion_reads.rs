//! Reading conversions: staff see the brand's; a creator sees the ones attributed to its own
//! records (without customer data).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::page::{self, KeysetPage};
use super::scoped;
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{commission, conversion};
use crate::domain::attribution::Method;
use crate::error::AppError;

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<conversion::Model, AppError> {
    if actor.role != Role::Creator {
        return scoped::get::<conversion::Entity, _>(db, actor, Permission::ReadBrand, id).await;
    }
    conversion::Entity::find_by_id(id)
        .filter(conversion::Column::CreatorId.is_in(actor.creator_ids.clone()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Default)]
pub struct ConversionFilter {
    pub campaign_id: Option<i64>,
    pub creator_id: Option<i64>,
    pub method: Option<Method>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Staff: the brand's conversions, oldest recorded first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ConversionFilter,
    page: KeysetPage,
) -> Result<(Vec<conversion::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select = conversion::Entity::find().filter(conversion::Column::BrandId.eq(brand_id));
    if let Some(id) = filter.campaign_id {
        select = select.filter(conversion::Column::CampaignId.eq(id));
    }
    if let Some(id) = filter.creator_id {
        select = select.filter(conversion::Column::CreatorId.eq(id));
    }
    if let Some(method) = filter.method {
        select = select.filter(conversion::Column::AttributionMethod.eq(method.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(conversion::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(conversion::Column::OccurredAt.lt(to));
    }
    page::by_id(db, select, conversion::Column::Id, page).await
}

/// Commission lines of many conversions (for the loader).
pub async fn commission_lines(
    db: &DatabaseConnection,
    conversion_ids: &[i64],
) -> Result<Vec<commission::Model>, sea_orm::DbErr> {
    commission::Entity::find()
        .filter(commission::Column::ConversionId.is_in(conversion_ids.iter().copied()))
        .order_by_asc(commission::Column::Id)
        .all(db)
        .await
}
