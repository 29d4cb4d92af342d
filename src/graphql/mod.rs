//! The GraphQL API: schema assembly with its limits and extensions, per-area types and resolvers.
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
pub mod enums;
pub mod errors;
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
pub mod webhook;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};

use subscription::SubscriptionRoot;

use crate::config::GraphqlConfig;
use crate::config::Introspection;

pub type AppSchema = Schema<query::QueryRoot, Mutation, SubscriptionRoot>;

/// The mutation root, each of its fields audited ([`audit::audited`]).
pub type Mutation = audit::audited::Audited<query::MutationRoot>;

/// The schema with its limits and error handling; the caller adds runtime data (the database).
/// Size, fields, aliases, directives, depth, cost and introspection are checked by
/// [`limits::Limits`] right after parsing (async-graphql's own depth limit, which counts the
/// standard introspection query's 14 levels, and its complexity, one point per field, are
/// replaced by those in `limits`).
pub fn schema_builder(
    limits: &GraphqlConfig,
) -> SchemaBuilder<query::QueryRoot, Mutation, SubscriptionRoot> {
    let builder = Schema::build(
        query::QueryRoot::default(),
        Mutation::default(),
        SubscriptionRoot,
    )
    .disable_suggestions()
    .extension(errors::ErrorCodes)
    .extension(limits::Limits::new(limits))
    .extension(ordering::FieldOrder);
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
