//! Sessions: an access JWT plus a refresh token. A session is a refresh-token family: every
//! refresh rotates the token inside the family, and presenting a used token again revokes the
//! whole family (it was stolen or replayed).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::page::{self, KeysetPage};
use crate::auth::cache::Revocation;
use crate::auth::secrets::{self, REFRESH_TOKEN_PREFIX};
use crate::auth::{Actor, Auth};
use crate::db::entity::{refresh_token, user};
use crate::error::AppError;
use crate::events::Revocations;
use crate::global_id::NodeKind;

pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);

/// What a successful sign-in returns. The refresh token is shown here once; only its hash is
/// stored.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Starts a new session (a new family) for `user` at `now`, the credentials' time
/// (`auth.now()`, see [`crate::clock`]).
pub async fn start<C: ConnectionTrait>(
    db: &C,
    auth: &Auth,
    user: user::Model,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let family_id = uuid::Uuid::new_v4().to_string();
    issue_in_family(db, auth, user, family_id, now).await
}

async fn issue_in_family<C: ConnectionTrait>(
    db: &C,
    auth: &Auth,
    user: user::Model,
    family_id: String,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let refresh = secrets::random_token(REFRESH_TOKEN_PREFIX);
    refresh_token::ActiveModel {
        user_id: Set(user.id),
        family_id: Set(family_id.clone()),
        token_hash: Set(secrets::sha256_hex(&refresh)),
        expires_at: Set(now + REFRESH_TOKEN_TTL),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let (access_token, expires_at) = auth.jwt.issue(user.id, &family_id, now)?;
    Ok(Session {
        access_token,
        refresh_token: refresh,
        expires_at,
        user,
    })
}

/// Exchanges a refresh token for a new session token pair in the same family. `now` is the
/// credentials' time, `auth.now()` (see [`crate::clock`]).
#[instrument(skip_all)]
pub async fn refresh(
    db: &DatabaseConnection,
    auth: &Auth,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let txn = db.begin().await?;
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secrets::sha256_hex(token)))
        .one(&txn)
        .await?
        .ok_or(AppError::InvalidCredentials)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(AppError::InvalidCredentials);
    }
    // Claim the token; zero rows means it was used already (possibly a moment ago, concurrently).
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        let revocations = Revocations::new();
        revoke_family(&txn, &revocations, &row.family_id, now).await?;
        revocations.commit(db, txn).await?;
        tracing::warn!(
            user_id = row.user_id,
            "refresh token reused: session revoked"
        );
        return Err(AppError::InvalidCredentials);
    }
    let user = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|user| user.deactivated_at.is_none())
        .ok_or(AppError::InvalidCredentials)?;
    let session = issue_in_family(&txn, auth, user, row.family_id, now).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the caller's session: its refresh tokens and its access tokens stop working at once
/// (in every process: the revocation is published).
#[instrument(skip(db))]
pub async fn logout(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let session_id = actor
        .session_id
        .as_deref()
        .ok_or_else(|| AppError::Forbidden("only a signed-in user can log out".into()))?;
    let user_id = own_user(actor)?;
    let txn = db.begin().await?;
    let first = first_of_family(&txn, session_id).await?;
    let revocations = Revocations::new();
    revoke_family(&txn, &revocations, session_id, now).await?;
    match first {
        Some(before) => record_end(&txn, &before).await?,
        // A session without a stored token (it cannot be signed in): the account it is of.
        None => {
            audit::record(&txn, Target::new(NodeKind::User, user_id), Changes::new()).await?;
        }
    }
    revocations.commit(db, txn).await?;
    Ok(true)
}

/// The first refresh token of session `family_id`: the row that names the session.
async fn first_of_family<C: ConnectionTrait>(
    db: &C,
    family_id: &str,
) -> Result<Option<refresh_token::Model>, AppError> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .order_by_asc(refresh_token::Column::Id)
        .one(db)
        .await?)
}

