//! Turns the request's bearer credential into the [`Actor`]: an API key (`pg_...`) or an access
//! token whose session is still live.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::sessions;
use crate::auth::secrets::{self, API_KEY_PREFIX};
use crate::auth::{Actor, Auth, Principal, Role, Scope};
use crate::db::entity::{api_key, creator, user};
use crate::error::AppError;

/// `last_used_at` is refreshed at most this often, so that reads do not all become writes.
const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

/// The caller behind `token` at `now`, the credentials' time (`auth.now()`, see
/// [`crate::clock`]).
pub async fn from_bearer(
    db: &DatabaseConnection,
    auth: &Auth,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Actor, AppError> {
    if token.starts_with(API_KEY_PREFIX) {
        from_api_key(db, token, now).await
    } else {
        from_access_token(db, auth, token, now).await
    }
}

async fn from_api_key(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Actor, AppError> {
    let key = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(secrets::sha256_hex(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .filter(|key| key.expires_at.is_none_or(|at| at > now))
        .ok_or(AppError::Unauthenticated)?;
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Actor {
        principal: Principal::ApiKey(key.id),
        role: Role::Integrator,
        brand_id: Some(key.brand_id),
        creator_ids: Vec::new(),
        scopes: parse_scopes(&key.scopes),
        session_id: None,
    })
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
) -> Result<Actor, AppError> {
    let claims = auth.jwt.verify(token, now)?;
    let user_id = claims.user_id()?;
    if !sessions::is_live(db, user_id, &claims.sid, now).await? {
        return Err(AppError::Unauthenticated);
    }
    // The account row is read on every request anyway (for its role), so a deactivation or a
    // role change takes effect on the very next request without another query.
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
    Ok(Actor {
        principal: Principal::User(user.id),
        role,
        brand_id: user.brand_id,
        creator_ids,
        scopes: Vec::new(),
        session_id: Some(claims.sid),
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
