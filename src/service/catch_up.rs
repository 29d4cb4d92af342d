//! What a live subscription missed (issue #24): when a subscriber's events were lost (the
//! process's PostgreSQL listener was disconnected, or the subscriber fell behind the bus), the
//! subscription reads the rows recorded meanwhile instead of ending.
//!
//! This works because a brand's conversions, fraud flags and commission lines are inserted
//! only by transactions that hold the brand's ingestion lock (`ingest::lock_brand`): within a
//! brand their ids grow in commit order, which is also the order their events are delivered
//! in. So "everything of brand B after id N" is exact, and a subscription keeps, per brand,
//! the highest id it has passed (its [`Marks`]).
//!
//! Both reads are tenant-scoped like the queries: staff read their brand, a creator its own
//! records in each brand it works with. Each goes down the `(brand_id, id)` index.

use std::collections::BTreeMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{commission, conversion, creator, fraud_flag};
use crate::error::AppError;
use crate::service::scoped::BrandScoped;

/// Per brand, the highest id a subscription has passed.
pub type Marks = BTreeMap<i64, i64>;

/// The rows a subscription follows.
#[derive(Clone, Copy, Debug)]
pub enum Feed {
    /// Staff: the brand's conversions, of one campaign when given (as attributed now).
    Conversions { campaign_id: Option<i64> },
    /// Staff: the brand's fraud flags.
    FraudFlags,
    /// A creator: the commission lines of its own creator records.
    OwnCommissions,
}

/// Where `feed` stands now for `actor`: per brand, the highest id so far (0 for none).
pub async fn marks(db: &DatabaseConnection, actor: &Actor, feed: Feed) -> Result<Marks, AppError> {
    let mut marks = Marks::new();
    for (brand_id, _) in scopes(db, actor, feed).await? {
        let last = match feed {
            Feed::Conversions { .. } => {
                last_id(
                    conversion::Entity::find(),
                    conversion::Column::Id,
                    db,
                    brand_id,
                )
                .await?
            }
            Feed::FraudFlags => {
                last_id(
                    fraud_flag::Entity::find(),
                    fraud_flag::Column::Id,
                    db,
                    brand_id,
                )
                .await?
            }
            Feed::OwnCommissions => {
                last_id(
                    commission::Entity::find(),
                    commission::Column::Id,
                    db,
                    brand_id,
                )
                .await?
            }
        };
        marks.insert(brand_id, last);
    }
    Ok(marks)
}

/// The ids of `feed` recorded after `marks` (a brand without a mark: none of it), oldest first
/// within each brand, as `(brand id, id)`; at most `limit` in all.
pub async fn since(
    db: &DatabaseConnection,
    actor: &Actor,
    feed: Feed,
    marks: &Marks,
    limit: u64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut found = Vec::new();
    for (brand_id, creators) in scopes(db, actor, feed).await? {
        let Some(&after) = marks.get(&brand_id) else {
            continue;
        };
        let left = limit.saturating_sub(found.len() as u64);
        if left == 0 {
            break;
        }
        let ids: Vec<i64> = match feed {
            Feed::Conversions { campaign_id } => {
                let mut select = conversion::Entity::find();
                if let Some(campaign_id) = campaign_id {
                    select = select.filter(conversion::Column::CampaignId.eq(campaign_id));
                }
                ids_after(select, conversion::Column::Id, (brand_id, after), db, left).await?
            }
            Feed::FraudFlags => {
                let select = fraud_flag::Entity::find();
                ids_after(select, fraud_flag::Column::Id, (brand_id, after), db, left).await?
            }
            Feed::OwnCommissions => {
                let select = commission::Entity::find()
                    .filter(commission::Column::CreatorId.is_in(creators));
                ids_after(select, commission::Column::Id, (brand_id, after), db, left).await?
            }
        };
        found.extend(ids.into_iter().map(|id| (brand_id, id)));
    }
    Ok(found)
}

/// The brands `actor` follows `feed` in, each with the actor's creator records there (a
/// creator's feed only).
async fn scopes(
    db: &DatabaseConnection,
    actor: &Actor,
    feed: Feed,
) -> Result<Vec<(i64, Vec<i64>)>, AppError> {
    match feed {
        Feed::Conversions { .. } | Feed::FraudFlags => {
            Ok(vec![(actor.require(Permission::ReadBrand)?, Vec::new())])
        }
        Feed::OwnCommissions => {
            if actor.role != Role::Creator || actor.creator_ids.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<(i64, i64)> = creator::Entity::find()
                .select_only()
                .column(creator::Column::BrandId)
                .column(creator::Column::Id)
                .filter(creator::Column::Id.is_in(actor.creator_ids.clone()))
                .into_tuple()
                .all(db)
                .await?;
            let mut by_brand: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for (brand_id, creator_id) in rows {
                by_brand.entry(brand_id).or_default().push(creator_id);
            }
            Ok(by_brand.into_iter().collect())
        }
    }
}

/// The highest id of `brand_id`'s rows (0 for none), down the `(brand_id, id)` index.
async fn last_id<E: BrandScoped>(
    select: Select<E>,
    id: E::Column,
    db: &DatabaseConnection,
    brand_id: i64,
) -> Result<i64, AppError> {
    let last: Option<Option<i64>> = select
        .select_only()
        .column_as(id.max(), "last")
        .filter(E::brand_column().eq(brand_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}

/// The ids of `select`'s rows of brand `brand_id` above `after`, lowest first, at most
/// `limit`, down the `(brand_id, id)` index.
async fn ids_after<E: BrandScoped>(
    select: Select<E>,
    id: E::Column,
    (brand_id, after): (i64, i64),
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<i64>, AppError> {
    Ok(select
        .select_only()
        .column(id)
        .filter(E::brand_column().eq(brand_id))
        .filter(id.gt(after))
        .order_by_asc(id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}
