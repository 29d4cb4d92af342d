//! Tracking and ingested events: `tracking_links`, `discount_codes`, `clicks`, `conversions`
//! and `refunds`.
//!
//! Design decisions:
//! - `tracking_links.code` is unique across all brands because `/r/{code}` carries no brand;
//!   links are archived (`archived_at`), not deleted, so their clicks stay. Discount codes are
//!   stored normalized to upper case and unique per brand; `archived_at` is an addition so a
//!   code can be retired without losing the history that names it.
//! - No raw IP or user agent is stored: a click keeps a hashed `visitor_key`, a user-agent
//!   class, the referrer host and a country. `click_id` (returned to the landing page) is unique
//!   per brand; `source` is REDIRECT (recorded by `/r/{code}`) or API (ingested). A click's
//!   `enrollment_id` is copied from its link so reports group clicks without a join.
//! - A conversion keeps the amount as received (`amount_minor` + `currency_code`) and converted
//!   (`brand_amount_minor`, with the decimal-string `exchange_rate` used, NULL when the
//!   currencies match). `external_id` is unique per brand, which makes ingestion idempotent.
//!   Customer identity is a `customer_key` and a SHA-256 `customer_email_hash`, never the email.
//! - Attribution is stored on the conversion: `attribution_method` (CLICK | CODE | NONE) and the
//!   enrollment plus its campaign, creator and offer, denormalized so reports group by them
//!   without joins. Deleting any of those keeps the conversion (SET NULL): it still counts for
//!   LTV, experiments and the change feed.
//! - `refunded_minor` / `refunded_brand_minor` sum the applied refunds; `change_seq` is bumped
//!   from a per-brand sequence whenever a conversion is created or changed, and the change feed
//!   pages by `(brand_id, change_seq)`.
//! - A refund may arrive before its order: it is stored with `conversion_id` NULL and the
//!   order's `order_external_id`, and applied (`applied_at`, `brand_amount_minor`) when the
//!   order arrives. `refund_external_id` is unique per brand (idempotent ingestion).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{currency, fk, index, unique_index};
use crate::m20261124_000001_create_tenancy::Brands;
use crate::m20261124_000002_create_roster::Creators;
use crate::m20261124_000003_create_campaigns::{Campaigns, Enrollments, Offers};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrackingLinks::Table)
                    .col(big_pk_auto(TrackingLinks::Id))
                    .col(big_integer(TrackingLinks::BrandId))
                    .col(big_integer(TrackingLinks::EnrollmentId))
                    .col(string(TrackingLinks::Code))
                    .col(text(TrackingLinks::DestinationUrl))
                    .col(string_null(TrackingLinks::UtmSource))
                    .col(string_null(TrackingLinks::UtmMedium))
                    .col(string_null(TrackingLinks::UtmCampaign))
                    .col(string_null(TrackingLinks::UtmContent))
                    .col(text_null(TrackingLinks::DeepLink))
                    .col(timestamp_with_time_zone_null(TrackingLinks::ArchivedAt))
                    .col(timestamp_with_time_zone(TrackingLinks::CreatedAt))
                    .col(timestamp_with_time_zone(TrackingLinks::UpdatedAt))
                    .foreign_key(&mut fk(
                        TrackingLinks::Table,
                        TrackingLinks::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TrackingLinks::Table,
                        TrackingLinks::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(TrackingLinks::Table, &[TrackingLinks::Code]))
            .await?;
        manager
            .create_index(index(
                TrackingLinks::Table,
                &[TrackingLinks::BrandId, TrackingLinks::EnrollmentId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DiscountCodes::Table)
                    .col(big_pk_auto(DiscountCodes::Id))
                    .col(big_integer(DiscountCodes::BrandId))
                    .col(big_integer(DiscountCodes::EnrollmentId))
                    // Normalized upper case.
                    .col(string(DiscountCodes::Code))
                    // Decimal string, percent; or else amount_off_minor.
                    .col(text_null(DiscountCodes::PercentOff))
                    .col(big_integer_null(DiscountCodes::AmountOffMinor))
                    .col(currency(DiscountCodes::CurrencyCode))
                    .col(timestamp_with_time_zone_null(DiscountCodes::ArchivedAt))
                    .col(timestamp_with_time_zone(DiscountCodes::CreatedAt))
                    .col(timestamp_with_time_zone(DiscountCodes::UpdatedAt))
                    .foreign_key(&mut fk(
                        DiscountCodes::Table,
                        DiscountCodes::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        DiscountCodes::Table,
                        DiscountCodes::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                DiscountCodes::Table,
                &[DiscountCodes::BrandId, DiscountCodes::Code],
            ))
            .await?;
        manager
            .create_index(index(
                DiscountCodes::Table,
                &[DiscountCodes::BrandId, DiscountCodes::EnrollmentId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clicks::Table)
                    .col(big_pk_auto(Clicks::Id))
                    .col(big_integer(Clicks::BrandId))
                    .col(big_integer(Clicks::LinkId))
                    .col(big_integer_null(Clicks::EnrollmentId))
                    .col(string(Clicks::ClickId))
                    .col(timestamp_with_time_zone(Clicks::OccurredAt))
                    .col(string(Clicks::VisitorKey))
                    .col(text_null(Clicks::UserAgentClass))
                    .col(string_null(Clicks::ReferrerHost))
                    .col(string_null(Clicks::Country))
                    .col(boolean(Clicks::IsBot).default(false))
                    // REDIRECT | API
                    .col(text(Clicks::Source))
                    .col(string_null(Clicks::ExternalId))
                    .col(timestamp_with_time_zone(Clicks::CreatedAt))
                    .foreign_key(&mut fk(
                        Clicks::Table,
                        Clicks::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Clicks::Table,
                        Clicks::LinkId,
                        TrackingLinks::Table,
                        TrackingLinks::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Clicks::Table,
                        Clicks::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                Clicks::Table,
                &[Clicks::BrandId, Clicks::ClickId],
            ))
            .await?;
        manager
            .create_index(index(Clicks::Table, &[Clicks::BrandId, Clicks::OccurredAt]))
            .await?;
        manager
            .create_index(index(Clicks::Table, &[Clicks::LinkId, Clicks::OccurredAt]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Conversions::Table)
                    .col(big_pk_auto(Conversions::Id))
                    .col(big_integer(Conversions::BrandId))
                    .col(string(Conversions::ExternalId))
                    // SALE | LEAD
                    .col(text(Conversions::Kind))
                    .col(timestamp_with_time_zone(Conversions::OccurredAt))
                    .col(big_integer(Conversions::AmountMinor))
                    .col(currency(Conversions::CurrencyCode))
                    .col(big_integer(Conversions::BrandAmountMinor))
                    // Decimal string; NULL when no conversion was needed.
                    .col(text_null(Conversions::ExchangeRate))
                    .col(string_null(Conversions::CustomerKey))
                    .col(string_null(Conversions::CustomerEmailHash))
                    .col(boolean(Conversions::NewCustomer))
                    // Computed (no flag in the input) rather than given: recomputed when an
                    // earlier order of the same customer arrives late, so that the outcome does
                    // not depend on arrival order.
                    .col(boolean(Conversions::NewCustomerDerived).default(false))
                    .col(string_null(Conversions::ClickId))
                    .col(string_null(Conversions::DiscountCode))
                    .col(string_null(Conversions::Region))
                    // CLICK | CODE | NONE
                    .col(text(Conversions::AttributionMethod).default("NONE"))
                    .col(big_integer_null(Conversions::EnrollmentId))
                    .col(big_integer_null(Conversions::CampaignId))
                    .col(big_integer_null(Conversions::CreatorId))
                    .col(big_integer_null(Conversions::OfferId))
                    .col(boolean(Conversions::SelfReferral).default(false))
                    .col(text(Conversions::Status))
                    .col(big_integer(Conversions::RefundedMinor).default(0))
                    .col(big_integer(Conversions::RefundedBrandMinor).default(0))
                    .col(big_integer(Conversions::ChangeSeq).default(0))
                    .col(timestamp_with_time_zone(Conversions::CreatedAt))
                    .col(timestamp_with_time_zone(Conversions::UpdatedAt))
                    .foreign_key(&mut fk(
                        Conversions::Table,
                        Conversions::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Conversions::Table,
                        Conversions::EnrollmentId,
                        Enrollments::Table,
                        Enrollments::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Conversions::Table,
                        Conversions::CampaignId,
                        Campaigns::Table,
                        Campaigns::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Conversions::Table,
                        Conversions::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Conversions::Table,
                        Conversions::OfferId,
                        Offers::Table,
                        Offers::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                Conversions::Table,
                &[Conversions::BrandId, Conversions::ExternalId],
            ))
            .await?;
        for columns in [
            &[Conversions::BrandId, Conversions::OccurredAt][..],
            &[
                Conversions::BrandId,
                Conversions::CustomerKey,
                Conversions::OccurredAt,
            ],
            &[Conversions::BrandId, Conversions::ChangeSeq],
            &[Conversions::EnrollmentId, Conversions::OccurredAt],
        ] {
            manager
                .create_index(index(Conversions::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(big_integer(Refunds::BrandId))
                    .col(big_integer_null(Refunds::ConversionId))
                    .col(string(Refunds::OrderExternalId))
                    .col(string(Refunds::RefundExternalId))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(currency(Refunds::CurrencyCode))
                    .col(big_integer_null(Refunds::BrandAmountMinor))
                    .col(timestamp_with_time_zone(Refunds::OccurredAt))
                    .col(timestamp_with_time_zone_null(Refunds::AppliedAt))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .foreign_key(&mut fk(
                        Refunds::Table,
                        Refunds::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Refunds::Table,
                        Refunds::ConversionId,
                        Conversions::Table,
                        Conversions::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                Refunds::Table,
                &[Refunds::BrandId, Refunds::RefundExternalId],
            ))
            .await?;
        manager
            .create_index(index(
                Refunds::Table,
                &[Refunds::BrandId, Refunds::OrderExternalId],
            ))
            .await?;
        manager
            .create_index(index(Refunds::Table, &[Refunds::ConversionId]))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Refunds::Table.into_iden(),
            Conversions::Table.into_iden(),
            Clicks::Table.into_iden(),
            DiscountCodes::Table.into_iden(),
            TrackingLinks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TrackingLinks {
    Table,
    Id,
    BrandId,
    EnrollmentId,
    Code,
    DestinationUrl,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmContent,
    DeepLink,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DiscountCodes {
    Table,
    Id,
    BrandId,
    EnrollmentId,
    Code,
    PercentOff,
    AmountOffMinor,
    CurrencyCode,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clicks {
    Table,
    Id,
    BrandId,
    LinkId,
    EnrollmentId,
    ClickId,
    OccurredAt,
    VisitorKey,
    UserAgentClass,
    ReferrerHost,
    Country,
    IsBot,
    Source,
    ExternalId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Conversions {
    Table,
    Id,
    BrandId,
    ExternalId,
    Kind,
    OccurredAt,
    AmountMinor,
    CurrencyCode,
    BrandAmountMinor,
    ExchangeRate,
    CustomerKey,
    CustomerEmailHash,
    NewCustomer,
    NewCustomerDerived,
    ClickId,
    DiscountCode,
    Region,
    AttributionMethod,
    EnrollmentId,
    CampaignId,
    CreatorId,
    OfferId,
    SelfReferral,
    Status,
    RefundedMinor,
    RefundedBrandMinor,
    ChangeSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    Id,
    BrandId,
    ConversionId,
    OrderExternalId,
    RefundExternalId,
    AmountMinor,
    CurrencyCode,
    BrandAmountMinor,
    OccurredAt,
    AppliedAt,
    CreatedAt,
}
