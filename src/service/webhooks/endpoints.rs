//! Webhook endpoints: ADMIN registers, changes, enables again and deletes them; ADMIN and
//! MANAGER read them. The signing secret (`whsec_` + standard base64 of 32 random bytes, the
//! Standard Webhooks form) is returned once, on creation, and stored sealed with
//! `PARTNERGRAPH_SECRET_KEY` ([`crate::auth::seal`]); endpoints registered before sealing keep a
//! plain secret, which the worker still reads.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, TransactionTrait,
};
use tracing::instrument;

use crate::auth::seal::SealingKey;
use crate::auth::secrets;
use crate::auth::{Actor, Permission};
use crate::db::entity::webhook_endpoint;
use crate::domain::text;
use crate::domain::webhook::{EventType, secret_text, validate_url};
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::audit::{self, Target};
use crate::service::page::{self, KeysetPage};
use crate::service::scoped;

/// Characters of the secret kept for display (`whsec_` and 6 more).
const SHOWN_PREFIX_LEN: usize = 12;
const MAX_DESCRIPTION_LEN: usize = 500;

pub struct CreatedEndpoint {
    /// The only time the secret is available.
    pub secret: String,
    pub endpoint: webhook_endpoint::Model,
}

pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub description: Option<String>,
    /// `true` enables a disabled endpoint again (and forgets its failures); `false` disables it.
    pub enabled: Option<bool>,
}

/// The event types an endpoint is subscribed to (unknown stored names are ignored).
pub fn event_types(endpoint: &webhook_endpoint::Model) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(&endpoint.event_types)
        .unwrap_or_default()
        .iter()
        .filter_map(|name| EventType::parse(name))
        .collect()
}

pub fn subscribed(endpoint: &webhook_endpoint::Model, event_type: EventType) -> bool {
    event_types(endpoint).contains(&event_type)
}

fn checked_url(raw: &str) -> Result<String, AppError> {
    if raw.contains('\0') {
        return Err(AppError::bad_input("url", "must not contain NUL"));
    }
    validate_url(raw)
        .map(|url| url.to_string())
        .map_err(|message| AppError::bad_input("url", message))
}

fn stored_event_types(types: &[EventType]) -> Result<String, AppError> {
    let mut unique: Vec<&str> = Vec::new();
    for t in types {
        if !unique.contains(&t.as_str()) {
            unique.push(t.as_str());
        }
    }
    if unique.is_empty() {
        return Err(AppError::bad_input(
            "eventTypes",
            "name at least one event type",
        ));
    }
    serde_json::to_string(&unique).map_err(AppError::internal)
}

fn checked_description(raw: Option<&str>) -> Result<Option<String>, AppError> {
    text::optional("description", raw, MAX_DESCRIPTION_LEN).map_err(AppError::invalid)
}

#[instrument(skip(db, actor, sealing_key, input))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    sealing_key: &SealingKey,
    input: NewEndpoint,
    now: DateTime<Utc>,
) -> Result<CreatedEndpoint, AppError> {
    let brand_id = actor.require(Permission::ManageWebhooks)?;
    let url = checked_url(&input.url)?;
    let event_types = stored_event_types(&input.event_types)?;
    let description = checked_description(input.description.as_deref())?;
    let secret = secret_text(&secrets::random_key());
    let row = webhook_endpoint::ActiveModel {
        brand_id: Set(brand_id),
        url: Set(url),
        description: Set(description),
        event_types: Set(event_types),
        secret_prefix: Set(secret[..SHOWN_PREFIX_LEN].to_owned()),
        secret: Set(sealing_key.seal(&secret)),
        enabled: Set(true),
        consecutive_failures: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    // The sealed secret is not a field of the entry; its shown prefix is.
    let endpoint = audit::insert(db, NodeKind::WebhookEndpoint, row).await?;
    Ok(CreatedEndpoint { secret, endpoint })
}

#[instrument(skip(db, actor, changes))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    changes: EndpointChanges,
    now: DateTime<Utc>,
) -> Result<webhook_endpoint::Model, AppError> {
    let brand_id = actor.require(Permission::ManageWebhooks)?;
    let url = changes.url.as_deref().map(checked_url).transpose()?;
    let event_types = changes
        .event_types
        .as_deref()
        .map(stored_event_types)
        .transpose()?;
    let description = match changes.description.as_deref() {
        Some(raw) => Some(checked_description(Some(raw))?),
        None => None,
    };
    let endpoint = scoped::find_in_brand::<webhook_endpoint::Entity, _>(db, brand_id, id).await?;
    let was_enabled = endpoint.enabled;
    let before = endpoint.clone();
    let mut active = endpoint.into_active_model();
    if let Some(url) = url {
        active.url = Set(url);
    }
    if let Some(types) = event_types {
        active.event_types = Set(types);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    match changes.enabled {
        Some(true) if !was_enabled => {
            active.enabled = Set(true);
            active.disabled_at = Set(None);
            active.disabled_reason = Set(None);
            active.consecutive_failures = Set(0);
        }
        Some(false) if was_enabled => {
            active.enabled = Set(false);
            active.disabled_at = Set(Some(now));
            active.disabled_reason = Set(Some("disabled by an administrator".into()));
        }
        _ => {}
    }
    active.updated_at = Set(now);
    audit::update(db, NodeKind::WebhookEndpoint, &before, active).await
}

/// Deletes the endpoint and its delivery log (pending deliveries are never sent).
#[instrument(skip(db, actor))]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<(), AppError> {
    let brand_id = actor.require(Permission::ManageWebhooks)?;
    let txn = db.begin().await?;
    let endpoint = scoped::find_in_brand::<webhook_endpoint::Entity, _>(&txn, brand_id, id).await?;
    let target = Target::new(NodeKind::WebhookEndpoint, endpoint.id);
    let changes = audit::diff(Some(&endpoint), None);
    endpoint.delete(&txn).await?;
    audit::record(&txn, target, changes).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<webhook_endpoint::Model, AppError> {
    scoped::get::<webhook_endpoint::Entity, _>(db, actor, Permission::ReadWebhooks, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<webhook_endpoint::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadWebhooks)?;
    let select =
        webhook_endpoint::Entity::find().filter(webhook_endpoint::Column::BrandId.eq(brand_id));
    page::by_id(db, select, webhook_endpoint::Column::Id, page).await
}
