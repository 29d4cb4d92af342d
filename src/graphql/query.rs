//! The query and mutation roots, merged from each area's resolvers.

use async_graphql::MergedObject;

use super::account::mutation::AccountMutation;
use super::account::query::AccountQuery;
use super::brand::mutation::BrandMutation;
use super::brand::query::BrandQuery;
use super::node::NodeQuery;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(NodeQuery, AccountQuery, BrandQuery);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(AccountMutation, BrandMutation);
