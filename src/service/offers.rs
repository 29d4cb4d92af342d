//! Offers of a campaign: the commission model, its amounts, volume tiers and cap.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Target};
use super::page::{self, KeysetPage};
use super::{campaigns, scoped};
use crate::auth::{Actor, Permission};
use crate::db::entity::{offer, offer_tier};
use crate::domain::brand::MAX_HOLD_PERIOD_DAYS;
use crate::domain::money::Money;
use crate::domain::offer::{OfferModel, Rates, VolumeTier, validate_rates, validate_tiers};
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

pub struct OfferInput {
    pub campaign_id: i64,
    pub name: String,
    pub model: OfferModel,
    pub rates: RatesInput,
    pub new_customers_only: bool,
    pub hold_period_days: Option<i32>,
    pub monthly_cap: Option<Money>,
    pub tiers: Vec<TierInput>,
}

/// Rates as a caller gives them: amounts as money, which must be in the currency of the
/// campaign (the brand currency) and not negative.
#[derive(Clone, Copy, Debug, Default)]
pub struct RatesInput {
    pub cpa: Option<Money>,
    pub cpl: Option<Money>,
    pub cpc: Option<Money>,
    pub revenue_share_percent: Option<Decimal>,
    pub flat_fee: Option<Money>,
}

impl RatesInput {
    /// The rates in minor units of `currency`; an amount in another currency or negative is
    /// BAD_USER_INPUT on its field (`cpaAmount`, `cplAmount`, `cpcAmount`, `flatFee`).
    pub fn in_currency(self, currency: &str) -> Result<Rates, AppError> {
        Ok(Rates {
            cpa_minor: amount("cpaAmount", self.cpa, currency)?,
            cpl_minor: amount("cplAmount", self.cpl, currency)?,
            cpc_minor: amount("cpcAmount", self.cpc, currency)?,
            revenue_share_percent: self.revenue_share_percent,
            flat_fee_minor: amount("flatFee", self.flat_fee, currency)?,
        })
    }
}

/// A volume tier as a caller gives it (see [`RatesInput`] for the amount).
#[derive(Clone, Copy, Debug)]
pub struct TierInput {
    pub from_sale: i32,
    pub cpa: Option<Money>,
    pub revenue_share_percent: Option<Decimal>,
}

fn amount(field: &str, money: Option<Money>, currency: &str) -> Result<Option<i64>, AppError> {
    money
        .map(|m| campaigns::brand_amount(field, m, currency))
        .transpose()
}

fn tiers_in(tiers: Vec<TierInput>, currency: &str) -> Result<Vec<VolumeTier>, AppError> {
    tiers
        .into_iter()
        .map(|tier| {
            Ok(VolumeTier {
                from_sale: tier.from_sale,
                cpa_minor: amount("tiers.cpaAmount", tier.cpa, currency)?,
                revenue_share_percent: tier.revenue_share_percent,
            })
        })
        .collect()
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
    let currency = &campaign.currency_code;
    let rates = input.rates.in_currency(currency)?;
    let monthly_cap_minor = amount("monthlyCap", input.monthly_cap, currency)?;
    let tiers = tiers_in(input.tiers, currency)?;
    let name = text::required("name", &input.name, 200).map_err(AppError::invalid)?;
    validate_rates(input.model, &rates).map_err(AppError::invalid)?;
    validate_tiers(input.model, &rates, &tiers).map_err(AppError::invalid)?;
    validate_hold(input.hold_period_days)?;
    if monthly_cap_minor.is_some_and(|cap| cap <= 0) {
        return Err(AppError::bad_input("monthlyCap", "must be more than 0"));
    }
    let txn = db.begin().await?;
    let row = offer::ActiveModel {
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign.id),
        name: Set(name),
        model: Set(input.model.as_str().to_owned()),
        currency_code: Set(campaign.currency_code.clone()),
        cpa_amount_minor: Set(rates.cpa_minor),
        cpl_amount_minor: Set(rates.cpl_minor),
        cpc_amount_minor: Set(rates.cpc_minor),
        revenue_share_percent: Set(rates
            .revenue_share_percent
            .map(|p| p.normalize().to_string())),
        flat_fee_minor: Set(rates.flat_fee_minor),
        new_customers_only: Set(input.new_customers_only),
        hold_period_days: Set(input.hold_period_days),
        monthly_cap_minor: Set(monthly_cap_minor),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_tiers(&txn, &row, &tiers, now).await?;
    let mut changes = audit::diff(None, Some(&row));
    if !tiers.is_empty() {
        let new = tiers_json(tiers.iter().map(stored_tier));
        changes = changes.set("tiers", serde_json::Value::Null, new);
    }
    audit::record(&txn, Target::new(NodeKind::Offer, row.id), changes).await?;
    txn.commit().await?;
    Ok(row)
}

