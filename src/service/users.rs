//! Users: the signed-in viewer, the brand's staff list for ADMIN, and offboarding (role
//! changes, deactivation) with the rule that a brand keeps an active ADMIN.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::ingest::lock_brand;
use super::page::{self, KeysetPage};
use super::sessions;
use crate::auth::cache::Revocation;
use crate::auth::{Actor, Auth, Permission, Role};
use crate::db::entity::{creator, user};
use crate::domain::lifecycle::{self, AdminSeat};
use crate::error::AppError;
use crate::events::Revocations;
use crate::global_id::NodeKind;

/// The caller's own account; API keys have none. A session's account is served from the
/// credential cache when the session is there: it was read with the session, and every write to
/// what it shows evicts it (role, status, creator records, a new sign-in), on every instance.
/// `authenticated` is the account the request's authentication took from there (or read), if it
/// did ([`super::actors::Authenticated`]): it is used as it is, without a second look-up.
pub async fn viewer(
    db: &DatabaseConnection,
    auth: &Auth,
    actor: &Actor,
    authenticated: Option<&Arc<user::Model>>,
) -> Result<Arc<user::Model>, AppError> {
    let user_id = actor
        .user_id()
        .ok_or_else(|| AppError::Forbidden("API keys have no user account".into()))?;
    if let Some(account) = authenticated.filter(|account| account.id == user_id) {
        return Ok(account.clone());
    }
    if let Some(session_id) = &actor.session_id
        && let Some(account) = auth.credentials.account(session_id, auth.now())
        && account.id == user_id
    {
        return Ok(account);
    }
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Arc::new(user))
}

/// A user the caller may see: itself, or (ADMIN) a user of its brand.
pub async fn get(
    db: &DatabaseConnection,
    auth: &Auth,
    actor: &Actor,
    id: i64,
) -> Result<Arc<user::Model>, AppError> {
    if actor.user_id() == Some(id) {
        return viewer(db, auth, actor, None).await;
    }
    let user =
        super::scoped::get::<user::Entity, _>(db, actor, Permission::ManageUsers, id).await?;
    Ok(Arc::new(user))
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<user::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let select = user::Entity::find().filter(user::Column::BrandId.eq(brand_id));
    page::by_id(db, select, user::Column::Id, page).await
}

/// The creator records linked to an account (one per brand it works with). Bounded by the
/// number of brands a creator works with.
pub async fn creator_records(
    db: &DatabaseConnection,
    user_id: i64,
) -> Result<Vec<creator::Model>, AppError> {
    Ok(creator::Entity::find()
        .filter(creator::Column::UserId.eq(user_id))
        .order_by_asc(creator::Column::Id)
        .all(db)
        .await?)
}

/// A staff account of the caller's brand for ADMIN to change; creator accounts (which span
/// brands) and other brands' users are NOT_FOUND.
async fn staff_for_change<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    id: i64,
) -> Result<user::Model, AppError> {
    super::scoped::find_in_brand::<user::Entity, _>(db, brand_id, id).await
}

fn seat(row: &user::Model) -> AdminSeat {
    AdminSeat {
        is_admin: row.role == Role::Admin.as_str(),
        active: row.deactivated_at.is_none(),
    }
}

/// Refuses (CONFLICT) a change of `target` from `before` to `after` that would leave the brand
/// without an active ADMIN. Runs after [`lock_brand`], so two ADMINs demoting each other at
/// once cannot both succeed.
async fn ensure_admin_remains<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    target: &user::Model,
    after: AdminSeat,
) -> Result<(), AppError> {
    let before = seat(target);
    if !(before.is_admin && before.active) {
        return Ok(());
    }
    let others = user::Entity::find()
        .filter(user::Column::BrandId.eq(brand_id))
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::DeactivatedAt.is_null())
        .filter(user::Column::Id.ne(target.id))
        .count(db)
        .await?;
    lifecycle::ensure_admin_remains(before, after, others)
        .map_err(|reason| AppError::Conflict(reason.into()))
}

/// ADMIN: gives a staff account of the brand another staff role. It takes effect on the
/// account's next request (the role is read from the account, never from the token, and the
/// change evicts the account's cached callers in every process).
#[instrument(skip(db, actor))]
pub async fn update_role(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> Result<user::Model, AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    if !role.is_staff() {
        return Err(AppError::bad_input(
            "role",
            "a staff account's role is ADMIN, MANAGER or ANALYST",
        ));
    }
    let txn = db.begin().await?;
    lock_brand(&txn, brand_id).await?;
    let target = staff_for_change(&txn, brand_id, id).await?;
    if target.role == role.as_str() {
        audit::record(&txn, Target::new(NodeKind::User, target.id), Changes::new()).await?;
        txn.commit().await?;
        return Ok(target);
    }
    let after = AdminSeat {
        is_admin: role == Role::Admin,
        active: target.deactivated_at.is_none(),
    };
    ensure_admin_remains(&txn, brand_id, &target, after).await?;
    let revocations = Revocations::new();
    revocations.push(Revocation::User { user_id: target.id });
    let before = target.clone();
    let mut active = target.into_active_model();
    active.role = Set(role.as_str().to_owned());
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    record_change(&txn, &before, &updated).await?;
    revocations.commit(db, txn).await?;
    tracing::info!(user_id = id, role = role.as_str(), "role changed");
    Ok(updated)
}

/// ADMIN: deactivates a staff account of the brand. Every session and refresh token of the
/// account ends in the same transaction, and its access tokens are refused from the next
/// request on; it cannot sign in until reactivated. The brand's last active ADMIN stays.
#[instrument(skip(db, actor))]
pub async fn deactivate(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<user::Model, AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let txn = db.begin().await?;
    lock_brand(&txn, brand_id).await?;
    let target = staff_for_change(&txn, brand_id, id).await?;
    if target.deactivated_at.is_some() {
        audit::record(&txn, Target::new(NodeKind::User, target.id), Changes::new()).await?;
        txn.commit().await?;
        return Ok(target);
    }
    let after = AdminSeat {
        active: false,
        ..seat(&target)
    };
    ensure_admin_remains(&txn, brand_id, &target, after).await?;
    let revocations = Revocations::new();
    sessions::end_all(&txn, &revocations, target.id, None, now).await?;
    let before = target.clone();
    let mut active = target.into_active_model();
    active.deactivated_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    record_change(&txn, &before, &updated).await?;
    revocations.commit(db, txn).await?;
    tracing::info!(user_id = id, "user deactivated");
    Ok(updated)
}

/// ADMIN: lets a deactivated staff account of the brand sign in again (with its own password;
/// no session is restored).
#[instrument(skip(db, actor))]
pub async fn reactivate(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<user::Model, AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let target = staff_for_change(db, brand_id, id).await?;
    if target.deactivated_at.is_none() {
        audit::record(db, Target::new(NodeKind::User, target.id), Changes::new()).await?;
        return Ok(target);
    }
    let before = target.clone();
    let mut active = target.into_active_model();
    active.deactivated_at = Set(None);
    active.updated_at = Set(now);
    audit::update(db, NodeKind::User, &before, active).await
}

/// The entry of a change to a staff account, in the change's transaction.
async fn record_change<C: ConnectionTrait>(
    db: &C,
    before: &user::Model,
    after: &user::Model,
) -> Result<(), AppError> {
    audit::record(
        db,
        Target::new(NodeKind::User, after.id),
        audit::diff(Some(before), Some(after)),
    )
    .await
}
