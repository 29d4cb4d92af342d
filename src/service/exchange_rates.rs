//! Exchange rates of a brand: 1 unit of a currency = `rate` units of the brand currency on a
//! calendar date (brand timezone). Setting a rate for a date that has one replaces it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission};
use crate::db::entity::{brand, exchange_rate};
use crate::domain::brand::validate_exchange_rate;
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::global_id::NodeKind;

#[instrument(skip(db, actor))]
pub async fn set(
    db: &DatabaseConnection,
    actor: &Actor,
    currency: Currency,
    date: NaiveDate,
    rate: Decimal,
    now: DateTime<Utc>,
) -> Result<exchange_rate::Model, AppError> {
    let brand_id = actor.require(Permission::ManageSettings)?;
    let rate = validate_exchange_rate(rate).map_err(AppError::invalid)?;
    let brand = brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if brand.currency_code == currency.code() {
        return Err(AppError::bad_input(
            "currencyCode",
            "is the brand currency: its rate is always 1",
        ));
    }
    let existing = exchange_rate::Entity::find()
        .filter(exchange_rate::Column::BrandId.eq(brand_id))
        .filter(exchange_rate::Column::CurrencyCode.eq(currency.code()))
        .filter(exchange_rate::Column::RateDate.eq(date))
        .one(db)
        .await?;
    let txn = db.begin().await?;
    let old_rate = existing.as_ref().map(|row| row.rate.clone());
    let saved = match existing {
        Some(row) => {
            let mut active = row.into_active_model();
            active.rate = Set(rate.to_string());
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            exchange_rate::ActiveModel {
                brand_id: Set(brand_id),
                currency_code: Set(currency.code().to_owned()),
                rate_date: Set(date),
                rate: Set(rate.to_string()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    // A rate is a setting of the brand (not an object of the API): the entry is the brand's,
    // its field the currency and date, e.g. `exchangeRates.EUR.2026-12-01`.
    let field = format!("exchangeRates.{}.{}", saved.currency_code, saved.rate_date);
    audit::record(
        &txn,
        Target::new(NodeKind::Brand, brand_id),
        Changes::new().set(&field, old_rate, saved.rate.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The brand's rate for `currency` on the calendar day (brand timezone) of `at`, if one is set.
pub async fn rate_at(
    db: &DatabaseConnection,
    brand: &brand::Model,
    currency: Currency,
    at: chrono::DateTime<Utc>,
) -> Result<Option<Decimal>, AppError> {
    let tz: chrono_tz::Tz = brand.timezone.parse().map_err(AppError::internal)?;
    let day = at.with_timezone(&tz).date_naive();
    let row = exchange_rate::Entity::find()
        .filter(exchange_rate::Column::BrandId.eq(brand.id))
        .filter(exchange_rate::Column::CurrencyCode.eq(currency.code()))
        .filter(exchange_rate::Column::RateDate.eq(day))
        .one(db)
        .await?;
    row.map(|r| r.rate.parse::<Decimal>().map_err(AppError::internal))
        .transpose()
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    currency: Option<Currency>,
    page: KeysetPage,
) -> Result<(Vec<exchange_rate::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select =
        exchange_rate::Entity::find().filter(exchange_rate::Column::BrandId.eq(brand_id));
    if let Some(currency) = currency {
        select = select.filter(exchange_rate::Column::CurrencyCode.eq(currency.code()));
    }
    page::by_id(db, select, exchange_rate::Column::Id, page).await
}
