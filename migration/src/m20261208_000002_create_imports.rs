//! CSV imports (DOMAIN "bulk data"): `imports`, one per uploaded file, and
//! `import_rejections`, the rows of a file that were not imported.
//!
//! Design decisions:
//! - An import runs in the background, in chunks; `status` is RUNNING until the last chunk,
//!   then COMPLETED (or FAILED with a short server-written `error`, never a SQL text). The
//!   counters grow chunk by chunk, so a client polling the import sees progress.
//! - The rows themselves go through the single-item services (creators, ingestion), so they
//!   are stored in their own tables; an import keeps only its counters and its rejections.
//! - `import_rejections` keeps the first rejections of a file (bounded by the service; the
//!   `rejected` counter counts them all), with the 1-based line number (the header is line 1),
//!   the column (`field`, when the error names one), the code and the message.
//! - Both cascade with their brand; rejections with their import.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Imports::Table)
                    .col(big_pk_auto(Imports::Id))
                    .col(big_integer(Imports::BrandId))
                    // CREATORS | CONVERSIONS
                    .col(string(Imports::Kind))
                    // RUNNING | COMPLETED | FAILED
                    .col(string(Imports::Status))
                    .col(string(Imports::FileName))
                    .col(big_integer(Imports::RowsRead).default(0))
                    .col(big_integer(Imports::Imported).default(0))
                    .col(big_integer(Imports::Duplicates).default(0))
                    .col(big_integer(Imports::Rejected).default(0))
                    .col(text_null(Imports::Error))
                    .col(timestamp_with_time_zone(Imports::CreatedAt))
                    .col(timestamp_with_time_zone_null(Imports::FinishedAt))
                    .foreign_key(&mut fk(
                        Imports::Table,
                        Imports::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Imports::Table, &[Imports::BrandId, Imports::Id]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRejections::Table)
                    .col(big_pk_auto(ImportRejections::Id))
                    .col(big_integer(ImportRejections::BrandId))
                    .col(big_integer(ImportRejections::ImportId))
                    .col(big_integer(ImportRejections::Line))
                    .col(string_null(ImportRejections::Field))
                    .col(string(ImportRejections::Code))
                    .col(text(ImportRejections::Message))
                    .foreign_key(&mut fk(
                        ImportRejections::Table,
                        ImportRejections::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ImportRejections::Table,
                        ImportRejections::ImportId,
                        Imports::Table,
                        Imports::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ImportRejections::Table,
                &[ImportRejections::ImportId, ImportRejections::Line],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportRejections::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Imports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Imports {
    Table,
    Id,
    BrandId,
    Kind,
    Status,
    FileName,
    RowsRead,
    Imported,
    Duplicates,
    Rejected,
    Error,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ImportRejections {
    Table,
    Id,
    BrandId,
    ImportId,
    Line,
    Field,
    Code,
    Message,
}
