//! Invites: ADMIN invites staff; ADMIN and MANAGER invite a creator to its creator record. The
//! token is single-use, expires, and is stored only as a hash.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::page::{self, KeysetPage};
use crate::auth::secrets::{self, INVITE_TOKEN_PREFIX};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{brand, creator, invite, user};
use crate::domain::email;
use crate::domain::mail::{self as templates, MailKind};
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::mail::{self, Links};

pub const INVITE_TTL: Duration = Duration::days(7);

pub struct InviteUser {
    pub email: String,
    pub role: Role,
    pub creator_id: Option<i64>,
}

pub struct IssuedInvite {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub invite: invite::Model,
}

/// Creates the invite and, in the same transaction, queues its mail to the invitee.
#[instrument(skip_all, fields(role = input.role.as_str()))]
pub async fn invite_user(
    db: &DatabaseConnection,
    actor: &Actor,
    links: &Links,
    input: InviteUser,
    now: DateTime<Utc>,
) -> Result<IssuedInvite, AppError> {
    let email = email::normalize(&input.email).map_err(|msg| AppError::bad_input("email", msg))?;
    let brand_id = match input.role {
        Role::Creator => {
            let brand_id = actor.require(Permission::InviteCreators)?;
            let creator_id = input.creator_id.ok_or_else(|| {
                AppError::bad_input("creatorId", "is required for a CREATOR invite")
            })?;
            let record = creator::Entity::find_by_id(creator_id)
                .filter(creator::Column::BrandId.eq(brand_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            if record.user_id.is_some() {
                return Err(AppError::Conflict(
                    "this creator record is already linked to an account".into(),
                ));
            }
            if record.erased_at.is_some() {
                return Err(AppError::Conflict("this creator record was erased".into()));
            }
            brand_id
        }
        Role::Admin | Role::Manager | Role::Analyst => {
            let brand_id = actor.require(Permission::ManageUsers)?;
            if input.creator_id.is_some() {
                return Err(AppError::bad_input(
                    "creatorId",
                    "only a CREATOR invite names a creator",
                ));
            }
            let taken = user::Entity::find()
                .filter(user::Column::Email.eq(email.as_str()))
                .count(db)
                .await?;
            if taken > 0 {
                return Err(AppError::Conflict(
                    "an account with this email exists".into(),
                ));
            }
            brand_id
        }
        Role::Integrator => {
            return Err(AppError::bad_input("role", "integrators use API keys"));
        }
    };
    let token = secrets::random_token(INVITE_TOKEN_PREFIX);
    let expires_at = now + INVITE_TTL;
    let brand_name = brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?
        .name;
    let message = templates::invite(
        &brand_name,
        input.role.as_str(),
        &links.accept_invite(&token),
        &mail::display_time(expires_at),
    );
    let txn = db.begin().await?;
    let invite = invite::ActiveModel {
        brand_id: Set(brand_id),
        email: Set(email.clone()),
        role: Set(input.role.as_str().to_owned()),
        creator_id: Set(input.creator_id),
        token_hash: Set(secrets::sha256_hex(&token)),
        invited_by_user_id: Set(actor.user_id()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    mail::enqueue(&txn, Some(brand_id), MailKind::Invite, &email, message, now).await?;
    audit::record(
        &txn,
        Target::new(NodeKind::Invite, invite.id),
        audit::diff(None, Some(&invite)),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedInvite {
        token,
        expires_at,
        invite,
    })
}

/// ADMIN: the brand's invites (staff and creator ones), newest last, whatever their state.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<invite::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let select = invite::Entity::find().filter(invite::Column::BrandId.eq(brand_id));
    page::by_id(db, select, invite::Column::Id, page).await
}

/// ADMIN: an invite of the brand; NOT_FOUND otherwise.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<invite::Model, AppError> {
    super::scoped::get::<invite::Entity, _>(db, actor, Permission::ManageUsers, id).await
}

/// ADMIN: revokes a pending invite; accepting it answers that it was revoked, and its mail, if
/// still waiting in the outbox, is withdrawn. Revoking twice changes nothing; an accepted invite
/// is CONFLICT (deactivate the account instead).
#[instrument(skip(db, actor))]
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<invite::Model, AppError> {
    let brand_id = actor.require(Permission::ManageUsers)?;
    let row = super::scoped::find_in_brand::<invite::Entity, _>(db, brand_id, id).await?;
    let target = Target::new(NodeKind::Invite, row.id);
    if row.revoked_at.is_some() {
        audit::record(db, target, Changes::new()).await?;
        return Ok(row);
    }
    // Only while nobody has accepted it: the claim in `accept_invite` and this update exclude
    // each other.
    let txn = db.begin().await?;
    let revoked = invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(row.id))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected != 1 {
        return Err(AppError::Conflict(
            "this invite was accepted already; deactivate the account instead".into(),
        ));
    }
    // The invite's mail was queued with it, at its `created_at`.
    mail::cancel_pending(&txn, brand_id, MailKind::Invite, &row.email, row.created_at).await?;
    let after = super::scoped::find_in_brand::<invite::Entity, _>(&txn, brand_id, id).await?;
    audit::record(&txn, target, audit::diff(Some(&row), Some(&after))).await?;
    txn.commit().await?;
    Ok(after)
}

/// Where an invite stands at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

pub fn status(row: &invite::Model, now: DateTime<Utc>) -> InviteStatus {
    if row.accepted_at.is_some() {
        InviteStatus::Accepted
    } else if row.revoked_at.is_some() {
        InviteStatus::Revoked
    } else if row.expires_at <= now {
        InviteStatus::Expired
    } else {
        InviteStatus::Pending
    }
}
