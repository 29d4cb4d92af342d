//! Offboarding and editing (issue #20): a user can be deactivated, a tracking link paused.
//!
//! Design decisions:
//! - `users.deactivated_at`: NULL for an active account. The access-token check already loads
//!   the user row by primary key on every request, so reading one more column of it is how a
//!   deactivation (and a role change) takes effect on the very next request, at no extra query.
//! - `tracking_links.paused_at`: NULL for an ACTIVE link. Pausing is reversible, unlike
//!   `archived_at`; the redirect answers a "paused" page and records no click.
//! - Discount codes need no column: `discount_codes.archived_at` is what ingestion already
//!   checks when it matches an order's code, so deactivating a code sets it and reactivating
//!   clears it.
//! - Plain nullable columns, added and dropped one statement each (SQLite alters one column at
//!   a time).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};
use crate::m20261124_000001_create_tenancy::Users;
use crate::m20261124_000004_create_tracking::TrackingLinks;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Users::Table,
            timestamp_with_time_zone_null(Offboarding::DeactivatedAt),
        )
        .await?;
        add_column(
            manager,
            TrackingLinks::Table,
            timestamp_with_time_zone_null(Offboarding::PausedAt),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, TrackingLinks::Table, Offboarding::PausedAt).await?;
        drop_column(manager, Users::Table, Offboarding::DeactivatedAt).await
    }
}

/// The new columns.
#[derive(DeriveIden, Clone, Copy)]
enum Offboarding {
    DeactivatedAt,
    PausedAt,
}
