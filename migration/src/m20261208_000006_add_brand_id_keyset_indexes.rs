//! Keyset pages of a brand's rows by id (exports, the `conversions` connection, the ledger):
//! `(brand_id, id)` on clicks, conversions and commissions.
//!
//! Measured (issue #22, bench row 10): without them SQLite answered `WHERE brand_id = ? AND
//! id > ? ORDER BY id LIMIT 2000` from the `(brand_id, click_id)` index and sorted every row of
//! the brand for each page, so exporting 10M clicks ran at about 2,200 rows/s and slowed as it
//! went. With `(brand_id, id)` each page is one index range, in order, on both backends.

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Keyset {
    BrandId,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tables {
    Clicks,
    Conversions,
    Commissions,
}

const TABLES: [Tables; 3] = [Tables::Clicks, Tables::Conversions, Tables::Commissions];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .create_index(index(table, &[Keyset::BrandId, Keyset::Id]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            let name = format!("idx_{}_brand_id_id", table.to_string());
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
