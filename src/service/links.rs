//! Tracking links and discount codes of enrollments. Link codes are global (the redirect names
//! no brand); discount codes are unique per brand.
//!
//! Every write of a link tells every process's redirect cache in its transaction
//! ([`crate::events::caches`]). Discount codes and enrollments need no such notice: the redirect
//! reads neither, and ingestion reads codes from the database each time.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{brand, discount_code, enrollment, tracking_link};
use crate::domain::codes::{generate_link_code, validate_discount_code, validate_link_code};
use crate::domain::lifecycle::{self, LinkState};
use crate::domain::money::Money;
use crate::domain::offer::validate_percent;
use crate::domain::text;
use crate::error::AppError;
use crate::events::caches::{self, Invalidation};
use crate::global_id::NodeKind;

pub struct LinkInput {
    pub enrollment_id: i64,
    pub destination_url: String,
    pub code: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub deep_link: Option<String>,
}

async fn enrollment_in_brand(
    db: &DatabaseConnection,
    brand_id: i64,
    id: i64,
) -> Result<enrollment::Model, AppError> {
    enrollment::Entity::find_by_id(id)
        .filter(enrollment::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("enrollmentId", "no such enrollment"))
}

fn utm(field: &'static str, value: Option<String>) -> Result<Option<String>, AppError> {
    text::optional(field, value.as_deref(), 200).map_err(AppError::invalid)
}

