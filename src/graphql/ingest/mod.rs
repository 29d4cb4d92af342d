//! Conversions: integrator ingestion (clicks, conversions, refunds), reading, and the change feed.

pub mod mutation;
pub mod query;
pub mod types;
