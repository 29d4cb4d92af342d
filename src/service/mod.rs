//! Operations on the database. Every function takes the caller (`&Actor`) and filters by its
//! brand (and by its creator records for CREATOR); another brand's object is NOT_FOUND.

pub mod brand;
