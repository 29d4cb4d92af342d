//! `recordConversions`: validate, convert, attribute and store each conversion of a batch, once.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::{BrandContext, check_batch_size, external_id, lock_brand, save_change_seq};
use crate::auth::{Actor, Permission};
use crate::db::entity::{conversion, refund};
use crate::domain::attribution::{self, ClickCandidate};
use crate::domain::brand::CodePrecedence;
use crate::domain::codes::normalize_discount_code;
use crate::domain::conversion::{Kind, Status, capped_refund_total, status_for};
use crate::domain::email;
use crate::domain::money::{Currency, Money, convert};
use crate::domain::text;
use crate::error::AppError;
use crate::service::webhooks;

pub struct ConversionItem {
    pub external_id: String,
    pub kind: Kind,
    pub occurred_at: DateTime<Utc>,
    /// Required for SALE; a LEAD without one is worth 0.
    pub amount: Option<Decimal>,
    /// Defaults to the brand currency.
    pub currency: Option<Currency>,
    pub customer_key: Option<String>,
    pub customer_email: Option<String>,
    pub new_customer: Option<bool>,
    pub click_id: Option<String>,
    pub discount_code: Option<String>,
    pub region: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    Accepted,
    Duplicate,
    Rejected,
}

pub struct ItemResult<T> {
    pub external_id: String,
    pub status: ItemStatus,
    pub error: Option<AppError>,
    pub value: Option<T>,
}

/// How far in the future an `occurredAt` may be (clock skew between systems).
const FUTURE_TOLERANCE: Duration = Duration::hours(24);

/// Records a batch. Items are reported on their own: a bad item is REJECTED with a code and
/// the others are stored; a known external id is a DUPLICATE that returns the stored conversion
/// and writes nothing. The batch is committed (durable) before it is answered.
#[instrument(skip_all, fields(items = items.len()))]
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    items: Vec<ConversionItem>,
) -> Result<Vec<ItemResult<conversion::Model>>, AppError> {
    let brand_id = actor.require(Permission::Ingest)?;
    check_batch_size("conversions", items.len())?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let txn = db.begin().await?;
    let mut brand = BrandContext::new(lock_brand(&txn, brand_id).await?)?;
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| external_id("externalId", &i.external_id).ok())
        .collect();
    let mut known: HashMap<String, conversion::Model> = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::ExternalId.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.external_id.clone(), c))
        .collect();
    brand.lookups = prefetch(&txn, brand_id, &items, &known).await?;
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let raw_id = item.external_id.clone();
        let id = match external_id("externalId", &raw_id) {
            Ok(id) => id,
            Err(err) => {
                results.push(rejected(raw_id, err));
                continue;
            }
        };
        if let Some(stored) = known.get(&id) {
            results.push(ItemResult {
                external_id: id,
                status: ItemStatus::Duplicate,
                error: None,
                value: Some(stored.clone()),
            });
            continue;
        }
        match ingest_one(&txn, &mut brand, &id, item).await {
            Ok(stored) => {
                known.insert(id.clone(), stored.clone());
                results.push(ItemResult {
                    external_id: id,
                    status: ItemStatus::Accepted,
                    error: None,
                    value: Some(stored),
                });
            }
            Err(err @ (AppError::BadUserInput { .. } | AppError::NotFound)) => {
                results.push(rejected(id, err));
            }
            Err(err) => return Err(err),
        }
    }
    save_change_seq(&txn, brand_id, brand.next_seq).await?;
    brand.save_rollups(&txn).await?;
    brand.events.commit(db, txn).await?;
    Ok(results)
}

