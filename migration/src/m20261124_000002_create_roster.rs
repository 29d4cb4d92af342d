//! The brand's creator roster: `creators`, their `channels`, and `invites` (staff or creator
//! accounts invited into a brand).
//!
//! Design decisions:
//! - A creator row is a brand's partner record; the same person working with two brands has two
//!   rows, both linked to one CREATOR user through `user_id` (SET NULL when the account goes, the
//!   partner record and its history stay).
//! - `email` is stored lowercased and unique per brand (NULLs allowed, several creators may have
//!   none); `email_hash` is the SHA-256 hex of the normalized email, compared with a conversion's
//!   customer email hash to detect self-referrals without keeping customer emails.
//! - `followers` and `primary_platform` are denormalized from the creator's largest channel, so
//!   tier filters and sorting by reach use an index instead of a join.
//! - `niches` and `channels.audience_countries` are TEXT holding JSON arrays;
//!   `channels.engagement_rate` is a decimal string (percent, e.g. "4.2").
//! - `stage` (PROSPECT, CONTACTED, NEGOTIATING, ACTIVE, PAUSED, ENDED, AMBASSADOR) and
//!   `vetting_status` (PENDING, APPROVED, REJECTED) are TEXT enums.
//! - `invites` lives here rather than with the tenancy tables because it references
//!   `creators` (a CREATOR invite is for one creator record) and SQLite only accepts foreign keys
//!   inside `CREATE TABLE`. The token is stored as its SHA-256 hex only; `revoked_at` is an
//!   addition so an invite can be withdrawn before it is accepted.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, json_list, unique_index};
use crate::m20261124_000001_create_tenancy::{Brands, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Creators::Table)
                    .col(big_pk_auto(Creators::Id))
                    .col(big_integer(Creators::BrandId))
                    .col(big_integer_null(Creators::UserId))
                    .col(string(Creators::DisplayName))
                    .col(string_null(Creators::Email))
                    .col(string_null(Creators::EmailHash))
                    // ISO 3166-1 alpha-2.
                    .col(string_null(Creators::Country))
                    .col(json_list(Creators::Niches))
                    .col(text(Creators::Stage).default("PROSPECT"))
                    .col(text(Creators::VettingStatus).default("PENDING"))
                    // 0..100
                    .col(integer_null(Creators::BrandSafetyScore))
                    .col(text_null(Creators::VettingNotes))
                    .col(big_integer(Creators::Followers).default(0))
                    .col(text_null(Creators::PrimaryPlatform))
                    .col(timestamp_with_time_zone(Creators::CreatedAt))
                    .col(timestamp_with_time_zone(Creators::UpdatedAt))
                    .foreign_key(&mut fk(
                        Creators::Table,
                        Creators::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Creators::Table,
                        Creators::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                Creators::Table,
                &[Creators::BrandId, Creators::Email],
            ))
            .await?;
        for columns in [
            &[Creators::BrandId, Creators::DisplayName][..],
            &[Creators::BrandId, Creators::Stage],
            &[Creators::BrandId, Creators::Followers],
            &[Creators::UserId],
        ] {
            manager
                .create_index(index(Creators::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(big_pk_auto(Channels::Id))
                    .col(big_integer(Channels::BrandId))
                    .col(big_integer(Channels::CreatorId))
                    // TIKTOK | INSTAGRAM | YOUTUBE | TWITCH | PODCAST | BLOG | X | OTHER
                    .col(text(Channels::Platform))
                    .col(string(Channels::Handle))
                    .col(text_null(Channels::Url))
                    .col(big_integer(Channels::Followers).default(0))
                    .col(big_integer_null(Channels::AvgViews))
                    // Decimal string, percent.
                    .col(text_null(Channels::EngagementRate))
                    .col(json_list(Channels::AudienceCountries))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .col(timestamp_with_time_zone(Channels::UpdatedAt))
                    .foreign_key(&mut fk(
                        Channels::Table,
                        Channels::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Channels::Table,
                        Channels::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Channels::Table, &[Channels::CreatorId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invites::Table)
                    .col(big_pk_auto(Invites::Id))
                    .col(big_integer(Invites::BrandId))
                    .col(string(Invites::Email))
                    // ADMIN | MANAGER | ANALYST | CREATOR
                    .col(text(Invites::Role))
                    .col(big_integer_null(Invites::CreatorId))
                    .col(string(Invites::TokenHash))
                    .col(big_integer_null(Invites::InvitedByUserId))
                    .col(timestamp_with_time_zone(Invites::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invites::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invites::RevokedAt))
                    .col(timestamp_with_time_zone(Invites::CreatedAt))
                    .foreign_key(&mut fk(
                        Invites::Table,
                        Invites::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Invites::Table,
                        Invites::CreatorId,
                        Creators::Table,
                        Creators::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Invites::Table,
                        Invites::InvitedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(Invites::Table, &[Invites::TokenHash]))
            .await?;
        manager
            .create_index(index(Invites::Table, &[Invites::BrandId, Invites::Email]))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invites::Table.into_iden(),
            Channels::Table.into_iden(),
            Creators::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Creators {
    Table,
    Id,
    BrandId,
    UserId,
    DisplayName,
    Email,
    EmailHash,
    Country,
    Niches,
    Stage,
    VettingStatus,
    BrandSafetyScore,
    VettingNotes,
    Followers,
    PrimaryPlatform,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channels {
    Table,
    Id,
    BrandId,
    CreatorId,
    Platform,
    Handle,
    Url,
    Followers,
    AvgViews,
    EngagementRate,
    AudienceCountries,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invites {
    Table,
    Id,
    BrandId,
    Email,
    Role,
    CreatorId,
    TokenHash,
    InvitedByUserId,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    CreatedAt,
}
