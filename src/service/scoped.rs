//! Tenant-scoped reads by id: one way to load a brand's row, one answer when it is not the
//! caller's. A row of another brand answers exactly like one that does not exist: NOT_FOUND
//! (DOMAIN.md, Tenancy).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter};

use crate::auth::{Actor, Permission};
use crate::db::entity::{
    api_key, campaign, channel, commission, connector, conversion, cost, creator, deliverable,
    discount_code, enrollment, experiment, fraud_flag, import, invite, offer, payout,
    tracking_link, user, webhook_delivery, webhook_endpoint,
};
use crate::error::AppError;

/// An entity whose rows belong to a brand.
pub trait BrandScoped: EntityTrait {
    /// The column holding the owning brand's id.
    fn brand_column() -> Self::Column;
}

macro_rules! brand_scoped {
    ($($entity:ident),+ $(,)?) => {$(
        impl BrandScoped for $entity::Entity {
            fn brand_column() -> Self::Column {
                $entity::Column::BrandId
            }
        }
    )+};
}

brand_scoped!(
    api_key,
    campaign,
    channel,
    commission,
    connector,
    conversion,
    cost,
    creator,
    deliverable,
    discount_code,
    enrollment,
    experiment,
    fraud_flag,
    import,
    invite,
    offer,
    payout,
    tracking_link,
    user,
    webhook_delivery,
    webhook_endpoint,
);

/// Row `id` of brand `brand_id`; NOT_FOUND when there is none or it belongs to another brand.
/// For callers that have already checked what the caller may do (a mutation answers FORBIDDEN
/// to a role that may not make it, before looking anything up).
pub async fn find_in_brand<E, C>(db: &C, brand_id: i64, id: i64) -> Result<E::Model, AppError>
where
    E: BrandScoped,
    C: ConnectionTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .filter(E::brand_column().eq(brand_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A read by id (`get`, `node`): row `id` of the caller's brand if the caller holds
/// `permission`. A caller without it is answered like one asking for another brand's row,
/// NOT_FOUND: what the caller may not see does not exist for it.
pub async fn get<E, C>(
    db: &C,
    actor: &Actor,
    permission: Permission,
    id: i64,
) -> Result<E::Model, AppError>
where
    E: BrandScoped,
    C: ConnectionTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let brand_id = actor.require(permission).map_err(|_| AppError::NotFound)?;
    find_in_brand::<E, C>(db, brand_id, id).await
}
