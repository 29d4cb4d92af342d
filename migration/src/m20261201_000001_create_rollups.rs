//! Rollups for performance analytics: `daily_rollups` and `daily_visitors`.
//!
//! Design decisions:
//! - A rollup row holds the additive counters of one enrollment on one day of the brand's
//!   timezone: non-bot clicks, sales (attributed, not fully refunded), leads, new customers,
//!   revenue net of refunds and commission lines, all in the brand currency. It is kept in the
//!   same transaction as the event that changes it (click, conversion, refund, commission line),
//!   so a report over whole days reads rollup rows, not events.
//! - `daily_visitors` holds each distinct visitor key per enrollment and day, so that unique
//!   clicks (distinct, not additive) stay exact over any range and grouping.
//! - `enrollment_id` 0 stands for "no enrollment" (a click whose enrollment was deleted): the
//!   key must not be NULL, so these tables have no foreign key to `enrollments`. They cascade
//!   with their brand.
//! - Costs and deliverables are few per campaign and are read from their own tables.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::fk;
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DailyRollups::Table)
                    .col(big_integer(DailyRollups::BrandId))
                    .col(big_integer(DailyRollups::EnrollmentId))
                    .col(date(DailyRollups::Day))
                    .col(big_integer(DailyRollups::Clicks).default(0))
                    .col(big_integer(DailyRollups::Sales).default(0))
                    .col(big_integer(DailyRollups::Leads).default(0))
                    .col(big_integer(DailyRollups::NewCustomers).default(0))
                    .col(big_integer(DailyRollups::RevenueMinor).default(0))
                    .col(big_integer(DailyRollups::CommissionsMinor).default(0))
                    .primary_key(
                        Index::create()
                            .col(DailyRollups::BrandId)
                            .col(DailyRollups::Day)
                            .col(DailyRollups::EnrollmentId),
                    )
                    .foreign_key(&mut fk(
                        DailyRollups::Table,
                        DailyRollups::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DailyVisitors::Table)
                    .col(big_integer(DailyVisitors::BrandId))
                    .col(date(DailyVisitors::Day))
                    .col(big_integer(DailyVisitors::EnrollmentId))
                    .col(string(DailyVisitors::VisitorKey))
                    .primary_key(
                        Index::create()
                            .col(DailyVisitors::BrandId)
                            .col(DailyVisitors::Day)
                            .col(DailyVisitors::EnrollmentId)
                            .col(DailyVisitors::VisitorKey),
                    )
                    .foreign_key(&mut fk(
                        DailyVisitors::Table,
                        DailyVisitors::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DailyVisitors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DailyRollups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum DailyRollups {
    Table,
    BrandId,
    EnrollmentId,
    Day,
    Clicks,
    Sales,
    Leads,
    NewCustomers,
    RevenueMinor,
    CommissionsMinor,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum DailyVisitors {
    Table,
    BrandId,
    Day,
    EnrollmentId,
    VisitorKey,
}
