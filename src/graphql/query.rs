//! The query root, merged from each area's queries.

use async_graphql::MergedObject;

use super::node::NodeQuery;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(NodeQuery);
