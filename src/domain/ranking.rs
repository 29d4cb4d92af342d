//! Ordering report rows by a metric (DOMAIN.md, API conventions: "ordered by any metric and cut
//! to the top N"). A row without a value for the metric (a ratio whose denominator is zero) comes
//! last in either direction; rows with equal values keep the report's key order, so pages are
//! stable.

use std::cmp::Ordering;

use super::ltv::Cohort;
use super::metrics::Metrics;

super::stored_enum! {
    /// A metric a performance report can be ordered by.
    pub enum ReportMetric {
        Clicks => "CLICKS",
        UniqueClicks => "UNIQUE_CLICKS",
        Impressions => "IMPRESSIONS",
        Sales => "SALES",
        Leads => "LEADS",
        NewCustomers => "NEW_CUSTOMERS",
        Revenue => "REVENUE",
        Commissions => "COMMISSIONS",
        OtherCosts => "OTHER_COSTS",
        Spend => "SPEND",
        Ctr => "CTR",
        ConversionRate => "CONVERSION_RATE",
        Aov => "AOV",
        Cpa => "CPA",
        Cac => "CAC",
        Roas => "ROAS",
        Roi => "ROI",
        Epc => "EPC",
    }
}

super::stored_enum! {
    /// A metric an LTV report can be ordered by.
    pub enum LtvMetric {
        Customers => "CUSTOMERS",
        Revenue => "REVENUE",
        Ltv => "LTV",
        RepeatRate => "REPEAT_RATE",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Asc,
    Desc,
}

/// `orderBy`: a metric and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Order<M> {
    pub metric: M,
    pub direction: Direction,
}

/// A metric's value in a row: counts and money in minor units are exact integers, ratios floats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SortValue {
    Int(i64),
    Float(f64),
}

impl SortValue {
    fn cmp_same(self, other: Self) -> Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => a.cmp(&b),
            (Self::Float(a), Self::Float(b)) => a.total_cmp(&b),
            // One metric always gives one kind; mixed kinds never meet, but order them anyway.
            (Self::Int(_), Self::Float(_)) => Ordering::Less,
            (Self::Float(_), Self::Int(_)) => Ordering::Greater,
        }
    }

    /// Text for a cursor: `i<integer>` or `f<IEEE bits in hex>` (exact, so a page boundary
    /// never moves by rounding).
    pub fn encode(self) -> String {
        match self {
            Self::Int(v) => format!("i{v}"),
            Self::Float(v) => format!("f{:x}", v.to_bits()),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (tag, value) = text.split_at_checked(1)?;
        match tag {
            "i" => value.parse().ok().map(Self::Int),
            "f" => u64::from_str_radix(value, 16)
                .ok()
                .map(f64::from_bits)
                .filter(|v| v.is_finite())
                .map(Self::Float),
            _ => None,
        }
    }
}

/// The value of `metric` in `m`; `None` where the metric is undefined (zero denominator).
pub fn value_of(m: &Metrics, metric: ReportMetric) -> Option<SortValue> {
    use SortValue::{Float, Int};
    let c = &m.counters;
    match metric {
        ReportMetric::Clicks => Some(Int(c.clicks)),
        ReportMetric::UniqueClicks => Some(Int(m.unique_clicks)),
        ReportMetric::Impressions => Some(Int(c.impressions)),
        ReportMetric::Sales => Some(Int(c.sales)),
        ReportMetric::Leads => Some(Int(c.leads)),
        ReportMetric::NewCustomers => Some(Int(c.new_customers)),
        ReportMetric::Revenue => Some(Int(c.revenue_minor)),
        ReportMetric::Commissions => Some(Int(c.commissions_minor)),
        ReportMetric::OtherCosts => Some(Int(c.other_costs_minor)),
        ReportMetric::Spend => Some(Int(m.spend_minor)),
        ReportMetric::Ctr => m.ctr.map(Float),
        ReportMetric::ConversionRate => m.conversion_rate.map(Float),
        ReportMetric::Aov => m.aov_minor.map(Int),
        ReportMetric::Cpa => m.cpa_minor.map(Int),
        ReportMetric::Cac => m.cac_minor.map(Int),
        ReportMetric::Roas => m.roas.map(Float),
        ReportMetric::Roi => m.roi.map(Float),
        ReportMetric::Epc => m.epc_minor.map(Int),
    }
}

