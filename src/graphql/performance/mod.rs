pub mod order;
pub mod query;
pub mod types;
