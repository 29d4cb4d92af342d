//! `ltv(filter, days, groupBy)`: customers acquired in the range by their first purchase (when
//! it is attributed and new), grouped by that purchase's dimensions, with their revenue over
//! `days` from acquisition, LTV and repeat rate. Its cost follows the customers acquired in the
//! range and their purchases, never the whole order history.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use super::facts::Owner;
use super::grouping::{Restriction, RowKey};
use super::{Dimension, Filter, MAX_ROWS, dims_of, too_many_rows};
use crate::auth::{Actor, Permission};
use crate::db::entity::{brand, conversion, enrollment};
use crate::domain::calendar::{local_day, local_midnight, period_label};
use crate::domain::conversion::{Kind, Status};
use crate::domain::ltv::{Cohort, CustomerValue, Purchase, acquisition};
use crate::domain::ranking::{self, LtvMetric, Order};
use crate::error::AppError;

/// The longest window a customer's value is followed over.
pub const MAX_DAYS: i32 = 3_650;

/// Customers whose purchases are read per statement.
const KEY_CHUNK: usize = 500;

#[derive(Clone, Debug)]
pub struct LtvRow {
    pub key: RowKey,
    pub period: Option<String>,
    pub period_start: Option<DateTime<Utc>>,
    pub cohort: Cohort,
}

#[derive(Clone, Debug)]
pub struct LtvReport {
    pub currency_code: String,
    pub totals: Cohort,
    /// The first rows in the asked order.
    pub rows: Vec<LtvRow>,
    /// Rows before the cut.
    pub row_count: usize,
}

/// Which rows of an LTV report to return: the `first` in `order` (key order without one).
#[derive(Clone, Copy, Debug)]
pub struct LtvTop {
    pub first: usize,
    pub order: Option<Order<LtvMetric>>,
}

impl LtvTop {
    /// A validated request: `first` 1 to [`MAX_ROWS`] (default: every row).
    pub fn new(first: Option<i32>, order: Option<Order<LtvMetric>>) -> Result<Self, AppError> {
        let max = MAX_ROWS as u64;
        let first = crate::service::page::page_size(first, max, max)? as usize;
        Ok(Self { first, order })
    }
}

pub async fn ltv(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &Filter,
    days: i32,
    group_by: &[Dimension],
    top: &LtvTop,
) -> Result<LtvReport, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    super::check_range(filter.from, filter.to)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::bad_input(
            "days",
            format!("must be 1 to {MAX_DAYS}"),
        ));
    }
    let dims = dims_of(group_by)?;
    let brand = brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz: Tz = brand.timezone.parse().map_err(AppError::internal)?;
    let mut creator_ids = filter.creator_ids.clone();
    if let Some(platforms) = &filter.platforms {
        let on = super::creators_on(db, brand_id, platforms).await?;
        creator_ids = Some(match creator_ids {
            Some(ids) => ids.into_iter().filter(|id| on.contains(id)).collect(),
            None => on.into_iter().collect(),
        });
    }

    let customers = acquired_candidates(db, brand_id, filter, creator_ids.as_deref()).await?;
    let horizon = filter.to + Duration::days(i64::from(days));
    let mut acquired: Vec<(Purchase, CustomerValue)> = Vec::new();
    for chunk in customers.chunks(KEY_CHUNK) {
        for purchases in purchases_of(db, brand_id, chunk, horizon).await?.values() {
            if let Some((first, value)) =
                acquisition(purchases, filter.from, filter.to, i64::from(days))
            {
                acquired.push((first.clone(), value));
            }
        }
    }
    let enrollment_ids = acquired
        .iter()
        .filter_map(|(p, _)| p.enrollment_id)
        .collect();
    let owners = super::owners_of(db, brand_id, enrollment_ids, HashSet::new(), true).await?;
    let restriction = Restriction {
        campaign_ids: filter
            .campaign_ids
            .as_ref()
            .map(|v| v.iter().copied().collect()),
        creator_ids: creator_ids.as_ref().map(|v| v.iter().copied().collect()),
        platforms: filter
            .platforms
            .as_ref()
            .map(|v| v.iter().copied().collect()),
    };
    let mut totals = Cohort::default();
    let mut rows: HashMap<RowKey, Cohort> = HashMap::new();
    for (first, value) in &acquired {
        let Some(enrollment_id) = first.enrollment_id else {
            continue;
        };
        let resolved = owners.resolve(Owner::Enrollment(enrollment_id));
        if !restriction.admits(&resolved) {
            continue;
        }
        let key = dims.key(&resolved, Some(local_day(first.occurred_at, tz)));
        rows.entry(key).or_default().add(value);
        totals.add(value);
        if rows.len() > MAX_ROWS {
            return Err(too_many_rows(MAX_ROWS));
        }
    }
    let mut rows: Vec<LtvRow> = rows
        .into_iter()
        .map(|(key, cohort)| LtvRow {
            period: key.period.zip(dims.grain).map(|(d, g)| period_label(d, g)),
            period_start: key.period.map(|d| local_midnight(d, tz)),
            key,
            cohort,
        })
        .collect();
    rows.sort_by_key(|row| row.key.sort_key());
    let row_count = rows.len();
    if let Some(order) = top.order {
        // Stable: rows with equal values stay in key order.
        rows.sort_by(|a, b| {
            let value = |row: &LtvRow| ranking::ltv_value_of(&row.cohort, order.metric);
            ranking::compare(value(a), value(b), order.direction)
        });
    }
    rows.truncate(top.first);
    Ok(LtvReport {
        currency_code: brand.currency_code,
        totals,
        rows,
        row_count,
    })
}

