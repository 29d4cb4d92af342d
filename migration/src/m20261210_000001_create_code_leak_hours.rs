//! CODE_LEAK's counts (issue #23): `code_leak_hours` holds, per brand, live discount code and
//! UTC hour, how many conversions named the code and how many of them came through a click of
//! the code's creator, so that judging a code's 7-day share reads at most 169 counter rows and
//! the few conversions of the window's two edge hours, not every order of the code in 7 days.
//!
//! Design decisions:
//! - The counts are kept only while a brand has CODE_LEAK on. Turning it on (or the first
//!   ingestion that finds it on with no counts, as after this migration) rebuilds the brand's
//!   counts from its conversions of the last 8 days and records from which hour they are whole
//!   in `fraud_rules.counted_from`; turning it off clears both.
//! - Hours older than 8 days are deleted by the server (`idx_code_leak_hours_hour`); an older
//!   conversion (a late backfill) is judged from the conversions themselves.
//! - The counts go with their brand.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, fk, index};
use crate::m20261124_000001_create_tenancy::Brands;
use crate::m20261208_000005_create_fraud_rules::FraudRules;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeLeakHours::Table)
                    .col(big_integer(CodeLeakHours::BrandId))
                    .col(string(CodeLeakHours::DiscountCode))
                    .col(timestamp_with_time_zone(CodeLeakHours::Hour))
                    .col(big_integer(CodeLeakHours::Conversions).default(0))
                    .col(big_integer(CodeLeakHours::WithCreatorClick).default(0))
                    .primary_key(
                        Index::create()
                            .col(CodeLeakHours::BrandId)
                            .col(CodeLeakHours::DiscountCode)
                            .col(CodeLeakHours::Hour),
                    )
                    .foreign_key(&mut fk(
                        CodeLeakHours::Table,
                        CodeLeakHours::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(CodeLeakHours::Table, &[CodeLeakHours::Hour]))
            .await?;
        add_column(
            manager,
            FraudRules::Table,
            timestamp_with_time_zone_null(FraudRulesCountedFrom::CountedFrom),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(
            manager,
            FraudRules::Table,
            FraudRulesCountedFrom::CountedFrom,
        )
        .await?;
        manager
            .drop_table(Table::drop().table(CodeLeakHours::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CodeLeakHours {
    Table,
    BrandId,
    DiscountCode,
    Hour,
    Conversions,
    WithCreatorClick,
}

#[derive(DeriveIden, Clone, Copy)]
enum FraudRulesCountedFrom {
    CountedFrom,
}
