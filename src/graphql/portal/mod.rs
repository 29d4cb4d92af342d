//! The creator portal: what a creator account sees of itself.

pub mod mutation;
pub mod query;
pub mod types;
