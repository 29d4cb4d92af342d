//! Content deliverables and other costs.

pub mod mutation;
pub mod query;
pub mod types;
