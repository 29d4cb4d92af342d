//! Performance metrics exactly as DOMAIN.md defines them: additive counters per group, what one
//! conversion contributes to them, and the derived ratios (null when the denominator is zero;
//! money divisions rounded half to even to the minor unit, once, at the end).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::conversion::{Kind, Status};
use super::money::round_half_even;

/// The additive counters of a group: a rollup row, a report row or the totals. Money is in
/// minor units of the brand currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Non-bot clicks.
    pub clicks: i64,
    /// Impressions of deliverables published in the range.
    pub impressions: i64,
    /// Attributed SALEs not fully refunded.
    pub sales: i64,
    /// Attributed LEADs.
    pub leads: i64,
    /// Those `sales` flagged new customer.
    pub new_customers: i64,
    /// Attributed sale amounts minus their refunds.
    pub revenue_minor: i64,
    /// Commission lines dated in the range (all statuses, reversals included).
    pub commissions_minor: i64,
    /// Costs incurred in the range.
    pub other_costs_minor: i64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.clicks += other.clicks;
        self.impressions += other.impressions;
        self.sales += other.sales;
        self.leads += other.leads;
        self.new_customers += other.new_customers;
        self.revenue_minor += other.revenue_minor;
        self.commissions_minor += other.commissions_minor;
        self.other_costs_minor += other.other_costs_minor;
    }

    /// `self - other`, field by field.
    pub fn minus(&self, other: &Counters) -> Counters {
        Counters {
            clicks: self.clicks - other.clicks,
            impressions: self.impressions - other.impressions,
            sales: self.sales - other.sales,
            leads: self.leads - other.leads,
            new_customers: self.new_customers - other.new_customers,
            revenue_minor: self.revenue_minor - other.revenue_minor,
            commissions_minor: self.commissions_minor - other.commissions_minor,
            other_costs_minor: self.other_costs_minor - other.other_costs_minor,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

/// What a conversion needs to say what it counts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConversionFacts {
    pub kind: Kind,
    /// Attributed to an enrollment (self-referrals included).
    pub attributed: bool,
    pub status: Status,
    pub new_customer: bool,
    pub brand_amount_minor: i64,
    pub refunded_brand_minor: i64,
}

/// The counters one conversion adds to its enrollment and day (refunds count against their
/// conversion whatever their own date). Unattributed conversions count for nothing here.
pub fn conversion_counters(facts: &ConversionFacts) -> Counters {
    if !facts.attributed {
        return Counters::default();
    }
    match facts.kind {
        Kind::Lead => Counters {
            leads: 1,
            ..Counters::default()
        },
        Kind::Sale => {
            let counted = i64::from(facts.status != Status::Refunded);
            Counters {
                sales: counted,
                new_customers: counted * i64::from(facts.new_customer),
                revenue_minor: facts.brand_amount_minor - facts.refunded_brand_minor,
                ..Counters::default()
            }
        }
    }
}

/// The metrics of a group, in minor units of the brand currency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    pub counters: Counters,
    /// Distinct visitor keys among the group's non-bot clicks (not additive).
    pub unique_clicks: i64,
    /// commissions + otherCosts.
    pub spend_minor: i64,
    /// clicks / impressions.
    pub ctr: Option<f64>,
    /// sales / clicks.
    pub conversion_rate: Option<f64>,
    /// revenue / sales.
    pub aov_minor: Option<i64>,
    /// spend / sales.
    pub cpa_minor: Option<i64>,
    /// spend / newCustomers.
    pub cac_minor: Option<i64>,
    /// revenue / spend.
    pub roas: Option<f64>,
    /// (revenue x grossMargin - spend) / spend.
    pub roi: Option<f64>,
    /// commissions / clicks.
    pub epc_minor: Option<i64>,
}

