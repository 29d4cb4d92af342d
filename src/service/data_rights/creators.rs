//! `eraseCreator`: the creator record keeps its id (the ledger and the rollups point at it) and
//! loses everything about the person; its account is unlinked, signed out and, when it works for
//! no other brand, erased too.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
    TransactionTrait,
};
use tracing::instrument;

use crate::auth::{Actor, Permission, password};
use crate::db::entity::{channel, cost, creator, deliverable, enrollment, invite, user};
use crate::domain::erasure;
use crate::domain::roster::Stage;
use crate::error::AppError;
use crate::events::Revocations;
use crate::global_id::NodeKind;
use crate::service::audit::{self, Changes, Target};
use crate::service::{scoped, sessions};

/// Erases creator `id` of the caller's brand (ADMIN) at `now`. Erasing an erased record changes
/// nothing and answers the record as it is.
#[instrument(skip(db, actor))]
pub async fn erase_creator(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let brand_id = actor.require(Permission::ManageDataRights)?;
    let txn = db.begin().await?;
    let record = scoped::find_in_brand::<creator::Entity, _>(&txn, brand_id, id).await?;
    let target = Target::new(NodeKind::Creator, record.id);
    if record.erased_at.is_some() {
        audit::record(&txn, target, Changes::new()).await?;
        txn.commit().await?;
        return Ok(record);
    }
    channel::Entity::delete_many()
        .filter(channel::Column::CreatorId.eq(record.id))
        .exec(&txn)
        .await?;
    erase_invites(&txn, &record, now).await?;
    erase_content_notes(&txn, &record).await?;
    let revocations = Revocations::new();
    let mut entries = Vec::new();
    if let Some(user_id) = record.user_id
        && let Some(account) = release_account(&txn, &revocations, record.id, user_id, now).await?
    {
        entries.push(account);
    }
    let before = record.clone();
    let mut active = record.into_active_model();
    active.display_name = Set(erasure::erased_creator_name(id));
    active.email = Set(None);
    active.email_hash = Set(None);
    active.country = Set(None);
    active.niches = Set("[]".to_owned());
    active.brand_safety_score = Set(None);
    active.vetting_notes = Set(None);
    active.followers = Set(0);
    // `primary_platform` stays: a report grouped by PLATFORM reads it, and a platform alone
    // names nobody.
    active.stage = Set(Stage::Ended.as_str().to_owned());
    active.user_id = Set(None);
    active.erased_at = Set(Some(now));
    active.updated_at = Set(now);
    let erased = active.update(&txn).await?;
    // Name, email and notes are personal: the entry says they changed, never what they were.
    entries.insert(0, (target, audit::diff(Some(&before), Some(&erased))));
    audit::record_all(&txn, entries).await?;
    revocations.commit(db, txn).await?;
    Ok(erased)
}

/// Invites to the record carry the person's address: it is replaced, and a pending one revoked.
async fn erase_invites(
    txn: &DatabaseTransaction,
    record: &creator::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let invites = invite::Entity::find()
        .filter(invite::Column::BrandId.eq(record.brand_id))
        .filter(invite::Column::CreatorId.eq(record.id))
        .all(txn)
        .await?;
    for row in invites {
        let pending = row.accepted_at.is_none() && row.revoked_at.is_none();
        let mut active = row.clone().into_active_model();
        active.email = Set(format!("erased-invite-{}@erased.invalid", row.id));
        if pending {
            active.revoked_at = Set(Some(now));
        }
        active.update(txn).await?;
    }
    Ok(())
}

/// Free text the brand wrote about the creator's content and costs (a post URL names the
/// account; a note may hold an address for seeding): cleared. Amounts and metrics stay.
async fn erase_content_notes(
    txn: &DatabaseTransaction,
    record: &creator::Model,
) -> Result<(), AppError> {
    let enrollments = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::Id)
        .filter(enrollment::Column::BrandId.eq(record.brand_id))
        .filter(enrollment::Column::CreatorId.eq(record.id))
        .into_query();
    deliverable::Entity::update_many()
        .col_expr(deliverable::Column::PostUrl, Expr::value(None::<String>))
        .col_expr(
            deliverable::Column::WhitelistingCode,
            Expr::value(None::<String>),
        )
        .filter(deliverable::Column::BrandId.eq(record.brand_id))
        .filter(deliverable::Column::EnrollmentId.in_subquery(enrollments))
        .exec(txn)
        .await?;
    cost::Entity::update_many()
        .col_expr(cost::Column::Note, Expr::value(None::<String>))
        .filter(cost::Column::BrandId.eq(record.brand_id))
        .filter(cost::Column::CreatorId.eq(record.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Unlinks the account and ends its sessions. An account linked to no other creator record (a
/// creator account may work with several brands) is erased: its address replaced, its password
/// hash made unusable, and sign-in refused from then on. Returns the account's entry when it
/// was erased.
async fn release_account(
    txn: &DatabaseTransaction,
    revocations: &Revocations,
    creator_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<(Target, Changes)>, AppError> {
    sessions::end_all(txn, revocations, user_id, None, now).await?;
    let other_links = creator::Entity::find()
        .filter(creator::Column::UserId.eq(user_id))
        .filter(creator::Column::Id.ne(creator_id))
        .count(txn)
        .await?;
    if other_links > 0 {
        return Ok(None);
    }
    let Some(account) = user::Entity::find_by_id(user_id).one(txn).await? else {
        return Ok(None);
    };
    if account.erased_at.is_some() {
        return Ok(None);
    }
    let before = account.clone();
    let mut active = account.into_active_model();
    active.email = Set(erasure::erased_user_email(user_id));
    active.password_hash = Set(password::unusable_hash());
    active.last_login_at = Set(None);
    active.erased_at = Set(Some(now));
    active.updated_at = Set(now);
    let after = active.update(txn).await?;
    Ok(Some((
        Target::new(NodeKind::User, user_id),
        audit::diff(Some(&before), Some(&after)),
    )))
}
