//! Which database a GraphQL operation reads: a query reads the replica (when one is
//! configured and answers), everything else the primary.
//!
//! The HTTP layer hands a request the replica's pool and loaders ([`ReplicaReads`]) when it has
//! one; [`super::context::db`] and [`super::context::loaders`] give them out only if the
//! operation being executed is a query that selects no [`PRIMARY_QUERIES`] field. So a
//! mutation, and everything it reads for its answer, uses the primary (its own writes are in
//! its answer), and so does a subscription. One operation reads one database: an object read
//! on the primary never meets a related row that the replica does not have yet.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use async_graphql::Positioned;
use async_graphql::parser::types::{
    FragmentDefinition, OperationDefinition, OperationType, Selection, SelectionSet,
};
use sea_orm::DatabaseConnection;

use super::batches::Batches;
use super::loaders::Loaders;

/// Queries that read the primary: the change feed, whose consumers page through it right
/// after ingesting and must find every change there (see docs/api.md on `conversionChanges`).
pub const PRIMARY_QUERIES: &[&str] = &["conversionChanges"];

/// The replica, for a request that may read from it.
pub struct ReplicaReads {
    pool: DatabaseConnection,
    loaders: Loaders,
    /// Decided once per request, at the first read (see [`ReplicaReads::for_operation`]).
    on_replica: OnceLock<bool>,
    /// Whether the operation read the replica (so a failure there may be retried).
    used: Arc<AtomicBool>,
}

impl ReplicaReads {
    /// The replica's pool, with loaders whose batches run in the request's task.
    pub fn new(pool: &DatabaseConnection, batches: &Batches) -> Self {
        Self {
            pool: pool.clone(),
            loaders: Loaders::batched(pool, batches),
            on_replica: OnceLock::new(),
            used: Arc::default(),
        }
    }

    /// Set once the operation read the replica.
    pub fn used(&self) -> Arc<AtomicBool> {
        self.used.clone()
    }

    /// The replica's pool and loaders, if `operation` may read them.
    pub(super) fn for_operation(
        &self,
        operation: &OperationDefinition,
        fragments: &HashMap<async_graphql::Name, Positioned<FragmentDefinition>>,
    ) -> Option<(&DatabaseConnection, &Loaders)> {
        let on_replica = *self
            .on_replica
            .get_or_init(|| may_read_replica(operation, fragments));
        if !on_replica {
            return None;
        }
        self.used.store(true, Ordering::Relaxed);
        Some((&self.pool, &self.loaders))
    }
}

/// Whether `operation` may read the replica: a query selecting none of [`PRIMARY_QUERIES`].
fn may_read_replica(
    operation: &OperationDefinition,
    fragments: &HashMap<async_graphql::Name, Positioned<FragmentDefinition>>,
) -> bool {
    operation.ty == OperationType::Query
        && !selects_primary_query(&operation.selection_set.node, fragments)
}

/// Whether a root selection names one of [`PRIMARY_QUERIES`], through fragments too.
fn selects_primary_query(
    selection: &SelectionSet,
    fragments: &HashMap<async_graphql::Name, Positioned<FragmentDefinition>>,
) -> bool {
    selection.items.iter().any(|item| match &item.node {
        Selection::Field(field) => PRIMARY_QUERIES.contains(&field.node.name.node.as_str()),
        Selection::InlineFragment(inline) => {
            selects_primary_query(&inline.node.selection_set.node, fragments)
        }
        // Validation refused cycles before execution.
        Selection::FragmentSpread(spread) => fragments
            .get(&spread.node.fragment_name.node)
            .is_some_and(|fragment| {
                selects_primary_query(&fragment.node.selection_set.node, fragments)
            }),
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn may_read(document: &str) -> bool {
        let document = parse_query(document).expect("parses");
        let (_, operation) = document.operations.iter().next().expect("an operation");
        may_read_replica(&operation.node, &document.fragments)
    }

    #[test]
    fn queries_read_the_replica_unless_they_select_the_change_feed() {
        assert!(may_read("{ creators(first: 5) { nodes { id } } }"));
        assert!(may_read(
            "query Report { performance { totals { sales } } me { id } }"
        ));
        assert!(!may_read("mutation { updateCreator(input: {}) { id } }"));
        assert!(!may_read("subscription { conversionRecorded { id } }"));
        assert!(!may_read(
            "{ me { id } conversionChanges(first: 5) { totalCount } }"
        ));
        assert!(!may_read(
            "{ ... on Query { conversionChanges { totalCount } } }"
        ));
        assert!(!may_read(
            "query { ...Feed } fragment Feed on Query { feed: conversionChanges { totalCount } }"
        ));
    }
}
