//! The brand (tenant), its settings and exchange rates.

pub mod mutation;
pub mod query;
pub mod types;
