//! The mutation an audit entry belongs to, without passing it through every service call.
//!
//! The GraphQL layer runs each top-level mutation field inside [`within`] a [`Scope`]: who calls
//! (staff or an API key; others are not audited), the request id, the operation (the field's
//! name) and the time from the schema's clock. Services call [`super::record`] in their own
//! transaction; it reads the scope from this task-local and counts what it wrote, so that the
//! GraphQL layer can check after a successful mutation that it recorded at least one entry (a
//! new mutation cannot forget it: see `graphql::audit::Audited`).
//!
//! Outside a scope (ingestion by connectors and postbacks, background workers, the demo
//! seeder, the CLI) `record` writes nothing: those are not mutations by staff or a key.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};

use crate::auth::{Actor, Principal};

/// Who an entry names: a staff user or an API key, in its brand, with its role then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditActor {
    pub brand_id: i64,
    pub kind: ActorKind,
    pub id: i64,
    pub role: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    User,
    ApiKey,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::ApiKey => "API_KEY",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        [Self::User, Self::ApiKey]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

impl AuditActor {
    /// The audited actor of a caller: staff and API keys (rule 9); creators and connectors
    /// are not.
    pub fn of(actor: &Actor) -> Option<Self> {
        let brand_id = actor.brand_id?;
        let (kind, id) = match actor.principal {
            Principal::User(id) if actor.role.is_staff() => (ActorKind::User, id),
            Principal::ApiKey(id) => (ActorKind::ApiKey, id),
            _ => return None,
        };
        Some(Self {
            brand_id,
            kind,
            id,
            role: actor.role.as_str(),
        })
    }
}

/// One top-level mutation field being resolved.
#[derive(Debug)]
pub struct Scope {
    pub(super) actor: Option<AuditActor>,
    pub(super) request_id: String,
    pub(super) operation: String,
    pub(super) at: DateTime<Utc>,
    recorded: AtomicUsize,
}

impl Scope {
    pub fn new(
        actor: Option<&Actor>,
        request_id: &str,
        operation: &str,
        at: DateTime<Utc>,
    ) -> Arc<Self> {
        Arc::new(Self {
            actor: actor.and_then(AuditActor::of),
            request_id: request_id.to_owned(),
            operation: operation.to_owned(),
            at,
            recorded: AtomicUsize::new(0),
        })
    }

    /// Whether this mutation must leave an entry when it succeeds (its caller is audited).
    pub fn is_audited(&self) -> bool {
        self.actor.is_some()
    }

    /// Entries written so far.
    pub fn recorded(&self) -> usize {
        self.recorded.load(Ordering::Relaxed)
    }

    pub(super) fn count(&self, entries: usize) {
        self.recorded.fetch_add(entries, Ordering::Relaxed);
    }
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// Runs `work` (a mutation's resolver) inside `scope`.
pub async fn within<F: Future>(scope: Arc<Scope>, work: F) -> F::Output {
    SCOPE.scope(scope, work).await
}

/// The scope of the mutation being resolved, if any.
pub(super) fn current() -> Option<Arc<Scope>> {
    SCOPE.try_with(Arc::clone).ok()
}
