//! Computed ROI: performance reports grouped by campaign, creator, platform, offer and a time
//! grain, for staff (their brand) and creators (their own records), with every metric of
//! DOMAIN.md.
//!
//! Design: whole local days of the range are read from `daily_rollups` and `daily_sketches`
//! (kept in the ingestion transactions, see `service::rollups`), so a report costs rollup rows
//! (enrollments x days), not stored clicks; unique clicks are estimated by merging the days'
//! visitor sketches (`uniques.rs`), and only when selected or ordered by. Only the partial days
//! at the range's edges (when `from`/`to` are not local midnights) are read from the events.
//! Costs and published deliverables are few and read from their tables. Grouping is done in
//! memory, except for a top page by creator of a rollup sum (`top.rs`), whose creators the
//! database picks.

mod cache;
mod facts;
mod forecast;
mod grouping;
mod ltv;
mod paging;
mod top;
mod uniques;

pub use self::cache::{Computed, ReportCache};
pub use self::facts::raw_clicks;
pub use self::forecast::{DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS, forecast};
pub use self::ltv::{LtvReport, LtvRow, LtvTop, MAX_DAYS as MAX_LTV_DAYS, ltv};
pub use self::paging::{MAX_PAGE_ROWS, RowPage, Selected};

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, IsolationLevel, QueryFilter, QuerySelect, StreamTrait, TransactionTrait,
};

use self::facts::{Facts, Owner, Scope};
pub use self::grouping::RowKey;
use self::grouping::{Dims, Grouped, Owners, Restriction};
use super::scoped;
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{brand, campaign, creator, enrollment};
use crate::domain::calendar::{Grain, local_midnight, period_label};
use crate::domain::metrics::{Counters, Metrics, cpa_vs_target, metrics, roas_vs_target};
use crate::domain::roster::Platform;
use crate::error::AppError;

/// Rows an LTV report may have; more is a BAD_USER_INPUT asking for a narrower report.
pub const MAX_ROWS: usize = 5_000;

/// Rows a performance report may compute (its pages hold at most [`MAX_PAGE_ROWS`]); more is a
/// BAD_USER_INPUT asking for a narrower report. 100,000 rows is e.g. 1,100 creators by day over
/// 90 days; the grouping holds them in memory (about 200 bytes each).
pub const MAX_GROUPS: usize = 100_000;

/// Enrollments or creators resolved per statement.
const ID_CHUNK: usize = 500;

/// Above this many ids, the brand's whole list is read in one statement instead.
const WHOLE_LIST: usize = 4 * ID_CHUNK;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub campaign_ids: Option<Vec<i64>>,
    pub creator_ids: Option<Vec<i64>>,
    pub platforms: Option<Vec<Platform>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Campaign,
    Creator,
    Platform,
    Offer,
    Day,
    Week,
    Month,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub key: RowKey,
    /// `2026-11-30`, `2026-W49` or `2026-11` with a time grain.
    pub period: Option<String>,
    /// The period's first instant in the brand timezone.
    pub period_start: Option<DateTime<Utc>>,
    pub metrics: Metrics,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub currency_code: String,
    pub totals: Metrics,
    /// The requested page of rows, in key order.
    pub rows: Vec<Row>,
    /// Rows over all pages.
    pub row_count: usize,
    /// Whether rows follow this page.
    pub has_next_page: bool,
}

/// The grouping of `group_by`; at most one time grain.
pub fn dims_of(group_by: &[Dimension]) -> Result<Dims, AppError> {
    let mut dims = Dims::default();
    for dimension in group_by {
        let grain = match dimension {
            Dimension::Campaign => {
                dims.campaign = true;
                None
            }
            Dimension::Creator => {
                dims.creator = true;
                None
            }
            Dimension::Platform => {
                dims.platform = true;
                None
            }
            Dimension::Offer => {
                dims.offer = true;
                None
            }
            Dimension::Day => Some(Grain::Day),
            Dimension::Week => Some(Grain::Week),
            Dimension::Month => Some(Grain::Month),
        };
        if let Some(grain) = grain {
            if dims.grain.is_some_and(|g| g != grain) {
                return Err(AppError::bad_input(
                    "groupBy",
                    "at most one time grain (DAY, WEEK or MONTH)",
                ));
            }
            dims.grain = Some(grain);
        }
    }
    Ok(dims)
}

