//! Passwords: changing one's own (the old one required; every other session ends), and
//! resetting a forgotten one by mail (a single-use token, stored only as its SHA-256, valid
//! for [`RESET_TTL`]; requests limited per address and per IP; the same answer whether or not
//! the account exists; every session ends).

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::mail::{self, Links};
use super::sessions;
use crate::auth::secrets::{self, RESET_TOKEN_PREFIX};
use crate::auth::{Actor, Auth, password};
use crate::db::entity::{password_reset, user};
use crate::domain::email;
use crate::domain::mail::{MailKind, password_reset as reset_mail};
use crate::error::AppError;
use crate::events::Revocations;
use crate::global_id::NodeKind;

pub const RESET_TTL: Duration = Duration::hours(1);

/// The one answer for a reset token that is unknown, used or expired.
fn invalid_token() -> AppError {
    AppError::bad_input("token", "invalid, used or expired reset token")
}

/// Changes the signed-in user's password. Wrong old passwords count as failed logins of the
/// account. Every session of the user but the caller's ends.
#[instrument(skip_all)]
pub async fn change_password(
    db: &DatabaseConnection,
    auth: &Auth,
    actor: &Actor,
    old_password: String,
    new_password: String,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let (Some(user_id), Some(session_id)) = (actor.user_id(), actor.session_id.as_deref()) else {
        return Err(AppError::Forbidden(
            "only a signed-in user has a password".into(),
        ));
    };
    let account = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let started = Instant::now();
    auth.login_by_account
        .check(&account.email, started)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    password::validate_field("newPassword", &new_password)?;
    if !password::verify(old_password, account.password_hash.clone()).await? {
        auth.login_by_account
            .record_failure(&account.email, started);
        return Err(AppError::bad_input(
            "oldPassword",
            "is not the account's current password",
        ));
    }
    let hash = password::hash(new_password).await?;
    let txn = db.begin().await?;
    set_password(&txn, user_id, hash, now).await?;
    let revocations = Revocations::new();
    sessions::end_all(&txn, &revocations, user_id, Some(session_id), now).await?;
    // That the password changed, never to what: the hash is not a field of an entry. A
    // creator's own change records nothing (creators are not audited).
    audit::record(&txn, Target::new(NodeKind::User, user_id), Changes::new()).await?;
    revocations.commit(db, txn).await?;
    tracing::info!(user_id, "password changed");
    Ok(true)
}

/// Mails a reset link to `email` when it is an account's. Answers `true` either way (no one
/// learns which addresses have accounts); limited per address and per client IP.
#[instrument(skip_all)]
pub async fn request_reset(
    db: &DatabaseConnection,
    auth: &Auth,
    links: &Links,
    raw_email: &str,
    client_ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let started = Instant::now();
    let key = raw_email.trim().to_lowercase();
    let ip_key = client_ip.map(|ip| ip.to_string());
    auth.reset_by_email
        .check(&key, started)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    if let Some(ip) = &ip_key {
        auth.reset_by_ip
            .check(ip, started)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    }
    auth.reset_by_email.record_failure(&key, started);
    if let Some(ip) = &ip_key {
        auth.reset_by_ip.record_failure(ip, started);
    }
    let Ok(address) = email::normalize(raw_email) else {
        return Ok(true);
    };
    let Some(account) = user::Entity::find()
        .filter(user::Column::Email.eq(address.as_str()))
        .one(db)
        .await?
    else {
        tracing::info!("password reset requested for an unknown address");
        return Ok(true);
    };
    let token = secrets::random_token(RESET_TOKEN_PREFIX);
    let expires_at = now + RESET_TTL;
    let txn = db.begin().await?;
    password_reset::ActiveModel {
        user_id: Set(account.id),
        token_hash: Set(secrets::sha256_hex(&token)),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let message = reset_mail(
        &links.reset_password(&token),
        &mail::display_time(expires_at),
    );
    mail::enqueue(
        &txn,
        account.brand_id,
        MailKind::PasswordReset,
        &account.email,
        message,
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user_id = account.id, "password reset requested");
    Ok(true)
}

/// Sets a new password with a reset token. Every session of the account ends, and so does
/// every other reset token of it.
#[instrument(skip_all)]
pub async fn reset(
    db: &DatabaseConnection,
    token: &str,
    new_password: String,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    password::validate_field("newPassword", &new_password)?;
    let row = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(secrets::sha256_hex(token)))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now)
        .ok_or_else(invalid_token)?;
    let hash = password::hash(new_password).await?;
    let txn = db.begin().await?;
    // Claim the token; zero rows means it was used a moment ago, concurrently.
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(row.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid_token());
    }
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(row.user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    set_password(&txn, row.user_id, hash, now).await?;
    let revocations = Revocations::new();
    sessions::end_all(&txn, &revocations, row.user_id, None, now).await?;
    revocations.commit(db, txn).await?;
    tracing::info!(user_id = row.user_id, "password reset");
    Ok(true)
}

async fn set_password<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
