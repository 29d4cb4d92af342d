//! Performance report types: metrics, rows with their keys, the filter and dimensions.

use async_graphql::connection::{CursorType, PageInfo};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use super::order::PerformanceOrder;
use crate::domain::metrics::Metrics;
use crate::domain::roster;
use crate::error::AppError;
use crate::graphql::campaign::types::{Campaign, Offer};
use crate::graphql::connection::Cursor;
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::enums::Platform;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyInput, MoneyObject, stored, stored_opt};
use crate::graphql::scalars::DateTime;
use crate::service::performance::{self, Dimension, Filter, Report, Row, RowKey, RowPage};

/// What a report is grouped by: any of CAMPAIGN, CREATOR, PLATFORM (the creator's primary
/// platform), OFFER, and at most one time grain (DAY, WEEK as ISO weeks from Monday, MONTH), in
/// the brand timezone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "performance::Dimension")]
pub enum PerformanceDimension {
    Campaign,
    Creator,
    Platform,
    Offer,
    Day,
    Week,
    Month,
}

/// The events a report covers: `[from, to)` by event time, optionally only some campaigns,
/// creators or primary platforms.
#[derive(Clone, Debug, InputObject)]
pub struct PerformanceFilter {
    pub from: DateTime,
    pub to: DateTime,
    pub campaign_ids: Option<Vec<ID>>,
    pub creator_ids: Option<Vec<ID>>,
    pub platforms: Option<Vec<Platform>>,
}

/// IDs a filter may list (more is a BAD_USER_INPUT).
const MAX_FILTER_IDS: usize = 500;

impl PerformanceFilter {
    pub fn to_filter(&self) -> Result<Filter, AppError> {
        let ids = |list: &Option<Vec<ID>>, kind, field: &str| {
            list.as_ref()
                .map(|ids| {
                    if ids.len() > MAX_FILTER_IDS {
                        return Err(AppError::bad_input(
                            field,
                            format!("at most {MAX_FILTER_IDS} ids"),
                        ));
                    }
                    ids.iter().map(|i| id::decode_as(i, kind, field)).collect()
                })
                .transpose()
        };
        Ok(Filter {
            from: self.from.0,
            to: self.to.0,
            campaign_ids: ids(&self.campaign_ids, NodeKind::Campaign, "campaignIds")?,
            creator_ids: ids(&self.creator_ids, NodeKind::Creator, "creatorIds")?,
            platforms: self
                .platforms
                .as_ref()
                .map(|p| p.iter().map(|&p| roster::Platform::from(p)).collect()),
        })
    }
}

pub fn dimensions(group_by: Option<Vec<PerformanceDimension>>) -> Vec<Dimension> {
    group_by
        .unwrap_or_default()
        .into_iter()
        .map(Dimension::from)
        .collect()
}

/// The metrics of DOMAIN.md over a group of events, in the brand currency. Ratios whose
/// denominator is zero are null; money divisions are rounded half to even.
pub struct PerformanceMetrics {
    pub metrics: Metrics,
    pub currency_code: String,
}

#[Object]
impl PerformanceMetrics {
    /// Non-bot clicks.
    async fn clicks(&self) -> i64 {
        self.metrics.counters.clicks
    }

    /// Distinct visitors among the clicks of this group (not additive across rows). An estimate
    /// from HyperLogLog sketches kept per day and enrollment (Apache DataSketches HLL, 65,536
    /// registers): exact for small counts (measured exact below 1,000), otherwise within 2% of the
    /// distinct count (measured within 1%). Read only when selected or ordered by; CPC
    /// commissions count visitors exactly.
    async fn unique_clicks(&self) -> i64 {
        self.metrics.unique_clicks
    }

    /// Impressions of deliverables published in the range.
    async fn impressions(&self) -> i64 {
        self.metrics.counters.impressions
    }

    /// Attributed SALE conversions not fully refunded.
    async fn sales(&self) -> i64 {
        self.metrics.counters.sales
    }

    /// Attributed LEAD conversions.
    async fn leads(&self) -> i64 {
        self.metrics.counters.leads
    }

    /// Those sales flagged new customer.
    async fn new_customers(&self) -> i64 {
        self.metrics.counters.new_customers
    }

    /// Attributed sale amounts minus their refunds.
    async fn revenue(&self) -> Result<MoneyObject, AppError> {
        stored(self.metrics.counters.revenue_minor, &self.currency_code)
    }

    /// Commission lines dated in the range (all statuses, reversals included).
    async fn commissions(&self) -> Result<MoneyObject, AppError> {
        stored(self.metrics.counters.commissions_minor, &self.currency_code)
    }

    /// Costs (seeding, gifting, paid amplification, agency, other) incurred in the range.
    async fn other_costs(&self) -> Result<MoneyObject, AppError> {
        stored(self.metrics.counters.other_costs_minor, &self.currency_code)
    }