/// The longest range a report covers: two years (and a leap day).
pub const MAX_RANGE_DAYS: i64 = 731;

/// `[from, to)` is a report's range: not empty, at most [`MAX_RANGE_DAYS`]. Checked before any
/// statement runs.
pub(crate) fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), AppError> {
    if from >= to {
        return Err(AppError::bad_input("to", "must be after from"));
    }
    if to - from > chrono::Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::bad_input(
            "to",
            format!("a report covers at most {MAX_RANGE_DAYS} days (two years): narrow the range"),
        ));
    }
    Ok(())
}

/// Staff (ADMIN, MANAGER, ANALYST): a page of the brand's report. With a `cache`, the pages after
/// the first are cut from the first page's computation while it is fresh (see [`ReportCache`]).
pub async fn report(
    db: &DatabaseConnection,
    cache: Option<&ReportCache>,
    actor: &Actor,
    filter: &Filter,
    group_by: &[Dimension],
    page: &RowPage,
) -> Result<Report, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    check_range(filter.from, filter.to)?;
    let dims = dims_of(group_by)?;
    let selected = page.selected();
    let key = format!("brand {brand_id} {filter:?} {group_by:?} {selected:?}");
    paged(cache, key, Some(brand_id), page, async {
        let brand = brand::Entity::find_by_id(brand_id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let margin = Decimal::from_str_exact(&brand.gross_margin).map_err(AppError::internal)?;
        let currency_code = brand.currency_code.clone();
        if let Some(column) = top::ranked_by(filter, &dims, page) {
            let cut = top::first_page(db, &brand, filter, page, column, margin).await?;
            if let Some(computed) = cut {
                return Ok(computed);
            }
        }
        let part = Part {
            brand,
            creator_ids: filter.creator_ids.clone(),
        };
        let spec = Spec {
            filter,
            dims,
            selected,
            margin: Some(margin),
            currency_code,
        };
        build(db, vec![part], spec).await
    })
    .await
}

/// The page `page` of the report `compute` makes (of `brand_id`, or of several brands): from
/// `cache` under `key` when the page follows another and the report is there; computed
/// otherwise, and kept when more pages follow.
async fn paged(
    cache: Option<&ReportCache>,
    key: String,
    brand_id: Option<i64>,
    page: &RowPage,
    compute: impl Future<Output = Result<Computed, AppError>>,
) -> Result<Report, AppError> {
    let cached = match (cache, &page.after) {
        (Some(cache), Some(_)) => cache.get(&key),
        _ => None,
    };
    let fresh = cached.is_none();
    let computed = match cached {
        Some(computed) => computed,
        None => Arc::new(compute.await?),
    };
    let (rows, more_computed) = page.window(&computed.rows);
    let report = Report {
        currency_code: computed.currency_code.clone(),
        totals: computed.totals,
        rows,
        row_count: computed.row_count,
        has_next_page: more_computed || !computed.is_whole(),
    };
    if let (Some(cache), true, true) = (cache, fresh, more_computed && computed.is_whole()) {
        cache.put(key, brand_id, computed);
    }
    Ok(report)
}

