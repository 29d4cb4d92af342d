//! Campaigns and everything planned under them: `campaigns`, `offers`, `offer_tiers`,
//! `enrollments`, `deliverables`, `costs`, `experiments` and `experiment_regions`.
//!
//! Design decisions:
//! - A campaign's brief is flattened into `brief_*` columns; key messages and do/don't lists
//!   are TEXT holding JSON arrays. `target_roas` is a decimal string; budget and target CPA are
//!   minor units in the campaign's `currency_code`.
//! - An offer keeps one nullable column per model amount (`cpa_amount_minor`,
//!   `cpl_amount_minor`, `cpc_amount_minor`, `revenue_share_percent` as a decimal string,
//!   `flat_fee_minor`) so HYBRID needs no extra table; `hold_period_days` NULL means the brand's
//!   setting; `monthly_cap_minor` caps commissions per enrollment and calendar month.
//! - `offer_tiers.from_sale` is the 1-based number of the sale in the month from which the
//!   tier's rate applies; unique per offer.
//! - An enrollment's amount columns are per-creator overrides of its offer (NULL: the offer's).
//!   A creator has at most one live enrollment per campaign: a partial unique index on
//!   `(campaign_id, creator_id) WHERE status <> 'REMOVED'` (same syntax on both backends), so a
//!   removed creator can be enrolled again. The offer cannot be deleted under an enrollment.
//! - `costs.brand_amount_minor` is the amount converted to the brand currency when recorded,
//!   so reports never convert again; a cost's creator is optional (SET NULL keeps the spend).
//! - An experiment's regions carry their arm (TREATMENT | CONTROL) and population; a region is
//!   in one arm only (unique per experiment).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{currency, fk, index, json_list, unique_index};
use crate::m20261124_000001_create_tenancy::Brands;
use crate::m20261124_000002_create_roster::Creators;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(big_pk_auto(Campaigns::Id))
                    .col(big_integer(Campaigns::BrandId))
                    .col(string(Campaigns::Name))
                    // SALES | LEADS | TRAFFIC | AWARENESS
                    .col(text(Campaigns::Objective))
                    // ALWAYS_ON | FLIGHT
                    .col(text(Campaigns::Schedule))
                    // DRAFT | ACTIVE | PAUSED | COMPLETED | ARCHIVED
                    .col(text(Campaigns::Status).default("DRAFT"))
                    .col(timestamp_with_time_zone_null(Campaigns::StartsAt))
                    .col(timestamp_with_time_zone_null(Campaigns::EndsAt))
                    .col(currency(Campaigns::CurrencyCode))
                    .col(big_integer_null(Campaigns::BudgetMinor))
                    .col(big_integer_null(Campaigns::TargetCpaMinor))
                    // Decimal string.
                    .col(text_null(Campaigns::TargetRoas))
                    .col(text_null(Campaigns::BriefSummary))
                    .col(json_list(Campaigns::BriefKeyMessages))
                    .col(text_null(Campaigns::BriefGuardrails))
                    .col(json_list(Campaigns::BriefDos))
                    .col(json_list(Campaigns::BriefDonts))
                    .col(boolean(Campaigns::DisclosureRequired).default(true))
                    .col(integer_null(Campaigns::UsageRightsDays))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                    .foreign_key(&mut fk(
                        Campaigns::Table,
                        Campaigns::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Campaigns::Table,
                &[Campaigns::BrandId, Campaigns::Status],
            ))
            .await?;
        manager
            .create_index(index(
                Campaigns::Table,
                &[Campaigns::BrandId, Campaigns::CreatedAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Offers::Table)
                    .col(big_pk_auto(Offers::Id))
                    .col(big_integer(Offers::BrandId))
                    .col(big_integer(Offers::CampaignId))
                    .col(string(Offers::Name))
                    // CPA | CPL | CPC | REVENUE_SHARE | FLAT_FEE | HYBRID
                    .col(text(Offers::Model))
                    .col(currency(Offers::CurrencyCode))
                    .col(big_integer_null(Offers::CpaAmountMinor))
                    .col(big_integer_null(Offers::CplAmountMinor))
                    .col(big_integer_null(Offers::CpcAmountMinor))
                    // Decimal string, percent of the sale amount.
                    .col(text_null(Offers::RevenueSharePercent))
                    .col(big_integer_null(Offers::FlatFeeMinor))
                    .col(boolean(Offers::NewCustomersOnly).default(false))
                    .col(integer_null(Offers::HoldPeriodDays))
                    .col(big_integer_null(Offers::MonthlyCapMinor))
                    .col(timestamp_with_time_zone(Offers::CreatedAt))
                    .col(timestamp_with_time_zone(Offers::UpdatedAt))
                    .foreign_key(&mut fk(
                        Offers::Table,
                        Offers::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Offers::Table,
                        Offers::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Offers::Table, &[Offers::BrandId, Offers::CampaignId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OfferTiers::Table)
                    .col(big_pk_auto(OfferTiers::Id))
                    .col(big_integer(OfferTiers::BrandId))
                    .col(big_integer(OfferTiers::OfferId))
                    .col(integer(OfferTiers::FromSale))
                    .col(big_integer_null(OfferTiers::CpaAmountMinor))
                    // Decimal string, percent.
                    .col(text_null(OfferTiers::RevenueSharePercent))
                    .col(timestamp_with_time_zone(OfferTiers::CreatedAt))
                    .foreign_key(&mut fk(
                        OfferTiers::Table,
                        OfferTiers::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        OfferTiers::Table,
                        OfferTiers::OfferId,
                        Offers::Table,
                        Offers::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                OfferTiers::Table,
                &[OfferTiers::OfferId, OfferTiers::FromSale],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollments::Table)
                    .col(big_pk_auto(Enrollments::Id))
                    .col(big_integer(Enrollments::BrandId))
                    .col(big_integer(Enrollments::CampaignId))
                    .col(big_integer(Enrollments::CreatorId))
                    .col(big_integer(Enrollments::OfferId))
                    // INVITED | ACTIVE | PAUSED | REMOVED
                    .col(text(Enrollments::Status).default("INVITED"))
                    .col(big_integer_null(Enrollments::CpaAmountMinor))
                    .col(big_integer_null(Enrollments::CplAmountMinor))
                    .col(big_integer_null(Enrollments::CpcAmountMinor))
                    .col(text_null(Enrollments::RevenueSharePercent))
                    .col(big_integer_null(Enrollments::FlatFeeMinor))
                    .col(timestamp_with_time_zone_null(Enrollments::ActivatedAt))
                    .col(timestamp_with_time_zone(Enrollments::CreatedAt))
                    .col(timestamp_with_time_zone(Enrollments::UpdatedAt))
                    .foreign_key(&mut fk(
                        Enrollments::Table,
                        Enrollments::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Enrollments::Table,
                        Enrollments::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Enrollments::Table,
                        Enrollments::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Enrollments::Table,
                        Enrollments::OfferId,
                        Offers::Table,
                        Offers::Id,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        // One live enrollment per creator and campaign.
        manager
            .create_index(
                Index::create()
                    .name("uq_enrollments_campaign_id_creator_id_live")
                    .table(Enrollments::Table)
                    .col(Enrollments::CampaignId)
                    .col(Enrollments::CreatorId)
                    .unique()
                    .and_where(Expr::col(Enrollments::Status).ne("REMOVED"))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &[Enrollments::BrandId, Enrollments::CampaignId][..],
            &[Enrollments::BrandId, Enrollments::CreatorId],
            &[Enrollments::OfferId],
        ] {
            manager
                .create_index(index(Enrollments::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Deliverables::Table)
                    .col(big_pk_auto(Deliverables::Id))
                    .col(big_integer(Deliverables::BrandId))
                    .col(big_integer(Deliverables::EnrollmentId))
                    .col(text(Deliverables::Platform))
                    // POST | STORY | SHORT_VIDEO | VIDEO | LIVE | PODCAST_READ
                    .col(text(Deliverables::Format))
                    .col(timestamp_with_time_zone_null(Deliverables::DueAt))
                    // PLANNED | SUBMITTED | APPROVED | PUBLISHED
                    .col(text(Deliverables::Status).default("PLANNED"))
                    .col(text_null(Deliverables::PostUrl))
                    .col(timestamp_with_time_zone_null(Deliverables::PublishedAt))
                    .col(boolean(Deliverables::DisclosureConfirmed).default(false))
                    .col(timestamp_with_time_zone_null(
                        Deliverables::UsageRightsUntil,
                    ))
                    // Whitelisting / spark ads code.
                    .col(string_null(Deliverables::WhitelistingCode))
                    .col(big_integer(Deliverables::Impressions).default(0))
                    .col(big_integer(Deliverables::Views).default(0))
                    .col(big_integer(Deliverables::Engagements).default(0))
                    .col(timestamp_with_time_zone(Deliverables::CreatedAt))
                    .col(timestamp_with_time_zone(Deliverables::UpdatedAt))
                    .foreign_key(&mut fk(
                        Deliverables::Table,
                        Deliverables::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Deliverables::Table,
                        Deliverables::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Deliverables::Table,
                &[Deliverables::BrandId, Deliverables::PublishedAt],
            ))
            .await?;
        manager
            .create_index(index(Deliverables::Table, &[Deliverables::EnrollmentId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Costs::Table)
                    .col(big_pk_auto(Costs::Id))
                    .col(big_integer(Costs::BrandId))
                    .col(big_integer(Costs::CampaignId))
                    .col(big_integer_null(Costs::CreatorId))
                    // PRODUCT_SEEDING | GIFTING | PAID_AMPLIFICATION | AGENCY | OTHER
                    .col(text(Costs::Kind))
                    .col(big_integer(Costs::AmountMinor))
                    .col(currency(Costs::CurrencyCode))
                    .col(big_integer(Costs::BrandAmountMinor))
                    .col(timestamp_with_time_zone(Costs::IncurredAt))
                    .col(text_null(Costs::Note))
                    .col(timestamp_with_time_zone(Costs::CreatedAt))
                    .foreign_key(&mut fk(
                        Costs::Table,
                        Costs::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Costs::Table,
                        Costs::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Costs::Table,
                        Costs::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Costs::Table, &[Costs::BrandId, Costs::IncurredAt]))
            .await?;
        manager
            .create_index(index(Costs::Table, &[Costs::CampaignId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Experiments::Table)
                    .col(big_pk_auto(Experiments::Id))
                    .col(big_integer(Experiments::BrandId))
                    .col(big_integer(Experiments::CampaignId))
                    .col(string(Experiments::Name))
                    .col(timestamp_with_time_zone(Experiments::StartsAt))
                    .col(timestamp_with_time_zone(Experiments::EndsAt))
                    .col(timestamp_with_time_zone(Experiments::CreatedAt))
                    .col(timestamp_with_time_zone(Experiments::UpdatedAt))
                    .foreign_key(&mut fk(
                        Experiments::Table,
                        Experiments::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Experiments::Table,
                        Experiments::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Experiments::Table,
                &[Experiments::BrandId, Experiments::CampaignId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExperimentRegions::Table)
                    .col(big_pk_auto(ExperimentRegions::Id))
                    .col(big_integer(ExperimentRegions::BrandId))
                    .col(big_integer(ExperimentRegions::ExperimentId))
                    // TREATMENT | CONTROL
                    .col(text(ExperimentRegions::Arm))
                    .col(string(ExperimentRegions::Region))
                    .col(big_integer(ExperimentRegions::Population))
                    .col(timestamp_with_time_zone(ExperimentRegions::CreatedAt))
                    .foreign_key(&mut fk(
                        ExperimentRegions::Table,
                        ExperimentRegions::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ExperimentRegions::Table,
                        ExperimentRegions::ExperimentId,
                        Experiments::Table,
                        Experiments::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                ExperimentRegions::Table,
                &[ExperimentRegions::ExperimentId, ExperimentRegions::Region],
            ))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExperimentRegions::Table.into_iden(),
            Experiments::Table.into_iden(),
            Costs::Table.into_iden(),
            Deliverables::Table.into_iden(),
            Enrollments::Table.into_iden(),
            OfferTiers::Table.into_iden(),
            Offers::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Campaigns {
    Table,
    Id,
    BrandId,
    Name,
    Objective,
    Schedule,
    Status,
    StartsAt,
    EndsAt,
    CurrencyCode,
    BudgetMinor,
    TargetCpaMinor,
    TargetRoas,
    BriefSummary,
    BriefKeyMessages,
    BriefGuardrails,
    BriefDos,
    BriefDonts,
    DisclosureRequired,
    UsageRightsDays,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Offers {
    Table,
    Id,
    BrandId,
    CampaignId,
    Name,
    Model,
    CurrencyCode,
    CpaAmountMinor,
    CplAmountMinor,
    CpcAmountMinor,
    RevenueSharePercent,
    FlatFeeMinor,
    NewCustomersOnly,
    HoldPeriodDays,
    MonthlyCapMinor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OfferTiers {
    Table,
    Id,
    BrandId,
    OfferId,
    FromSale,
    CpaAmountMinor,
    RevenueSharePercent,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Enrollments {
    Table,
    Id,
    BrandId,
    CampaignId,
    CreatorId,
    OfferId,
    Status,
    CpaAmountMinor,
    CplAmountMinor,
    CpcAmountMinor,
    RevenueSharePercent,
    FlatFeeMinor,
    ActivatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deliverables {
    Table,
    Id,
    BrandId,
    EnrollmentId,
    Platform,
    Format,
    DueAt,
    Status,
    PostUrl,
    PublishedAt,
    DisclosureConfirmed,
    UsageRightsUntil,
    WhitelistingCode,
    Impressions,
    Views,
    Engagements,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Costs {
    Table,
    Id,
    BrandId,
    CampaignId,
    CreatorId,
    Kind,
    AmountMinor,
    CurrencyCode,
    BrandAmountMinor,
    IncurredAt,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Experiments {
    Table,
    Id,
    BrandId,
    CampaignId,
    Name,
    StartsAt,
    EndsAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ExperimentRegions {
    Table,
    Id,
    BrandId,
    ExperimentId,
    Arm,
    Region,
    Population,
    CreatedAt,
}
