//! Pure business rules: no database, no GraphQL. Every rule here is unit- and property-tested.

pub mod brand;
pub mod email;
pub mod money;
