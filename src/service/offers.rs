//! Offers of a campaign: the commission model, its amounts, volume tiers and cap.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use tracing::instrument;

use super::page::{self, KeysetPage};
use super::{campaigns, scoped};
use crate::auth::{Actor, Permission};
use crate::db::entity::{offer, offer_tier};
use crate::domain::brand::MAX_HOLD_PERIOD_DAYS;
use crate::domain::offer::{OfferModel, Rates, VolumeTier, validate_rates, validate_tiers};
use crate::domain::text;
use crate::error::AppError;

pub struct OfferInput {
    pub campaign_id: i64,
    pub name: String,
    pub model: OfferModel,
    pub rates: Rates,
    pub new_customers_only: bool,
    pub hold_period_days: Option<i32>,
    pub monthly_cap_minor: Option<i64>,
    pub tiers: Vec<VolumeTier>,
}

/// The rates stored on an offer row.
pub fn rates_of(row: &offer::Model) -> Result<Rates, AppError> {
    Ok(Rates {
        cpa_minor: row.cpa_amount_minor,
        cpl_minor: row.cpl_amount_minor,
        cpc_minor: row.cpc_amount_minor,
        revenue_share_percent: row
            .revenue_share_percent
            .as_deref()
            .map(Decimal::from_str)
            .transpose()
            .map_err(AppError::internal)?,
        flat_fee_minor: row.flat_fee_minor,
    })
}

pub fn model_of(row: &offer::Model) -> Result<OfferModel, AppError> {
    OfferModel::parse(&row.model).ok_or_else(|| AppError::internal("stored offer model"))
}

fn validate_hold(days: Option<i32>) -> Result<(), AppError> {
    if days.is_some_and(|d| !(0..=MAX_HOLD_PERIOD_DAYS).contains(&d)) {
        return Err(AppError::bad_input(
            "holdPeriodDays",
            format!("must be between 0 and {MAX_HOLD_PERIOD_DAYS}"),
        ));
    }
    Ok(())
}

#[instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: OfferInput,
    now: DateTime<Utc>,
) -> Result<offer::Model, AppError> {
    let campaign = campaigns::get_for_change(db, actor, input.campaign_id).await?;
    let name = text::required("name", &input.name, 200).map_err(AppError::invalid)?;
    validate_rates(input.model, &input.rates).map_err(AppError::invalid)?;
    validate_tiers(input.model, &input.rates, &input.tiers).map_err(AppError::invalid)?;
    validate_hold(input.hold_period_days)?;
    if input.monthly_cap_minor.is_some_and(|cap| cap <= 0) {
        return Err(AppError::bad_input("monthlyCap", "must be more than 0"));
    }
    let txn = db.begin().await?;
    let row = offer::ActiveModel {
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign.id),
        name: Set(name),
        model: Set(input.model.as_str().to_owned()),
        currency_code: Set(campaign.currency_code.clone()),
        cpa_amount_minor: Set(input.rates.cpa_minor),
        cpl_amount_minor: Set(input.rates.cpl_minor),
        cpc_amount_minor: Set(input.rates.cpc_minor),
        revenue_share_percent: Set(input
            .rates
            .revenue_share_percent
            .map(|p| p.normalize().to_string())),
        flat_fee_minor: Set(input.rates.flat_fee_minor),
        new_customers_only: Set(input.new_customers_only),
        hold_period_days: Set(input.hold_period_days),
        monthly_cap_minor: Set(input.monthly_cap_minor),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_tiers(&txn, &row, &input.tiers, now).await?;
    txn.commit().await?;
    Ok(row)
}

async fn insert_tiers<C: ConnectionTrait>(
    db: &C,
    row: &offer::Model,
    tiers: &[VolumeTier],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for tier in tiers {
        offer_tier::ActiveModel {
            brand_id: Set(row.brand_id),
            offer_id: Set(row.id),
            from_sale: Set(tier.from_sale),
            cpa_amount_minor: Set(tier.cpa_minor),
            revenue_share_percent: Set(tier
                .revenue_share_percent
                .map(|p| p.normalize().to_string())),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A partial change of the terms that do not change what the offer is (its model and amounts
/// stay: create a new offer and move enrollments to it instead, so history stays explainable).
#[derive(Default)]
pub struct OfferChange {
    pub name: Option<String>,
    pub new_customers_only: Option<bool>,
    pub hold_period_days: Option<Option<i32>>,
    pub monthly_cap_minor: Option<Option<i64>>,
    pub tiers: Option<Vec<VolumeTier>>,
}

#[instrument(skip(db, actor, change))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: OfferChange,
    now: DateTime<Utc>,
) -> Result<offer::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = scoped::find_in_brand::<offer::Entity, _>(db, brand_id, id).await?;
    let model = model_of(&row)?;
    let rates = rates_of(&row)?;
    if let Some(tiers) = &change.tiers {
        validate_tiers(model, &rates, tiers).map_err(AppError::invalid)?;
    }
    let mut active = row.clone().into_active_model();
    if let Some(name) = change.name {
        active.name = Set(text::required("name", &name, 200).map_err(AppError::invalid)?);
    }
    if let Some(flag) = change.new_customers_only {
        active.new_customers_only = Set(flag);
    }
    if let Some(days) = change.hold_period_days {
        validate_hold(days)?;
        active.hold_period_days = Set(days);
    }
    if let Some(cap) = change.monthly_cap_minor {
        if cap.is_some_and(|c| c <= 0) {
            return Err(AppError::bad_input("monthlyCap", "must be more than 0"));
        }
        active.monthly_cap_minor = Set(cap);
    }
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    if let Some(tiers) = change.tiers {
        offer_tier::Entity::delete_many()
            .filter(offer_tier::Column::OfferId.eq(row.id))
            .exec(&txn)
            .await?;
        insert_tiers(&txn, &updated, &tiers, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<offer::Model, AppError> {
    scoped::get::<offer::Entity, _>(db, actor, Permission::ReadBrand, id).await
}

/// Offers of a campaign of the caller's brand.
pub async fn list_for_campaign(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: i64,
    page: KeysetPage,
) -> Result<(Vec<offer::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let select = offer::Entity::find()
        .filter(offer::Column::BrandId.eq(brand_id))
        .filter(offer::Column::CampaignId.eq(campaign_id));
    page::by_id(db, select, offer::Column::Id, page).await
}

/// Tiers of many offers (for the loader), by offer then sale number.
pub async fn tiers_of(
    db: &DatabaseConnection,
    offer_ids: &[i64],
) -> Result<Vec<offer_tier::Model>, sea_orm::DbErr> {
    offer_tier::Entity::find()
        .filter(offer_tier::Column::OfferId.is_in(offer_ids.iter().copied()))
        .order_by_asc(offer_tier::Column::OfferId)
        .order_by_asc(offer_tier::Column::FromSale)
        .all(db)
        .await
}
