//! `recordConversions`: validate, convert, attribute and store each conversion of a batch, once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tracing::instrument;

use super::batch::{
    self, Counts, FUTURE_TOLERANCE, ItemResult, ItemStatus, check_batch_size, external_id, rejected,
};
use super::customers::{self, History};
use super::{BrandContext, lock_brand, refunds, save_change_seq};
use crate::auth::{Actor, Permission};
use crate::db::entity::{click, conversion, enrollment, refund};
use crate::domain::attribution::{self, ClickCandidate};
use crate::domain::brand::CodePrecedence;
use crate::domain::codes::normalize_discount_code;
use crate::domain::conversion::{Kind, Status};
use crate::domain::email;
use crate::domain::money::{Currency, Money};
use crate::domain::text;
use crate::error::AppError;
use crate::service::fraud::checks as fraud;
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

/// Records a batch. Items are reported on their own: a bad item is REJECTED with a code and
/// the others are stored; a known external id is a DUPLICATE that returns the stored conversion
/// and writes nothing. The batch is committed (durable) before it is answered.
#[instrument(skip_all, fields(items = items.len()))]
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    items: Vec<ConversionItem>,
    now: DateTime<Utc>,
) -> Result<Vec<ItemResult<conversion::Model>>, AppError> {
    let brand_id = actor.require(Permission::Ingest)?;
    check_batch_size("conversions", items.len())?;
    if items.is_empty() {
        batch::audit_call(db, brand_id, Counts::default().changes()).await?;
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
        match ingest_one(&txn, &mut brand, &id, item, now).await {
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
    batch::audit_call(&txn, brand_id, Counts::of(&results).changes()).await?;
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

/// One new conversion: validated in full before anything is read, then stored.
async fn ingest_one(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    external_id: &str,
    item: ConversionItem,
    now: DateTime<Utc>,
) -> Result<conversion::Model, AppError> {
    let valid = validate(item, brand.currency, now)?;
    store(txn, brand, external_id, valid, now).await
}

/// A conversion item whose every field is valid and normalized.
struct ValidConversion {
    kind: Kind,
    occurred_at: DateTime<Utc>,
    money: Money,
    new_customer: Option<bool>,
    customer_key: Option<String>,
    customer_email_hash: Option<String>,
    /// The email's domain, for DISPOSABLE_EMAIL; never stored on the conversion.
    customer_email_domain: Option<String>,
    region: Option<String>,
    click_id: Option<String>,
    discount_code: Option<String>,
}

/// Checks and normalizes an item's fields (no database): the first bad field is the item's
/// BAD_USER_INPUT, named.
fn validate(
    item: ConversionItem,
    brand_currency: Currency,
    now: DateTime<Utc>,
) -> Result<ValidConversion, AppError> {
    if item.occurred_at > now + FUTURE_TOLERANCE {
        return Err(AppError::bad_input("occurredAt", "is in the future"));
    }
    let amount = match (item.kind, item.amount) {
        (_, Some(amount)) => amount,
        (Kind::Lead, None) => Decimal::ZERO,
        (Kind::Sale, None) => return Err(AppError::bad_input("amount", "is required for a SALE")),
    };
    let currency = item.currency.unwrap_or(brand_currency);
    let money = Money::from_decimal(amount, currency)
        .map_err(|e| AppError::bad_input("amount", e.to_string()))?;
    if money.minor < 0 {
        return Err(AppError::bad_input("amount", "must not be negative"));
    }
    let customer_key = text::optional("customerKey", item.customer_key.as_deref(), 200)
        .map_err(AppError::invalid)?;
    let customer_email_domain = item
        .customer_email
        .as_deref()
        .and_then(crate::domain::fraud::email_domain);
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
    let discount_code = match item.discount_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            normalize_discount_code(raw)
                .ok_or_else(|| AppError::bad_input("discountCode", "not a discount code"))?,
        ),
    };
    Ok(ValidConversion {
        kind: item.kind,
        occurred_at: item.occurred_at,
        money,
        new_customer: item.new_customer,
        customer_key,
        customer_email_hash,
        customer_email_domain,
        region,
        click_id,
        discount_code,
    })
}

/// Converts, attributes and stores a valid conversion, then what follows from it in the same
/// transaction: rollups, the change feed event, demotions, held refunds, commissions, webhooks.
async fn store(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    external_id: &str,
    valid: ValidConversion,
    now: DateTime<Utc>,
) -> Result<conversion::Model, AppError> {
    let (brand_amount, rate) = brand
        .in_brand_currency(txn, valid.money, valid.occurred_at, "currencyCode")
        .await?;
    let (outcome, attributed) = attribute(txn, brand, &valid).await?;
    let email_domain = valid.customer_email_domain.clone();
    let key = valid.customer_key.as_deref();
    let history = customers::customer_history(txn, brand, key, valid.occurred_at).await?;
    let (new_customer, derived) = match valid.new_customer {
        Some(flag) => (flag, false),
        None => {
            let earlier = match history {
                History::None => false,
                History::AllBefore => true,
                History::Mixed => {
                    let at = valid.occurred_at;
                    customers::has_earlier(txn, brand.brand.id, key, at, external_id).await?
                }
            };
            (!earlier, true)
        }
    };
    let seq = brand.bump();
    let row = conversion::ActiveModel {
        brand_id: Set(brand.brand.id),
        external_id: Set(external_id.to_owned()),
        kind: Set(valid.kind.as_str().to_owned()),
        occurred_at: Set(valid.occurred_at),
        amount_minor: Set(valid.money.minor),
        currency_code: Set(valid.money.currency.code().to_owned()),
        brand_amount_minor: Set(brand_amount.minor),
        exchange_rate: Set(rate.map(|r| r.normalize().to_string())),
        customer_key: Set(valid.customer_key),
        customer_email_hash: Set(valid.customer_email_hash),
        new_customer: Set(new_customer),
        new_customer_derived: Set(derived),
        click_id: Set(valid.click_id),
        discount_code: Set(valid.discount_code),
        region: Set(valid.region),
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
        customers::demote_later(txn, brand, &row, now).await?;
    }
    let row = refunds::apply_held_refunds(txn, brand, row, now).await?;
    crate::service::ledger::accrue_for_conversion(txn, brand, &row, now).await?;
    let flag = fraud::check_conversion(txn, brand, &row, email_domain.as_deref(), now).await?;
    if let Some(flag) = &flag {
        crate::service::ledger::hold_for_review(txn, row.id).await?;
        fraud::announce_flagged(txn, brand, flag, &row, now).await?;
    }
    announce_attributed(txn, brand, &row, now).await?;
    Ok(row)
}

/// Rule 2 over the conversion's click id and discount code: the outcome, and the enrollment it
/// credits (if any).
async fn attribute(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    valid: &ValidConversion,
) -> Result<(attribution::Outcome, Option<enrollment::Model>), AppError> {
    let click = match &valid.click_id {
        Some(id) => credited_click(txn, brand, id, valid.occurred_at).await?,
        None => None,
    };
    let code = match &valid.discount_code {
        Some(code) => match brand.lookups.code(txn, brand.brand.id, code).await? {
            Some(enrollment_id) => brand.lookups.facts(txn, enrollment_id).await?,
            None => None,
        },
        None => None,
    };
    let outcome = attribution::attribute(&attribution::Input {
        occurred_at: valid.occurred_at,
        window_days: i64::from(brand.brand.attribution_window_days),
        precedence: CodePrecedence::from_stored(&brand.brand.code_precedence),
        click,
        code,
        customer_email_hash: valid.customer_email_hash.clone(),
    });
    let attributed = match outcome.enrollment_id {
        Some(id) => brand.lookups.enrollment(txn, id).await?,
        None => None,
    };
    Ok((outcome, attributed))
}

/// Outbound webhooks, in the batch's transaction: `conversion.attributed`, then
/// `conversion.refunded` for each refund that arrived before its order and was just applied.
async fn announce_attributed(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if row.enrollment_id.is_none() {
        return Ok(());
    }
    let endpoints = brand.lookups.endpoints(txn, row.brand_id).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let attributed = webhooks::Event::ConversionAttributed(row);
    webhooks::enqueue_to(txn, row.brand_id, endpoints, attributed, now).await?;
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
            webhooks::enqueue_to(txn, row.brand_id, endpoints, event, now).await?;
        }
    }
    Ok(())
}

