//! Operations on the database. Every function takes the caller (`&Actor`) and filters by its
//! brand (and by its creator records for CREATOR); another brand's object is NOT_FOUND.

pub mod accounts;
pub mod actors;
pub mod api_keys;
pub mod brand;
pub mod campaigns;
pub mod connectors;
pub mod conversion_reads;
pub mod costs;
pub mod creators;
pub mod data_rights;
pub mod deliverables;
pub mod enrollments;
pub mod exchange_rates;
pub mod experiments;
pub mod exports;
pub mod fraud;
pub mod imports;
pub mod ingest;
pub mod invites;
pub mod ledger;
pub mod links;
pub mod mail;
pub mod notifications;
pub mod offers;
pub mod page;
pub mod passwords;
pub mod payouts;
pub mod performance;
pub mod portal;
pub mod rollups;
pub mod rollups_rebuild;
pub mod scoped;
pub mod sessions;
pub mod users;
pub mod webhooks;