/// The entry of a session's end: its `endedAt`, read again after [`revoke_family`] (unchanged
/// when it had ended before).
async fn record_end<C: ConnectionTrait>(
    db: &C,
    before: &refresh_token::Model,
) -> Result<(), AppError> {
    let ended_at = refresh_token::Entity::find_by_id(before.id)
        .one(db)
        .await?
        .and_then(|row| row.revoked_at);
    let json = |at: Option<DateTime<Utc>>| at.map(|at| at.to_rfc3339());
    audit::record(
        db,
        Target::new(NodeKind::Session, before.id),
        Changes::new().set("ended_at", json(before.revoked_at), json(ended_at)),
    )
    .await
}

/// Revokes session `family_id` and records it in `revocations`, which the caller publishes.
async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    revocations: &Revocations,
    family_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    revocations.push(Revocation::Session {
        session_id: family_id.to_owned(),
    });
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Until when session `family_id` of `user_id` is live (not logged out, not expired); `None`
/// when it is not. The time is one live refresh token's expiry: the session may last longer
/// (a later token of the family), never shorter.
pub async fn live_until<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    family_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let live = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(live.map(|row| row.expires_at))
}

/// Ends every session of `user_id` (all its refresh-token families) at `now`, but the family
/// `keep` when given (the caller's own, which stays signed in), and records it in
/// `revocations`, which the caller publishes with its commit.
pub async fn end_all<C: ConnectionTrait>(
    db: &C,
    revocations: &Revocations,
    user_id: i64,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    revocations.push(Revocation::User { user_id });
    let mut update = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null());
    if let Some(family_id) = keep {
        update = update.filter(refresh_token::Column::FamilyId.ne(family_id));
    }
    update.exec(db).await?;
    Ok(())
}

fn own_user(actor: &Actor) -> Result<i64, AppError> {
    actor
        .user_id()
        .ok_or_else(|| AppError::Forbidden("API keys have no sessions".into()))
}

/// The caller's live sessions, oldest first. A session is named by the first refresh token of
/// its family (that row's id stays the same however often the session is refreshed).
pub async fn list_own(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
    now: DateTime<Utc>,
) -> Result<(Vec<refresh_token::Model>, u64), AppError> {
    let user_id = own_user(actor)?;
    let first_of_family = Query::select()
        .expr(Func::min(Expr::col(refresh_token::Column::Id)))
        .from(refresh_token::Entity)
        .and_where(refresh_token::Column::UserId.eq(user_id))
        .group_by_col(refresh_token::Column::FamilyId)
        .to_owned();
    let live_families = Query::select()
        .column(refresh_token::Column::FamilyId)
        .from(refresh_token::Entity)
        .and_where(refresh_token::Column::UserId.eq(user_id))
        .and_where(refresh_token::Column::RevokedAt.is_null())
        .and_where(refresh_token::Column::ExpiresAt.gt(now))
        .to_owned();
    let select = refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::Id.in_subquery(first_of_family))
        .filter(refresh_token::Column::FamilyId.in_subquery(live_families));
    page::by_id(db, select, refresh_token::Column::Id, page).await
}

/// One of the caller's sessions by the id [`list_own`] gives it, ended or not; another
/// account's is NOT_FOUND.
pub async fn get_own<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> Result<refresh_token::Model, AppError> {
    let user_id = own_user(actor).map_err(|_| AppError::NotFound)?;
    refresh_token::Entity::find_by_id(id)
        .filter(refresh_token::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Ends one of the caller's own sessions (the current one included, like `logout`): its
/// refresh tokens and access tokens stop working at once.
#[instrument(skip(db, actor))]
pub async fn end_own(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<refresh_token::Model, AppError> {
    own_user(actor)?;
    let txn = db.begin().await?;
    let row = get_own(&txn, actor, id).await?;
    let revocations = Revocations::new();
    revoke_family(&txn, &revocations, &row.family_id, now).await?;
    record_end(&txn, &row).await?;
    revocations.commit(db, txn).await?;
    get_own(db, actor, id).await
}
