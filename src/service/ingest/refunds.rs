//! `recordRefund`: full and partial refunds of an order, idempotent on the refund id. A refund
//! whose order has not arrived is held and applied when the order arrives.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::batch::{self, Counts, external_id};
use super::{BrandContext, lock_brand, save_change_seq};
use crate::auth::{Actor, Permission};
use crate::db::entity::{conversion, refund};
use crate::domain::conversion::{capped_refund_total, status_for};
use crate::domain::money::{Currency, Money, convert};
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
    now: DateTime<Utc>,
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
        let counts = Counts {
            duplicates: 1,
            ..Counts::default()
        };
        batch::audit_call(&txn, brand_id, counts.changes()).await?;
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
                item.occurred_at,
                Some(Applied {
                    conversion_id: order.id,
                    brand_minor,
                }),
                now,
            )
            .await?;
            let order = refresh_refund_totals(&txn, &mut brand, order, now).await?;
            crate::service::ledger::reverse_for_refund(&txn, &mut brand, &order, now).await?;
            announce_refunded(&txn, &order, &stored, now).await?;
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
                item.occurred_at,
                None,
                now,
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
    let counts = Counts {
        accepted: 1,
        ..Counts::default()
    };
    // Held: the order has not arrived; the refund is applied when it does.
    let held = usize::from(outcome.conversion.is_none());
    let changes = counts.changes().set("held", serde_json::Value::Null, held);
    batch::audit_call(&txn, brand_id, changes).await?;
    brand.events.commit(db, txn).await?;
    Ok(outcome)
}

/// Outbound webhooks: `conversion.refunded` for an attributed order, in the refund's
/// transaction.
async fn announce_refunded(
    txn: &DatabaseTransaction,
    order: &conversion::Model,
    refund: &refund::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if order.enrollment_id.is_some() {
        let event = webhooks::Event::ConversionRefunded {
            conversion: order,
            refund,
        };
        webhooks::enqueue(txn, order.brand_id, event, now).await?;
    }
    Ok(())
}

/// The order a refund is applied to, and the refund in the brand currency at the order's rate.
struct Applied {
    conversion_id: i64,
    brand_minor: i64,
}

/// Stores a refund, applied at `now` to its order, or held (`applied: None`) until it arrives.
#[allow(clippy::too_many_arguments)]
async fn insert(
    txn: &DatabaseTransaction,
    brand_id: i64,
    order_id: &str,
    refund_id: &str,
    money: Money,
    occurred_at: DateTime<Utc>,
    applied: Option<Applied>,
    now: DateTime<Utc>,
) -> Result<refund::Model, AppError> {
    Ok(refund::ActiveModel {
        brand_id: Set(brand_id),
        conversion_id: Set(applied.as_ref().map(|a| a.conversion_id)),
        order_external_id: Set(order_id.to_owned()),
        refund_external_id: Set(refund_id.to_owned()),
        amount_minor: Set(money.minor),
        currency_code: Set(money.currency.code().to_owned()),
        brand_amount_minor: Set(applied.as_ref().map(|a| a.brand_minor)),
        occurred_at: Set(occurred_at),
        applied_at: Set(applied.map(|_| now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Applies refunds that arrived before their order.
pub(super) async fn apply_held_refunds(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: conversion::Model,
    now: DateTime<Utc>,
) -> Result<conversion::Model, AppError> {
    if !brand.lookups.may_have_held_refunds(&row.external_id) {
        return Ok(row);
    }
    let held = refund::Entity::find()
        .filter(refund::Column::BrandId.eq(brand.brand.id))
        .filter(refund::Column::OrderExternalId.eq(row.external_id.as_str()))
        .filter(refund::Column::ConversionId.is_null())
        .all(txn)
        .await?;
    if held.is_empty() {
        return Ok(row);
    }
    let currency = Currency::parse(&row.currency_code).map_err(AppError::internal)?;
    let rate = stored_rate(&row)?;
    for refund in held {
        let amount = in_order_currency(&refund, currency)?;
        let mut active = refund.into_active_model();
        active.conversion_id = Set(Some(row.id));
        active.amount_minor = Set(amount);
        active.currency_code = Set(currency.code().to_owned());
        active.brand_amount_minor = Set(Some(to_brand_minor(
            amount,
            currency,
            brand.currency,
            rate,
        )?));
        active.applied_at = Set(Some(now));
        active.update(txn).await?;
    }
    refresh_refund_totals(txn, brand, row, now).await
}

/// A held refund was recorded in the currency the integrator gave (or the brand's); the order
/// decides. Re-expressed exactly, or rounded half to even when the order's currency is coarser.
fn in_order_currency(refund: &refund::Model, order_currency: Currency) -> Result<i64, AppError> {
    if refund.currency_code == order_currency.code() {
        return Ok(refund.amount_minor);
    }
    let held_currency = Currency::parse(&refund.currency_code).map_err(AppError::internal)?;
    let decimal = Money::new(refund.amount_minor, held_currency).to_decimal();
    let factor = Decimal::from(10i64.pow(order_currency.minor_digits()));
    crate::domain::money::mul_round_half_even(1, decimal * factor).map_err(AppError::internal)
}

pub(crate) fn stored_rate(row: &conversion::Model) -> Result<Option<Decimal>, AppError> {
    row.exchange_rate
        .as_deref()
        .map(Decimal::from_str)
        .transpose()
        .map_err(AppError::internal)
}

pub(crate) fn to_brand_minor(
    minor: i64,
    currency: Currency,
    brand_currency: Currency,
    rate: Option<Decimal>,
) -> Result<i64, AppError> {
    match rate {
        Some(rate) => Ok(convert(Money::new(minor, currency), brand_currency, rate)
            .map_err(AppError::internal)?
            .minor),
        None => Ok(minor),
    }
}

/// Recomputes a conversion's refunded totals and status from all its applied refunds (the
/// brand-currency total is converted once, over the total, with the conversion's own rate).
pub(crate) async fn refresh_refund_totals(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: conversion::Model,
    now: DateTime<Utc>,
) -> Result<conversion::Model, AppError> {
    let refunds = refund::Entity::find()
        .filter(refund::Column::ConversionId.eq(row.id))
        .all(txn)
        .await?;
    let total = capped_refund_total(row.amount_minor, refunds.iter().map(|r| r.amount_minor));
    let currency = Currency::parse(&row.currency_code).map_err(AppError::internal)?;
    let brand_total = to_brand_minor(total, currency, brand.currency, stored_rate(&row)?)?;
    let status = status_for(row.amount_minor, total);
    let before = row.clone();
    let mut active = row.into_active_model();
    active.refunded_minor = Set(total);
    active.refunded_brand_minor = Set(brand_total);
    active.status = Set(status.as_str().to_owned());
    active.change_seq = Set(brand.bump());
    active.updated_at = Set(now);
    let after = active.update(txn).await?;
    brand
        .rollup
        .conversion(brand.timezone, Some(&before), &after)?;
    Ok(after)
}
