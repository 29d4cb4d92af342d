//! PartnerGraph: a GraphQL API for performance-based creator partnerships in ecommerce.
//!
//! Module map:
//! - [`cli`], [`config`], [`telemetry`]: how the process is started and observed.
//! - [`app`]: wiring (connect, migrate, build router, serve).
//! - [`http`]: routes (`/graphql`, `/graphiql`, `/r/{code}`, `/healthz`, `/readyz`).
//! - [`tracking`]: the redirect hot path: link cache, click queue, bot and visitor rules.
//! - [`webhooks`]: the outbound webhook delivery worker (the outbox is in [`service`]).
//! - [`mail`]: the mail worker that sends the outbox of mail over SMTP (the outbox is in
//!   [`service`]).
//! - [`exports`]: the export worker that writes queued bulk exports to files and deletes
//!   expired ones (the exports table is in [`service`]).
//! - [`poll_loop`]: the loop the background workers poll in, and the lease of a claimed row.
//! - [`graphql`]: schema, scalars, Relay helpers, per-area types and resolvers.
//! - [`service`]: tenant-scoped operations on the database.
//! - [`auth`]: the per-request [`auth::Actor`].
//! - [`domain`]: pure rules (money, attribution, commissions, metrics), no I/O.
//! - [`db`]: connection set-up and SeaORM entities; migrations live in the `migration` crate.
//! - [`demo`]: the `--demo` data set.
//! - [`error`]: [`error::AppError`] and its `extensions.code`.
//! - [`events`]: conversion and commission events for subscriptions (after commit, across
//!   processes on PostgreSQL).

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod exports;
pub mod global_id;
pub mod graphql;
pub mod http;
pub mod mail;
pub mod poll_loop;
pub mod prometheus;
pub mod service;
pub mod telemetry;
pub mod tracking;
pub mod webhooks;
