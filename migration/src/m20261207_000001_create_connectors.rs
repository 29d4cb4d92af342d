//! Store connectors (DOMAIN rule 10): `connectors`, one per platform account a brand connects
//! (Shopify, Stripe, WooCommerce), each with its own endpoint `POST /connect/{kind}/{id}`.
//!
//! Design decisions:
//! - `secret` is the platform signing secret **sealed** with `PARTNERGRAPH_SECRET_KEY`
//!   (`pgs1:` + XChaCha20-Poly1305, `src/auth/seal.rs`): verifying a delivery needs the secret
//!   itself, so it cannot be a digest, and a database dump alone must not reveal it.
//!   `secret_prefix` (the first characters of the plain secret) tells secrets apart.
//! - The delivery counters (`delivered_count`, `error_count`, `last_delivery_at`, `last_error`)
//!   are updated by the connector route after each delivery; `last_error` is a short reason the
//!   server wrote ("bad signature", "malformed order"), never a body.
//! - Deliveries are idempotent through the conversions' and refunds' external ids, so no
//!   delivery log table is needed for this first slice.
//! - Cascades with its brand.

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
                    .table(Connectors::Table)
                    .col(big_pk_auto(Connectors::Id))
                    .col(big_integer(Connectors::BrandId))
                    // SHOPIFY | STRIPE | WOOCOMMERCE
                    .col(string(Connectors::Kind))
                    .col(string(Connectors::Name))
                    .col(text(Connectors::Secret))
                    .col(string(Connectors::SecretPrefix))
                    .col(boolean(Connectors::Enabled).default(true))
                    .col(timestamp_with_time_zone(Connectors::CreatedAt))
                    .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Connectors::LastDeliveryAt))
                    .col(big_integer(Connectors::DeliveredCount).default(0))
                    .col(big_integer(Connectors::ErrorCount).default(0))
                    .col(text_null(Connectors::LastError))
                    .foreign_key(&mut fk(
                        Connectors::Table,
                        Connectors::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Connectors::Table,
                &[Connectors::BrandId, Connectors::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Connectors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Connectors {
    Table,
    Id,
    BrandId,
    Kind,
    Name,
    Secret,
    SecretPrefix,
    Enabled,
    CreatedAt,
    UpdatedAt,
    LastDeliveryAt,
    DeliveredCount,
    ErrorCount,
    LastError,
}
