//! The integration suite: one binary, every API test on SQLite and on PostgreSQL.

mod helpers;

mod graphql_http;
mod health;
mod migrations;
mod node;
mod schema;
mod serve;
