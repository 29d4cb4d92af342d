//! PartnerGraph database migrations, for SQLite and PostgreSQL alike.
//!
//! Each `mYYYYMMDD_NNNNNN_<verb>_<noun>` module documents its design decisions; the conventions
//! shared by all tables are listed in [`m20261124_000001_create_tenancy`].

pub use sea_orm_migration::prelude::*;

mod helpers;
pub mod m20261124_000001_create_tenancy;
pub mod m20261124_000002_create_roster;
pub mod m20261124_000003_create_campaigns;
pub mod m20261124_000004_create_tracking;
pub mod m20261124_000005_create_ledger;
pub mod m20261201_000001_create_rollups;
pub mod m20261202_000001_create_webhooks;
pub mod m20261204_000001_create_visitor_sketches;
pub mod m20261205_000001_create_mail_outbox;
pub mod m20261205_000002_add_offboarding_states;
pub mod m20261205_000003_add_erasure_marks;
pub mod m20261206_000001_create_week_levels;
pub mod m20261206_000002_add_due_notification_indexes;
pub mod m20261207_000001_create_connectors;
pub mod m20261208_000001_create_exports;
pub mod m20261208_000002_create_imports;
pub mod m20261208_000003_add_lock_period;
pub mod m20261208_000004_add_attribution_model;
pub mod m20261208_000005_create_fraud_rules;
pub mod m20261208_000006_add_brand_id_keyset_indexes;
pub mod m20261209_000001_create_audit_log;
pub mod m20261210_000001_create_code_leak_hours;
pub mod m20261210_000002_create_rate_limit_buckets;
pub mod m20261210_000003_add_code_leak_hour_bounds;
pub mod m20261210_000004_partition_clicks;
pub mod m20261211_000001_create_creator_levels;
pub mod m20261212_000001_create_creator_counts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_tenancy::Migration),
            Box::new(m20261124_000002_create_roster::Migration),
            Box::new(m20261124_000003_create_campaigns::Migration),
            Box::new(m20261124_000004_create_tracking::Migration),
            Box::new(m20261124_000005_create_ledger::Migration),
            Box::new(m20261201_000001_create_rollups::Migration),
            Box::new(m20261202_000001_create_webhooks::Migration),
            Box::new(m20261204_000001_create_visitor_sketches::Migration),
            Box::new(m20261205_000001_create_mail_outbox::Migration),
            Box::new(m20261205_000002_add_offboarding_states::Migration),
            Box::new(m20261205_000003_add_erasure_marks::Migration),
            Box::new(m20261206_000001_create_week_levels::Migration),
            Box::new(m20261206_000002_add_due_notification_indexes::Migration),
            Box::new(m20261207_000001_create_connectors::Migration),
            Box::new(m20261208_000001_create_exports::Migration),
            Box::new(m20261208_000002_create_imports::Migration),
            Box::new(m20261208_000003_add_lock_period::Migration),
            Box::new(m20261208_000004_add_attribution_model::Migration),
            Box::new(m20261208_000005_create_fraud_rules::Migration),
            Box::new(m20261208_000006_add_brand_id_keyset_indexes::Migration),
            Box::new(m20261209_000001_create_audit_log::Migration),
            Box::new(m20261210_000001_create_code_leak_hours::Migration),
            Box::new(m20261210_000002_create_rate_limit_buckets::Migration),
            Box::new(m20261210_000003_add_code_leak_hour_bounds::Migration),
            Box::new(m20261210_000004_partition_clicks::Migration),
            Box::new(m20261211_000001_create_creator_levels::Migration),
            Box::new(m20261212_000001_create_creator_counts::Migration),
        ]
    }
}
