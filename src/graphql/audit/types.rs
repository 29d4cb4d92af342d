use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};

use crate::db::entity::audit_entry;
use crate::domain::audit::{Change, Changes};
use crate::error::AppError;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::audit::{ActorKind, Filter, Target};

/// Who acted: a staff user or an API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum AuditActorType {
    User,
    ApiKey,
}

/// What `auditLog` returns; every part optional, all parts must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct AuditLogFilter {
    /// A `User` or `ApiKey` ID: what it did.
    pub actor: Option<ID>,
    /// Any object's ID: what was done to it.
    pub target: Option<ID>,
    /// A mutation's name, e.g. `updateCampaign`.
    pub operation: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime>,
    /// Entries before this time.
    pub to: Option<DateTime>,
}

impl AuditLogFilter {
    pub fn into_service(self) -> Result<Filter, AppError> {
        let actor = self
            .actor
            .map(|raw| match id::decode(&raw) {
                Ok((NodeKind::User, id)) => Ok((ActorKind::User, id)),
                Ok((NodeKind::ApiKey, id)) => Ok((ActorKind::ApiKey, id)),
                _ => Err(AppError::bad_input(
                    "filter.actor",
                    "must be a User or ApiKey ID",
                )),
            })
            .transpose()?;
        let target = self
            .target
            .map(|raw| {
                id::decode(&raw)
                    .map(|(kind, id)| Target::new(kind, id))
                    .map_err(|_| AppError::bad_input("filter.target", "not a valid ID"))
            })
            .transpose()?;
        let operation = match self.operation {
            Some(name) if !is_name(&name) => {
                return Err(AppError::bad_input(
                    "filter.operation",
                    "must be a mutation's name",
                ));
            }
            other => other,
        };
        Ok(Filter {
            actor,
            target,
            operation,
            from: self.from.map(|at| at.0),
            to: self.to.map(|at| at.0),
        })
    }
}

/// A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`, at most 100 characters): what an operation can be.
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= 100
        && chars
            .next()
            .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// One successful mutation on one object (DOMAIN rule 9). Entries are never changed or removed
/// within a year.
pub struct AuditEntry(pub audit_entry::Model);

#[Object]
impl AuditEntry {
    /// The staff user or API key that acted.
    async fn actor(&self) -> ID {
        let kind = match ActorKind::from_stored(&self.0.actor_kind) {
            Some(ActorKind::ApiKey) => NodeKind::ApiKey,
            _ => NodeKind::User,
        };
        id::encode(kind, self.0.actor_id)
    }

    async fn actor_type(&self) -> AuditActorType {
        match ActorKind::from_stored(&self.0.actor_kind) {
            Some(ActorKind::ApiKey) => AuditActorType::ApiKey,
            _ => AuditActorType::User,
        }
    }

    /// The actor's role when it acted: ADMIN, MANAGER, ANALYST or INTEGRATOR (an API key).
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }

    /// The mutation's name, e.g. `updateCampaign`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The type of the object it changed, e.g. `Campaign`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// The ID of the object it changed (it may since have been deleted).
    async fn target(&self) -> ID {
        NodeKind::from_type_name(&self.0.target_type)
            .map(|kind| id::encode(kind, self.0.target_id))
            .unwrap_or_default()
    }

    /// The fields it changed, old -> new, by field name. Never secrets or hashes; personal
    /// values are withheld.
    async fn changes(&self) -> Vec<AuditChange> {
        Changes::from_json(&self.0.changes)
            .iter()
            .map(|(field, change)| AuditChange::of(field, change))
            .collect()
    }

    /// The request's id (`X-Request-Id`), shared by every entry of one request.
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// One field an entry changed. Values are shown as text (numbers, times and JSON as written).
#[derive(Clone, Debug, SimpleObject)]
pub struct AuditChange {
    pub field: String,
    /// Before; null when it had none (or when created, or withheld).
    pub old_value: Option<String>,
    /// After; null when it has none (or when deleted, or withheld).
    pub new_value: Option<String>,
    /// A personal value: that it changed is recorded, never what it was or became.
    pub withheld: bool,
}

impl AuditChange {
    fn of(field: &str, change: &Change) -> Self {
        let text = |value: &serde_json::Value| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        };
        match change {
            Change::Values { old, new } => Self {
                field: field.to_owned(),
                old_value: text(old),
                new_value: text(new),
                withheld: false,
            },
            Change::Withheld { .. } => Self {
                field: field.to_owned(),
                old_value: None,
                new_value: None,
                withheld: true,
            },
        }
    }
}