/// A tier as stored: its sale number, CPA amount (minor units) and normalized percent.
type StoredTier = (i32, Option<i64>, Option<String>);

fn stored_tier(tier: &VolumeTier) -> StoredTier {
    (
        tier.from_sale,
        tier.cpa_minor,
        tier.revenue_share_percent
            .map(|p| p.normalize().to_string()),
    )
}

/// An offer's tiers as an audit value (they are rows of their own, not columns of the offer).
fn tiers_json(tiers: impl Iterator<Item = StoredTier>) -> serde_json::Value {
    tiers
        .map(|(from_sale, cpa_minor, percent)| {
            serde_json::json!({
                "fromSale": from_sale,
                "cpaAmountMinor": cpa_minor,
                "revenueSharePercent": percent,
            })
        })
        .collect()
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
/// Amounts are in the offer's currency, as for [`RatesInput`].
#[derive(Default)]
pub struct OfferChange {
    pub name: Option<String>,
    pub new_customers_only: Option<bool>,
    pub hold_period_days: Option<Option<i32>>,
    pub monthly_cap: Option<Option<Money>>,
    pub tiers: Option<Vec<TierInput>>,
}

/// MANAGER, ADMIN. An offer the caller cannot read is NOT_FOUND; amounts not in the offer's
/// currency are BAD_USER_INPUT before a caller who may read but not change it is FORBIDDEN.
#[instrument(skip(db, actor, change))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: OfferChange,
    now: DateTime<Utc>,
) -> Result<offer::Model, AppError> {
    let row = get(db, actor, id).await?;
    let monthly_cap_minor = change
        .monthly_cap
        .map(|cap| amount("monthlyCap", cap, &row.currency_code))
        .transpose()?;
    let tiers = change
        .tiers
        .map(|tiers| tiers_in(tiers, &row.currency_code))
        .transpose()?;
    actor.require(Permission::ManagePartnerships)?;
    let model = model_of(&row)?;
    let rates = rates_of(&row)?;
    if let Some(tiers) = &tiers {
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
    if let Some(cap) = monthly_cap_minor {
        if cap.is_some_and(|c| c <= 0) {
            return Err(AppError::bad_input("monthlyCap", "must be more than 0"));
        }
        active.monthly_cap_minor = Set(cap);
    }
    active.updated_at = Set(now);
    let txn = db.begin().await?;
    let updated = active.update(&txn).await?;
    let mut changes = audit::diff(Some(&row), Some(&updated));
    if let Some(tiers) = tiers {
        let old = tiers_of(&txn, &[row.id])
            .await?
            .into_iter()
            .map(|t| (t.from_sale, t.cpa_amount_minor, t.revenue_share_percent));
        changes = changes.set(
            "tiers",
            tiers_json(old),
            tiers_json(tiers.iter().map(stored_tier)),
        );
        offer_tier::Entity::delete_many()
            .filter(offer_tier::Column::OfferId.eq(row.id))
            .exec(&txn)
            .await?;
        insert_tiers(&txn, &updated, &tiers, now).await?;
    }
    audit::record(&txn, Target::new(NodeKind::Offer, row.id), changes).await?;
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
pub async fn tiers_of<C: ConnectionTrait>(
    db: &C,
    offer_ids: &[i64],
) -> Result<Vec<offer_tier::Model>, sea_orm::DbErr> {
    offer_tier::Entity::find()
        .filter(offer_tier::Column::OfferId.is_in(offer_ids.iter().copied()))
        .order_by_asc(offer_tier::Column::OfferId)
        .order_by_asc(offer_tier::Column::FromSale)
        .all(db)
        .await
}
