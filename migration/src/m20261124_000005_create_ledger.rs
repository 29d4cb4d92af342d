//! The money owed to creators: `payouts` and the `commissions` ledger.
//!
//! Design decisions:
//! - `commissions` is an append-only ledger: a line's amount is never edited; refunds and
//!   corrections add REVERSAL / ADJUSTMENT lines (negative amounts allowed). Only the workflow
//!   columns move: `status` PENDING -> APPROVED -> PAID (or REVERSED), `payout_id`, `paid_at`.
//! - `occurred_at` is the date the line is reported under (the conversion's time, also for its
//!   reversals; the activation time for a FLAT_FEE); `hold_until = occurred_at + hold days`.
//! - `creator_id` and `campaign_id` are copied from the enrollment so balances and reports
//!   need no join. The ledger is history: its enrollment, creator, campaign and conversion
//!   cannot be deleted while lines point at them (RESTRICT), and a payout cannot lose its
//!   creator. A line leaves a payout only if the payout row itself is deleted (SET NULL).
//!   Deleting a whole brand still works: its cascade reaches the ledger before the RESTRICT
//!   checks of enrollments and conversions (PostgreSQL runs nested checks last; SQLite cascades
//!   the most recently created tables first, so these tables must stay created after the rows
//!   they restrict).
//! - A payout sums its lines in the brand currency (`amount_minor`, `commission_count`); its
//!   status is PENDING | PAID | FAILED | CANCELED with `reference`, `paid_at` and
//!   `failure_reason` for the finance workflow.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{currency, fk, index};
use crate::m20261124_000001_create_tenancy::{Brands, Users};
use crate::m20261124_000002_create_roster::Creators;
use crate::m20261124_000003_create_campaigns::{Campaigns, Enrollments};
use crate::m20261124_000004_create_tracking::Conversions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Payouts::Table)
                    .col(big_pk_auto(Payouts::Id))
                    .col(big_integer(Payouts::BrandId))
                    .col(big_integer(Payouts::CreatorId))
                    .col(timestamp_with_time_zone(Payouts::PeriodEnd))
                    .col(big_integer(Payouts::AmountMinor))
                    .col(currency(Payouts::CurrencyCode))
                    .col(integer(Payouts::CommissionCount))
                    // PENDING | PAID | FAILED | CANCELED
                    .col(text(Payouts::Status).default("PENDING"))
                    .col(string_null(Payouts::Reference))
                    .col(timestamp_with_time_zone_null(Payouts::PaidAt))
                    .col(text_null(Payouts::FailureReason))
                    .col(timestamp_with_time_zone(Payouts::CreatedAt))
                    .col(timestamp_with_time_zone(Payouts::UpdatedAt))
                    .foreign_key(&mut fk(
                        Payouts::Table,
                        Payouts::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Payouts::Table,
                        Payouts::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Payouts::Table, &[Payouts::BrandId, Payouts::Status]))
            .await?;
        manager
            .create_index(index(Payouts::Table, &[Payouts::CreatorId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Commissions::Table)
                    .col(big_pk_auto(Commissions::Id))
                    .col(big_integer(Commissions::BrandId))
                    .col(big_integer(Commissions::EnrollmentId))
                    .col(big_integer(Commissions::CreatorId))
                    .col(big_integer(Commissions::CampaignId))
                    .col(big_integer_null(Commissions::ConversionId))
                    .col(big_integer_null(Commissions::PayoutId))
                    // CPA | CPL | CPC | REVENUE_SHARE | FLAT_FEE | BONUS | ADJUSTMENT | REVERSAL
                    .col(text(Commissions::Kind))
                    .col(big_integer(Commissions::AmountMinor))
                    .col(currency(Commissions::CurrencyCode))
                    .col(timestamp_with_time_zone(Commissions::OccurredAt))
                    .col(timestamp_with_time_zone(Commissions::HoldUntil))
                    // PENDING | APPROVED | PAID | REVERSED
                    .col(text(Commissions::Status).default("PENDING"))
                    .col(text_null(Commissions::Reason))
                    // REVENUE_SHARE lines (and their reversals): the percent used, so refunds
                    // true up with the rate of the sale even if the terms changed since.
                    .col(text_null(Commissions::RatePercent))
                    // REVERSAL lines: the kind they reverse (REVENUE_SHARE, CPA, CPL).
                    .col(text_null(Commissions::Reverses))
                    .col(big_integer_null(Commissions::CreatedByUserId))
                    .col(timestamp_with_time_zone_null(Commissions::PaidAt))
                    .col(timestamp_with_time_zone(Commissions::CreatedAt))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::ConversionId,
                        Conversions::Table,
                        Conversions::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::PayoutId,
                        Payouts::Table,
                        Payouts::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Commissions::Table,
                        Commissions::CreatedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &[
                Commissions::BrandId,
                Commissions::CreatorId,
                Commissions::Status,
            ][..],
            &[Commissions::PayoutId],
            &[Commissions::ConversionId],
            &[Commissions::BrandId, Commissions::OccurredAt],
            &[Commissions::EnrollmentId, Commissions::OccurredAt],
        ] {
            manager
                .create_index(index(Commissions::Table, columns))
                .await?;
        }

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Commissions::Table.into_iden(), Payouts::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Payouts {
    Table,
    Id,
    BrandId,
    CreatorId,
    PeriodEnd,
    AmountMinor,
    CurrencyCode,
    CommissionCount,
    Status,
    Reference,
    PaidAt,
    FailureReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commissions {
    Table,
    Id,
    BrandId,
    EnrollmentId,
    CreatorId,
    CampaignId,
    ConversionId,
    PayoutId,
    Kind,
    AmountMinor,
    CurrencyCode,
    OccurredAt,
    HoldUntil,
    Status,
    Reason,
    RatePercent,
    Reverses,
    CreatedByUserId,
    PaidAt,
    CreatedAt,
}