/// Reads once what the batch's new items name (see [`super::Lookups`]), normalized as
/// [`ingest_one`] normalizes them; an item that does not validate is left out (it is rejected).
async fn prefetch(
    txn: &DatabaseTransaction,
    brand_id: i64,
    items: &[ConversionItem],
    known: &HashMap<String, conversion::Model>,
) -> Result<super::Lookups, AppError> {
    let mut names = super::BatchNames::default();
    for item in items {
        let Ok(id) = external_id("externalId", &item.external_id) else {
            continue;
        };
        if known.contains_key(&id) {
            continue;
        }
        names.external_ids.push(id);
        if let Ok(Some(click_id)) = text::optional("clickId", item.click_id.as_deref(), 200) {
            names.click_ids.push(click_id);
        }
        if let Some(code) = item
            .discount_code
            .as_deref()
            .and_then(normalize_discount_code)
        {
            names.codes.push(code);
        }
        if let Ok(Some(key)) = text::optional("customerKey", item.customer_key.as_deref(), 200) {
            names.customer_keys.push(key);
        }
    }
    for list in [
        &mut names.click_ids,
        &mut names.codes,
        &mut names.external_ids,
        &mut names.customer_keys,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    super::Lookups::prefetch(txn, brand_id, names).await
}

pub(crate) fn rejected<T>(external_id: String, err: AppError) -> ItemResult<T> {
    ItemResult {
        external_id,
        status: ItemStatus::Rejected,
        error: Some(err),
        value: None,
    }
}

async fn ingest_one(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    external_id: &str,
    item: ConversionItem,
) -> Result<conversion::Model, AppError> {
    if item.occurred_at > Utc::now() + FUTURE_TOLERANCE {
        return Err(AppError::bad_input("occurredAt", "is in the future"));
    }
    let amount = match (item.kind, item.amount) {
        (_, Some(amount)) => amount,
        (Kind::Lead, None) => Decimal::ZERO,
        (Kind::Sale, None) => return Err(AppError::bad_input("amount", "is required for a SALE")),
    };
    let currency = item.currency.unwrap_or(brand.currency);
    let money = Money::from_decimal(amount, currency)
        .map_err(|e| AppError::bad_input("amount", e.to_string()))?;
    if money.minor < 0 {
        return Err(AppError::bad_input("amount", "must not be negative"));
    }
    let (brand_amount, rate) = brand
        .in_brand_currency(txn, money, item.occurred_at, "currencyCode")
        .await?;
    let customer_key = text::optional("customerKey", item.customer_key.as_deref(), 200)
        .map_err(AppError::invalid)?;
    let customer_email_hash = match item.customer_email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            email::hash(raw)
                .ok_or_else(|| AppError::bad_input("customerEmail", "not an email address"))?,
        ),
    };
    let region = text::optional("region", item.region.as_deref(), 64)
        .map_err(AppError::invalid)?
        .map(|r| r.to_uppercase());
    let click_id =
        text::optional("clickId", item.click_id.as_deref(), 200).map_err(AppError::invalid)?;
    let code = match item.discount_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            normalize_discount_code(raw)
                .ok_or_else(|| AppError::bad_input("discountCode", "not a discount code"))?,
        ),
    };

    let click = match &click_id {
        Some(id) => click_candidate(txn, brand, id).await?,
        None => None,
    };
    let code_facts = match &code {
        Some(code) => match brand.lookups.code(txn, brand.brand.id, code).await? {
            Some(enrollment_id) => brand.lookups.facts(txn, enrollment_id).await?,
            None => None,
        },
        None => None,
    };
    let outcome = attribution::attribute(&attribution::Input {
        occurred_at: item.occurred_at,
        window_days: i64::from(brand.brand.attribution_window_days),
        precedence: CodePrecedence::from_stored(&brand.brand.code_precedence),
        click,
        code: code_facts,
        customer_email_hash: customer_email_hash.clone(),
    });
    let attributed = match outcome.enrollment_id {
        Some(id) => brand.lookups.enrollment(txn, id).await?,
        None => None,
    };
    let history = customer_history(txn, brand, customer_key.as_deref(), item.occurred_at).await?;
    let (new_customer, derived) = match item.new_customer {
        Some(flag) => (flag, false),
        None => {
            let earlier = match history {
                History::None => false,
                History::AllBefore => true,
                History::Mixed => {
                    has_earlier(
                        txn,
                        brand.brand.id,
                        customer_key.as_deref(),
                        item.occurred_at,
                        external_id,
                    )
                    .await?
                }
            };
            (!earlier, true)
        }
    };
    let now = Utc::now();
    let seq = brand.bump();
    let row = conversion::ActiveModel {
        brand_id: Set(brand.brand.id),
        external_id: Set(external_id.to_owned()),
        kind: Set(item.kind.as_str().to_owned()),
        occurred_at: Set(item.occurred_at),
        amount_minor: Set(money.minor),
        currency_code: Set(currency.code().to_owned()),
        brand_amount_minor: Set(brand_amount.minor),
        exchange_rate: Set(rate.map(|r| r.normalize().to_string())),
        customer_key: Set(customer_key.clone()),
        customer_email_hash: Set(customer_email_hash),
        new_customer: Set(new_customer),
        new_customer_derived: Set(derived),
        click_id: Set(click_id),
        discount_code: Set(code),
        region: Set(region),
        attribution_method: Set(outcome.method.as_str().to_owned()),
        enrollment_id: Set(outcome.enrollment_id),
        campaign_id: Set(attributed.as_ref().map(|e| e.campaign_id)),
        creator_id: Set(attributed.as_ref().map(|e| e.creator_id)),
        offer_id: Set(attributed.as_ref().map(|e| e.offer_id)),
        self_referral: Set(outcome.self_referral),
        status: Set(Status::Recorded.as_str().to_owned()),
        refunded_minor: Set(0),
        refunded_brand_minor: Set(0),
        change_seq: Set(seq),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if let Some(key) = &row.customer_key {
        brand.lookups.stored_order(key, row.occurred_at);
    }
    brand.rollup.conversion(brand.timezone, None, &row)?;
    brand
        .events
        .push(crate::events::Event::conversion_recorded(&row));
    if history == History::Mixed {
        demote_later(txn, brand, &row).await?;
    }
    let row = apply_held_refunds(txn, brand, row).await?;
    crate::service::ledger::accrue_for_conversion(txn, brand, &row).await?;
    announce_attributed(txn, brand, &row).await?;
    Ok(row)
}

