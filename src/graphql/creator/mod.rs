//! The creator roster: creators, channels, pipeline stage and vetting.

pub mod columns;
pub mod mutation;
pub mod query;
pub mod types;
