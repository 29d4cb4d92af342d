//! Connectors: ADMIN connects, rotates a secret, disables; ADMIN, MANAGER and ANALYST read
//! them (never their secrets).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use tracing::instrument;

use crate::auth::seal::SealingKey;
use crate::auth::secrets;
use crate::auth::{Actor, Permission};
use crate::db::entity::connector;
use crate::domain::connector::Kind;
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::audit::{self, Changes, Target};
use crate::service::page::{self, KeysetPage};
use crate::service::scoped;

const MAX_NAME_LEN: usize = 100;
const MIN_SECRET_LEN: usize = 16;
const MAX_SECRET_LEN: usize = 500;
/// Characters of the secret kept for display.
const SHOWN_PREFIX_LEN: usize = 8;
/// Prefix of the secrets the server generates (for platforms where the store owner types the
/// secret in, such as WooCommerce).
const GENERATED_PREFIX: &str = "pgcs_";

pub struct NewConnector {
    pub kind: Kind,
    pub name: String,
    /// The platform's signing secret (Shopify: the app's client secret or the store's webhook
    /// key; Stripe: the endpoint's `whsec_...`). `None`: the server generates one.
    pub signing_secret: Option<String>,
}

/// A connector and its secret, in the one answer that shows it.
pub struct WithSecret {
    pub secret: String,
    pub connector: connector::Model,
}

fn checked_secret(raw: Option<&str>) -> Result<String, AppError> {
    let Some(raw) = raw else {
        return Ok(secrets::random_token(GENERATED_PREFIX));
    };
    let secret = raw.trim();
    if secret.len() < MIN_SECRET_LEN || secret.len() > MAX_SECRET_LEN {
        return Err(AppError::bad_input(
            "signingSecret",
            format!("must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} characters"),
        ));
    }
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::bad_input(
            "signingSecret",
            "must not contain spaces or control characters",
        ));
    }
    Ok(secret.to_owned())
}

fn shown_prefix(secret: &str) -> String {
    secret.chars().take(SHOWN_PREFIX_LEN).collect()
}

#[instrument(skip(db, actor, key, input))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &SealingKey,
    input: NewConnector,
    now: DateTime<Utc>,
) -> Result<WithSecret, AppError> {
    let brand_id = actor.require(Permission::ManageConnectors)?;
    let name = text::required("name", &input.name, MAX_NAME_LEN).map_err(AppError::invalid)?;
    let secret = checked_secret(input.signing_secret.as_deref())?;
    let row = connector::ActiveModel {
        brand_id: Set(brand_id),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(name),
        secret: Set(key.seal(&secret)),
        secret_prefix: Set(shown_prefix(&secret)),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_count: Set(0),
        error_count: Set(0),
        ..Default::default()
    };
    // The sealed secret is not a field of the entry; its shown prefix is.
    let connector = audit::insert(db, NodeKind::Connector, row).await?;
    Ok(WithSecret { secret, connector })
}

/// Replaces the secret (the platform's new one, or a generated one); deliveries signed with
/// the old one are refused from now on.
#[instrument(skip(db, actor, key, signing_secret))]
pub async fn rotate_secret(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &SealingKey,
    id: i64,
    signing_secret: Option<String>,
    now: DateTime<Utc>,
) -> Result<WithSecret, AppError> {
    let brand_id = actor.require(Permission::ManageConnectors)?;
    let secret = checked_secret(signing_secret.as_deref())?;
    let connector = scoped::find_in_brand::<connector::Entity, _>(db, brand_id, id).await?;
    let before = connector.clone();
    let mut active = connector.into_active_model();
    active.secret = Set(key.seal(&secret));
    active.secret_prefix = Set(shown_prefix(&secret));
    active.updated_at = Set(now);
    let connector = audit::update(db, NodeKind::Connector, &before, active).await?;
    Ok(WithSecret { secret, connector })
}

/// Stops taking deliveries (they are answered 404, as for an unknown connector).
#[instrument(skip(db, actor))]
pub async fn disable(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<connector::Model, AppError> {
    let brand_id = actor.require(Permission::ManageConnectors)?;
    let connector = scoped::find_in_brand::<connector::Entity, _>(db, brand_id, id).await?;
    if !connector.enabled {
        audit::record(
            db,
            Target::new(NodeKind::Connector, connector.id),
            Changes::new(),
        )
        .await?;
        return Ok(connector);
    }
    let before = connector.clone();
    let mut active = connector.into_active_model();
    active.enabled = Set(false);
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Connector, &before, active).await
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<connector::Model, AppError> {
    scoped::get::<connector::Entity, _>(db, actor, Permission::ReadConnectors, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<connector::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadConnectors)?;
    let select = connector::Entity::find().filter(connector::Column::BrandId.eq(brand_id));
    page::by_id(db, select, connector::Column::Id, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_checked_or_generated() {
        let generated = checked_secret(None).unwrap();
        assert!(generated.starts_with("pgcs_") && generated.len() > 40);
        assert_eq!(
            checked_secret(Some("  shpss_0123456789abcdef ")).unwrap(),
            "shpss_0123456789abcdef"
        );
        for bad in ["short", "has a space in it here", &"x".repeat(501)] {
            let err = checked_secret(Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("signingSecret"));
        }
        assert_eq!(shown_prefix("shpss_0123456789"), "shpss_01");
    }
}
