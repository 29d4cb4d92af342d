//! Geo-holdout experiments and their results.

pub mod mutation;
pub mod query;
pub mod types;
