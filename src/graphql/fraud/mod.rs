//! Fraud rules and the review queue (issue #23, DOMAIN rule 8): `fraudRules`,
//! `updateFraudRule`, `fraudFlags`, `resolveFraudFlag`.

pub mod mutation;
pub mod query;
pub mod types;
