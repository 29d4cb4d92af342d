//! `orderBy` of reports: a metric and a direction, so a dashboard asks for the top N
//! (`first: 50, orderBy: {metric: REVENUE, direction: DESC}`) instead of every row.

use async_graphql::{Enum, InputObject};

use crate::domain::ranking::{self, Order};
use crate::graphql::enums::OrderDirection;

/// A metric a performance report's rows can be ordered by (the fields of
/// `PerformanceMetrics`; money by its brand-currency amount).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::ranking::ReportMetric")]
pub enum PerformanceMetric {
    Clicks,
    UniqueClicks,
    Impressions,
    Sales,
    Leads,
    NewCustomers,
    Revenue,
    Commissions,
    OtherCosts,
    Spend,
    Ctr,
    ConversionRate,
    Aov,
    Cpa,
    Cac,
    Roas,
    Roi,
    Epc,
}

/// Rows by a metric: rows without a value (a ratio over zero) come last in either direction,
/// and rows with equal values by their key, so pages are stable.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct PerformanceOrder {
    pub metric: PerformanceMetric,
    /// Default DESC (the top rows first).
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl From<PerformanceOrder> for Order<ranking::ReportMetric> {
    fn from(value: PerformanceOrder) -> Self {
        Self {
            metric: value.metric.into(),
            direction: value.direction.into(),
        }
    }
}

/// A metric an LTV report's rows can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::ranking::LtvMetric")]
pub enum LtvMetric {
    Customers,
    Revenue,
    Ltv,
    RepeatRate,
}

/// LTV rows by a metric (missing values last, ties by key).
#[derive(Clone, Copy, Debug, InputObject)]
pub struct LtvOrder {
    pub metric: LtvMetric,
    /// Default DESC (the top rows first).
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl From<LtvOrder> for Order<ranking::LtvMetric> {
    fn from(value: LtvOrder) -> Self {
        Self {
            metric: value.metric.into(),
            direction: value.direction.into(),
        }
    }
}
