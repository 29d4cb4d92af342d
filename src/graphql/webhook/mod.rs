//! Outbound webhooks: endpoints (ADMIN) and the delivery log.

pub mod mutation;
pub mod query;
pub mod types;
