//! Enrollments: a creator in a campaign under an offer, with per-creator overrides. One live
//! (not REMOVED) enrollment per creator and campaign.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Target};
use super::offers::RatesInput;
use super::page::{self, KeysetPage};
use super::{campaigns, ledger, offers, scoped};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{creator, enrollment, offer};
use crate::domain::enrollment::{EnrollmentStatus, status_transition_allowed};
use crate::domain::offer::{Rates, validate_overrides};
use crate::domain::roster::VettingStatus;
use crate::error::AppError;
use crate::events::Pending;
use crate::global_id::NodeKind;

pub struct EnrollInput {
    pub campaign_id: i64,
    pub creator_id: i64,
    pub offer_id: i64,
    /// In the brand currency.
    pub overrides: RatesInput,
    /// Start ACTIVE instead of INVITED.
    pub active: bool,
}

async fn offer_of_campaign(
    db: &DatabaseConnection,
    brand_id: i64,
    campaign_id: i64,
    offer_id: i64,
) -> Result<offer::Model, AppError> {
    let row = offer::Entity::find_by_id(offer_id)
        .filter(offer::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("offerId", "no such offer"))?;
    if row.campaign_id != campaign_id {
        return Err(AppError::bad_input(
            "offerId",
            "the offer belongs to another campaign",
        ));
    }
    Ok(row)
}

fn overrides_json(rates: &Rates) -> Option<String> {
    rates
        .revenue_share_percent
        .map(|p| p.normalize().to_string())
}

/// The overrides in minor units of the brand currency (MANAGER, ADMIN).
async fn overrides_in_brand_currency(
    db: &DatabaseConnection,
    actor: &Actor,
    overrides: RatesInput,
) -> Result<Rates, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    overrides.in_currency(&campaigns::brand_currency(db, brand_id).await?)
}

/// MANAGER, ADMIN: enrolls a creator of the brand in one of its campaigns under an offer of
/// that campaign (INVITED unless `active`).
#[instrument(skip_all)]
pub async fn enroll(
    db: &DatabaseConnection,
    actor: &Actor,
    input: EnrollInput,
    now: DateTime<Utc>,
) -> Result<enrollment::Model, AppError> {
    let overrides = overrides_in_brand_currency(db, actor, input.overrides).await?;
    let campaign = campaigns::named_in_input(db, actor, input.campaign_id).await?;
    let creator = creator::Entity::find_by_id(input.creator_id)
        .filter(creator::Column::BrandId.eq(campaign.brand_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("creatorId", "no such creator"))?;
    if creator.vetting_status == VettingStatus::Rejected.as_str() {
        return Err(AppError::bad_input(
            "creatorId",
            "the creator failed vetting",
        ));
    }
    let offer = offer_of_campaign(db, campaign.brand_id, campaign.id, input.offer_id).await?;
    validate_overrides(
        offers::model_of(&offer)?,
        &offers::rates_of(&offer)?,
        &overrides,
    )
    .map_err(AppError::invalid)?;
    let status = if input.active {
        EnrollmentStatus::Active
    } else {
        EnrollmentStatus::Invited
    };
    let txn = db.begin().await?;
    let created = enrollment::ActiveModel {
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign.id),
        creator_id: Set(creator.id),
        offer_id: Set(offer.id),
        status: Set(status.as_str().to_owned()),
        cpa_amount_minor: Set(overrides.cpa_minor),
        cpl_amount_minor: Set(overrides.cpl_minor),
        cpc_amount_minor: Set(overrides.cpc_minor),
        revenue_share_percent: Set(overrides_json(&overrides)),
        flat_fee_minor: Set(overrides.flat_fee_minor),
        activated_at: Set(input.active.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| match AppError::from(err) {
        AppError::Conflict(_) => {
            AppError::Conflict("the creator already has a live enrollment in this campaign".into())
        }
        other => other,
    })?;
    let target = Target::new(NodeKind::Enrollment, created.id);
    audit::record(&txn, target, audit::diff(None, Some(&created))).await?;
    let events = if input.active {
        ledger::accrue_flat_fee(&txn, &created, now).await?
    } else {
        Pending::default()
    };
    events.commit(db, txn).await?;
    Ok(created)
}

async fn find_for_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<enrollment::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    scoped::find_in_brand::<enrollment::Entity, _>(db, brand_id, id).await
}

pub fn parse_status(stored: &str) -> Result<EnrollmentStatus, AppError> {
    EnrollmentStatus::parse(stored).ok_or_else(|| AppError::internal("stored enrollment status"))
}

