//! The audit log (issue #23, DOMAIN rule 9): `auditLog` for ADMIN, and [`audited::Audited`],
//! the mutation root's wrapper that gives every mutation its audit scope and checks that a
//! successful one recorded an entry.

pub mod audited;
pub mod query;
pub mod types;
