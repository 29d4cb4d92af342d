//! Shared pieces of the benchmark tools (see `BENCHMARKS.md` and `benches/run`).
//!
//! - [`datagen`], the deterministic data generator behind the `datagen` binary.
//! - [`manifest`], what `datagen` writes for the other tools.
//! - [`graphql`], the contract documents and how to call them.
//! - [`http`], a small HTTP/1.1 client for GraphQL calls (keep-alive, one connection).
//! - [`ingest`], the ingestion traffic of rows 5 and 11.
//! - [`raw_performance`], the raw SQL baseline (and oracle) of the `Performance` report.
//! - [`stats`], percentiles.
//! - [`raw`], the raw axum baselines served by `rawserver` (rows 1 to 3 of the table).

pub mod datagen;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod manifest;
pub mod raw;
pub mod raw_performance;
pub mod stats;
