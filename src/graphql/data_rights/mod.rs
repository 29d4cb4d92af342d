//! Data rights: erase a creator's or a customer's personal data (ADMIN), export a creator's
//! (ADMIN for its brand's creators, a creator for itself).

pub mod mutation;
pub mod query;
