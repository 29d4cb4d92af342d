//! `recordRefund`: full and partial refunds of an order, idempotent on the refund id. A refund
//! whose order has not arrived is held and applied when the order arrives.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tracing::instrument;

use super::conversions::{refresh_refund_totals, stored_rate, to_brand_minor};
use super::{BrandContext, external_id, lock_brand, save_change_seq};
use crate::auth::{Actor, Permission};
use crate::db::entity::{conversion, refund};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use crate::service::webhooks;

pub struct RefundItem {
    /// The order's (conversion's) external id.
    pub order_external_id: String,
    pub refund_id: String,
    /// In the order's currency.
    pub amount: Decimal,
    /// Optional; must be the order's currency when given (used as-is while the order is unknown).
    pub currency: Option<Currency>,
    pub occurred_at: DateTime<Utc>,
}

pub struct RefundOutcome {
    pub refund: refund::Model,
    /// The order, when it has arrived (the refund is applied to it).
    pub conversion: Option<conversion::Model>,
    /// The refund id was known: nothing was written.
    pub duplicate: bool,
}

#[instrument(skip_all)]
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    item: RefundItem,
) -> Result<RefundOutcome, AppError> {
    let brand_id = actor.require(Permission::Ingest)?;
    let order_id = external_id("externalId", &item.order_external_id)?;
    let refund_id = external_id("refundId", &item.refund_id)?;
    if item.amount <= Decimal::ZERO {
        return Err(AppError::bad_input("amount", "must be more than 0"));
    }
    let txn = db.begin().await?;
    let mut brand = BrandContext::new(lock_brand(&txn, brand_id).await?)?;
    if let Some(existing) = refund::Entity::find()
        .filter(refund::Column::BrandId.eq(brand_id))
        .filter(refund::Column::RefundExternalId.eq(refund_id.as_str()))
        .one(&txn)
        .await?
    {
        let conversion = match existing.conversion_id {
            Some(id) => conversion::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        txn.commit().await?;
        return Ok(RefundOutcome {
            refund: existing,
            conversion,
            duplicate: true,
        });
    }
    let order = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::ExternalId.eq(order_id.as_str()))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let outcome = match order {
        Some(order) => {
            let currency = Currency::parse(&order.currency_code).map_err(AppError::internal)?;
            if item.currency.is_some_and(|c| c != currency) {
                return Err(AppError::bad_input(
                    "currencyCode",
                    format!("the order is in {currency}"),
                ));
            }
            let money = Money::from_decimal(item.amount, currency)
                .map_err(|e| AppError::bad_input("amount", e.to_string()))?;
            let remaining = order.amount_minor - order.refunded_minor;
            if money.minor > remaining {
                return Err(AppError::bad_input(
                    "amount",
                    format!(
                        "exceeds what is left to refund on the order ({})",
                        Money::new(remaining, currency).to_decimal()
                    ),
                ));
            }
            let brand_minor =
                to_brand_minor(money.minor, currency, brand.currency, stored_rate(&order)?)?;
            let stored = insert(
                &txn,
                brand_id,
                &order_id,
                &refund_id,
                money,
                Some(order.id),
                Some(brand_minor),
                item.occurred_at,
                Some(now),
            )
            .await?;
            let order = refresh_refund_totals(&txn, &mut brand, order).await?;
            crate::service::ledger::reverse_for_refund(&txn, &mut brand, &order).await?;
            announce_refunded(&txn, &order, &stored).await?;
            RefundOutcome {
                refund: stored,
                conversion: Some(order),
                duplicate: false,
            }
        }
        None => {
            let currency = item.currency.unwrap_or(brand.currency);
            let money = Money::from_decimal(item.amount, currency)
                .map_err(|e| AppError::bad_input("amount", e.to_string()))?;
            let stored = insert(
                &txn,
                brand_id,
                &order_id,
                &refund_id,
                money,
                None,
                None,
                item.occurred_at,
                None,
            )
            .await?;
            RefundOutcome {
                refund: stored,
                conversion: None,
                duplicate: false,
            }
        }
    };
    save_change_seq(&txn, brand_id, brand.next_seq).await?;
    brand.save_rollups(&txn).await?;
    brand.events.commit(db, txn).await?;
    Ok(outcome)
}

/// Outbound webhooks: `conversion.refunded` for an attributed order, in the refund's
/// transaction.
async fn announce_refunded(
    txn: &sea_orm::DatabaseTransaction,
    order: &conversion::Model,
    refund: &refund::Model,
) -> Result<(), AppError> {
    if order.enrollment_id.is_some() {
        let event = webhooks::Event::ConversionRefunded {
            conversion: order,
            refund,
        };
        webhooks::enqueue(txn, order.brand_id, event).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    brand_id: i64,
    order_id: &str,
    refund_id: &str,
    money: Money,
    conversion_id: Option<i64>,
    brand_minor: Option<i64>,
    occurred_at: DateTime<Utc>,
    applied_at: Option<DateTime<Utc>>,
) -> Result<refund::Model, AppError> {
    Ok(refund::ActiveModel {
        brand_id: Set(brand_id),
        conversion_id: Set(conversion_id),
        order_external_id: Set(order_id.to_owned()),
        refund_external_id: Set(refund_id.to_owned()),
        amount_minor: Set(money.minor),
        currency_code: Set(money.currency.code().to_owned()),
        brand_amount_minor: Set(brand_minor),
        occurred_at: Set(occurred_at),
        applied_at: Set(applied_at),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}
