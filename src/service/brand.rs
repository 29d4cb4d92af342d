//! The brand (tenant): reading it and changing its settings.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit;

use crate::auth::{Actor, Permission, Principal, Role};
use crate::db::entity::{brand, creator};
use crate::domain::brand::{
    CodePrecedence, validate_attribution_window, validate_gross_margin, validate_hold_period,
    validate_lock_period, validate_name, validate_timezone,
};
use crate::domain::money::Money;
use crate::error::AppError;
use crate::events::caches::{self, Invalidation};
use crate::global_id::NodeKind;

/// A brand the caller belongs to: staff and keys see their own brand, creator accounts the
/// brands they have a creator record with. Anything else is NOT_FOUND.
#[instrument(skip(db))]
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<brand::Model, AppError> {
    let visible = match (actor.role, actor.principal) {
        (Role::Creator, Principal::User(user_id)) => {
            creator::Entity::find()
                .filter(creator::Column::BrandId.eq(id))
                .filter(creator::Column::UserId.eq(user_id))
                .count(db)
                .await?
                > 0
        }
        // Integrators read links, codes and the change feed, nothing else.
        (Role::Integrator, _) => false,
        _ => actor.brand_id == Some(id),
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    brand::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The caller's own brand (staff).
pub async fn current(db: &DatabaseConnection, actor: &Actor) -> Result<brand::Model, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A partial settings change: `None` leaves a setting as it is.
#[derive(Default)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub attribution_window_days: Option<i32>,
    pub hold_period_days: Option<i32>,
    /// `Some(None)` removes the lock.
    pub lock_period_days: Option<Option<i32>>,
    pub attribution_model: Option<crate::domain::attribution::Model>,
    pub code_precedence: Option<CodePrecedence>,
    pub gross_margin: Option<Decimal>,
    pub minimum_payout: Option<Money>,
}

#[instrument(skip_all)]
pub async fn update_settings(
    db: &DatabaseConnection,
    actor: &Actor,
    change: SettingsChange,
    now: DateTime<Utc>,
) -> Result<brand::Model, AppError> {
    let brand_id = actor.require(Permission::ManageSettings)?;
    let brand = brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let currency = brand.currency_code.clone();
    let before = brand.clone();
    let mut active = brand.into_active_model();
    if let Some(name) = change.name {
        active.name =
            Set(validate_name(&name).map_err(|(_, msg)| AppError::bad_input("name", msg))?);
    }
    if let Some(tz) = change.timezone {
        active.timezone = Set(validate_timezone(&tz).map_err(AppError::invalid)?);
    }
    if let Some(days) = change.attribution_window_days {
        active.attribution_window_days =
            Set(validate_attribution_window(days).map_err(AppError::invalid)?);
    }
    if let Some(days) = change.hold_period_days {
        active.hold_period_days = Set(validate_hold_period(days).map_err(AppError::invalid)?);
    }
    if let Some(days) = change.lock_period_days {
        active.lock_period_days = Set(days
            .map(validate_lock_period)
            .transpose()
            .map_err(AppError::invalid)?);
    }
    if let Some(model) = change.attribution_model {
        active.attribution_model = Set(model.as_str().to_owned());
    }
    if let Some(precedence) = change.code_precedence {
        active.code_precedence = Set(precedence.as_str().to_owned());
    }
    if let Some(margin) = change.gross_margin {
        active.gross_margin = Set(validate_gross_margin(margin)
            .map_err(AppError::invalid)?
            .to_string());
    }
    if let Some(minimum) = change.minimum_payout {
        if minimum.currency.code() != currency {
            return Err(AppError::bad_input(
                "minimumPayout",
                format!("must be in the brand currency {currency}"),
            ));
        }
        if minimum.minor < 0 {
            return Err(AppError::bad_input("minimumPayout", "must not be negative"));
        }
        active.minimum_payout_minor = Set(minimum.minor);
    }
    active.updated_at = Set(now);
    // The margin and time zone shape every report: every process drops the brand's.
    let txn = db.begin().await?;
    let updated = audit::update_in(&txn, NodeKind::Brand, &before, active).await?;
    caches::notify(&txn, &[Invalidation::Reports { brand_id }]).await?;
    txn.commit().await?;
    Ok(updated)
}
