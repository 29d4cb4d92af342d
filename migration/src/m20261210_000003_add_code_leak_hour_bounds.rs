//! CODE_LEAK's hourly counts learn the first and last time among each hour's conversions
//! (`first_at`, `last_at`), so that judging a window reads the raw conversions of an edge hour
//! only when the window's edge falls between them (an order later than the one judged in its
//! own hour, or a week-old hour cut in two), not for every conversion.
//!
//! Counts stored before this migration have no bounds: they are dropped, and the first
//! ingestion of a brand with CODE_LEAK on builds them again (`fraud_rules.counted_from` is
//! cleared).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(Query::delete().from_table(CodeLeakHours::Table).to_owned())
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(FraudRules::Table)
                    .value(FraudRules::CountedFrom, Expr::cust("NULL"))
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            CodeLeakHours::Table,
            timestamp_with_time_zone_null(CodeLeakHours::FirstAt),
        )
        .await?;
        add_column(
            manager,
            CodeLeakHours::Table,
            timestamp_with_time_zone_null(CodeLeakHours::LastAt),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, CodeLeakHours::Table, CodeLeakHours::LastAt).await?;
        drop_column(manager, CodeLeakHours::Table, CodeLeakHours::FirstAt).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CodeLeakHours {
    Table,
    FirstAt,
    LastAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FraudRules {
    Table,
    CountedFrom,
}
