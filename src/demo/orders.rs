//! The orders, leads and refunds of the demo's traffic (see [`super::traffic`]).
//!
//! Sales as a store would send them: some carry the click id of an earlier click (bought within
//! minutes, hours or days, always inside the brand's 30-day window), some a creator's discount
//! code (discounted accordingly), some both (the code wins under CODE_WINS), some neither; a few
//! are EU shoppers paying in EUR; Maya once buys with her own code (a self-referral). Customers
//! come back: about three orders in ten are by a returning customer (2 to 4 purchases each), so
//! the ingestion derives `newCustomer = false` for them. Club sign-ups arrive as LEADs (the club
//! campaign is PAUSED, so they stay unattributed). About 8% of the sales are refunded, fully or
//! in part, one of them before its order arrives (held, then applied). The rules decide what
//! sticks: an order is sent with what the store knows, never with a precomputed attribution.

use std::iter;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;

use rust_decimal::Decimal;

use super::SELF_REFERRAL_EMAIL;
use super::calendar::{Calendar, DAYS};
use super::campaigns::{self, usd};
use super::links::{LINKS, LinkPlan, discount_code};
use super::traffic::{PlannedClick, profile};
use crate::domain::campaign::Objective;
use crate::domain::conversion::Kind;
use crate::domain::money::Currency;
use crate::service::ingest::conversions::ConversionItem;
use crate::service::ingest::refunds::RefundItem;

/// Sales by what they carry.
const CLICK_SALES: usize = 150;
const CLICK_AND_CODE_SALES: usize = 20;
const CODE_SALES: usize = 80;
const ORGANIC_SALES: usize = 100;
const EUR_CLICK_SALES: usize = 8;
const EUR_ORGANIC_SALES: usize = 4;
/// The creator who buys with her own code, once.
pub(super) const SELF_REFERRER: &str = "maya";
const SELF_REFERRAL_SALES: usize = 1;
pub(super) const EUR_SALES: usize = EUR_CLICK_SALES + EUR_ORGANIC_SALES;
pub(super) const SALE_COUNT: usize = CLICK_SALES
    + CLICK_AND_CODE_SALES
    + CODE_SALES
    + ORGANIC_SALES
    + EUR_SALES
    + SELF_REFERRAL_SALES;
const CLICK_LEADS: usize = 8;
const ORGANIC_LEADS: usize = 4;
pub(super) const LEAD_COUNT: usize = CLICK_LEADS + ORGANIC_LEADS;
pub(super) const REFUND_COUNT: usize = SALE_COUNT * 8 / 100;
/// The share of sales placed by a customer who bought before, and the most one customer buys.
const REPEAT_SHARE: f64 = 0.3;
const MAX_PURCHASES: u32 = 4;

/// Basket totals (minor units of the order currency) and how common they are.
const BASKETS: [(i64, u32); 11] = [
    (2_400, 8),
    (2_900, 14),
    (3_800, 18),
    (4_500, 10),
    (5_800, 12),
    (6_700, 10),
    (7_600, 8),
    (9_200, 7),
    (11_400, 5),
    (13_500, 4),
    (18_000, 3),
];

const US_REGIONS: [(&str, u32); 8] = [
    ("US-CA", 12),
    ("US-NY", 10),
    ("US-TX", 9),
    ("US-FL", 7),
    ("US-IL", 5),
    ("US-WA", 4),
    ("US-GA", 4),
    ("US-MA", 3),
];
const EU_REGIONS: [&str; 4] = ["DE-BE", "DE-BY", "FR-IDF", "NL-NH"];
const EU_COUNTRIES: [&str; 7] = ["DE", "FR", "NL", "IT", "PL", "SE", "ES"];

/// What a load ingests after the clicks.
pub(super) struct Orders {
    /// Sales and leads in time order, except `late_order`.
    pub conversions: Vec<ConversionItem>,
    /// In time order, except `held_refund`.
    pub refunds: Vec<RefundItem>,
    /// Recorded before `late_order` arrives.
    pub held_refund: RefundItem,
    pub late_order: ConversionItem,
}

impl Orders {
    pub fn all(&self) -> impl Iterator<Item = &ConversionItem> {
        self.conversions.iter().chain(iter::once(&self.late_order))
    }
}

struct Sale {
    at: DateTime<Utc>,
    minor: i64,
    eur: bool,
    /// Index into the planned clicks.
    click: Option<usize>,
    code: Option<String>,
    self_referral: bool,
}

struct Customer {
    key: String,
    email: String,
    region: &'static str,
    eu: bool,
    purchases: u32,
    last: DateTime<Utc>,
}

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR is an ISO 4217 currency")
}

fn objective(link: &LinkPlan) -> Option<Objective> {
    campaigns::plan(link.campaign).map(|c| c.objective)
}

fn european(link: &LinkPlan) -> bool {
    profile(link.creator).is_some_and(|p| EU_COUNTRIES.contains(&p.country))
}

fn pick(rng: &mut StdRng, from: &[usize]) -> usize {
    from[rng.random_range(0..from.len())]
}

