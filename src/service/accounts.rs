//! Signing up and signing in: brand registration, login (rate limited per account and IP), and
//! accepting invites.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tracing::instrument;

use super::sessions::{self, Session};
use crate::auth::cache::Revocation;
use crate::auth::{Auth, Role, password, secrets};
use crate::db::entity::{brand, creator, invite, user};
use crate::domain::brand::{CodePrecedence, validate_name, validate_timezone};
use crate::domain::email;
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::events::Revocations;

pub struct RegisterBrand {
    pub brand_name: String,
    pub currency: Currency,
    pub timezone: String,
    pub email: String,
    pub password: String,
}

fn normalize_email(raw: &str) -> Result<String, AppError> {
    email::normalize(raw).map_err(|msg| AppError::bad_input("email", msg))
}

/// Creates a brand and its first ADMIN, signed in.
#[instrument(skip_all)]
pub async fn register_brand(
    db: &DatabaseConnection,
    auth: &Auth,
    input: RegisterBrand,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let name = validate_name(&input.brand_name).map_err(AppError::invalid)?;
    let timezone = validate_timezone(&input.timezone).map_err(AppError::invalid)?;
    let email = normalize_email(&input.email)?;
    password::validate(&input.password)?;
    let password_hash = password::hash(input.password).await?;
    let txn = db.begin().await?;
    let brand = brand::ActiveModel {
        name: Set(name),
        currency_code: Set(input.currency.code().to_owned()),
        timezone: Set(timezone),
        attribution_window_days: Set(30),
        hold_period_days: Set(30),
        attribution_model: Set(crate::domain::attribution::Model::ClickId
            .as_str()
            .to_owned()),
        code_precedence: Set(CodePrecedence::default().as_str().to_owned()),
        gross_margin: Set("1".into()),
        minimum_payout_minor: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let admin = insert_user(
        &txn,
        &email,
        password_hash,
        Role::Admin,
        Some(brand.id),
        now,
    )
    .await?;
    let session = sessions::start(&txn, auth, admin, auth.now()).await?;
    txn.commit().await?;
    tracing::info!(brand_id = brand.id, "brand registered");
    Ok(session)
}

async fn insert_user<C: sea_orm::ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: String,
    role: Role,
    brand_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<user::Model, AppError> {
    user::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        brand_id: Set(brand_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match AppError::from(err) {
        AppError::Conflict(_) => AppError::Conflict("an account with this email exists".into()),
        other => other,
    })
}

/// Signs in. Wrong email and wrong password answer the same, in the same time; failures are
/// limited per account and per client IP.
#[instrument(skip_all)]
pub async fn login(
    db: &DatabaseConnection,
    auth: &Auth,
    email: &str,
    password: String,
    client_ip: Option<IpAddr>,
    at: DateTime<Utc>,
) -> Result<Session, AppError> {
    let now = Instant::now();
    let account_key = email.trim().to_lowercase();
    let ip_key = client_ip.map(|ip| ip.to_string());
    auth.login_by_account
        .check(&account_key, now)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    if let Some(ip) = &ip_key {
        auth.login_by_ip
            .check(ip, now)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    }
    // An address no user can have (a NUL would even fail the query on PostgreSQL) is not looked
    // up: the same answer, after the same work, as an unknown address.
    let found = match email::normalize(email) {
        Ok(_) => {
            user::Entity::find()
                .filter(user::Column::Email.eq(account_key.as_str()))
                .one(db)
                .await?
        }
        Err(_) => None,
    };
    // An erased account answers like an unknown address.
    let found = found.filter(|user| user.erased_at.is_none());
    let verified = match &found {
        Some(user) => password::verify(password, user.password_hash.clone()).await?,
        None => {
            password::verify_dummy(password).await;
            false
        }
    };
    let user = match (found, verified) {
        (Some(user), true) => user,
        _ => {
            auth.login_by_account.record_failure(&account_key, now);
            if let Some(ip) = &ip_key {
                auth.login_by_ip.record_failure(ip, now);
            }
            return Err(AppError::InvalidCredentials);
        }
    };
    auth.login_by_account.reset(&account_key);
    // Said only to whoever knows the password: telling it apart from a wrong password leaks
    // nothing, and the person learns whom to ask.
    if user.deactivated_at.is_some() {
        return Err(AppError::Forbidden(
            "this account is deactivated; an ADMIN of the brand can reactivate it".into(),
        ));
    }
    // The account's other sessions' cached copy (`viewer`) shows the previous sign-in: evicted
    // on every instance with the write.
    let txn = db.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(at))
        .filter(user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let revocations = Revocations::new();
    revocations.push(Revocation::User { user_id: user.id });
    revocations.commit(db, txn).await?;
    sessions::start(db, auth, user, auth.now()).await
}

/// Accepts an invite: creates the account with `password`, or, for a creator invite to an email
/// that already has a creator account, links the creator record to it (the account's own
/// password is required, so an invite never grants access to someone else's account).
#[instrument(skip_all)]
pub async fn accept_invite(
    db: &DatabaseConnection,
    auth: &Auth,
    token: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let invalid = || AppError::bad_input("inviteToken", "invalid, used or expired invite");
    let invite = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(secrets::sha256_hex(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if invite.revoked_at.is_some() {
        return Err(AppError::bad_input(
            "inviteToken",
            "this invite was revoked by the brand; ask it for a new one",
        ));
    }
    if invite.accepted_at.is_some() || invite.expires_at <= now {
        return Err(invalid());
    }
    let role = Role::from_stored(&invite.role).ok_or_else(|| AppError::internal("invite role"))?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(invite.email.as_str()))
        .one(db)
        .await?;
    let new_hash = match &existing {
        Some(account) => {
            if role != Role::Creator || account.role != Role::Creator.as_str() {
                return Err(AppError::Conflict(
                    "an account with this email exists".into(),
                ));
            }
            if !password::verify(password, account.password_hash.clone()).await? {
                return Err(AppError::InvalidCredentials);
            }
            None
        }
        None => {
            password::validate(&password)?;
            Some(password::hash(password).await?)
        }
    };

    let txn = db.begin().await?;
    let claimed = invite::Entity::update_many()
        .col_expr(invite::Column::AcceptedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(invite.id))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid());
    }
    let account = match (existing, new_hash) {
        (Some(account), _) => account,
        (None, Some(hash)) => {
            let brand_id = role.is_staff().then_some(invite.brand_id);
            insert_user(&txn, &invite.email, hash, role, brand_id, now).await?
        }
        (None, None) => return Err(AppError::internal("no password hash for a new account")),
    };
    if let Some(creator_id) = invite.creator_id {
        let linked = creator::Entity::update_many()
            .col_expr(creator::Column::UserId, Expr::value(account.id))
            .col_expr(creator::Column::UpdatedAt, Expr::value(now))
            .filter(creator::Column::Id.eq(creator_id))
            .filter(creator::Column::BrandId.eq(invite.brand_id))
            .filter(creator::Column::UserId.is_null())
            .exec(&txn)
            .await?;
        if linked.rows_affected != 1 {
            return Err(AppError::Conflict(
                "this creator record is already linked to an account".into(),
            ));
        }
    }
    // An existing account's callers carry its creator records: they are read again.
    let revocations = Revocations::new();
    if invite.creator_id.is_some() {
        revocations.push(Revocation::User {
            user_id: account.id,
        });
    }
    let session = sessions::start(&txn, auth, account, auth.now()).await?;
    revocations.commit(db, txn).await?;
    Ok(session)
}
