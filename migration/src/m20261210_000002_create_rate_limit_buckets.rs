//! Rate limits shared across instances (issue #24): `rate_limit_buckets` holds, per limiter
//! (`caller`, `anonymous`) and key (a user, an API key, a client IP), the tokens left in the
//! shared bucket and when it was last refilled. Each process trades its callers' spending for
//! the shared remainder once a second, so requests never write here. Used on PostgreSQL only
//! (SQLite serves from one process); the table exists on both so the schemas stay alike.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimitBuckets::Table)
                    .col(string(RateLimitBuckets::Limiter))
                    .col(string(RateLimitBuckets::Key))
                    .col(double(RateLimitBuckets::Tokens))
                    .col(timestamp_with_time_zone(RateLimitBuckets::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(RateLimitBuckets::Limiter)
                            .col(RateLimitBuckets::Key),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimitBuckets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RateLimitBuckets {
    Table,
    Limiter,
    Key,
    Tokens,
    UpdatedAt,
}