/// `numerator / denominator` as a float; `None` when the denominator is zero.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// Money per unit, rounded half to even to the minor unit; `None` when `count` is zero.
pub fn money_per(amount_minor: i64, count: i64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    let (numerator, denominator) = if count < 0 {
        (-i128::from(amount_minor), -i128::from(count))
    } else {
        (i128::from(amount_minor), i128::from(count))
    };
    i64::try_from(round_half_even(numerator, denominator)).ok()
}

/// (revenue x margin - spend) / spend, computed exactly before the final division.
pub fn roi(revenue_minor: i64, spend_minor: i64, gross_margin: Decimal) -> Option<f64> {
    if spend_minor == 0 {
        return None;
    }
    let gain = Decimal::from(revenue_minor).checked_mul(gross_margin)? - Decimal::from(spend_minor);
    Some(gain.to_f64()? / spend_minor as f64)
}

pub fn metrics(counters: &Counters, unique_clicks: i64, gross_margin: Decimal) -> Metrics {
    let c = counters;
    let spend = c.commissions_minor + c.other_costs_minor;
    Metrics {
        counters: *c,
        unique_clicks,
        spend_minor: spend,
        ctr: ratio(c.clicks, c.impressions),
        conversion_rate: ratio(c.sales, c.clicks),
        aov_minor: money_per(c.revenue_minor, c.sales),
        cpa_minor: money_per(spend, c.sales),
        cac_minor: money_per(spend, c.new_customers),
        roas: ratio(c.revenue_minor, spend),
        roi: roi(c.revenue_minor, spend, gross_margin),
        epc_minor: money_per(c.commissions_minor, c.clicks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A hand-worked month: 1,000 clicks (800 unique), 50,000 impressions, 40 sales (25 new),
    /// 3 leads, revenue $4,000.00, commissions $500.00, other costs $300.00, margin 0.6.
    fn month() -> Counters {
        Counters {
            clicks: 1_000,
            impressions: 50_000,
            sales: 40,
            leads: 3,
            new_customers: 25,
            revenue_minor: 400_000,
            commissions_minor: 50_000,
            other_costs_minor: 30_000,
        }
    }

    #[test]
    fn every_metric_by_hand() {
        let m = metrics(&month(), 800, dec("0.6"));
        assert_eq!(m.spend_minor, 80_000); // 500 + 300
        assert_eq!(m.ctr, Some(0.02)); // 1,000 / 50,000
        assert_eq!(m.conversion_rate, Some(0.04)); // 40 / 1,000
        assert_eq!(m.aov_minor, Some(10_000)); // 4,000 / 40 = 100.00
        assert_eq!(m.cpa_minor, Some(2_000)); // 800 / 40 = 20.00
        assert_eq!(m.cac_minor, Some(3_200)); // 800 / 25 = 32.00
        assert_eq!(m.roas, Some(5.0)); // 4,000 / 800
        assert_eq!(m.roi, Some(2.0)); // (4,000 x 0.6 - 800) / 800
        assert_eq!(m.epc_minor, Some(50)); // 500 / 1,000 = 0.50
        assert_eq!(m.unique_clicks, 800);
    }

    #[test]
    fn zero_denominators_are_null() {
        let none = metrics(&Counters::default(), 0, dec("1"));
        assert_eq!(none.ctr, None);
        assert_eq!(none.conversion_rate, None);
        assert_eq!(none.aov_minor, None);
        assert_eq!(none.cpa_minor, None);
        assert_eq!(none.cac_minor, None);
        assert_eq!(none.roas, None);
        assert_eq!(none.roi, None);
        assert_eq!(none.epc_minor, None);
        // Clicks but no impressions, spend or sales: only the click-based ratios exist.
        let clicks_only = metrics(
            &Counters {
                clicks: 10,
                ..Counters::default()
            },
            7,
            dec("1"),
        );
        assert_eq!(clicks_only.ctr, None);
        assert_eq!(clicks_only.conversion_rate, Some(0.0));
        assert_eq!(clicks_only.epc_minor, Some(0));
        assert_eq!(clicks_only.roas, None);
    }

    #[test]
    fn money_divisions_round_half_to_even_once() {
        assert_eq!(money_per(1_000, 3), Some(333)); // 3.333..
        assert_eq!(money_per(5, 2), Some(2)); // 2.5 -> 2
        assert_eq!(money_per(7, 2), Some(4)); // 3.5 -> 4
        assert_eq!(money_per(-5, 2), Some(-2)); // a net reversal
        assert_eq!(money_per(10, -4), Some(-2)); // -2.5 -> -2
        assert_eq!(money_per(1, 0), None);
    }

    #[test]
    fn roi_is_exact_before_the_division() {
        // (1,000.00 x 0.35 - 350.00) / 350.00 = 0 exactly.
        assert_eq!(roi(100_000, 35_000, dec("0.35")), Some(0.0));
        // A loss: (100.00 x 0.5 - 200.00) / 200.00 = -0.75.
        assert_eq!(roi(10_000, 20_000, dec("0.5")), Some(-0.75));
    }

    fn facts(kind: Kind, status: Status, new: bool, amount: i64, refunded: i64) -> ConversionFacts {
        ConversionFacts {
            kind,
            attributed: true,
            status,
            new_customer: new,
            brand_amount_minor: amount,
            refunded_brand_minor: refunded,
        }
    }

    #[test]
    fn what_a_conversion_counts_for() {
        let sale = conversion_counters(&facts(Kind::Sale, Status::Recorded, true, 5_000, 0));
        assert_eq!(
            (sale.sales, sale.new_customers, sale.revenue_minor),
            (1, 1, 5_000)
        );
        let partial = conversion_counters(&facts(
            Kind::Sale,
            Status::PartiallyRefunded,
            false,
            5_000,
            1_200,
        ));
        assert_eq!(
            (partial.sales, partial.new_customers, partial.revenue_minor),
            (1, 0, 3_800)
        );
        let refunded =
            conversion_counters(&facts(Kind::Sale, Status::Refunded, true, 5_000, 5_000));
        assert_eq!(refunded, Counters::default());
        let lead = conversion_counters(&facts(Kind::Lead, Status::Recorded, true, 0, 0));
        assert_eq!((lead.leads, lead.sales, lead.revenue_minor), (1, 0, 0));
        let mut unattributed = facts(Kind::Sale, Status::Recorded, true, 5_000, 0);
        unattributed.attributed = false;
        assert!(conversion_counters(&unattributed).is_zero());
    }

    #[test]
    fn counters_add_and_subtract() {
        let mut total = month();
        total.add(&month());
        assert_eq!(total.minus(&month()), month());
        assert!(month().minus(&month()).is_zero());
    }
}

/// Actual CPA (as reported, in minor units) / target CPA; `None` without either.
pub fn cpa_vs_target(cpa_minor: Option<i64>, target_minor: Option<i64>) -> Option<f64> {
    ratio(cpa_minor?, target_minor.filter(|t| *t > 0)?)
}

/// Actual ROAS / target ROAS; `None` without either.
pub fn roas_vs_target(roas: Option<f64>, target: Option<Decimal>) -> Option<f64> {
    let target = target.filter(|t| *t > Decimal::ZERO)?.to_f64()?;
    Some(roas? / target)
}

#[cfg(test)]
mod target_tests {
    use super::*;

    #[test]
    fn against_targets() {
        // CPA $20.00 against a $25.00 target: 0.8; ROAS 5 against 4: 1.25.
        assert_eq!(cpa_vs_target(Some(2_000), Some(2_500)), Some(0.8));
        assert_eq!(
            roas_vs_target(Some(5.0), Some(Decimal::from(4))),
            Some(1.25)
        );
        assert_eq!(cpa_vs_target(None, Some(2_500)), None, "no sales");
        assert_eq!(cpa_vs_target(Some(2_000), None), None, "no target");
        assert_eq!(
            roas_vs_target(None, Some(Decimal::from(4))),
            None,
            "no spend"
        );
        assert_eq!(roas_vs_target(Some(5.0), Some(Decimal::ZERO)), None);
    }
}
