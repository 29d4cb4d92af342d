//! The delivery log: what was (or will be) sent where, with its outcome; and a manual retry.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use tracing::instrument;

use crate::auth::{Actor, Permission};
use crate::db::entity::{webhook_delivery, webhook_endpoint};
use crate::domain::webhook::DeliveryStatus;
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::audit;
use crate::service::page::{self, KeysetPage};
use crate::service::scoped;

/// The brand's deliveries, optionally of one endpoint and in one status, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    endpoint_id: Option<i64>,
    status: Option<DeliveryStatus>,
    page: KeysetPage,
) -> Result<(Vec<webhook_delivery::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadWebhooks)?;
    let mut select =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::BrandId.eq(brand_id));
    if let Some(endpoint_id) = endpoint_id {
        select = select.filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
    }
    if let Some(status) = status {
        select = select.filter(webhook_delivery::Column::Status.eq(status.as_str()));
    }
    page::by_id(db, select, webhook_delivery::Column::Id, page).await
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<webhook_delivery::Model, AppError> {
    scoped::get::<webhook_delivery::Entity, _>(db, actor, Permission::ReadWebhooks, id).await
}

/// ADMIN: sends a delivery again as soon as the worker runs (a FAILED one gets one more
/// attempt; a PENDING one skips its wait). A DELIVERED one is sent again too: receivers
/// deduplicate by the event id.
#[instrument(skip(db, actor))]
pub async fn retry(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, AppError> {
    let brand_id = actor.require(Permission::ManageWebhooks)?;
    let delivery = scoped::find_in_brand::<webhook_delivery::Entity, _>(db, brand_id, id).await?;
    let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if !endpoint.enabled {
        return Err(AppError::bad_input(
            "id",
            "the endpoint is disabled; enable it first",
        ));
    }
    let before = delivery.clone();
    let mut active = delivery.into_active_model();
    active.status = Set(DeliveryStatus::Pending.as_str().to_owned());
    active.next_attempt_at = Set(now);
    audit::update(db, NodeKind::WebhookDelivery, &before, active).await
}
