//! Each brand's number of creators, kept by the database (issue #21): `creator_counts`
//! `(brand_id, creators)`, so the unfiltered creators list answers `totalCount` from one row
//! instead of counting the brand's creators on every request (an index-only scan of 10,000
//! entries, about 2 ms of the database's core at scale 1.0: BENCHMARKS.md row 7).
//!
//! Design decisions:
//! - Kept by triggers on `creators` (insert, delete, a change of `brand_id`), not by the
//!   services: every path that adds or removes a creator (the API, imports, erasure, a brand's
//!   cascade, a script run against the database) keeps it right, in the same transaction.
//! - A brand without a row has no creators. The row cascades with its brand.
//! - Concurrent inserts of one brand's creators serialize on its row for the rest of their
//!   transactions (PostgreSQL row lock); creators are added by people and imports, not by
//!   traffic, so this costs nothing that matters.
//! - Existing brands are counted once, here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
                    .table(CreatorCounts::Table)
                    .col(big_integer(CreatorCounts::BrandId).primary_key())
                    .col(big_integer(CreatorCounts::Creators).default(0))
                    .foreign_key(&mut fk(
                        CreatorCounts::Table,
                        CreatorCounts::BrandId,
                        Brands::Table,
                        Brands::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        let statements: &[&str] = if postgres {
            &[
                "CREATE FUNCTION creator_counts_keep() RETURNS trigger AS $$ BEGIN \
                 IF TG_OP IN ('DELETE', 'UPDATE') THEN \
                 UPDATE creator_counts SET creators = creators - 1 WHERE brand_id = OLD.brand_id; \
                 END IF; \
                 IF TG_OP IN ('INSERT', 'UPDATE') THEN \
                 INSERT INTO creator_counts (brand_id, creators) VALUES (NEW.brand_id, 1) \
                 ON CONFLICT (brand_id) DO UPDATE SET creators = creator_counts.creators + 1; \
                 END IF; \
                 RETURN NULL; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER creator_counts_keep AFTER INSERT OR DELETE ON creators \
                 FOR EACH ROW EXECUTE FUNCTION creator_counts_keep()",
                "CREATE TRIGGER creator_counts_move AFTER UPDATE OF brand_id ON creators \
                 FOR EACH ROW WHEN (OLD.brand_id IS DISTINCT FROM NEW.brand_id) \
                 EXECUTE FUNCTION creator_counts_keep()",
            ]
        } else {
            &[
                "CREATE TRIGGER creator_counts_insert AFTER INSERT ON creators BEGIN \
                 INSERT INTO creator_counts (brand_id, creators) VALUES (NEW.brand_id, 1) \
                 ON CONFLICT (brand_id) DO UPDATE SET creators = creators + 1; END",
                "CREATE TRIGGER creator_counts_delete AFTER DELETE ON creators BEGIN \
                 UPDATE creator_counts SET creators = creators - 1 \
                 WHERE brand_id = OLD.brand_id; END",
                "CREATE TRIGGER creator_counts_move AFTER UPDATE OF brand_id ON creators \
                 WHEN NEW.brand_id <> OLD.brand_id BEGIN \
                 UPDATE creator_counts SET creators = creators - 1 \
                 WHERE brand_id = OLD.brand_id; \
                 INSERT INTO creator_counts (brand_id, creators) VALUES (NEW.brand_id, 1) \
                 ON CONFLICT (brand_id) DO UPDATE SET creators = creators + 1; END",
            ]
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        db.execute_unprepared(
            "INSERT INTO creator_counts (brand_id, creators) \
             SELECT brand_id, COUNT(*) FROM creators GROUP BY brand_id",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for trigger in ["creator_counts_keep", "creator_counts_move"] {
                db.execute_unprepared(&format!("DROP TRIGGER {trigger} ON creators"))
                    .await?;
            }
            db.execute_unprepared("DROP FUNCTION creator_counts_keep()")
                .await?;
        } else {
            for trigger in [
                "creator_counts_insert",
                "creator_counts_delete",
                "creator_counts_move",
            ] {
                db.execute_unprepared(&format!("DROP TRIGGER {trigger}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CreatorCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CreatorCounts {
    Table,
    BrandId,
    Creators,
}
