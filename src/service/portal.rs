//! The creator portal: a creator account's own earnings, commission lines, links, payouts and
//! performance, across every brand it works with, and nothing else.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::page::{self, KeysetPage};
use crate::auth::{Actor, Role};
use crate::db::entity::{commission, creator, tracking_link};
use crate::domain::commission::{Balances, Status};
use crate::error::AppError;

/// Links a creator may list at once (its links across brands are few).
pub const MAX_LINKS: u64 = 500;

fn creator_ids(actor: &Actor) -> Result<Vec<i64>, AppError> {
    if actor.role != Role::Creator {
        return Err(AppError::Forbidden(
            "the creator portal is for creator accounts".into(),
        ));
    }
    Ok(actor.creator_ids.clone())
}

/// Earnings of one brand relationship, by effective status, in the brand currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrandEarnings {
    pub brand_id: i64,
    pub currency_code: String,
    pub balances: Balances,
}

/// Sums the caller's lines by brand and effective status (a due PENDING line counts as
/// APPROVED; REVERSED lines net to zero and are left out).
pub async fn earnings(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<BrandEarnings>, AppError> {
    let ids = creator_ids(actor)?;
    let brands: BTreeMap<i64, i64> = creator::Entity::find()
        .filter(creator::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.brand_id))
        .collect();
    let mut rows = Vec::new();
    for due in [true, false] {
        let hold = if due {
            commission::Column::HoldUntil.lte(now)
        } else {
            commission::Column::HoldUntil.gt(now)
        };
        let sums: Vec<(i64, String, String, Option<i64>)> = commission::Entity::find()
            .select_only()
            .column(commission::Column::CreatorId)
            .column(commission::Column::CurrencyCode)
            .column(commission::Column::Status)
            .column_as(super::ledger::sum_of_amounts(), "total")
            .filter(commission::Column::CreatorId.is_in(ids.clone()))
            .filter(hold)
            .group_by(commission::Column::CreatorId)
            .group_by(commission::Column::CurrencyCode)
            .group_by(commission::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
        rows.extend(
            sums.into_iter()
                .map(|(creator, currency, status, total)| (creator, currency, status, due, total)),
        );
    }
    let mut by_brand: BTreeMap<i64, BrandEarnings> = BTreeMap::new();
    for (creator_id, currency, status, due, total) in rows {
        let Some(brand_id) = brands.get(&creator_id).copied() else {
            continue;
        };
        let entry = by_brand.entry(brand_id).or_insert_with(|| BrandEarnings {
            brand_id,
            currency_code: currency.clone(),
            ..BrandEarnings::default()
        });
        let status = Status::parse(&status).ok_or_else(|| AppError::internal("stored status"))?;
        let hold = if due {
            now
        } else {
            now + chrono::Duration::seconds(1)
        };
        entry.balances.add(status, hold, total.unwrap_or(0), now);
    }
    Ok(by_brand.into_values().collect())
}

/// The caller's commission lines, oldest first.
pub async fn commissions(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<commission::Model>, u64), AppError> {
    let ids = creator_ids(actor)?;
    let select = commission::Entity::find().filter(commission::Column::CreatorId.is_in(ids));
    page::by_id(db, select, commission::Column::Id, page).await
}

/// The caller's live links, across brands.
pub async fn links(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<tracking_link::Model>, AppError> {
    let ids = creator_ids(actor)?;
    Ok(tracking_link::Entity::find()
        .filter(
            tracking_link::Column::EnrollmentId.in_subquery(super::enrollments::of_creators(ids)),
        )
        .filter(tracking_link::Column::ArchivedAt.is_null())
        .order_by_asc(tracking_link::Column::Id)
        .limit(MAX_LINKS)
        .all(db)
        .await?)
}

/// A line the caller may read: staff of its brand, or the creator it belongs to.
pub async fn commission(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<commission::Model, AppError> {
    let query = commission::Entity::find_by_id(id);
    let query = if actor.role == Role::Creator {
        query.filter(commission::Column::CreatorId.is_in(actor.creator_ids.clone()))
    } else {
        let brand_id = actor
            .require(crate::auth::Permission::ReadBrand)
            .map_err(|_| AppError::NotFound)?;
        query.filter(commission::Column::BrandId.eq(brand_id))
    };
    query.one(db).await?.ok_or(AppError::NotFound)
}
