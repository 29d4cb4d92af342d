//! Payouts: the brand's finance workflow.

pub mod mutation;
pub mod types;
