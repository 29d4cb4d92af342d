//! Attribution models (issue #23, DOMAIN rule 2): `brands.attribution_model`, CLICK_ID (the
//! click the conversion names; what every brand had so far), LAST_CLICK or FIRST_CLICK (the
//! latest / earliest eligible click of the named click's visitor within the window, across
//! creators), and the index that finds a visitor's clicks of a brand in a window.
//!
//! Design decisions:
//! - A brand setting next to `code_precedence`, which it works with (code precedence applies
//!   after the model chose the click).
//! - `(brand_id, visitor_key, occurred_at)`: the look-up is one visitor of one brand over at
//!   most the attribution window, so ingestion reads a handful of index entries per conversion.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column, index};
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Model {
    AttributionModel,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clicks {
    Table,
    BrandId,
    VisitorKey,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Brands::Table,
            string(Model::AttributionModel).default("CLICK_ID").take(),
        )
        .await?;
        manager
            .create_index(index(
                Clicks::Table,
                &[Clicks::BrandId, Clicks::VisitorKey, Clicks::OccurredAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_clicks_brand_id_visitor_key_occurred_at")
                    .table(Clicks::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, Brands::Table, Model::AttributionModel).await
    }
}
