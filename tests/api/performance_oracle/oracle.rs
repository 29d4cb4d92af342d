//! The recomputation by brute force: pure functions over the events of the raw rows. For each
//! request every event is filtered, keyed and added up; no service or domain function is used.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::raw::{Event, Fact, Raw};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Campaign,
    Creator,
    Platform,
    Offer,
    Day,
    Week,
    Month,
}

impl Dim {
    pub fn name(self) -> &'static str {
        match self {
            Dim::Campaign => "CAMPAIGN",
            Dim::Creator => "CREATOR",
            Dim::Platform => "PLATFORM",
            Dim::Offer => "OFFER",
            Dim::Day => "DAY",
            Dim::Week => "WEEK",
            Dim::Month => "MONTH",
        }
    }
}

/// A `performance` request in database ids.
#[derive(Clone, Debug)]
pub struct Query {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `None`: the argument is left out.
    pub group_by: Option<Vec<Dim>>,
    pub campaigns: Option<Vec<i64>>,
    pub creators: Option<Vec<i64>>,
    pub platforms: Option<Vec<String>>,
}

impl Query {
    pub fn grouped(&self) -> &[Dim] {
        self.group_by.as_deref().unwrap_or(&[])
    }
}

/// One row's key; the fields that are not grouped are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub campaign: Option<i64>,
    pub creator: Option<i64>,
    pub platform: Option<String>,
    pub offer: Option<i64>,
    pub period: Option<String>,
}

/// The period label of an instant for a time grain, in the brand timezone.
pub fn period(at: DateTime<Utc>, timezone: Tz, grain: Dim) -> String {
    let local = at.with_timezone(&timezone);
    match grain {
        Dim::Day => local.format("%Y-%m-%d").to_string(),
        Dim::Week => {
            let week = local.iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Dim::Month => local.format("%Y-%m").to_string(),
        other => panic!("{other:?} is not a time grain"),
    }
}

fn key_of(event: &Event, raw: &Raw, grouped: &[Dim]) -> Key {
    let mut key = Key::default();
    for dim in grouped {
        match dim {
            Dim::Campaign => key.campaign = event.dims.campaign,
            Dim::Creator => key.creator = event.dims.creator,
            Dim::Platform => key.platform = event.dims.platform.clone(),
            Dim::Offer => key.offer = event.dims.offer,
            grain => key.period = Some(period(event.at, raw.timezone, *grain)),
        }
    }
    key
}

fn passes(event: &Event, q: &Query) -> bool {
    let within = |list: &Option<Vec<i64>>, value: Option<i64>| match list {
        None => true,
        Some(list) => value.is_some_and(|v| list.contains(&v)),
    };
    q.from <= event.at
        && event.at < q.to
        && within(&q.campaigns, event.dims.campaign)
        && within(&q.creators, event.dims.creator)
        && match &q.platforms {
            None => true,
            Some(list) => event
                .dims
                .platform
                .as_ref()
                .is_some_and(|p| list.contains(p)),
        }
}

/// Sums of one row (or the totals) before the ratios.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    clicks: i64,
    visitors: HashSet<String>,
    impressions: i64,
    sales: i64,
    leads: i64,
    new_customers: i64,
    revenue: i64,
    commissions: i64,
    other_costs: i64,
}

impl Tally {
    fn add(&mut self, fact: &Fact) {
        match fact {
            Fact::Click(visitor) => {
                self.clicks += 1;
                self.visitors.insert(visitor.clone());
            }
            Fact::Impressions(n) => self.impressions += n,
            Fact::Sale {
                net_minor,
                counted,
                new_customer,
            } => {
                self.revenue += net_minor;
                if *counted {
                    self.sales += 1;
                    if *new_customer {
                        self.new_customers += 1;
                    }
                }
            }
            Fact::Lead => self.leads += 1,
            Fact::Commission(minor) => self.commissions += minor,
            Fact::Cost(minor) => self.other_costs += minor,
        }
    }
}

/// Every metric, money in minor units of the brand currency.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    pub clicks: i64,
    pub unique_clicks: i64,
    pub impressions: i64,
    pub sales: i64,
    pub leads: i64,
    pub new_customers: i64,
    pub revenue: Option<i64>,
    pub commissions: Option<i64>,
    pub other_costs: Option<i64>,
    pub spend: Option<i64>,
    pub ctr: Option<f64>,
    pub conversion_rate: Option<f64>,
    pub aov: Option<i64>,
    pub cpa: Option<i64>,
    pub cac: Option<i64>,
    pub roas: Option<f64>,
    pub roi: Option<f64>,
    pub epc: Option<i64>,
}

/// `numerator / denominator` in minor units, rounded half to even; `None` over zero.
pub fn money_div(numerator: i64, denominator: i64) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = if denominator < 0 {
        (-i128::from(numerator), -i128::from(denominator))
    } else {
        (i128::from(numerator), i128::from(denominator))
    };
    let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
    let up = match (2 * r).cmp(&d) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q % 2 != 0,
        std::cmp::Ordering::Less => false,
    };
    Some(i64::try_from(q + i128::from(up)).expect("fits"))
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

impl Metrics {
    pub fn of(t: &Tally, gross_margin: f64) -> Self {
        let spend = t.commissions + t.other_costs;
        Metrics {
            clicks: t.clicks,
            unique_clicks: t.visitors.len() as i64,
            impressions: t.impressions,
            sales: t.sales,
            leads: t.leads,
            new_customers: t.new_customers,
            revenue: Some(t.revenue),
            commissions: Some(t.commissions),
            other_costs: Some(t.other_costs),
            spend: Some(spend),
            ctr: ratio(t.clicks, t.impressions),
            conversion_rate: ratio(t.sales, t.clicks),
            aov: money_div(t.revenue, t.sales),
            cpa: money_div(spend, t.sales),
            cac: money_div(spend, t.new_customers),
            roas: ratio(t.revenue, spend),
            roi: (spend != 0)
                .then(|| (t.revenue as f64 * gross_margin - spend as f64) / spend as f64),
            epc: money_div(t.commissions, t.clicks),
        }
    }
}

pub struct Report {
    pub totals: Metrics,
    pub rows: BTreeMap<Key, Metrics>,
}

/// The brute force: every event, filtered, bucketed by its key.
pub fn compute(raw: &Raw, q: &Query) -> Report {
    let mut totals = Tally::default();
    let mut rows: BTreeMap<Key, Tally> = BTreeMap::new();
    for event in raw.events.iter().filter(|e| passes(e, q)) {
        totals.add(&event.fact);
        rows.entry(key_of(event, raw, q.grouped()))
            .or_default()
            .add(&event.fact);
    }
    Report {
        totals: Metrics::of(&totals, raw.gross_margin),
        rows: rows
            .into_iter()
            .map(|(k, t)| (k, Metrics::of(&t, raw.gross_margin)))
            .collect(),
    }
}
