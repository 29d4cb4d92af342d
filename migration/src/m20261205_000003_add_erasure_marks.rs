//! Data rights (issue #20): when a creator record and a user account were erased.
//!
//! Design decisions:
//! - A nullable `erased_at` on `creators` and on `users` rather than an erasure log table: the
//!   mark is what the API shows (`Creator.erasedAt`) and what keeps an erased record from being
//!   edited back; who asked and why belongs to the brand's own records, not ours.
//! - Nothing else changes shape: erasing blanks existing columns (nullable ones to NULL, the
//!   display name to a placeholder) and replaces customer keys in place, so the ledger,
//!   rollups and reports keep their rows and their sums.
//! - No index: erased rows are never looked up by the mark.
//! - One `ALTER TABLE` per column: SQLite takes one alteration per statement.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};
use crate::m20261124_000001_create_tenancy::Users;
use crate::m20261124_000002_create_roster::Creators;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Erasure {
    ErasedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Creators::Table,
            timestamp_with_time_zone_null(Erasure::ErasedAt),
        )
        .await?;
        add_column(
            manager,
            Users::Table,
            timestamp_with_time_zone_null(Erasure::ErasedAt),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Users::Table, Erasure::ErasedAt).await?;
        drop_column(manager, Creators::Table, Erasure::ErasedAt).await
    }
}
