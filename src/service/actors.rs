//! Turns the request's bearer credential into the [`Actor`]: an API key (`pg_...`) or an access
//! token whose session is still live.
//!
//! A credential read from the database is kept in the process's credential cache
//! ([`crate::auth::cache`]), so that the next requests with it run no statement (the access
//! token's signature and times are still checked on every request). Every write that revokes
//! publishes what it revoked ([`crate::events::Revocations`]) and each process evicts it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::sessions;
use crate::auth::cache::{self, Cached, Credential, CredentialCache};
use crate::auth::secrets::{self, API_KEY_PREFIX};
use crate::auth::{Actor, Auth, Principal, Role, Scope};
use crate::db::entity::{api_key, creator, user};
use crate::error::AppError;

/// `last_used_at` is refreshed at most this often, so that reads do not all become writes.
const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

/// A credential's caller and, for a session, the account row read with it (shared with the
/// credential cache): [`super::users::viewer`] answers from it without a second look-up.
#[derive(Debug)]
pub struct Authenticated {
    pub actor: Actor,
    /// The session's account; `None` for an API key.
    pub account: Option<Arc<user::Model>>,
}

/// The caller behind `token` at `now`, the credentials' time (`auth.now()`, see
/// [`crate::clock`]).
pub async fn from_bearer(
    db: &DatabaseConnection,
    auth: &Auth,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, AppError> {
    if token.starts_with(API_KEY_PREFIX) {
        from_api_key(db, &auth.credentials, token, now).await
    } else {
        from_access_token(db, auth, token, now).await
    }
}

async fn from_api_key(
    db: &DatabaseConnection,
    cache: &CredentialCache,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, AppError> {
    let credential = Credential::ApiKey(secrets::sha256_hex(secret));
    if let Some(cached) = cache.get(&credential, now) {
        let Principal::ApiKey(key_id) = cached.actor.principal else {
            return Err(AppError::Unauthenticated);
        };
        if is_stale(cached.last_used_at, now) {
            write_last_used(db, key_id, now).await?;
            cache.touch(&credential, now);
        }
        return Ok(Authenticated {
            actor: cached.actor,
            account: None,
        });
    }
    let ticket = cache.ticket();
    let Credential::ApiKey(hash) = &credential else {
        return Err(AppError::Unauthenticated);
    };
    let key = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(hash.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .filter(|key| key.expires_at.is_none_or(|at| at > now))
        .ok_or(AppError::Unauthenticated)?;
    let mut last_used_at = key.last_used_at;
    if is_stale(last_used_at, now) {
        write_last_used(db, key.id, now).await?;
        last_used_at = Some(now);
    }
    let actor = Actor {
        principal: Principal::ApiKey(key.id),
        role: Role::Integrator,
        brand_id: Some(key.brand_id),
        creator_ids: Vec::new(),
        scopes: parse_scopes(&key.scopes),
        session_id: None,
    };
    let cached = Cached {
        actor: actor.clone(),
        account: None,
        valid_until: key.expires_at.unwrap_or(now + cache::TTL),
        last_used_at,
    };
    cache.insert(credential, cached, ticket, now);
    Ok(Authenticated {
        actor,
        account: None,
    })
}

fn is_stale(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
}

async fn write_last_used(
    db: &DatabaseConnection,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(key_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Scopes are stored as a JSON array of names; unknown names are ignored (never widened).
pub fn parse_scopes(stored: &str) -> Vec<Scope> {
    serde_json::from_str::<Vec<String>>(stored)
        .unwrap_or_default()
        .iter()
        .filter_map(|name| Scope::from_stored(name))
        .collect()
}

async fn from_access_token(
    db: &DatabaseConnection,
    auth: &Auth,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, AppError> {
    let claims = auth.jwt.verify(token, now)?;
    let user_id = claims.user_id()?;
    let cache = &auth.credentials;
    let credential = Credential::Session(claims.sid.clone());
    if let Some(cached) = cache.get(&credential, now)
        && cached.actor.user_id() == Some(user_id)
    {
        return Ok(Authenticated {
            actor: cached.actor,
            account: cached.account,
        });
    }
    let ticket = cache.ticket();
    let session_expires_at = sessions::live_until(db, user_id, &claims.sid, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    // The account row is read with the session (for its role); a deactivation or a role change
    // evicts the cached caller, so it takes effect on the very next request.
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|user| user.deactivated_at.is_none())
        .filter(|user| user.erased_at.is_none())
        .ok_or(AppError::Unauthenticated)?;
    let role = Role::from_stored(&user.role).ok_or(AppError::Unauthenticated)?;
    let creator_ids = if role == Role::Creator {
        creator::Entity::find()
            .select_only()
            .column(creator::Column::Id)
            .filter(creator::Column::UserId.eq(user.id))
            .into_tuple::<i64>()
            .all(db)
            .await?
    } else {
        Vec::new()
    };
    let actor = Actor {
        principal: Principal::User(user.id),
        role,
        brand_id: user.brand_id,
        creator_ids,
        scopes: Vec::new(),
        session_id: Some(claims.sid.clone()),
    };
    let account = Arc::new(user);
    let cached = Cached {
        actor: actor.clone(),
        account: Some(account.clone()),
        valid_until: session_expires_at,
        last_used_at: None,
    };
    cache.insert(credential, cached, ticket, now);
    Ok(Authenticated {
        actor,
        account: Some(account),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_unknown_names_are_dropped() {
        assert_eq!(
            parse_scopes(r#"["INGEST","ADMIN","READ_LINKS"]"#),
            vec![Scope::Ingest, Scope::ReadLinks]
        );
        assert!(parse_scopes("not json").is_empty());
    }
}
