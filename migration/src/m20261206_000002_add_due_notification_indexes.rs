//! Partial indexes of the commission lines whose approval is not yet announced, by mail and by
//! webhook, in the order the workers take them (`hold_until`, then `id`).
//!
//! Design decision: the workers poll `WHERE <x>_notified_at IS NULL AND hold_until <= now`. The
//! indexes on `(<x>_notified_at, hold_until)` hold every line, and at scale 1.0 PostgreSQL's
//! estimate of the due lines among them was far off (52,000 against 0: 91,000 lines on hold),
//! so each poll scanned the table and sorted it (35-60 ms a poll, on the core serving requests).
//! A partial index holds only the lines not yet announced, which is what a poll reads, and
//! gives them in its order, so a batch stops after its limit. SQLite and PostgreSQL both have
//! partial indexes, with the same statement.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 2] = ["mail_notified_at", "webhook_notified_at"];

fn index_name(column: &str) -> String {
    format!("idx_commissions_due_{column}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in COLUMNS {
            db.execute_unprepared(&format!(
                "CREATE INDEX {} ON commissions (hold_until, id) WHERE {column} IS NULL",
                index_name(column)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .drop_index(
                    Index::drop()
                        .name(index_name(column))
                        .table(Alias::new("commissions"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
