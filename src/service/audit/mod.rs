//! The audit log (issue #23, DOMAIN rule 9): an append-only entry for every successful
//! mutation by staff or an API key, written by the mutation's service in its own transaction,
//! and the ADMIN's filtered read.
//!
//! How a service records: inside the transaction of its change, after the write,
//! `audit::record(&txn, Target::new(NodeKind::Campaign, id), diff(Some(&before), Some(&after)))`
//! (or [`Changes`] built by hand for what is not one row). A change that is one row written on
//! the pool uses [`insert`] or [`update`], which wrap it in a transaction with its entry. One entry per changed object; an
//! operation over many objects at once (a batch of clicks, an import) records one entry for
//! the batch with its counts. A successful mutation that changed nothing still records one
//! entry, with no changes: the attempt is part of the record.
//!
//! Decisions where rule 9 is silent:
//! - Creators and anonymous callers (sign-in, sign-up, password reset) are not audited: rule 9
//!   names staff and API keys. Connector and postback deliveries are not mutations.
//! - Personal values (a creator's name and email, an invitee's email) are withheld: the entry
//!   says that they changed and who changed them, never to what, so an erasure leaves no copy.
//! - Newest first; a page of at most 100.

mod diff;
pub mod scope;
mod writes;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub use self::diff::diff;
pub use self::scope::{ActorKind, Scope, within};
pub use self::writes::{id_of, insert, insert_in, update, update_in};
use super::page::{self, SortValue, SortedPage};
use crate::auth::{Actor, Permission};
use crate::db::entity::audit_entry;
pub use crate::domain::audit::Changes;
use crate::error::AppError;
use crate::global_id::NodeKind;

/// What an entry is about: a `Node` of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: NodeKind,
    pub id: i64,
}

impl Target {
    pub fn new(kind: NodeKind, id: i64) -> Self {
        Self { kind, id }
    }
}

/// Writes the entry of the current mutation (see [`scope`]) about `target`, on `db` (the
/// change's transaction). Outside an audited mutation, nothing.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    target: Target,
    changes: Changes,
) -> Result<(), AppError> {
    record_all(db, [(target, changes)]).await
}

/// Writes one entry per `(target, changes)` in one statement.
pub async fn record_all<C: ConnectionTrait>(
    db: &C,
    entries: impl IntoIterator<Item = (Target, Changes)>,
) -> Result<(), AppError> {
    let Some(scope) = scope::current() else {
        return Ok(());
    };
    let Some(actor) = &scope.actor else {
        return Ok(());
    };
    let rows: Vec<audit_entry::ActiveModel> = entries
        .into_iter()
        .map(|(target, changes)| audit_entry::ActiveModel {
            brand_id: Set(actor.brand_id),
            actor_kind: Set(actor.kind.as_str().to_owned()),
            actor_id: Set(actor.id),
            actor_role: Set(actor.role.to_owned()),
            operation: Set(scope.operation.clone()),
            target_type: Set(target.kind.type_name().to_owned()),
            target_id: Set(target.id),
            changes: Set(changes.to_json()),
            request_id: Set(scope.request_id.clone()),
            created_at: Set(scope.at),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let count = rows.len();
    audit_entry::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    scope.count(count);
    Ok(())
}

/// What `auditLog` filters by; every part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor: Option<(ActorKind, i64)>,
    pub target: Option<Target>,
    pub operation: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// ADMIN: the brand's entries, newest first, after the entry `after` (an id).
pub async fn entries(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: Filter,
    after: Option<i64>,
    limit: u64,
    count: bool,
) -> Result<(Vec<audit_entry::Model>, u64), AppError> {
    use audit_entry::Column as C;
    let brand_id = actor.require(Permission::ReadAuditLog)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(AppError::bad_input(
            "filter.to",
            "must not be before `from`",
        ));
    }
    let mut select = audit_entry::Entity::find().filter(C::BrandId.eq(brand_id));
    if let Some((kind, id)) = filter.actor {
        select = select
            .filter(C::ActorKind.eq(kind.as_str()))
            .filter(C::ActorId.eq(id));
    }
    if let Some(target) = filter.target {
        select = select
            .filter(C::TargetType.eq(target.kind.type_name()))
            .filter(C::TargetId.eq(target.id));
    }
    if let Some(operation) = filter.operation {
        select = select.filter(C::Operation.eq(operation));
    }
    if let Some(from) = filter.from {
        select = select.filter(C::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(C::CreatedAt.lt(to));
    }
    let page = SortedPage {
        after: after.map(|id| (SortValue::Int(id), id)),
        limit,
        descending: true,
        count,
    };
    page::sorted(db, select, C::Id, C::Id, page, page::Total::Counted).await
}