/// Most clicks of one visitor a conversion weighs under LAST_CLICK / FIRST_CLICK: the latest
/// (LAST) or earliest (FIRST) this many in the window; a visitor with more is a bot.
const VISITOR_CLICKS: u64 = 200;

/// The click the brand's attribution model credits for a conversion at `occurred_at` that names
/// `click_id`: the named click (CLICK_ID), or the latest / earliest eligible non-bot click of its
/// visitor within the window, across creators (DOMAIN rule 2).
async fn credited_click(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    click_id: &str,
    occurred_at: DateTime<Utc>,
) -> Result<Option<ClickCandidate>, AppError> {
    let model = attribution::Model::parse(&brand.brand.attribution_model)
        .unwrap_or(attribution::Model::ClickId);
    let named = click_candidate(txn, brand, click_id).await?;
    if model == attribution::Model::ClickId || named.is_none() {
        return Ok(named);
    }
    let window_days = i64::from(brand.brand.attribution_window_days);
    // The named click's visitor, read inside the look-up (the named click is already known).
    let visitor = sea_orm::sea_query::Query::select()
        .column(click::Column::VisitorKey)
        .from(click::Entity)
        .and_where(click::Column::BrandId.eq(brand.brand.id))
        .and_where(click::Column::ClickId.eq(click_id))
        .to_owned();
    // A second of slack on each side: click times are compared at the conversion's precision,
    // which the domain rule applies.
    let query =
        click::Entity::find()
            .select_only()
            .columns([click::Column::OccurredAt, click::Column::EnrollmentId])
            .filter(click::Column::BrandId.eq(brand.brand.id))
            .filter(click::Column::VisitorKey.in_subquery(visitor))
            .filter(click::Column::IsBot.eq(false))
            .filter(click::Column::ClickId.ne(click_id))
            .filter(click::Column::EnrollmentId.is_not_null())
            .filter(click::Column::OccurredAt.gte(
                occurred_at - chrono::Duration::days(window_days) - chrono::Duration::seconds(1),
            ))
            .filter(click::Column::OccurredAt.lte(occurred_at + chrono::Duration::seconds(1)));
    let query = match model {
        attribution::Model::FirstClick => query
            .order_by_asc(click::Column::OccurredAt)
            .order_by_asc(click::Column::Id),
        _ => query
            .order_by_desc(click::Column::OccurredAt)
            .order_by_desc(click::Column::Id),
    };
    let mut rows: Vec<(DateTime<Utc>, Option<i64>)> =
        query.limit(VISITOR_CLICKS).into_tuple().all(txn).await?;
    // In the order recorded, as the domain rule reads them.
    if model != attribution::Model::FirstClick {
        rows.reverse();
    }
    let mut visitor_clicks = Vec::new();
    for (clicked_at, enrollment_id) in rows {
        let Some(enrollment_id) = enrollment_id else {
            continue;
        };
        if let Some(enrollment) = brand.lookups.facts(txn, enrollment_id).await? {
            visitor_clicks.push(ClickCandidate {
                clicked_at,
                enrollment,
            });
        }
    }
    Ok(attribution::credited_click(
        model,
        named,
        visitor_clicks,
        occurred_at,
        window_days,
    ))
}

/// The click named by a click id of this brand (another brand's click id names nothing).
async fn click_candidate(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    click_id: &str,
) -> Result<Option<ClickCandidate>, AppError> {
    let Some(click) = brand.lookups.click(txn, brand.brand.id, click_id).await? else {
        return Ok(None);
    };
    let (clicked_at, Some(enrollment_id)) = (click.occurred_at, click.enrollment_id) else {
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