/// Creates a link with the chosen code, or a generated one (retried on the rare collision).
#[instrument(skip_all)]
pub async fn create_link(
    db: &DatabaseConnection,
    actor: &Actor,
    input: LinkInput,
    now: DateTime<Utc>,
) -> Result<tracking_link::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let enrollment = enrollment_in_brand(db, brand_id, input.enrollment_id).await?;
    let destination =
        text::http_url("destinationUrl", &input.destination_url).map_err(AppError::invalid)?;
    let deep_link =
        text::optional("deepLink", input.deep_link.as_deref(), 2048).map_err(AppError::invalid)?;
    let chosen = input
        .code
        .filter(|c| !c.trim().is_empty())
        .map(|c| validate_link_code(&c))
        .transpose()
        .map_err(AppError::invalid)?;
    let row = tracking_link::ActiveModel {
        brand_id: Set(brand_id),
        enrollment_id: Set(enrollment.id),
        destination_url: Set(destination),
        utm_source: Set(utm("utmSource", input.utm_source)?),
        utm_medium: Set(utm("utmMedium", input.utm_medium)?),
        utm_campaign: Set(utm("utmCampaign", input.utm_campaign)?),
        utm_content: Set(utm("utmContent", input.utm_content)?),
        deep_link: Set(deep_link),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(code) = chosen {
        let mut row = row;
        row.code = Set(code);
        return insert_link(db, row).await.map_err(|err| match err {
            AppError::Conflict(_) => AppError::Conflict("this link code is taken".into()),
            other => other,
        });
    }
    // Each attempt in a transaction of its own: a taken code aborts it (on PostgreSQL).
    for _ in 0..5 {
        let mut attempt = row.clone();
        attempt.code = Set(generate_link_code());
        match insert_link(db, attempt).await {
            Err(AppError::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(AppError::internal("could not generate a free link code"))
}

/// Inserts a link with its entry; every process forgets the code (a cached "unknown code").
async fn insert_link(
    db: &DatabaseConnection,
    row: tracking_link::ActiveModel,
) -> Result<tracking_link::Model, AppError> {
    let txn = db.begin().await?;
    let created = audit::insert_in(&txn, NodeKind::TrackingLink, row).await?;
    caches::notify(&txn, &[Invalidation::link(&created.code)]).await?;
    txn.commit().await?;
    Ok(created)
}

/// Updates a link with its entry; every process reads it again on its next redirect.
async fn update_link_row(
    db: &DatabaseConnection,
    before: &tracking_link::Model,
    row: tracking_link::ActiveModel,
) -> Result<tracking_link::Model, AppError> {
    let txn = db.begin().await?;
    let updated = audit::update_in(&txn, NodeKind::TrackingLink, before, row).await?;
    caches::notify(&txn, &[Invalidation::link(&updated.code)]).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Archives a link: its redirect answers 404 from then on (after the cache is invalidated).
#[instrument(skip(db, actor))]
pub async fn archive_link(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<tracking_link::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = super::scoped::find_in_brand::<tracking_link::Entity, _>(db, brand_id, id).await?;
    if row.archived_at.is_some() {
        let target = Target::new(NodeKind::TrackingLink, row.id);
        audit::record(db, target, Changes::new()).await?;
        return Ok(row);
    }
    let before = row.clone();
    let mut active = row.into_active_model();
    active.archived_at = Set(Some(now));
    active.updated_at = Set(now);
    update_link_row(db, &before, active).await
}

/// A change to a link: each field left `None` stays as it is; an empty UTM value or deep link
/// clears it.
#[derive(Default)]
pub struct LinkChange {
    pub destination_url: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub deep_link: Option<String>,
    pub state: Option<LinkState>,
}

/// Changes a link's destination, UTM values, deep link or state (ACTIVE | PAUSED). The caller
/// drops the link from this process's redirect cache afterwards (other processes are told by
/// the write). An archived link is CONFLICT.
#[instrument(skip(db, actor, change))]
pub async fn update_link(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: LinkChange,
    now: DateTime<Utc>,
) -> Result<tracking_link::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = super::scoped::find_in_brand::<tracking_link::Entity, _>(db, brand_id, id).await?;
    let paused_at =
        lifecycle::paused_at_after(row.archived_at.is_some(), row.paused_at, change.state, now)
            .map_err(|reason| AppError::Conflict(reason.into()))?;
    let before = row.clone();
    let mut active = row.into_active_model();
    if let Some(url) = change.destination_url {
        active.destination_url =
            Set(text::http_url("destinationUrl", &url).map_err(AppError::invalid)?);
    }
    for (field, value, column) in [
        ("utmSource", change.utm_source, &mut active.utm_source),
        ("utmMedium", change.utm_medium, &mut active.utm_medium),
        ("utmCampaign", change.utm_campaign, &mut active.utm_campaign),
        ("utmContent", change.utm_content, &mut active.utm_content),
    ] {
        if value.is_some() {
            *column = Set(utm(field, value)?);
        }
    }
    if let Some(deep_link) = change.deep_link {
        active.deep_link =
            Set(text::optional("deepLink", Some(&deep_link), 2048).map_err(AppError::invalid)?);
    }
    active.paused_at = Set(paused_at);
    active.updated_at = Set(now);
    update_link_row(db, &before, active).await
}

fn reader_brand(actor: &Actor) -> Result<Option<i64>, AppError> {
    if actor.role == Role::Creator {
        return Ok(None);
    }
    actor.require(Permission::ReadLinks).map(Some)
}

/// Links: staff and READ_LINKS keys see the brand's; a creator its own enrollments'.
pub async fn list_links(
    db: &DatabaseConnection,
    actor: &Actor,
    enrollment_id: Option<i64>,
    page: KeysetPage,
) -> Result<(Vec<tracking_link::Model>, u64), AppError> {
    let mut select = tracking_link::Entity::find();
    select = match reader_brand(actor)? {
        Some(brand_id) => select.filter(tracking_link::Column::BrandId.eq(brand_id)),
        None => select.filter(
            tracking_link::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        ),
    };
    if let Some(id) = enrollment_id {
        select = select.filter(tracking_link::Column::EnrollmentId.eq(id));
    }
    page::by_id(db, select, tracking_link::Column::Id, page).await
}

pub async fn get_link(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<tracking_link::Model, AppError> {
    let query = tracking_link::Entity::find_by_id(id);
    let query = match reader_brand(actor).map_err(|_| AppError::NotFound)? {
        Some(brand_id) => query.filter(tracking_link::Column::BrandId.eq(brand_id)),
        None => query.filter(
            tracking_link::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        ),
    };
    query.one(db).await?.ok_or(AppError::NotFound)
}

pub struct DiscountInput {
    pub enrollment_id: i64,
    pub code: String,
    pub percent_off: Option<Decimal>,
    pub amount_off: Option<Money>,
}

/// A discount code of an enrollment: a percent or a fixed amount (brand currency) off.
#[instrument(skip_all)]
pub async fn create_discount_code(
    db: &DatabaseConnection,
    actor: &Actor,
    input: DiscountInput,
    now: DateTime<Utc>,
) -> Result<discount_code::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let enrollment = enrollment_in_brand(db, brand_id, input.enrollment_id).await?;
    let code = validate_discount_code(&input.code).map_err(AppError::invalid)?;
    let currency = brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?
        .currency_code;
    let (percent, amount) = match (input.percent_off, input.amount_off) {
        (Some(p), None) => (
            Some(
                validate_percent("percentOff", p)
                    .map_err(AppError::invalid)?
                    .to_string(),
            ),
            None,
        ),
        (None, Some(m)) => (
            None,
            Some(super::campaigns::brand_amount("amountOff", m, &currency)?),
        ),
        _ => {
            return Err(AppError::bad_input(
                "percentOff",
                "give either percentOff or amountOff",
            ));
        }
    };
    let row = discount_code::ActiveModel {
        brand_id: Set(brand_id),
        enrollment_id: Set(enrollment.id),
        code: Set(code),
        percent_off: Set(percent),
        amount_off_minor: Set(amount),
        currency_code: Set(currency),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    audit::insert(db, NodeKind::DiscountCode, row)
        .await
        .map_err(|err| match err {
            AppError::Conflict(_) => AppError::Conflict("this discount code exists".into()),
            other => other,
        })
}

pub async fn list_discount_codes(
    db: &DatabaseConnection,
    actor: &Actor,
    enrollment_id: Option<i64>,
    page: KeysetPage,
) -> Result<(Vec<discount_code::Model>, u64), AppError> {
    let mut select = discount_code::Entity::find();
    select = match reader_brand(actor)? {
        Some(brand_id) => select.filter(discount_code::Column::BrandId.eq(brand_id)),
        None => select.filter(
            discount_code::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        ),
    };
    if let Some(id) = enrollment_id {
        select = select.filter(discount_code::Column::EnrollmentId.eq(id));
    }
    page::by_id(db, select, discount_code::Column::Id, page).await
}

pub async fn get_discount_code(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<discount_code::Model, AppError> {
    let query = discount_code::Entity::find_by_id(id);
    let query = match reader_brand(actor).map_err(|_| AppError::NotFound)? {
        Some(brand_id) => query.filter(discount_code::Column::BrandId.eq(brand_id)),
        None => query.filter(
            discount_code::Column::EnrollmentId
                .in_subquery(super::enrollments::of_creators(actor.creator_ids.clone())),
        ),
    };
    query.one(db).await?.ok_or(AppError::NotFound)
}

/// Deactivates a discount code: orders ingested from then on no longer match it (attribution
/// by click is unaffected); orders already attributed keep their attribution.
#[instrument(skip(db, actor))]
pub async fn deactivate_discount_code(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<discount_code::Model, AppError> {
    set_discount_code_active(db, actor, id, false, now).await
}

/// Reactivates a discount code: orders ingested from then on match it again.
#[instrument(skip(db, actor))]
pub async fn reactivate_discount_code(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<discount_code::Model, AppError> {
    set_discount_code_active(db, actor, id, true, now).await
}

async fn set_discount_code_active(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<discount_code::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let row = super::scoped::find_in_brand::<discount_code::Entity, _>(db, brand_id, id).await?;
    if row.archived_at.is_none() == active {
        let target = Target::new(NodeKind::DiscountCode, row.id);
        audit::record(db, target, Changes::new()).await?;
        return Ok(row);
    }
    let before = row.clone();
    let mut change = row.into_active_model();
    change.archived_at = Set((!active).then_some(now));
    change.updated_at = Set(now);
    audit::update(db, NodeKind::DiscountCode, &before, change).await
}