/// The totals of one campaign of the caller's brand over `[from, to)` (no rows).
pub async fn campaign_totals(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, AppError> {
    Ok(campaign_report(db, actor, campaign_id, from, to).await?.1)
}

/// A campaign's scorecard: its totals against its targets.
pub struct Scorecard {
    pub report: Report,
    /// Actual CPA / target CPA; none without a target (or one in another currency than the
    /// report's) or without sales.
    pub cpa_vs_target: Option<f64>,
    /// Actual ROAS / target ROAS; none without a target or without spend.
    pub roas_vs_target: Option<f64>,
}

/// The scorecard of one campaign of the caller's brand over `[from, to)`.
pub async fn campaign_scorecard(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Scorecard, AppError> {
    let (campaign, report) = campaign_report(db, actor, campaign_id, from, to).await?;
    let target_cpa = campaign
        .target_cpa_minor
        .filter(|_| campaign.currency_code == report.currency_code);
    let target_roas = campaign
        .target_roas
        .as_deref()
        .map(super::creators::stored_decimal)
        .transpose()?;
    Ok(Scorecard {
        cpa_vs_target: cpa_vs_target(report.totals.cpa_minor, target_cpa),
        roas_vs_target: roas_vs_target(report.totals.roas, target_roas),
        report,
    })
}

async fn campaign_report(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(campaign::Model, Report), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let campaign = scoped::find_in_brand::<campaign::Entity, _>(db, brand_id, campaign_id).await?;
    let filter = Filter {
        from,
        to,
        campaign_ids: Some(vec![campaign_id]),
        ..Filter::default()
    };
    let report = report(db, None, actor, &filter, &[], &RowPage::totals_only()).await?;
    Ok((campaign, report))
}

/// CREATOR: the same report restricted to the caller's own creator records, across the brands
/// it works with (`brand_id` picks one). The brand's margin is not the creator's to see, so
/// `roi` is left out (null).
pub async fn my_report(
    db: &DatabaseConnection,
    cache: Option<&ReportCache>,
    actor: &Actor,
    brand_id: Option<i64>,
    filter: &Filter,
    group_by: &[Dimension],
    page: &RowPage,
) -> Result<Report, AppError> {
    if actor.role != Role::Creator {
        return Err(AppError::Forbidden(
            "the creator portal is for creator accounts".into(),
        ));
    }
    check_range(filter.from, filter.to)?;
    let dims = dims_of(group_by)?;
    let selected = page.selected();
    let key = format!(
        "creator {:?} {brand_id:?} {filter:?} {group_by:?} {selected:?}",
        actor.creator_ids
    );
    paged(
        cache,
        key,
        brand_id,
        page,
        my_computed(db, actor, brand_id, filter, dims, selected),
    )
    .await
}

async fn my_computed(
    db: &DatabaseConnection,
    actor: &Actor,
    brand_id: Option<i64>,
    filter: &Filter,
    dims: Dims,
    selected: Selected,
) -> Result<Computed, AppError> {
    let records = creator::Entity::find()
        .filter(creator::Column::Id.is_in(actor.creator_ids.clone()))
        .all(db)
        .await?;
    let records: Vec<creator::Model> = match brand_id {
        Some(id) => records.into_iter().filter(|c| c.brand_id == id).collect(),
        None => records,
    };
    if brand_id.is_some() && records.is_empty() {
        return Err(AppError::bad_input(
            "brandId",
            "you do not work with this brand",
        ));
    }
    let mut own: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for record in &records {
        own.entry(record.brand_id).or_default().push(record.id);
    }
    let brands = brand::Entity::find()
        .filter(brand::Column::Id.is_in(own.keys().copied().collect::<Vec<_>>()))
        .all(db)
        .await?;
    let currencies: HashSet<&str> = brands.iter().map(|b| b.currency_code.as_str()).collect();
    let currency_code = match currencies.into_iter().collect::<Vec<_>>().as_slice() {
        [] => return Err(AppError::NotFound),
        [one] => (*one).to_owned(),
        _ => {
            return Err(AppError::bad_input(
                "brandId",
                "your brands report in several currencies: pass brandId",
            ));
        }
    };
    let parts = brands
        .into_iter()
        .map(|brand| {
            let mine = own.get(&brand.id).cloned().unwrap_or_default();
            let creator_ids = match &filter.creator_ids {
                Some(asked) => mine.into_iter().filter(|id| asked.contains(id)).collect(),
                None => mine,
            };
            Part {
                brand,
                creator_ids: Some(creator_ids),
            }
        })
        .collect();
    let spec = Spec {
        filter,
        dims,
        selected,
        margin: None,
        currency_code,
    };
    build(db, parts, spec).await
}

/// One brand's share of a report, with the creators it is restricted to.
struct Part {
    brand: brand::Model,
    creator_ids: Option<Vec<i64>>,
}

/// What a report computes of its parts' events: the filter, the grouping, the costly metrics
/// it reads, the brand's margin (`None`: no ROI, a creator's report) and the currency.
struct Spec<'a> {
    filter: &'a Filter,
    dims: Dims,
    selected: Selected,
    margin: Option<Decimal>,
    currency_code: String,
}

async fn build(
    db: &DatabaseConnection,
    parts: Vec<Part>,
    spec: Spec<'_>,
) -> Result<Computed, AppError> {
    let txn = snapshot(db).await?;
    let computed = build_in(&txn, parts, spec).await?;
    txn.commit().await?;
    Ok(computed)
}

/// The whole report of `parts`, read in `db` (a [`snapshot`]).
async fn build_in<C: ConnectionTrait + StreamTrait>(
    db: &C,
    parts: Vec<Part>,
    spec: Spec<'_>,
) -> Result<Computed, AppError> {
    let Spec {
        filter,
        dims,
        selected,
        margin,
        currency_code,
    } = spec;
    let restriction = Restriction {
        campaign_ids: filter
            .campaign_ids
            .as_ref()
            .map(|v| v.iter().copied().collect()),
        creator_ids: None,
        platforms: filter
            .platforms
            .as_ref()
            .map(|v| v.iter().copied().collect()),
    };
    let needs_platform = dims.platform || filter.platforms.is_some();
    let mut grouped = Grouped::default();
    let mut visitors = selected.unique_clicks.then(uniques::Counter::default);
    let mut first_tz = None;
    for part in parts {
        let tz: Tz = part.brand.timezone.parse().map_err(AppError::internal)?;
        first_tz.get_or_insert(tz);
        let mut creator_ids = part.creator_ids;
        if let Some(platforms) = &filter.platforms {
            let on_platforms = creators_on(db, part.brand.id, platforms).await?;
            creator_ids = Some(match creator_ids {
                Some(ids) => ids
                    .into_iter()
                    .filter(|id| on_platforms.contains(id))
                    .collect(),
                None => on_platforms.into_iter().collect(),
            });
        }
        let part_restriction = Restriction {
            creator_ids: creator_ids.as_ref().map(|v| v.iter().copied().collect()),
            ..restriction.clone()
        };
        let scope = Scope {
            brand_id: part.brand.id,
            tz,
            from: filter.from,
            to: filter.to,
            campaign_ids: filter.campaign_ids.clone(),
            creator_ids,
            dims,
        };
        let facts = facts::collect(db, &scope).await?;
        let (enrollment_ids, creator_ids) = ids_of(&facts);
        let owners = owners_of(
            db,
            part.brand.id,
            enrollment_ids,
            creator_ids,
            needs_platform,
        )
        .await?;
        grouped.add(facts, &dims, &owners, &part_restriction);
        if grouped.rows.len() > MAX_GROUPS {
            return Err(too_many_rows(MAX_GROUPS));
        }
        if let Some(visitors) = &mut visitors {
            visitors.add(db, &scope, &owners).await?;
        }
    }
    let uniques = match visitors {
        Some(visitors) => visitors.count(&dims)?,
        None => uniques::Uniques::default(),
    };
    let tz = first_tz.unwrap_or(Tz::UTC);
    let metrics_of = |counters: &Counters, unique_clicks: i64| {
        let mut m = metrics(counters, unique_clicks, margin.unwrap_or(Decimal::ONE));
        if margin.is_none() {
            m.roi = None;
        }
        m
    };
    let totals = metrics_of(&grouped.totals, uniques.total);
    let mut keyed: Vec<(RowKey, Counters)> = grouped.rows.into_iter().collect();
    keyed.sort_by_key(|(key, _)| key.sort_key());
    let rows = keyed
        .iter()
        .map(|(key, counters)| Row {
            key: key.clone(),
            period: key
                .period
                .zip(dims.grain)
                .map(|(start, grain)| period_label(start, grain)),
            period_start: key.period.map(|start: NaiveDate| local_midnight(start, tz)),
            metrics: metrics_of(counters, uniques.rows.get(key).copied().unwrap_or(0)),
        })
        .collect::<Vec<_>>();
    Ok(Computed {
        currency_code,
        totals,
        row_count: rows.len(),
        rows,
    })
}

/// Memory a report's aggregate may take on PostgreSQL before it spills to disk: grouping the
/// rollup rows of 25,000 enrollments takes about 20 MB (the server's default is 4 MB).
const REPORT_WORK_MEM: &str = "32MB";

/// A read-only transaction for a report's statements, so its totals and rows are of one
/// snapshot (ingestion commits between them otherwise). On PostgreSQL it is REPEATABLE READ
/// and its aggregates get [`REPORT_WORK_MEM`]; SQLite's deferred transaction reads one
/// snapshot from its first statement.
///
/// Begun in a task of its own: a request dropped while `BEGIN` is in flight (its client went
/// away) would otherwise hand the connection back to the pool inside a transaction sqlx does not
/// know of, and the next REPEATABLE READ report on it failed ("SET TRANSACTION ISOLATION LEVEL
/// must be called before any query", benchmark row 12). The task always finishes; a transaction
/// nobody awaits any more is dropped, which rolls it back.
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, AppError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(db.begin().await?);
    }
    let db = db.clone();
    tokio::spawn(async move {
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?;
        txn.execute_unprepared(&format!("SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
            .await?;
        Ok::<_, AppError>(txn)
    })
    .await
    .map_err(AppError::internal)?
}

fn too_many_rows(limit: usize) -> AppError {
    AppError::bad_input(
        "groupBy",
        format!(
            "the report would have more than {limit} rows: narrow the range, the filter or the grouping"
        ),
    )
}

/// The brand's creators whose primary platform is one of `platforms`.
async fn creators_on<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    platforms: &[Platform],
) -> Result<HashSet<i64>, AppError> {
    let names: Vec<&str> = platforms.iter().map(|p| p.as_str()).collect();
    let ids: Vec<i64> = creator::Entity::find()
        .select_only()
        .column(creator::Column::Id)
        .filter(creator::Column::BrandId.eq(brand_id))
        .filter(creator::Column::PrimaryPlatform.is_in(names))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The enrollments and creators (of the creator levels and of costs) the facts name.
fn ids_of(facts: &Facts) -> (HashSet<i64>, HashSet<i64>) {
    let mut enrollment_ids = HashSet::new();
    let mut creator_ids = HashSet::new();
    for fact in &facts.facts {
        match fact.owner {
            Owner::Enrollment(id) => {
                enrollment_ids.insert(id);
            }
            Owner::Creator(id)
            | Owner::Cost {
                creator_id: Some(id),
                ..
            } => {
                creator_ids.insert(id);
            }
            Owner::Cost { .. } | Owner::Brand => {}
        }
    }
    (enrollment_ids, creator_ids)
}

/// The campaign, creator and offer of these enrollments of the brand, and (when needed) the
/// primary platform of every creator they and `creator_ids` reach. Many ids are read as the
/// brand's whole list in one statement (a report by creator names every enrollment: 50
/// statements of 500 ids cost more than one pass over the brand's rows).
async fn owners_of<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    enrollment_ids: HashSet<i64>,
    mut creator_ids: HashSet<i64>,
    needs_platform: bool,
) -> Result<Owners, AppError> {
    let mut owners = Owners::default();
    let ids: Vec<i64> = enrollment_ids.iter().copied().collect();
    let chunks: Vec<Option<Vec<i64>>> = if ids.len() > WHOLE_LIST {
        vec![None]
    } else {
        ids.chunks(ID_CHUNK).map(|c| Some(c.to_vec())).collect()
    };
    for chunk in chunks {
        let select = enrollment::Entity::find()
            .select_only()
            .column(enrollment::Column::Id)
            .column(enrollment::Column::CampaignId)
            .column(enrollment::Column::CreatorId)
            .column(enrollment::Column::OfferId)
            .filter(enrollment::Column::BrandId.eq(brand_id));
        let select = match chunk {
            Some(ids) => select.filter(enrollment::Column::Id.is_in(ids)),
            None => select,
        };
        let rows: Vec<(i64, i64, i64, i64)> = select.into_tuple().all(db).await?;
        for (id, campaign_id, creator_id, offer_id) in rows {
            if !enrollment_ids.contains(&id) {
                continue;
            }
            owners
                .enrollments
                .insert(id, (campaign_id, creator_id, offer_id));
            creator_ids.insert(creator_id);
        }
    }
    if needs_platform {
        let ids: Vec<i64> = creator_ids.iter().copied().collect();
        let chunks: Vec<Option<Vec<i64>>> = if ids.len() > WHOLE_LIST {
            vec![None]
        } else {
            ids.chunks(ID_CHUNK).map(|c| Some(c.to_vec())).collect()
        };
        for chunk in chunks {
            let select = creator::Entity::find()
                .select_only()
                .column(creator::Column::Id)
                .column(creator::Column::PrimaryPlatform)
                .filter(creator::Column::BrandId.eq(brand_id));
            let select = match chunk {
                Some(ids) => select.filter(creator::Column::Id.is_in(ids)),
                None => select,
            };
            let rows: Vec<(i64, Option<String>)> = select.into_tuple().all(db).await?;
            for (id, platform) in rows {
                if creator_ids.contains(&id) {
                    owners
                        .platforms
                        .insert(id, platform.as_deref().and_then(Platform::parse));
                }
            }
        }
    }
    Ok(owners)
}
