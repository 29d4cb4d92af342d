//! Lock period (issue #23, DOMAIN rule 4): `brands.lock_period_days`, null when commissions never
//! lock. A refund recorded after `occurred_at + lock_period_days` lowers revenue but adds no
//! REVERSAL line; an ADMIN's CLAWBACK line is the way to take commission back after that.
//!
//! Design decisions:
//! - A brand setting, like the hold period, rather than an offer term: the lock is the date the
//!   brand's books close on, the same for every program it runs (impact.com locks per program;
//!   a brand here is one program).
//! - CLAWBACK lines need no schema change: `commissions.kind` is text and `reason` exists.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{add_column, drop_column};
use crate::m20261124_000001_create_tenancy::Brands;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Lock {
    LockPeriodDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, Brands::Table, integer_null(Lock::LockPeriodDays)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Brands::Table, Lock::LockPeriodDays).await
    }
}
