//! Invites: ADMIN invites staff; ADMIN and MANAGER invite a creator to its creator record. The
//! token is single-use, expires, and is stored only as a hash.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use tracing::instrument;

use crate::auth::secrets::{self, INVITE_TOKEN_PREFIX};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{creator, invite, user};
use crate::domain::email;
use crate::error::AppError;

pub const INVITE_TTL: Duration = Duration::days(7);

pub struct InviteUser {
    pub email: String,
    pub role: Role,
    pub creator_id: Option<i64>,
}

pub struct IssuedInvite {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[instrument(skip_all, fields(role = input.role.as_str()))]
pub async fn invite_user(
    db: &DatabaseConnection,
    actor: &Actor,
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
    invite::ActiveModel {
        brand_id: Set(brand_id),
        email: Set(email),
        role: Set(input.role.as_str().to_owned()),
        creator_id: Set(input.creator_id),
        token_hash: Set(secrets::sha256_hex(&token)),
        invited_by_user_id: Set(actor.user_id()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(IssuedInvite { token, expires_at })
}