/// Customer keys with an attributed, new SALE in the range (their first purchase may still be
/// earlier: `acquisition` decides).
async fn acquired_candidates(
    db: &DatabaseConnection,
    brand_id: i64,
    filter: &Filter,
    creator_ids: Option<&[i64]>,
) -> Result<Vec<String>, AppError> {
    let mut select = conversion::Entity::find()
        .select_only()
        .column(conversion::Column::CustomerKey)
        .distinct()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::Kind.eq(Kind::Sale.as_str()))
        .filter(conversion::Column::EnrollmentId.is_not_null())
        .filter(conversion::Column::NewCustomer.eq(true))
        .filter(conversion::Column::CustomerKey.is_not_null())
        .filter(conversion::Column::OccurredAt.gte(filter.from))
        .filter(conversion::Column::OccurredAt.lt(filter.to));
    if filter.campaign_ids.is_some() || creator_ids.is_some() {
        let mut enrollments = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::Id)
            .filter(enrollment::Column::BrandId.eq(brand_id));
        if let Some(ids) = &filter.campaign_ids {
            enrollments = enrollments.filter(enrollment::Column::CampaignId.is_in(ids.clone()));
        }
        if let Some(ids) = creator_ids {
            enrollments = enrollments.filter(enrollment::Column::CreatorId.is_in(ids.to_vec()));
        }
        select =
            select.filter(conversion::Column::EnrollmentId.in_subquery(enrollments.into_query()));
    }
    let keys: Vec<Option<String>> = select.into_tuple().all(db).await?;
    Ok(keys.into_iter().flatten().collect())
}

/// Every SALE of these customers before `horizon`, by customer.
async fn purchases_of(
    db: &DatabaseConnection,
    brand_id: i64,
    keys: &[String],
    horizon: DateTime<Utc>,
) -> Result<BTreeMap<String, Vec<Purchase>>, AppError> {
    let rows = conversion::Entity::find()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::Kind.eq(Kind::Sale.as_str()))
        .filter(conversion::Column::CustomerKey.is_in(keys.to_vec()))
        .filter(conversion::Column::OccurredAt.lt(horizon))
        .all(db)
        .await?;
    let mut by_customer: BTreeMap<String, Vec<Purchase>> = BTreeMap::new();
    for row in rows {
        let Some(key) = row.customer_key else {
            continue;
        };
        by_customer.entry(key).or_default().push(Purchase {
            occurred_at: row.occurred_at,
            external_id: row.external_id,
            net_minor: row.brand_amount_minor - row.refunded_brand_minor,
            fully_refunded: row.status == Status::Refunded.as_str(),
            enrollment_id: row.enrollment_id,
            new_customer: row.new_customer,
        });
    }
    Ok(by_customer)
}
