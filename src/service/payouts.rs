//! Payouts (DOMAIN.md rule 6): gather a creator's APPROVED, unpaid lines up to a period end when
//! the balance reaches the brand minimum; lines become PAID only when the payout is marked paid;
//! a failed or canceled payout releases its lines. Reversals of paid lines are ordinary lines:
//! the next payout nets them, and a negative balance simply waits (it never reaches a minimum).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::ingest::lock_brand;
use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{brand, commission, creator, payout, user};
use crate::domain::commission::{PayoutStatus, Status};
use crate::domain::mail::{MailKind, payout_paid};
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

/// Creates the payouts due for `period_end`. Serialized per brand (the ingestion lock), and each
/// line is claimed with `payout_id IS NULL`, so a line is in at most one payout even when two
/// calls race.
#[instrument(skip(db, actor))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<payout::Model>, AppError> {
    let brand_id = actor.require(Permission::PreparePayouts)?;
    if period_end > now {
        return Err(AppError::bad_input(
            "periodEnd",
            "must not be in the future",
        ));
    }
    let txn = db.begin().await?;
    let brand = lock_brand(&txn, brand_id).await?;
    let mut context = super::ingest::BrandContext::new(brand.clone())?;
    super::ledger::accrue_cpc_days(&txn, &mut context, period_end, now).await?;
    let due = commission::Entity::find()
        .filter(commission::Column::BrandId.eq(brand_id))
        .filter(commission::Column::PayoutId.is_null())
        .filter(
            commission::Column::Status.is_in([Status::Pending.as_str(), Status::Approved.as_str()]),
        )
        .filter(commission::Column::HoldUntil.lte(period_end))
        .filter(commission::Column::OccurredAt.lte(period_end))
        .all(&txn)
        .await?;
    let mut by_creator: BTreeMap<i64, Vec<commission::Model>> = BTreeMap::new();
    for line in due {
        by_creator.entry(line.creator_id).or_default().push(line);
    }
    let mut created = Vec::new();
    for (creator_id, lines) in by_creator {
        let total: i64 = lines.iter().map(|l| l.amount_minor).sum();
        if total <= 0 || total < brand.minimum_payout_minor {
            continue;
        }
        let row = payout::ActiveModel {
            brand_id: Set(brand_id),
            creator_id: Set(creator_id),
            period_end: Set(period_end),
            amount_minor: Set(total),
            currency_code: Set(brand.currency_code.clone()),
            commission_count: Set(i32::try_from(lines.len()).unwrap_or(i32::MAX)),
            status: Set(PayoutStatus::Pending.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        let claimed = commission::Entity::update_many()
            .col_expr(commission::Column::PayoutId, Expr::value(row.id))
            .col_expr(
                commission::Column::Status,
                Expr::value(Status::Approved.as_str()),
            )
            .filter(commission::Column::Id.is_in(ids.clone()))
            .filter(commission::Column::PayoutId.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != ids.len() as u64 {
            return Err(AppError::Conflict(
                "another payout run claimed these lines".into(),
            ));
        }
        created.push(row);
    }
    // One entry per payout created; a run that created none still leaves one, about the brand.
    if created.is_empty() {
        let target = Target::new(NodeKind::Brand, brand_id);
        audit::record(&txn, target, Changes::new()).await?;
    } else {
        let entries = created.iter().map(|row| {
            (
                Target::new(NodeKind::Payout, row.id),
                audit::diff(None, Some(row)),
            )
        });
        audit::record_all(&txn, entries).await?;
    }
    // The CPC lines accrued above reach `myCommissionCreated` subscribers.
    context.events.commit(db, txn).await?;
    Ok(created)
}

async fn payout_in_brand(
    db: &DatabaseConnection,
    brand_id: i64,
    id: i64,
) -> Result<payout::Model, AppError> {
    super::scoped::find_in_brand::<payout::Entity, _>(db, brand_id, id).await
}

/// ADMIN: the money went out. Its lines become PAID.
#[instrument(skip(db, actor))]
pub async fn mark_paid(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<payout::Model, AppError> {
    let brand_id = actor.require(Permission::ApprovePayouts)?;
    let reference = text::required("reference", reference, 200).map_err(AppError::invalid)?;
    let row = payout_in_brand(db, brand_id, id).await?;
    if row.status != PayoutStatus::Pending.as_str() {
        return Err(AppError::bad_input(
            "payoutId",
            format!("the payout is {}", row.status),
        ));
    }
    let txn = db.begin().await?;
    commission::Entity::update_many()
        .col_expr(
            commission::Column::Status,
            Expr::value(Status::Paid.as_str()),
        )
        .col_expr(commission::Column::PaidAt, Expr::value(now))
        .filter(commission::Column::PayoutId.eq(row.id))
        .exec(&txn)
        .await?;
    let before = row.clone();
    let mut active = row.into_active_model();
    active.status = Set(PayoutStatus::Paid.as_str().to_owned());
    active.reference = Set(Some(reference));
    active.paid_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let target = Target::new(NodeKind::Payout, updated.id);
    audit::record(&txn, target, audit::diff(Some(&before), Some(&updated))).await?;
    super::webhooks::enqueue(
        &txn,
        brand_id,
        super::webhooks::Event::PayoutPaid(&updated),
        now,
    )
    .await?;
    queue_paid_mail(&txn, &updated, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queues the "payout paid" mail to the creator: its account's address, else the creator
/// record's; none when the record has neither.
async fn queue_paid_mail<C: sea_orm::ConnectionTrait>(
    db: &C,
    payout: &payout::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(record) = creator::Entity::find_by_id(payout.creator_id)
        .filter(creator::Column::BrandId.eq(payout.brand_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let account_email = match record.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .map(|u| u.email),
        None => None,
    };
    let Some(recipient) = account_email.or(record.email) else {
        return Ok(());
    };
    let brand_name = brand::Entity::find_by_id(payout.brand_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let message = payout_paid(
        &brand_name,
        &super::mail::display_money(payout.amount_minor, &payout.currency_code)?,
        payout.reference.as_deref().unwrap_or(""),
    );
    super::mail::enqueue(
        db,
        Some(payout.brand_id),
        MailKind::PayoutPaid,
        &recipient,
        message,
        now,
    )
    .await?;
    Ok(())
}

/// ADMIN: a payout that failed or was canceled releases its lines for the next run.
#[instrument(skip(db, actor, reason))]
pub async fn release(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    status: PayoutStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<payout::Model, AppError> {
    let brand_id = actor.require(Permission::ApprovePayouts)?;
    if !matches!(status, PayoutStatus::Failed | PayoutStatus::Canceled) {
        return Err(AppError::bad_input("status", "must be FAILED or CANCELED"));
    }
    let reason = text::optional("reason", reason.as_deref(), 500).map_err(AppError::invalid)?;
    let row = payout_in_brand(db, brand_id, id).await?;
    if row.status != PayoutStatus::Pending.as_str() {
        return Err(AppError::bad_input(
            "payoutId",
            format!("the payout is {}", row.status),
        ));
    }
    let txn = db.begin().await?;
    commission::Entity::update_many()
        .col_expr(
            commission::Column::PayoutId,
            Expr::value(Option::<i64>::None),
        )
        .filter(commission::Column::PayoutId.eq(row.id))
        .exec(&txn)
        .await?;
    let before = row.clone();
    let mut active = row.into_active_model();
    active.status = Set(status.as_str().to_owned());
    active.failure_reason = Set(reason);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let target = Target::new(NodeKind::Payout, updated.id);
    audit::record(&txn, target, audit::diff(Some(&before), Some(&updated))).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Staff: the brand's payouts; CREATOR: its own, across brands.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<PayoutStatus>,
    page: KeysetPage,
) -> Result<(Vec<payout::Model>, u64), AppError> {
    let mut select = payout::Entity::find();
    select = if actor.role == Role::Creator {
        select.filter(payout::Column::CreatorId.is_in(actor.creator_ids.clone()))
    } else {
        select.filter(payout::Column::BrandId.eq(actor.require(Permission::ReadBrand)?))
    };
    if let Some(status) = status {
        select = select.filter(payout::Column::Status.eq(status.as_str()));
    }
    page::by_id(db, select, payout::Column::Id, page).await
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<payout::Model, AppError> {
    if actor.role != Role::Creator {
        return super::scoped::get::<payout::Entity, _>(db, actor, Permission::ReadBrand, id).await;
    }
    payout::Entity::find_by_id(id)
        .filter(payout::Column::CreatorId.is_in(actor.creator_ids.clone()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
