//! The GraphQL API: schema assembly with its limits and extensions, per-area types and resolvers.
//! Resolvers stay thin: caller from the context, one service call, map the result.

pub mod account;
pub mod brand;
pub mod campaign;
pub mod connection;
pub mod content;
pub mod context;
pub mod creator;
pub mod enums;
pub mod errors;
pub mod experiment;
pub mod id;
pub mod ingest;
pub mod loaders;
pub mod money;
pub mod node;
pub mod ordering;
pub mod payout;
pub mod performance;
pub mod portal;
pub mod query;
pub mod scalars;
pub mod tracking;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::config::GraphqlConfig;

pub type AppSchema = Schema<query::QueryRoot, query::MutationRoot, EmptySubscription>;

/// The schema with its limits and error handling; the caller adds runtime data (the database).
pub fn schema_builder(
    limits: &GraphqlConfig,
) -> SchemaBuilder<query::QueryRoot, query::MutationRoot, EmptySubscription> {
    Schema::build(
        query::QueryRoot::default(),
        query::MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .disable_suggestions()
    .extension(errors::ErrorCodes)
    .extension(ordering::FieldOrder)
}

/// The SDL checked in as `schema.graphql`: types, fields, arguments and enum values sorted.
pub fn sdl() -> String {
    let limits = GraphqlConfig {
        max_depth: usize::MAX,
        max_complexity: usize::MAX,
    };
    let options = SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items();
    schema_builder(&limits).finish().sdl_with_options(options)
}
