//! Fraud rules and their review queue (issue #23, DOMAIN rule 8): `fraud_rules` (a brand's
//! setting of each rule) and `fraud_flags` (a conversion held for review), plus the columns and
//! indexes the rules read at ingestion.
//!
//! Design decisions:
//! - `fraud_rules` has a row only for a rule a brand has set; a missing row is the rule's default
//!   (off, default parameters). `parameters` is the rule's validated parameters as a JSON object
//!   (camelCase, as in the GraphQL input), so a rule can gain a parameter without a migration.
//! - One flag per conversion (`uq_fraud_flags_conversion_id`): `rule` is the first rule of
//!   DOMAIN rule 8's order that matched; `evidence` (JSON) lists every rule that matched with the
//!   facts it saw (email domains and hashes, never raw emails). Staff decide once per conversion.
//! - `status` OPEN -> APPROVED | REJECTED, with `resolved_by_user_id`, `resolved_at`, `note`.
//!   The review queue reads `(brand_id, status, id)`.
//! - `conversions.rejected_rule`: the rule a REJECT recorded when it set the attribution to NONE.
//! - `clicks.paid_click_param`: which paid-ad click parameter (gclid, fbclid, ttclid, msclkid)
//!   the landing URL carried (the name only, never its value), for PAID_TRAFFIC.
//! - `campaigns.forbids_paid_search` (default false): PAID_TRAFFIC flags paid clicks only on
//!   campaigns that forbid paid search.
//! - Indexes that keep the windowed rules off full scans: clicks `(link_id, visitor_key,
//!   occurred_at)` (CLICK_SPAM, one hour), conversions `(brand_id, discount_code, occurred_at)`
//!   (CODE_LEAK, 7 days) and `(brand_id, customer_email_hash, occurred_at)` (DUPLICATE_CUSTOMER,
//!   30 days).
//! - Both tables cascade with their brand; a flag goes with its conversion.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, fk, index, unique_index};
use crate::m20261124_000001_create_tenancy::{Brands, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FraudRules::Table)
                    .col(big_pk_auto(FraudRules::Id))
                    .col(big_integer(FraudRules::BrandId))
                    // SELF_REFERRAL | DISPOSABLE_EMAIL | TOO_FAST | CLICK_SPAM | BANNED_REFERRER
                    // | PAID_TRAFFIC | CODE_LEAK | DUPLICATE_CUSTOMER
                    .col(string(FraudRules::Rule))
                    .col(boolean(FraudRules::Enabled).default(false))
                    .col(text(FraudRules::Parameters).default("{}"))
                    .col(big_integer_null(FraudRules::UpdatedByUserId))
                    .col(timestamp_with_time_zone(FraudRules::UpdatedAt))
                    .foreign_key(&mut fk(
                        FraudRules::Table,
                        FraudRules::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        FraudRules::Table,
                        FraudRules::UpdatedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                FraudRules::Table,
                &[FraudRules::BrandId, FraudRules::Rule],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FraudFlags::Table)
                    .col(big_pk_auto(FraudFlags::Id))
                    .col(big_integer(FraudFlags::BrandId))
                    .col(big_integer(FraudFlags::ConversionId))
                    .col(string(FraudFlags::Rule))
                    .col(text(FraudFlags::Evidence).default("{}"))
                    // OPEN | APPROVED | REJECTED
                    .col(string(FraudFlags::Status))
                    .col(big_integer_null(FraudFlags::ResolvedByUserId))
                    .col(timestamp_with_time_zone_null(FraudFlags::ResolvedAt))
                    .col(text_null(FraudFlags::Note))
                    .col(timestamp_with_time_zone(FraudFlags::CreatedAt))
                    .foreign_key(&mut fk(
                        FraudFlags::Table,
                        FraudFlags::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        FraudFlags::Table,
                        FraudFlags::ConversionId,
                        Conversions::Table,
                        Conversions::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        FraudFlags::Table,
                        FraudFlags::ResolvedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(FraudFlags::Table, &[FraudFlags::ConversionId]))
            .await?;
        manager
            .create_index(index(
                FraudFlags::Table,
                &[FraudFlags::BrandId, FraudFlags::Status, FraudFlags::Id],
            ))
            .await?;
        manager
            .create_index(index(
                FraudFlags::Table,
                &[FraudFlags::BrandId, FraudFlags::Id],
            ))
            .await?;
        add_column(
            manager,
            Conversions::Table,
            string_null(Conversions::RejectedRule),
        )
        .await?;
        add_column(manager, Clicks::Table, string_null(Clicks::PaidClickParam)).await?;
        add_column(
            manager,
            Campaigns::Table,
            boolean(Campaigns::ForbidsPaidSearch).default(false).take(),
        )
        .await?;
        manager
            .create_index(index(
                Clicks::Table,
                &[Clicks::LinkId, Clicks::VisitorKey, Clicks::OccurredAt],
            ))
            .await?;
        manager
            .create_index(index(
                Conversions::Table,
                &[
                    Conversions::BrandId,
                    Conversions::DiscountCode,
                    Conversions::OccurredAt,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                Conversions::Table,
                &[
                    Conversions::BrandId,
                    Conversions::CustomerEmailHash,
                    Conversions::OccurredAt,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "idx_conversions_brand_id_customer_email_hash_occurred_at",
                Conversions::Table.into_iden(),
            ),
            (
                "idx_conversions_brand_id_discount_code_occurred_at",
                Conversions::Table.into_iden(),
            ),
            (
                "idx_clicks_link_id_visitor_key_occurred_at",
                Clicks::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        drop_column(manager, Campaigns::Table, Campaigns::ForbidsPaidSearch).await?;
        drop_column(manager, Clicks::Table, Clicks::PaidClickParam).await?;
        drop_column(manager, Conversions::Table, Conversions::RejectedRule).await?;
        manager
            .drop_table(Table::drop().table(FraudFlags::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FraudRules::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum FraudRules {
    Table,
    Id,
    BrandId,
    Rule,
    Enabled,
    Parameters,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum FraudFlags {
    Table,
    Id,
    BrandId,
    ConversionId,
    Rule,
    Evidence,
    Status,
    ResolvedByUserId,
    ResolvedAt,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversions {
    Table,
    Id,
    BrandId,
    DiscountCode,
    CustomerEmailHash,
    OccurredAt,
    RejectedRule,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clicks {
    Table,
    LinkId,
    VisitorKey,
    OccurredAt,
    PaidClickParam,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaigns {
    Table,
    ForbidsPaidSearch,
}
