//! Exports (issue #22): `exports`, one row per bulk export a caller started with `startExport`.
//! The file itself lives in the export directory (`PARTNERGRAPH_EXPORT_DIR`), never in the
//! database.
//!
//! Design decisions:
//! - `brand_id` is the tenant of staff and API-key exports; it is NULL for a creator's
//!   commissions export, which spans every brand the creator works with (like `myCommissions`):
//!   such a row is visible to its requester only. `scope_creator_ids` (a JSON array) keeps the
//!   creator records the requester had when it started, so the background run exports exactly
//!   what the requester could read then.
//! - The requester is `requested_by_user_id` (staff or creator account) or
//!   `requested_by_api_key_id`, with its `requester_role` (ADMIN, MANAGER, ANALYST, CREATOR,
//!   INTEGRATOR): the worker runs the export with those rights.
//! - `status`: QUEUED -> RUNNING -> COMPLETED (-> EXPIRED once the file is deleted) or FAILED.
//!   A worker claims a row with a conditional UPDATE that sets RUNNING, a lease
//!   (`lease_until`) and `attempts + 1`; it renews the lease while it writes and completes only
//!   while it still holds that attempt, so a row is run by one process at a time and a crashed
//!   run is taken over when its lease ends.
//! - `filter` is the validated filter as JSON (ids as database ids); `error` is a short message
//!   the server wrote (never SQL or a path).
//! - Cascades with its brand; a creator export goes with its requesting user.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, json_list};
use crate::m20261124_000001_create_tenancy::{Brands, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Exports::Table)
                    .col(big_pk_auto(Exports::Id))
                    .col(big_integer_null(Exports::BrandId))
                    .col(big_integer_null(Exports::RequestedByUserId))
                    .col(big_integer_null(Exports::RequestedByApiKeyId))
                    // ADMIN | MANAGER | ANALYST | CREATOR | INTEGRATOR
                    .col(string(Exports::RequesterRole))
                    .col(json_list(Exports::ScopeCreatorIds))
                    // CONVERSIONS | CLICKS | COMMISSIONS | CREATORS | PERFORMANCE
                    .col(string(Exports::Kind))
                    // CSV | JSONL
                    .col(string(Exports::Format))
                    .col(text(Exports::Filter).default("{}"))
                    // QUEUED | RUNNING | COMPLETED | FAILED | EXPIRED
                    .col(string(Exports::Status))
                    .col(big_integer(Exports::RowCount).default(0))
                    .col(text_null(Exports::FileName))
                    .col(big_integer_null(Exports::FileSize))
                    .col(text_null(Exports::Error))
                    .col(integer(Exports::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(Exports::LeaseUntil))
                    .col(timestamp_with_time_zone(Exports::CreatedAt))
                    .col(timestamp_with_time_zone_null(Exports::StartedAt))
                    .col(timestamp_with_time_zone_null(Exports::CompletedAt))
                    .col(timestamp_with_time_zone_null(Exports::ExpiresAt))
                    .foreign_key(&mut fk(
                        Exports::Table,
                        Exports::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Exports::Table,
                        Exports::RequestedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Exports::Table, &[Exports::BrandId, Exports::Id]))
            .await?;
        manager
            .create_index(index(
                Exports::Table,
                &[Exports::RequestedByUserId, Exports::Id],
            ))
            .await?;
        manager
            .create_index(index(Exports::Table, &[Exports::Status, Exports::Id]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Exports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Exports {
    Table,
    Id,
    BrandId,
    RequestedByUserId,
    RequestedByApiKeyId,
    RequesterRole,
    ScopeCreatorIds,
    Kind,
    Format,
    Filter,
    Status,
    RowCount,
    FileName,
    FileSize,
    Error,
    Attempts,
    LeaseUntil,
    CreatedAt,
    StartedAt,
    CompletedAt,
    ExpiresAt,
}
