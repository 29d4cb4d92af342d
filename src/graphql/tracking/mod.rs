//! Tracking links and discount codes.

pub mod mutation;
pub mod query;
pub mod types;
