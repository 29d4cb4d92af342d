//! Other spend on a campaign (seeding, gifting, paid amplification, agency, other), optionally for
//! one creator. Amounts in another currency are converted with the brand's rate for the day the
//! cost was incurred (brand timezone), like conversions.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Target};
use super::page::{self, KeysetPage};
use super::{campaigns, exchange_rates, scoped};
use crate::auth::{Actor, Permission};
use crate::db::entity::{brand, cost, creator};
use crate::domain::content::CostKind;
use crate::domain::money::{Currency, Money, convert};
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

pub struct CostInput {
    pub campaign_id: i64,
    pub creator_id: Option<i64>,
    pub kind: CostKind,
    pub amount: Money,
    pub incurred_at: DateTime<Utc>,
    pub note: Option<String>,
}

#[instrument(skip_all)]
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CostInput,
    now: DateTime<Utc>,
) -> Result<cost::Model, AppError> {
    let campaign = campaigns::named_in_input(db, actor, input.campaign_id).await?;
    if let Some(creator_id) = input.creator_id {
        creator::Entity::find_by_id(creator_id)
            .filter(creator::Column::BrandId.eq(campaign.brand_id))
            .one(db)
            .await?
            .ok_or_else(|| AppError::bad_input("creatorId", "no such creator"))?;
    }
    if input.amount.minor < 0 {
        return Err(AppError::bad_input("amount", "must not be negative"));
    }
    let note = text::optional("note", input.note.as_deref(), 2000).map_err(AppError::invalid)?;
    let brand = brand::Entity::find_by_id(campaign.brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let brand_currency = Currency::parse(&brand.currency_code).map_err(AppError::internal)?;
    let brand_amount = if input.amount.currency == brand_currency {
        input.amount
    } else {
        let rate = exchange_rates::rate_at(db, &brand, input.amount.currency, input.incurred_at)
            .await?
            .ok_or_else(|| {
                AppError::bad_input(
                    "amount",
                    format!(
                        "no {} exchange rate for the day of incurredAt: set one with setExchangeRate",
                        input.amount.currency
                    ),
                )
            })?;
        convert(input.amount, brand_currency, rate)
            .map_err(|e| AppError::bad_input("amount", e.to_string()))?
    };
    let row = cost::ActiveModel {
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign.id),
        creator_id: Set(input.creator_id),
        kind: Set(input.kind.as_str().to_owned()),
        amount_minor: Set(input.amount.minor),
        currency_code: Set(input.amount.currency.code().to_owned()),
        brand_amount_minor: Set(brand_amount.minor),
        incurred_at: Set(input.incurred_at),
        note: Set(note),
        created_at: Set(now),
        ..Default::default()
    };
    audit::insert(db, NodeKind::Cost, row).await
}

/// Staff: a cost of the brand; NOT_FOUND otherwise ([`scoped::get`]).
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<cost::Model, AppError> {
    scoped::get::<cost::Entity, _>(db, actor, Permission::ReadBrand, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: Option<i64>,
    creator_id: Option<i64>,
    page: KeysetPage,
) -> Result<(Vec<cost::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select = cost::Entity::find().filter(cost::Column::BrandId.eq(brand_id));
    if let Some(id) = campaign_id {
        select = select.filter(cost::Column::CampaignId.eq(id));
    }
    if let Some(id) = creator_id {
        select = select.filter(cost::Column::CreatorId.eq(id));
    }
    page::by_id(db, select, cost::Column::Id, page).await
}

/// MANAGER, ADMIN: deletes a cost of the brand (reports read costs directly, so the next report
/// leaves it out).
#[instrument(skip(db, actor))]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<(), AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = scoped::find_in_brand::<cost::Entity, _>(db, brand_id, id).await?;
    let txn = db.begin().await?;
    cost::Entity::delete_by_id(row.id).exec(&txn).await?;
    let target = Target::new(NodeKind::Cost, row.id);
    audit::record(&txn, target, audit::diff(Some(&row), None)).await?;
    txn.commit().await?;
    Ok(())
}