/// Outbound webhooks, in the batch's transaction: `conversion.attributed`, then
/// `conversion.refunded` for each refund that arrived before its order and was just applied.
async fn announce_attributed(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
) -> Result<(), AppError> {
    if row.enrollment_id.is_none() {
        return Ok(());
    }
    let endpoints = brand.lookups.endpoints(txn, row.brand_id).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let attributed = webhooks::Event::ConversionAttributed(row);
    webhooks::enqueue_to(txn, row.brand_id, endpoints, attributed).await?;
    if row.refunded_minor > 0 {
        let held = refund::Entity::find()
            .filter(refund::Column::ConversionId.eq(row.id))
            .all(txn)
            .await?;
        for refund in &held {
            let event = webhooks::Event::ConversionRefunded {
                conversion: row,
                refund,
            };
            webhooks::enqueue_to(txn, row.brand_id, endpoints, event).await?;
        }
    }
    Ok(())
}

/// Where a new order at `at` falls among its customer's stored orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum History {
    /// No stored order (or no customer key): nothing earlier, nothing to demote.
    None,
    /// Every stored order is earlier (orders arriving in time order): nothing later.
    AllBefore,
    /// Some stored order is at or after `at`: ask [`has_earlier`] and [`demote_later`].
    Mixed,
}

