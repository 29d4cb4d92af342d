//! Data rights (issue #20): erase a creator's personal data, erase a customer's, export what the
//! product holds about a creator. ADMIN only, except that a creator exports its own data.
//!
//! Erasing keeps every row that carries money or counts (conversions, commissions, payouts,
//! rollups) and blanks or replaces what identifies a person, so reports and balances still add
//! up to the cent afterwards. What is erased, what is kept and why: docs/operations.md, "Data
//! rights".

mod creators;
mod customers;
mod export;

pub use creators::erase_creator;
pub use customers::erase_customer;
pub use export::{MAX_EXPORT_LINES, export_creator_data};