    /// commissions + otherCosts.
    async fn spend(&self) -> Result<MoneyObject, AppError> {
        stored(self.metrics.spend_minor, &self.currency_code)
    }

    /// clicks / impressions.
    async fn ctr(&self) -> Option<f64> {
        self.metrics.ctr
    }

    /// sales / clicks.
    async fn conversion_rate(&self) -> Option<f64> {
        self.metrics.conversion_rate
    }

    /// revenue / sales.
    async fn aov(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.metrics.aov_minor, &self.currency_code)
    }

    /// spend / sales.
    async fn cpa(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.metrics.cpa_minor, &self.currency_code)
    }

    /// spend / newCustomers.
    async fn cac(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.metrics.cac_minor, &self.currency_code)
    }

    /// revenue / spend.
    async fn roas(&self) -> Option<f64> {
        self.metrics.roas
    }

    /// (revenue x grossMargin - spend) / spend. Null for creators (the brand's margin is not
    /// theirs to see).
    async fn roi(&self) -> Option<f64> {
        self.metrics.roi
    }

    /// commissions / clicks.
    async fn epc(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.metrics.epc_minor, &self.currency_code)
    }
}

/// A report: totals over everything the filter admits, and a page of its rows (one per key).
pub struct PerformanceReport {
    report: Report,
    /// The request `report` answers (its cursor, if any, and order).
    page: RowPage,
}

/// The page of report rows that `first` and `after` (an opaque cursor) ask for, in `order`.
pub fn row_page(
    first: Option<i32>,
    after: Option<String>,
    order: Option<PerformanceOrder>,
) -> Result<RowPage, AppError> {
    let after = after.map(|raw| Cursor::decode_cursor(&raw)).transpose()?;
    RowPage::new(
        first,
        after.as_ref().map(|cursor| cursor.0.as_str()),
        order.map(Into::into),
    )
}

impl PerformanceReport {
    pub fn new(report: Report, page: &RowPage) -> Self {
        Self {
            report,
            page: page.clone(),
        }
    }
}

#[Object]
impl PerformanceReport {
    async fn totals(&self) -> PerformanceMetrics {
        PerformanceMetrics {
            metrics: self.report.totals,
            currency_code: self.report.currency_code.clone(),
        }
    }

    /// This page of the rows: one row per key that has events, by period, then campaign,
    /// creator, platform and offer (or by `orderBy`, ties in that order). The additive metrics of all rows add up to the totals (a
    /// missing dimension, such as a campaign-level cost under CREATOR, gives a null key field).
    async fn rows(&self) -> Vec<PerformanceRow> {
        self.report
            .rows
            .iter()
            .map(|row| PerformanceRow {
                row: row.clone(),
                currency_code: self.report.currency_code.clone(),
            })
            .collect()
    }

    /// Rows over all pages.
    async fn row_count(&self) -> u64 {
        self.report.row_count as u64
    }

    /// `endCursor` continues after this page's last row (pass it as `after`).
    async fn page_info(&self) -> PageInfo {
        let cursor =
            |row: Option<&Row>| row.map(|row| Cursor(self.page.cursor(row)).encode_cursor());
        PageInfo {
            has_previous_page: self.page.after.is_some(),
            has_next_page: self.report.has_next_page,
            start_cursor: cursor(self.report.rows.first()),
            end_cursor: cursor(self.report.rows.last()),
        }
    }
}

pub struct PerformanceRow {
    row: Row,
    currency_code: String,
}

#[Object]
impl PerformanceRow {
    async fn key(&self) -> PerformanceKey {
        PerformanceKey {
            key: self.row.key.clone(),
            period: self.row.period.clone(),
            period_start: self.row.period_start.map(DateTime),
        }
    }

    async fn metrics(&self) -> PerformanceMetrics {
        PerformanceMetrics {
            metrics: self.row.metrics,
            currency_code: self.currency_code.clone(),
        }
    }
}

/// A row's key: the grouped dimensions (null when not grouped, or when the events lack it).
pub struct PerformanceKey {
    pub key: RowKey,
    pub period: Option<String>,
    pub period_start: Option<DateTime>,
}

#[Object]
impl PerformanceKey {
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>, AppError> {
        let Some(id) = self.key.campaign_id else {
            return Ok(None);
        };
        let loaded = context::loaders(ctx)?.campaigns().load_one(id).await;
        Ok(loaded.map_err(failed)?.map(Campaign))
    }

    async fn creator(&self, ctx: &Context<'_>) -> Result<Option<Creator>, AppError> {
        let Some(id) = self.key.creator_id else {
            return Ok(None);
        };
        let loaded = context::loaders(ctx)?.creators().load_one(id).await;
        Ok(loaded.map_err(failed)?.map(Creator::from))
    }

