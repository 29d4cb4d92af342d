//! Recomputes a brand's rollups from its events: for operators after a restore or a data fix
//! (`partnergraph rollups rebuild`), and for tests, which check that the rollups kept at
//! ingestion equal the ones rebuilt from scratch. Runs in one transaction under the brand's
//! ingestion lock, so no batch is ingested half-way through it.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::ingest::lock_brand;
use super::rollups::RollupDelta;
use crate::db::entity::{brand, click, commission, conversion, daily_rollup, daily_visitor};
use crate::error::AppError;

/// Events read per statement.
const PAGE: u64 = 5_000;

/// What a rebuild read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub clicks: u64,
    pub conversions: u64,
    pub commission_lines: u64,
}

pub async fn rebuild(db: &DatabaseConnection, brand_id: i64) -> Result<Rebuilt, AppError> {
    let txn = db.begin().await?;
    let brand = lock_brand(&txn, brand_id).await?;
    let tz: chrono_tz::Tz = brand.timezone.parse().map_err(AppError::internal)?;
    daily_rollup::Entity::delete_many()
        .filter(daily_rollup::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    daily_visitor::Entity::delete_many()
        .filter(daily_visitor::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    let mut done = Rebuilt::default();
    let mut after = 0;
    loop {
        let page = click::Entity::find()
            .filter(click::Column::BrandId.eq(brand_id))
            .filter(click::Column::Id.gt(after))
            .order_by_asc(click::Column::Id)
            .limit(PAGE)
            .all(&txn)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut delta = RollupDelta::default();
        for c in &page {
            delta.click(tz, c.enrollment_id, c.occurred_at, c.is_bot, &c.visitor_key);
        }
        done.clicks += page.len() as u64;
        delta.apply(&txn, brand_id).await?;
    }
    after = 0;
    loop {
        let page = conversion::Entity::find()
            .filter(conversion::Column::BrandId.eq(brand_id))
            .filter(conversion::Column::Id.gt(after))
            .order_by_asc(conversion::Column::Id)
            .limit(PAGE)
            .all(&txn)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut delta = RollupDelta::default();
        for c in &page {
            delta.conversion(tz, None, c)?;
        }
        done.conversions += page.len() as u64;
        delta.apply(&txn, brand_id).await?;
    }
    after = 0;
    loop {
        let page = commission::Entity::find()
            .filter(commission::Column::BrandId.eq(brand_id))
            .filter(commission::Column::Id.gt(after))
            .order_by_asc(commission::Column::Id)
            .limit(PAGE)
            .all(&txn)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut delta = RollupDelta::default();
        for line in &page {
            delta.commission(tz, line);
        }
        done.commission_lines += page.len() as u64;
        delta.apply(&txn, brand_id).await?;
    }
    txn.commit().await?;
    Ok(done)
}

/// Every brand's id, for `rollups rebuild` without `--brand`.
pub async fn brand_ids(db: &DatabaseConnection) -> Result<Vec<i64>, AppError> {
    Ok(brand::Entity::find()
        .select_only()
        .column(brand::Column::Id)
        .order_by_asc(brand::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
