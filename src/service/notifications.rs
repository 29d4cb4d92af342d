//! A creator account's mail preferences: whether it gets the "commission approved" mail.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tracing::instrument;

use crate::auth::{Actor, Role};
use crate::db::entity::user;
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationSettings {
    pub commission_approved_emails: bool,
}

/// The creator account of `actor`, or FORBIDDEN for any other caller.
fn creator_account(actor: &Actor) -> Result<i64, AppError> {
    match actor.user_id() {
        Some(id) if actor.role == Role::Creator => Ok(id),
        _ => Err(AppError::Forbidden(
            "notification settings belong to creator accounts".into(),
        )),
    }
}

pub async fn get(db: &DatabaseConnection, actor: &Actor) -> Result<NotificationSettings, AppError> {
    let user_id = creator_account(actor)?;
    let account = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(NotificationSettings {
        commission_approved_emails: account.commission_approved_emails,
    })
}

/// Changes the given settings (an absent one stays as it is) and returns them all.
#[instrument(skip(db, actor))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    commission_approved_emails: Option<bool>,
    now: DateTime<Utc>,
) -> Result<NotificationSettings, AppError> {
    let user_id = creator_account(actor)?;
    if let Some(value) = commission_approved_emails {
        user::Entity::update_many()
            .col_expr(user::Column::CommissionApprovedEmails, Expr::value(value))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user_id))
            .exec(db)
            .await?;
    }
    get(db, actor).await
}