    /// The creator's primary platform (its channel with the most followers).
    async fn platform(&self) -> Option<Platform> {
        self.key.platform.map(Platform::from)
    }

    async fn offer(&self, ctx: &Context<'_>) -> Result<Option<Offer>, AppError> {
        let Some(id) = self.key.offer_id else {
            return Ok(None);
        };
        let loaded = context::loaders(ctx)?.offers().load_one(id).await;
        Ok(loaded.map_err(failed)?.map(Offer))
    }

    /// `2026-11-30` (DAY), `2026-W49` (WEEK, ISO week-numbering year), `2026-11` (MONTH).
    async fn period(&self) -> Option<&str> {
        self.period.as_deref()
    }

    /// The first instant of the period in the brand timezone.
    async fn period_start(&self) -> Option<DateTime> {
        self.period_start
    }
}

/// A campaign's metrics against its targets.
#[derive(SimpleObject)]
pub struct CampaignPerformance {
    pub metrics: PerformanceMetrics,
    /// Actual CPA / target CPA; null without a target or without sales.
    pub cpa_vs_target: Option<f64>,
    /// Actual ROAS / target ROAS; null without a target or without spend.
    pub roas_vs_target: Option<f64>,
}

/// Customers acquired in the range, their revenue over the window, LTV and repeat rate.
pub struct LtvReport(pub performance::LtvReport);

#[Object]
impl LtvReport {
    /// Every acquired customer the filter admits (its key has no field set).
    async fn totals(&self) -> LtvRow {
        LtvRow {
            key: PerformanceKey {
                key: RowKey::default(),
                period: None,
                period_start: None,
            },
            cohort: self.0.totals,
            currency_code: self.0.currency_code.clone(),
        }
    }

    /// Rows before `first` cut them.
    async fn row_count(&self) -> u64 {
        self.0.row_count as u64
    }

    /// One row per key of the acquiring purchase (campaign, creator, platform, offer, period of
    /// acquisition), in the same order as performance rows (or by `orderBy`, ties in that
    /// order), the `first` of them.
    async fn rows(&self) -> Vec<LtvRow> {
        self.0
            .rows
            .iter()
            .map(|row| LtvRow {
                key: PerformanceKey {
                    key: row.key.clone(),
                    period: row.period.clone(),
                    period_start: row.period_start.map(DateTime),
                },
                cohort: row.cohort,
                currency_code: self.0.currency_code.clone(),
            })
            .collect()
    }
}

pub struct LtvRow {
    key: PerformanceKey,
    cohort: crate::domain::ltv::Cohort,
    currency_code: String,
}

#[Object]
impl LtvRow {
    async fn key(&self) -> &PerformanceKey {
        &self.key
    }

    /// Customers whose first purchase with the brand was attributed, new and in the range.
    async fn customers_acquired(&self) -> i64 {
        self.cohort.customers
    }

    /// Those with 2 or more purchases (not fully refunded) within the window.
    async fn repeat_customers(&self) -> i64 {
        self.cohort.repeat_customers
    }

    /// All their purchases within `days` of acquisition, attributed or not, net of refunds.
    async fn revenue(&self) -> Result<MoneyObject, AppError> {
        stored(self.cohort.revenue_minor, &self.currency_code)
    }

    /// revenue / customersAcquired.
    async fn ltv(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.cohort.ltv_minor(), &self.currency_code)
    }

    /// repeatCustomers / customersAcquired.
    async fn repeat_rate(&self) -> Option<f64> {
        self.cohort.repeat_rate()
    }
}

/// A campaign budget to forecast.
#[derive(Clone, Debug, InputObject)]
pub struct ForecastInput {
    pub campaign_id: ID,
    /// In the brand currency.
    pub budget: MoneyInput,
    /// The window the forecast learns from, ending now: 1 to 730 days, 90 when left out.
    pub lookback_days: Option<i32>,
}

/// What the budget buys if the campaign keeps performing as over the lookback window.
pub struct Forecast(pub crate::domain::forecast::Forecast);

#[Object]
impl Forecast {
    /// budget / CPA of the window.
    async fn expected_sales(&self) -> f64 {
        self.0.expected_sales
    }

    /// expectedSales x AOV of the window (computed exactly as budget x revenue / spend).
    async fn expected_revenue(&self) -> MoneyObject {
        self.0.expected_revenue.into()
    }

    /// The window's CPA (spend / sales).
    async fn expected_cpa(&self) -> MoneyObject {
        self.0.expected_cpa.into()
    }

    /// The window's ROAS (revenue / spend).
    async fn expected_roas(&self) -> f64 {
        self.0.expected_roas
    }

    /// The window and the figures used.
    async fn basis(&self) -> &str {
        &self.0.basis
    }
}