/// The customer's latest order (read once per batch, see [`super::Lookups`]) settles the common
/// cases without the two range queries of [`has_earlier`] and [`demote_later`].
async fn customer_history(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    customer_key: Option<&str>,
    at: DateTime<Utc>,
) -> Result<History, AppError> {
    let Some(key) = customer_key else {
        return Ok(History::None);
    };
    let latest = brand.lookups.latest_order(txn, brand.brand.id, key).await?;
    // A microsecond of margin: PostgreSQL keeps microseconds, an input may have nanoseconds;
    // closer calls go to the range queries, which compare as the database stores.
    Ok(match latest {
        None => History::None,
        Some(latest) if latest + Duration::microseconds(1) < at => History::AllBefore,
        Some(_) => History::Mixed,
    })
}

/// Whether the brand has a conversion of `customer_key` before this one (by occurredAt, ties by
/// external id, so that arrival order does not matter). No key: no earlier one is known.
async fn has_earlier(
    txn: &DatabaseTransaction,
    brand_id: i64,
    customer_key: Option<&str>,
    occurred_at: DateTime<Utc>,
    external_id: &str,
) -> Result<bool, AppError> {
    let Some(key) = customer_key else {
        return Ok(false);
    };
    let earlier = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::CustomerKey.eq(key))
        // A range on the (brand, customer, time) index first: with the OR alone, SQLite scans
        // the brand's external ids (0.2 s per order at 50k conversions).
        .filter(conversion::Column::OccurredAt.lte(occurred_at))
        .filter(
            Condition::any()
                .add(conversion::Column::OccurredAt.lt(occurred_at))
                .add(
                    Condition::all()
                        .add(conversion::Column::OccurredAt.eq(occurred_at))
                        .add(conversion::Column::ExternalId.lt(external_id)),
                ),
        )
        .one(txn)
        .await?;
    Ok(earlier.is_some())
}

/// A late-arriving earlier order makes the customer's later, derived "new" conversions not new.
async fn demote_later(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
) -> Result<(), AppError> {
    let Some(key) = &row.customer_key else {
        return Ok(());
    };
    let later = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand.brand.id))
        .filter(conversion::Column::CustomerKey.eq(key.as_str()))
        .filter(conversion::Column::NewCustomerDerived.eq(true))
        .filter(conversion::Column::NewCustomer.eq(true))
        .filter(conversion::Column::OccurredAt.gte(row.occurred_at))
        .filter(
            Condition::any()
                .add(conversion::Column::OccurredAt.gt(row.occurred_at))
                .add(
                    Condition::all()
                        .add(conversion::Column::OccurredAt.eq(row.occurred_at))
                        .add(conversion::Column::ExternalId.gt(row.external_id.as_str())),
                ),
        )
        .all(txn)
        .await?;
    for conversion in later {
        let mut active = conversion.clone().into_active_model();
        active.new_customer = Set(false);
        active.change_seq = Set(brand.bump());
        active.updated_at = Set(Utc::now());
        let after = active.update(txn).await?;
        brand
            .rollup
            .conversion(brand.timezone, Some(&conversion), &after)?;
    }
    Ok(())
}

/// Applies refunds that arrived before their order.
async fn apply_held_refunds(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: conversion::Model,
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
        active.applied_at = Set(Some(Utc::now()));
        active.update(txn).await?;
    }
    refresh_refund_totals(txn, brand, row).await
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
    active.updated_at = Set(Utc::now());
    let after = active.update(txn).await?;
    brand
        .rollup
        .conversion(brand.timezone, Some(&before), &after)?;
    Ok(after)
}

/// The click named by a click id of this brand (another brand's click id names nothing).
async fn click_candidate(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    click_id: &str,
) -> Result<Option<ClickCandidate>, AppError> {
    let Some((clicked_at, Some(enrollment_id))) =
        brand.lookups.click(txn, brand.brand.id, click_id).await?
    else {
        return Ok(None);
    };
    Ok(brand
        .lookups
        .facts(txn, enrollment_id)
        .await?
        .map(|enrollment| ClickCandidate {
            clicked_at,
            enrollment,
        }))
}
