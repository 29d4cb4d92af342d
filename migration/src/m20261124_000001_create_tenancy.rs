//! Tenancy and access: `brands` (the tenant and its settings), `users`, `api_keys`,
//! `refresh_tokens` and `exchange_rates`.
//!
//! Design decisions (they hold for every migration of this crate):
//! - Every table has `id BIGINT` auto-increment and `created_at TIMESTAMPTZ NOT NULL`; mutable
//!   tables also `updated_at`. Timestamps have no database default: the application sets them,
//!   so both backends store the same values.
//! - Every brand-owned row carries `brand_id` -> `brands(id) ON DELETE CASCADE`, and its indexes
//!   start with `brand_id`, because every query is filtered by the caller's brand.
//! - Money is `<name>_minor BIGINT` (integer minor units) with a `currency_code CHAR(3)` on the
//!   row; there are no float columns. Decimals that are not money (exchange rates, percents,
//!   gross margin, engagement rate, target ROAS) are TEXT holding a decimal string such as
//!   `"12.5"`, parsed into an exact decimal by the application.
//! - Enums are TEXT holding the UPPER_CASE names of the API (`'CODE_WINS'`); lists are TEXT
//!   holding a JSON array. Neither needs a database type, so SQLite and PostgreSQL share one
//!   schema.
//! - Foreign keys are named `fk_<table>_<column>` and declared inside `CREATE TABLE` (SQLite
//!   cannot add them later); unique indexes are `uq_...`, other indexes `idx_...`.
//! - Secrets are never stored: passwords as argon2id hashes, API keys, refresh tokens and invite
//!   tokens as SHA-256 hex digests (unique, so a presented secret is found by its hash).
//!
//! This migration:
//! - `users.email` is unique across the whole service and stored lowercased; `brand_id` is NULL
//!   for CREATOR accounts, which reach brands through `creators.user_id`.
//! - `api_keys.prefix` is the displayable start of the secret; `expires_at` (optional) is an
//!   addition to the spec so keys can be issued for a limited time.
//! - `refresh_tokens` rotate within a `family_id`: reusing a used token revokes the family.
//! - `exchange_rates.rate` is the decimal string "1 unit of `currency_code` = rate units of the
//!   brand currency", one per brand, currency and calendar date (brand timezone).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{currency, fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Brands::Table)
                    .col(big_pk_auto(Brands::Id))
                    .col(string(Brands::Name))
                    .col(currency(Brands::CurrencyCode))
                    // IANA zone name, e.g. "Europe/Berlin".
                    .col(string(Brands::Timezone))
                    .col(integer(Brands::AttributionWindowDays).default(30))
                    .col(integer(Brands::HoldPeriodDays).default(30))
                    // CODE_WINS | CLICK_WINS
                    .col(text(Brands::CodePrecedence).default("CODE_WINS"))
                    // Decimal string in 0..1.
                    .col(text(Brands::GrossMargin).default("1"))
                    .col(big_integer(Brands::MinimumPayoutMinor).default(0))
                    // Last change-feed position handed out. Ingestion updates this row first in
                    // its transaction: that serializes the brand's writers (row lock on
                    // PostgreSQL, write lock on SQLite) so positions are committed in order and
                    // a reader paging by position never skips a change.
                    .col(big_integer(Brands::LastChangeSeq).default(0))
                    .col(timestamp_with_time_zone(Brands::CreatedAt))
                    .col(timestamp_with_time_zone(Brands::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string(Users::Email))
                    .col(string(Users::PasswordHash))
                    // ADMIN | MANAGER | ANALYST | CREATOR
                    .col(text(Users::Role))
                    .col(big_integer_null(Users::BrandId))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(&mut fk(
                        Users::Table,
                        Users::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(Users::Table, &[Users::Email]))
            .await?;
        manager
            .create_index(index(Users::Table, &[Users::BrandId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::BrandId))
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    .col(string(ApiKeys::SecretHash))
                    // JSON array of scope names, e.g. ["INGEST","READ_LINKS"].
                    .col(text(ApiKeys::Scopes))
                    .col(big_integer_null(ApiKeys::CreatedByUserId))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .foreign_key(&mut fk(
                        ApiKeys::Table,
                        ApiKeys::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ApiKeys::Table,
                        ApiKeys::CreatedByUserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(ApiKeys::Table, &[ApiKeys::SecretHash]))
            .await?;
        manager
            .create_index(index(ApiKeys::Table, &[ApiKeys::BrandId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(big_integer(RefreshTokens::UserId))
                    .col(text(RefreshTokens::FamilyId))
                    .col(string(RefreshTokens::TokenHash))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .foreign_key(&mut fk(
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                RefreshTokens::Table,
                &[RefreshTokens::TokenHash],
            ))
            .await?;
        manager
            .create_index(index(RefreshTokens::Table, &[RefreshTokens::FamilyId]))
            .await?;
        manager
            .create_index(index(RefreshTokens::Table, &[RefreshTokens::UserId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExchangeRates::Table)
                    .col(big_pk_auto(ExchangeRates::Id))
                    .col(big_integer(ExchangeRates::BrandId))
                    .col(currency(ExchangeRates::CurrencyCode))
                    .col(date(ExchangeRates::RateDate))
                    // Decimal string: 1 unit of currency_code = rate units of brand currency.
                    .col(text(ExchangeRates::Rate))
                    .col(timestamp_with_time_zone(ExchangeRates::CreatedAt))
                    .col(timestamp_with_time_zone(ExchangeRates::UpdatedAt))
                    .foreign_key(&mut fk(
                        ExchangeRates::Table,
                        ExchangeRates::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                ExchangeRates::Table,
                &[
                    ExchangeRates::BrandId,
                    ExchangeRates::CurrencyCode,
                    ExchangeRates::RateDate,
                ],
            ))
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExchangeRates::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Users::Table.into_iden(),
            Brands::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Brands {
    Table,
    Id,
    Name,
    CurrencyCode,
    Timezone,
    AttributionWindowDays,
    HoldPeriodDays,
    CodePrecedence,
    GrossMargin,
    MinimumPayoutMinor,
    LastChangeSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    BrandId,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    BrandId,
    Name,
    Prefix,
    SecretHash,
    Scopes,
    CreatedByUserId,
    LastUsedAt,
    RevokedAt,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ExchangeRates {
    Table,
    Id,
    BrandId,
    CurrencyCode,
    RateDate,
    Rate,
    CreatedAt,
    UpdatedAt,
}