/// When a visitor buys after clicking: mostly within hours, some days later, inside the 30-day
/// attribution window; never after the load time.
fn after(cal: &Calendar, rng: &mut StdRng, clicked: DateTime<Utc>) -> DateTime<Utc> {
    let roll: f64 = rng.random();
    let minutes = if roll < 0.6 {
        rng.random_range(2..180)
    } else if roll < 0.9 {
        rng.random_range(180..3 * 1_440)
    } else {
        rng.random_range(3 * 1_440..25 * 1_440)
    };
    let at = clicked + Duration::minutes(minutes);
    if at <= cal.now {
        return at;
    }
    let room = (cal.now - clicked).num_seconds().max(0);
    clicked + Duration::seconds((room as f64 * rng.random::<f64>()) as i64)
}

/// A basket total, less the code's percent off when a code was used.
fn amount(rng: &mut StdRng, baskets: &WeightedIndex<u32>, code_of: Option<&LinkPlan>) -> i64 {
    let total = BASKETS[baskets.sample(rng)].0;
    let percent = code_of.and_then(|l| l.code_percent).map_or(0, i64::from);
    total * (100 - percent) / 100
}

fn plan_sales(cal: &Calendar, rng: &mut StdRng, clicks: &[PlannedClick]) -> Vec<Sale> {
    let people = |keep: &dyn Fn(&LinkPlan) -> bool| -> Vec<usize> {
        (0..clicks.len())
            .filter(|i| clicks[*i].person && keep(&LINKS[clicks[*i].link]))
            .collect()
    };
    let selling = |l: &LinkPlan| objective(l) == Some(Objective::Sales);
    let sale_clicks = people(&selling);
    let coded_clicks = people(&|l| selling(l) && l.code_percent.is_some());
    let eu_clicks = people(&|l| selling(l) && european(l));
    let own_clicks = people(&|l| l.creator == SELF_REFERRER && l.code_percent.is_some());
    let organic = cal.days(-(DAYS - 1), |d| cal.weekday_factor(d));
    let baskets = WeightedIndex::new(BASKETS.map(|b| b.1)).expect("basket weights");
    let mut sales = Vec::with_capacity(SALE_COUNT);
    let by_click = |rng: &mut StdRng, from: &[usize], eur: bool, with_code: bool| {
        let click = pick(rng, from);
        let link = &LINKS[clicks[click].link];
        let code_of = with_code.then_some(link);
        Sale {
            at: after(cal, rng, clicks[click].at),
            minor: amount(rng, &baskets, code_of),
            eur,
            click: Some(click),
            code: code_of.and_then(discount_code),
            self_referral: false,
        }
    };
    for _ in 0..CLICK_SALES {
        sales.push(by_click(rng, &sale_clicks, false, false));
    }
    for _ in 0..CLICK_AND_CODE_SALES {
        sales.push(by_click(rng, &coded_clicks, false, true));
    }
    // A code heard in a video: the shopper never clicked (bought when the audience is active).
    for _ in 0..CODE_SALES {
        let sale = by_click(rng, &coded_clicks, false, true);
        sales.push(Sale {
            click: None,
            ..sale
        });
    }
    for _ in 0..EUR_CLICK_SALES {
        sales.push(by_click(rng, &eu_clicks, true, false));
    }
    for n in 0..ORGANIC_SALES + EUR_ORGANIC_SALES {
        sales.push(Sale {
            at: cal.sample(rng, &organic, cal.start()),
            minor: amount(rng, &baskets, None),
            eur: n >= ORGANIC_SALES,
            click: None,
            code: None,
            self_referral: false,
        });
    }
    for _ in 0..SELF_REFERRAL_SALES {
        let own = by_click(rng, &own_clicks, false, true);
        sales.push(Sale {
            click: None,
            self_referral: true,
            ..own
        });
    }
    sales.sort_by_key(|s| s.at);
    sales
}

/// The customer of each sale (in time order): a returning one about [`REPEAT_SHARE`] of the
/// time, else a new one.
fn customers(rng: &mut StdRng, sales: &[Sale]) -> (Vec<Customer>, Vec<usize>) {
    let us_regions = WeightedIndex::new(US_REGIONS.map(|r| r.1)).expect("region weights");
    let mut customers: Vec<Customer> = Vec::new();
    let mut of_sale = Vec::with_capacity(sales.len());
    for sale in sales {
        let returning: Vec<usize> = (0..customers.len())
            .filter(|i| {
                let c = &customers[*i];
                c.eu == sale.eur
                    && c.purchases < MAX_PURCHASES
                    && c.last + Duration::days(2) <= sale.at
                    && c.email != SELF_REFERRAL_EMAIL
            })
            .collect();
        let index = if !sale.self_referral && !returning.is_empty() && rng.random_bool(REPEAT_SHARE)
        {
            pick(rng, &returning)
        } else {
            let n = customers.len() + 1;
            customers.push(Customer {
                key: format!("cus_{n:05}"),
                email: if sale.self_referral {
                    SELF_REFERRAL_EMAIL.to_owned()
                } else {
                    format!("shopper{n:05}@example.net")
                },
                region: if sale.eur {
                    EU_REGIONS[rng.random_range(0..EU_REGIONS.len())]
                } else {
                    US_REGIONS[us_regions.sample(rng)].0
                },
                eu: sale.eur,
                purchases: 0,
                last: sale.at,
            });
            customers.len() - 1
        };
        customers[index].purchases += 1;
        customers[index].last = sale.at;
        of_sale.push(index);
    }
    (customers, of_sale)
}

