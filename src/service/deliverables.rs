//! Content deliverables of an enrollment: status flow, publish data, disclosure, usage rights,
//! whitelisting code and content metrics.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use tracing::instrument;

use super::audit;
use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{campaign, deliverable, enrollment};
use crate::domain::content::{DeliverableFormat, DeliverableStatus, status_transition_allowed};
use crate::domain::roster::Platform;
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

pub struct DeliverableInput {
    pub enrollment_id: i64,
    pub platform: Platform,
    pub format: DeliverableFormat,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct DeliverableChange {
    pub status: Option<DeliverableStatus>,
    pub post_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub disclosure_confirmed: Option<bool>,
    pub usage_rights_until: Option<DateTime<Utc>>,
    pub whitelisting_code: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub impressions: Option<i64>,
    pub views: Option<i64>,
    pub engagements: Option<i64>,
}

#[instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: DeliverableInput,
    now: DateTime<Utc>,
) -> Result<deliverable::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let enrollment = enrollment::Entity::find_by_id(input.enrollment_id)
        .filter(enrollment::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("enrollmentId", "no such enrollment"))?;
    let row = deliverable::ActiveModel {
        brand_id: Set(brand_id),
        enrollment_id: Set(enrollment.id),
        platform: Set(input.platform.as_str().to_owned()),
        format: Set(input.format.as_str().to_owned()),
        due_at: Set(input.due_at),
        status: Set(DeliverableStatus::Planned.as_str().to_owned()),
        disclosure_confirmed: Set(false),
        impressions: Set(0),
        views: Set(0),
        engagements: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    audit::insert(db, NodeKind::Deliverable, row).await
}

fn metric(field: &'static str, value: Option<i64>) -> Result<Option<i64>, AppError> {
    match value {
        Some(v) if v < 0 => Err(AppError::bad_input(field, "must not be negative")),
        other => Ok(other),
    }
}

/// Applies a change. Publishing needs a post URL; `publishedAt` defaults to now; a campaign that
/// requires disclosure cannot publish unconfirmed content.
#[instrument(skip(db, actor, change))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: DeliverableChange,
    now: DateTime<Utc>,
) -> Result<deliverable::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = deliverable::Entity::find_by_id(id)
        .filter(deliverable::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = DeliverableStatus::parse(&row.status)
        .ok_or_else(|| AppError::internal("stored deliverable status"))?;
    let impressions = metric("impressions", change.impressions)?;
    let views = metric("views", change.views)?;
    let engagements = metric("engagements", change.engagements)?;
    let post_url = change
        .post_url
        .filter(|u| !u.trim().is_empty())
        .map(|u| text::http_url("postUrl", &u))
        .transpose()
        .map_err(AppError::invalid)?;
    let whitelisting = text::optional("whitelistingCode", change.whitelisting_code.as_deref(), 200)
        .map_err(AppError::invalid)?;
    let disclosure = change
        .disclosure_confirmed
        .unwrap_or(row.disclosure_confirmed);
    let status = change.status.unwrap_or(from);
    if !status_transition_allowed(from, status) {
        return Err(AppError::bad_input(
            "status",
            format!("cannot move a deliverable from {from} to {status}"),
        ));
    }
    let publishing = status == DeliverableStatus::Published && from != DeliverableStatus::Published;
    if publishing && post_url.is_none() && row.post_url.is_none() {
        return Err(AppError::bad_input("postUrl", "is required to publish"));
    }
    if publishing && !disclosure && disclosure_required(db, row.enrollment_id).await? {
        return Err(AppError::bad_input(
            "disclosureConfirmed",
            "the campaign requires the ad disclosure to be confirmed before publishing",
        ));
    }
    let before = row.clone();
    let mut active = row.into_active_model();
    if publishing {
        active.published_at = Set(Some(change.published_at.unwrap_or_else(Utc::now)));
    } else if let Some(at) = change.published_at {
        active.published_at = Set(Some(at));
    }
    active.status = Set(status.as_str().to_owned());
    if let Some(url) = post_url {
        active.post_url = Set(Some(url));
    }
    active.disclosure_confirmed = Set(disclosure);
    if let Some(until) = change.usage_rights_until {
        active.usage_rights_until = Set(Some(until));
    }
    if whitelisting.is_some() {
        active.whitelisting_code = Set(whitelisting);
    }
    if let Some(due) = change.due_at {
        active.due_at = Set(Some(due));
    }
    if let Some(v) = impressions {
        active.impressions = Set(v);
    }
    if let Some(v) = views {
        active.views = Set(v);
    }
    if let Some(v) = engagements {
        active.engagements = Set(v);
    }
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Deliverable, &before, active).await
}

/// Whether the campaign of an enrollment requires an ad disclosure.
async fn disclosure_required(
    db: &DatabaseConnection,
    enrollment_id: i64,
) -> Result<bool, AppError> {
    let Some(enrollment) = enrollment::Entity::find_by_id(enrollment_id)
        .one(db)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    Ok(campaign::Entity::find_by_id(enrollment.campaign_id)
        .one(db)
        .await?
        .is_some_and(|c| c.disclosure_required))
}

/// A deliverable the caller may read: staff of its brand, or the creator it is owed by.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<deliverable::Model, AppError> {
    if actor.role != Role::Creator {
        return super::scoped::get::<deliverable::Entity, _>(db, actor, Permission::ReadBrand, id)
            .await;
    }
    deliverable::Entity::find_by_id(id)
        .filter(
            deliverable::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        )
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Default)]
pub struct DeliverableFilter {
    pub campaign_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub status: Option<DeliverableStatus>,
}

/// Deliverables of the brand (staff) or of the creator's own enrollments (CREATOR).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: DeliverableFilter,
    page: KeysetPage,
) -> Result<(Vec<deliverable::Model>, u64), AppError> {
    let mut select = deliverable::Entity::find();
    if actor.role == Role::Creator {
        select = select.filter(
            deliverable::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        );
    } else {
        let brand_id = actor.require(Permission::ReadBrand)?;
        select = select.filter(deliverable::Column::BrandId.eq(brand_id));
    }
    if let Some(enrollment_id) = filter.enrollment_id {
        select = select.filter(deliverable::Column::EnrollmentId.eq(enrollment_id));
    }
    if let Some(campaign_id) = filter.campaign_id {
        let mut of_campaign = sea_orm::sea_query::Query::select();
        of_campaign
            .column(enrollment::Column::Id)
            .from(enrollment::Entity)
            .and_where(enrollment::Column::CampaignId.eq(campaign_id));
        select =
            select.filter(deliverable::Column::EnrollmentId.in_subquery(of_campaign.to_owned()));
    }
    if let Some(status) = filter.status {
        select = select.filter(deliverable::Column::Status.eq(status.as_str()));
    }
    page::by_id(db, select, deliverable::Column::Id, page).await
}
