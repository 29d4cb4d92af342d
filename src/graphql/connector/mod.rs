//! Store connectors (DOMAIN rule 10): ADMIN connects a store and rotates or disables it; staff
//! read the connectors and their delivery counters. Deliveries arrive over HTTP
//! (`POST /connect/{kind}/{id}`, `crate::http`).

pub mod mutation;
pub mod query;
pub mod types;