fn leads(cal: &Calendar, rng: &mut StdRng, clicks: &[PlannedClick]) -> Vec<ConversionItem> {
    let lead_clicks: Vec<usize> = (0..clicks.len())
        .filter(|i| {
            clicks[*i].person && objective(&LINKS[clicks[*i].link]) == Some(Objective::Leads)
        })
        .collect();
    let organic = cal.days(-(DAYS - 1), |d| cal.weekday_factor(d));
    let mut signed_up: Vec<(DateTime<Utc>, Option<usize>)> = (0..LEAD_COUNT)
        .map(|n| {
            if n < CLICK_LEADS {
                let click = pick(rng, &lead_clicks);
                (after(cal, rng, clicks[click].at), Some(click))
            } else {
                (cal.sample(rng, &organic, cal.start()), None)
            }
        })
        .collect();
    signed_up.sort_by_key(|l| l.0);
    signed_up
        .into_iter()
        .enumerate()
        .map(|(n, (at, click))| ConversionItem {
            external_id: format!("LEAD-{:04}", n + 1),
            kind: Kind::Lead,
            occurred_at: at,
            amount: None,
            currency: None,
            customer_key: Some(format!("member_{:04}", n + 1)),
            customer_email: Some(format!("member{:04}@example.net", n + 1)),
            new_customer: None,
            click_id: click.map(|c| clicks[c].click_id.clone()),
            discount_code: None,
            region: Some(US_REGIONS[n % US_REGIONS.len()].0.to_owned()),
        })
        .collect()
}

/// The whole order side of the plan (clicks first: orders name them).
pub(super) fn plan(cal: &Calendar, rng: &mut StdRng, clicks: &[PlannedClick]) -> Orders {
    let sales = plan_sales(cal, rng, clicks);
    let (customers, of_sale) = customers(rng, &sales);
    let mut items: Vec<ConversionItem> = sales
        .iter()
        .zip(&of_sale)
        .enumerate()
        .map(|(n, (sale, customer))| {
            let customer = &customers[*customer];
            ConversionItem {
                external_id: format!("GB-{}", 10_001 + n),
                kind: Kind::Sale,
                occurred_at: sale.at,
                amount: Some(Decimal::new(sale.minor, 2)),
                currency: Some(if sale.eur { eur() } else { usd() }),
                customer_key: Some(customer.key.clone()),
                customer_email: Some(customer.email.clone()),
                new_customer: None,
                click_id: sale.click.map(|c| clicks[c].click_id.clone()),
                discount_code: sale.code.clone(),
                region: Some(customer.region.to_owned()),
            }
        })
        .collect();

    // Refunds of ~8% of the sales (never the self-referral), 3 in 5 full; the latest one's
    // order arrives after its refund.
    let candidates: Vec<usize> = (0..sales.len())
        .filter(|i| !sales[*i].self_referral)
        .collect();
    let mut chosen: Vec<usize> = rand::seq::index::sample(rng, candidates.len(), REFUND_COUNT)
        .into_iter()
        .map(|i| candidates[i])
        .collect();
    chosen.sort_unstable();
    let mut refunds: Vec<RefundItem> = chosen
        .iter()
        .enumerate()
        .map(|(j, sale)| {
            let (order, item) = (&sales[*sale], &items[*sale]);
            let minor = if j % 5 < 3 {
                order.minor
            } else {
                (order.minor * rng.random_range(20..=60) / 100).max(100)
            };
            let later = order.at + Duration::hours(rng.random_range(20..14 * 24));
            let at = if later <= cal.now {
                later
            } else {
                let room = (cal.now - order.at).num_seconds().max(0);
                order.at + Duration::seconds((room as f64 * rng.random::<f64>()) as i64)
            };
            RefundItem {
                order_external_id: item.external_id.clone(),
                refund_id: format!("RF-{}", item.external_id),
                amount: Decimal::new(minor, 2),
                currency: item.currency,
                occurred_at: at,
            }
        })
        .collect();
    let late = *chosen.last().expect("REFUND_COUNT > 0");
    let late_order = items.remove(late);
    let held_refund = refunds.pop().expect("REFUND_COUNT > 0");
    refunds.sort_by_key(|r| r.occurred_at);

    items.extend(leads(cal, rng, clicks));
    items.sort_by_key(|i| i.occurred_at);
    Orders {
        conversions: items,
        refunds,
        held_refund,
        late_order,
    }
}
