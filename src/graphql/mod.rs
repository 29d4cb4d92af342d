//! The GraphQL API: schema assembly, the steps around every operation ([`executor::Api`]: limits,
//! error codes, field order), per-area types and resolvers.
//! Resolvers stay thin: caller from the context, one service call, map the result.

pub mod account;
pub mod audit;
pub mod batches;
pub mod brand;
pub mod campaign;
pub mod connection;
pub mod connector;
pub mod content;
pub mod context;
pub mod creator;
pub mod data_rights;
pub mod dispatch;
pub mod enums;
pub mod errors;
pub mod executor;
pub mod experiment;
pub mod export;
pub mod fraud;
pub mod id;
pub mod import;
pub mod ingest;
pub mod limits;
pub mod loaders;
pub mod money;
pub mod node;
pub mod ordering;
pub mod payout;
pub mod performance;
pub mod persisted_queries;
pub mod portal;
pub mod query;
pub mod reads;
pub mod scalars;
pub mod subscription;
pub mod tracking;
pub mod validated;
pub mod webhook;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};

use subscription::SubscriptionRoot;

use crate::config::GraphqlConfig;
use crate::config::Introspection;

pub type AppSchema = Schema<query::QueryRoot, Mutation, SubscriptionRoot>;
/// What [`schema_builder`] makes, before its runtime data.
pub type AppSchemaBuilder = SchemaBuilder<query::QueryRoot, Mutation, SubscriptionRoot>;

/// The mutation root, each of its fields audited ([`audit::audited`]).
pub type Mutation = audit::audited::Audited<query::MutationRoot>;

/// The schema; the caller adds runtime data (the database) and wraps it in an [`executor::Api`],
/// which checks size, fields, aliases, directives, depth, cost and introspection
/// ([`limits::Limits`]) right after parsing, gives errors their codes and orders the answer.
/// (async-graphql's own depth limit, which counts the standard introspection query's 14 levels,
/// and its complexity, one point per field, are replaced by those in `limits`.) The schema has
/// no extensions, so that async-graphql resolves fields without per-field hooks.
pub fn schema_builder(limits: &GraphqlConfig) -> AppSchemaBuilder {
    let builder = Schema::build(
        query::QueryRoot::default(),
        Mutation::default(),
        SubscriptionRoot,
    )
    .disable_suggestions();
    if limits.introspection == Introspection::Off {
        builder.disable_introspection()
    } else {
        builder
    }
}

/// The SDL checked in as `schema.graphql`: types, fields, arguments and enum values sorted.
pub fn sdl() -> String {
    let limits = GraphqlConfig::unlimited();
    let options = SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items();
    schema_builder(&limits).finish().sdl_with_options(options)
}