/// The value of `metric` in an LTV cohort; `None` where it is undefined (no customers).
pub fn ltv_value_of(cohort: &Cohort, metric: LtvMetric) -> Option<SortValue> {
    match metric {
        LtvMetric::Customers => Some(SortValue::Int(cohort.customers)),
        LtvMetric::Revenue => Some(SortValue::Int(cohort.revenue_minor)),
        LtvMetric::Ltv => cohort.ltv_minor().map(SortValue::Int),
        LtvMetric::RepeatRate => cohort.repeat_rate().map(SortValue::Float),
    }
}

/// How two rows' values sort in `direction`: missing values last whatever the direction. Equal
/// values compare `Equal`: the caller breaks the tie by the row key.
pub fn compare(a: Option<SortValue>, b: Option<SortValue>, direction: Direction) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match direction {
            Direction::Asc => a.cmp_same(b),
            Direction::Desc => b.cmp_same(a),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::{Counters, metrics};
    use rust_decimal::Decimal;

    fn row(sales: i64, revenue_minor: i64) -> Metrics {
        let counters = Counters {
            sales,
            revenue_minor,
            clicks: 100,
            ..Counters::default()
        };
        metrics(&counters, 10, Decimal::ONE)
    }

    #[test]
    fn missing_values_sort_last_in_both_directions() {
        let none = value_of(&row(0, 0), ReportMetric::Aov);
        let some = value_of(&row(2, 5_000), ReportMetric::Aov);
        assert_eq!(none, None);
        for direction in [Direction::Asc, Direction::Desc] {
            assert_eq!(compare(some, none, direction), Ordering::Less);
            assert_eq!(compare(none, some, direction), Ordering::Greater);
            assert_eq!(compare(none, none, direction), Ordering::Equal);
        }
    }

    #[test]
    fn directions_order_values_and_ties_are_equal() {
        let low = value_of(&row(1, 1_000), ReportMetric::Revenue);
        let high = value_of(&row(1, 9_000), ReportMetric::Revenue);
        assert_eq!(compare(low, high, Direction::Asc), Ordering::Less);
        assert_eq!(compare(low, high, Direction::Desc), Ordering::Greater);
        assert_eq!(compare(high, high, Direction::Desc), Ordering::Equal);
        let slow = value_of(&row(1, 0), ReportMetric::ConversionRate);
        let fast = value_of(&row(5, 0), ReportMetric::ConversionRate);
        assert_eq!(compare(fast, slow, Direction::Desc), Ordering::Less);
    }

    #[test]
    fn every_metric_has_a_value_on_a_full_row() {
        let full = metrics(
            &Counters {
                clicks: 10,
                impressions: 100,
                sales: 2,
                leads: 1,
                new_customers: 1,
                revenue_minor: 10_000,
                commissions_minor: 1_000,
                other_costs_minor: 500,
            },
            7,
            Decimal::new(6, 1),
        );
        for metric in ReportMetric::ALL {
            assert!(value_of(&full, *metric).is_some(), "{metric}");
        }
    }

    #[test]
    fn cursor_values_round_trip_exactly() {
        for value in [
            SortValue::Int(-42),
            SortValue::Int(i64::MAX),
            SortValue::Float(0.1 + 0.2),
            SortValue::Float(-3.5),
        ] {
            assert_eq!(SortValue::decode(&value.encode()), Some(value));
        }
        for bad in [
            "",
            "x1",
            "i",
            "iz",
            "f",
            "fzz",
            "f7ff8000000000000",
            "f7ff0000000000000",
        ] {
            assert_eq!(SortValue::decode(bad), None, "{bad}");
        }
    }
}
