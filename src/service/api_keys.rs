//! API keys for integrators: `pg_` + 256 random bits, shown once, stored as SHA-256; scopes;
//! revocation takes effect on the next request, in every process.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::page::{self, KeysetPage};
use super::scoped;
use crate::auth::cache::Revocation;
use crate::auth::secrets::{self, API_KEY_PREFIX};
use crate::auth::{Actor, Permission, Scope};
use crate::db::entity::api_key;
use crate::domain::text;
use crate::error::AppError;
use crate::events::Revocations;
use crate::global_id::NodeKind;

pub const MAX_NAME_LEN: usize = 100;
/// Characters of the secret kept for display (`pg_` and 7 more).
const SHOWN_PREFIX_LEN: usize = 10;

pub struct CreatedKey {
    /// The only time the secret is available.
    pub secret: String,
    pub key: api_key::Model,
}

#[instrument(skip(db, actor))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> Result<CreatedKey, AppError> {
    let brand_id = actor.require(Permission::ManageApiKeys)?;
    let name = text::required("name", name, MAX_NAME_LEN).map_err(AppError::invalid)?;
    let mut unique: Vec<Scope> = Vec::new();
    for scope in scopes {
        if !unique.contains(scope) {
            unique.push(*scope);
        }
    }
    if unique.is_empty() {
        return Err(AppError::bad_input("scopes", "name at least one scope"));
    }
    let stored_scopes: Vec<&str> = unique.iter().map(|s| s.as_str()).collect();
    let secret = secrets::random_token(API_KEY_PREFIX);
    let row = api_key::ActiveModel {
        brand_id: Set(brand_id),
        name: Set(name),
        prefix: Set(secret[..SHOWN_PREFIX_LEN].to_owned()),
        secret_hash: Set(secrets::sha256_hex(&secret)),
        scopes: Set(serde_json::to_string(&stored_scopes).map_err(AppError::internal)?),
        created_by_user_id: Set(actor.user_id()),
        created_at: Set(now),
        ..Default::default()
    };
    // The entry never holds the secret: only its hash is stored, and hashes are left out.
    let key = audit::insert(db, NodeKind::ApiKey, row).await?;
    Ok(CreatedKey { secret, key })
}

/// Revokes a key of the caller's brand; revoking twice keeps the first time.
#[instrument(skip(db, actor))]
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<api_key::Model, AppError> {
    let brand_id = actor.require(Permission::ManageApiKeys)?;
    let key = scoped::find_in_brand::<api_key::Entity, _>(db, brand_id, id).await?;
    if key.revoked_at.is_some() {
        audit::record(db, Target::new(NodeKind::ApiKey, key.id), Changes::new()).await?;
        return Ok(key);
    }
    let revocations = Revocations::new();
    revocations.push(Revocation::ApiKey { key_id: key.id });
    let before = key.clone();
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(now));
    let revoked = audit::update(db, NodeKind::ApiKey, &before, active).await?;
    revocations.publish(db).await?;
    Ok(revoked)
}

/// ADMIN: a key of the brand; NOT_FOUND otherwise ([`scoped::get`]).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<api_key::Model, AppError> {
    scoped::get::<api_key::Entity, _>(db, actor, Permission::ManageApiKeys, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<api_key::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ManageApiKeys)?;
    let select = api_key::Entity::find().filter(api_key::Column::BrandId.eq(brand_id));
    page::by_id(db, select, api_key::Column::Id, page).await
}