/// Moves an enrollment along INVITED -> ACTIVE <-> PAUSED -> REMOVED. The first activation is
/// remembered (a FLAT_FEE line is dated with it).
#[instrument(skip(db, actor))]
pub async fn set_status(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    status: EnrollmentStatus,
    now: DateTime<Utc>,
) -> Result<enrollment::Model, AppError> {
    let row = find_for_change(db, actor, id).await?;
    let from = parse_status(&row.status)?;
    if !status_transition_allowed(from, status) {
        return Err(AppError::bad_input(
            "status",
            format!("cannot move an enrollment from {from} to {status}"),
        ));
    }
    let first_activation = status == EnrollmentStatus::Active && row.activated_at.is_none();
    let before = row.clone();
    let mut active = row.into_active_model();
    active.status = Set(status.as_str().to_owned());
    if first_activation {
        active.activated_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    let target = Target::new(NodeKind::Enrollment, updated.id);
    audit::record(&txn, target, audit::diff(Some(&before), Some(&updated))).await?;
    let events = if first_activation {
        ledger::accrue_flat_fee(&txn, &updated, now).await?
    } else {
        Pending::default()
    };
    events.commit(db, txn).await?;
    Ok(updated)
}

/// Changes the offer (of the same campaign) and/or the overrides (in the brand currency);
/// `overrides` replaces them all.
#[instrument(skip(db, actor, overrides))]
pub async fn update_terms(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    offer_id: Option<i64>,
    overrides: Option<RatesInput>,
    now: DateTime<Utc>,
) -> Result<enrollment::Model, AppError> {
    let overrides = match overrides {
        Some(overrides) => Some(overrides_in_brand_currency(db, actor, overrides).await?),
        None => None,
    };
    let row = find_for_change(db, actor, id).await?;
    let offer = offer_of_campaign(
        db,
        row.brand_id,
        row.campaign_id,
        offer_id.unwrap_or(row.offer_id),
    )
    .await?;
    let overrides = match overrides {
        Some(rates) => rates,
        None => Rates {
            cpa_minor: row.cpa_amount_minor,
            cpl_minor: row.cpl_amount_minor,
            cpc_minor: row.cpc_amount_minor,
            revenue_share_percent: row
                .revenue_share_percent
                .as_deref()
                .map(super::creators::stored_decimal)
                .transpose()?,
            flat_fee_minor: row.flat_fee_minor,
        },
    };
    validate_overrides(
        offers::model_of(&offer)?,
        &offers::rates_of(&offer)?,
        &overrides,
    )
    .map_err(AppError::invalid)?;
    let before = row.clone();
    let mut active = row.into_active_model();
    active.offer_id = Set(offer.id);
    active.cpa_amount_minor = Set(overrides.cpa_minor);
    active.cpl_amount_minor = Set(overrides.cpl_minor);
    active.cpc_amount_minor = Set(overrides.cpc_minor);
    active.revenue_share_percent = Set(overrides_json(&overrides));
    active.flat_fee_minor = Set(overrides.flat_fee_minor);
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Enrollment, &before, active).await
}

/// An enrollment the caller may read: staff of its brand, or the creator it belongs to.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<enrollment::Model, AppError> {
    if actor.role != Role::Creator {
        return scoped::get::<enrollment::Entity, _>(db, actor, Permission::ReadBrand, id).await;
    }
    enrollment::Entity::find_by_id(id)
        .filter(enrollment::Column::CreatorId.is_in(actor.creator_ids.clone()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Enrollments of a campaign or a creator (already checked to be the caller's), paged by id.
pub async fn list_for(
    db: &DatabaseConnection,
    parent: EnrollmentParent,
    status: Option<EnrollmentStatus>,
    page: KeysetPage,
) -> Result<(Vec<enrollment::Model>, u64), AppError> {
    let mut select = enrollment::Entity::find();
    select = match parent {
        EnrollmentParent::Campaign(id) => select.filter(enrollment::Column::CampaignId.eq(id)),
        EnrollmentParent::Creator(id) => select.filter(enrollment::Column::CreatorId.eq(id)),
    };
    if let Some(status) = status {
        select = select.filter(enrollment::Column::Status.eq(status.as_str()));
    }
    page::by_id(db, select, enrollment::Column::Id, page).await
}

/// Ids of the enrollments of `creator_ids`, as a subquery (a creator account's own records).
pub fn of_creators(creator_ids: Vec<i64>) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(enrollment::Column::Id)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::CreatorId.is_in(creator_ids))
        .to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrollmentParent {
    Campaign(i64),
    Creator(i64),
}
