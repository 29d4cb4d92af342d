//! The integration suite: one binary, every API test on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod api_keys;
mod attacks_graphql;
mod attacks_http;
mod authz_matrix;
mod campaigns;
mod content;
mod contract_copy;
mod crash;
mod experiments;
mod fuzz;
mod graphql_http;
mod health;
mod ingest;
mod ingest_order;
mod invites;
mod ledger;
mod ltv;
mod migrations;
mod node;
mod payouts;
mod performance;
mod performance_oracle;
mod portal;
mod redirect;
mod rollups;
mod roster;
mod schema;
mod serve;
mod settings;
mod subscriptions;
mod tokens;
mod tracking;
mod two_instances;
