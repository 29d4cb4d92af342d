//! The traffic of the data set: clicks, conversions (ingested in two halves around changes of
//! offer and of channels) and refunds, through the integrator's operations.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::data_set::{Api, ENROLLMENTS, batches, between, decimal, pick};
use super::{local, ranges, ts};

/// Enrollments whose clicks carry most leads (the LEADS campaign).
const LEAD_ENROLLMENTS: &[usize] = &[4, 5, 6];

const MAIN_CLICKS: usize = 2_500;
const TAIL_CLICKS: usize = 120;
const MAIN_CONVERSIONS: usize = 620;
const TAIL_CONVERSIONS: usize = 40;
const REFUNDED_ORDERS: usize = 60;
const CUSTOMERS: usize = 260;

pub const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
];
const BOTS: &[&str] = &[
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "curl/8.5.0",
];
const REFERRERS: &[&str] = &[
    "https://www.tiktok.com/@creator",
    "https://www.instagram.com/p/abc",
    "https://www.youtube.com/watch?v=xyz",
];
const REGIONS: &[&str] = &["US-NY", "US-CA", "US-TX", "US-FL"];

/// One conversion as generated, kept for refunds.
pub struct Order {
    external_id: String,
    at: DateTime<Utc>,
    amount_minor: i64,
    sale: bool,
    accepted: bool,
}

/// One generated click: its id, time and enrollment index.
pub struct GeneratedClick {
    id: String,
    at: DateTime<Utc>,
    enrollment: usize,
}

/// Clicks over the main period and the tail, 6% from bots, visitors repeating within and
/// across creators (and some with no visitor key at all), plus clicks at and just before
/// each range bound; a replayed batch is all duplicates.
pub async fn clicks(api: &Api<'_>, rng: &mut StdRng) -> Vec<GeneratedClick> {
    let r = ranges();
    let total_weight: u32 = ENROLLMENTS.iter().map(|e| e.4).sum();
    let mut generated = Vec::new();
    let mut items = Vec::new();
    let bounds = [r.midnight.0, r.midnight.1, r.odd.0, r.odd.1];
    let boundary = bounds.iter().flat_map(|b| [*b, *b - Duration::seconds(1)]);
    let mut times: Vec<DateTime<Utc>> = (0..MAIN_CLICKS)
        .map(|_| between(rng, r.main.0, r.main.1))
        .collect();
    times.extend((0..TAIL_CLICKS).map(|_| between(rng, r.tail.0, r.tail.1)));
    times.extend(boundary);
    for (i, at) in times.into_iter().enumerate() {
        let mut roll = rng.random_range(0..total_weight);
        let enrollment = ENROLLMENTS
            .iter()
            .position(|e| {
                if roll < e.4 {
                    true
                } else {
                    roll -= e.4;
                    false
                }
            })
            .expect("a weighted enrollment");
        let visitor = match rng.random_range(0..100) {
            0..75 => Some(format!("v-{enrollment}-{}", rng.random_range(0..70))),
            75..97 => Some(format!("g-{}", rng.random_range(0..150))),
            _ => None,
        };
        let agent = if rng.random_bool(0.06) {
            *pick(rng, BOTS)
        } else {
            *pick(rng, BROWSERS)
        };
        let id = format!("clk-{i:05}");
        items.push(
            json!({ "linkCode": format!("ORACLE-E{enrollment}"), "clickId": id,
            "occurredAt": ts(at), "visitorKey": visitor, "userAgent": agent,
            "referrer": pick(rng, REFERRERS), "country": pick(rng, &["us", "ca", "gb"]) }),
        );
        generated.push(GeneratedClick { id, at, enrollment });
    }
    let mut accepted = 0;
    for batch in batches(&items) {
        let result = api
            .integrator("ingest/RecordClicks", json!({ "clicks": batch }))
            .await;
        assert_eq!(result["recordClicks"]["rejected"], 0, "{result}");
        accepted += result["recordClicks"]["accepted"].as_u64().expect("count");
    }
    assert_eq!(accepted as usize, items.len());
    let replay = api
        .integrator("ingest/RecordClicks", json!({ "clicks": &items[100..130] }))
        .await;
    assert_eq!(replay["recordClicks"]["duplicates"], 30);
    generated
}

/// Conversion inputs (and what refunds need): click-attributed, code-attributed, both
/// (different creators), stale clicks, none at all, self-referrals, leads, three
/// currencies, repeat customers, some with an explicit new-customer flag, and three in JPY
/// (no rate: rejected).
pub fn conversions_plan(rng: &mut StdRng, clicks: &[GeneratedClick]) -> Vec<(Value, Order)> {
    let r = ranges();
    let codes: Vec<&str> = ENROLLMENTS.iter().filter_map(|e| e.3).collect();
    let mut plans = Vec::new();
    let lead_clicks: Vec<&GeneratedClick> = clicks
        .iter()
        .filter(|c| LEAD_ENROLLMENTS.contains(&c.enrollment))
        .collect();
    let tail_clicks: Vec<&GeneratedClick> = clicks.iter().filter(|c| c.at < r.main.0).collect();
    let all_clicks: Vec<&GeneratedClick> = clicks.iter().collect();
    for i in 0..MAIN_CONVERSIONS + TAIL_CONVERSIONS {
        let tail = i >= MAIN_CONVERSIONS;
        let lead = rng.random_bool(0.15);
        let period = if tail { r.tail } else { r.main };
        let mut item = json!({ "kind": if lead { "LEAD" } else { "SALE" } });
        let sources = if tail {
            &tail_clicks
        } else if lead && rng.random_bool(0.7) {
            &lead_clicks
        } else {
            &all_clicks
        };
        let source = *pick(rng, sources);
        let after_click = |rng: &mut StdRng, days: std::ops::Range<i64>| {
            source.at + Duration::seconds(rng.random_range(days.start * 86_400..days.end * 86_400))
        };
        let at = match rng.random_range(0..100) {
            0..58 => {
                item["clickId"] = json!(source.id);
                after_click(rng, 0..6)
            }
            58..78 => {
                item["discountCode"] = json!(pick(rng, &codes).to_lowercase());
                between(rng, period.0, period.1)
            }
            78..84 => {
                item["clickId"] = json!(source.id);
                item["discountCode"] = json!(pick(rng, &codes));
                after_click(rng, 0..3)
            }
            84..89 => {
                // A click that cannot attribute: out of the window, or after the order.
                item["clickId"] = json!(source.id);
                let stale = after_click(rng, 31..40);
                if stale < period.1 {
                    stale
                } else {
                    source.at - Duration::seconds(rng.random_range(60..5 * 86_400))
                }
            }
            _ => between(rng, period.0, period.1),
        };
        // Every order is in the past, whenever the test runs.
        assert!(at < Utc::now() - Duration::hours(1), "{at} is not past");
        // A lead's value (when sent) is not revenue.
        let amount_minor = if lead {
            rng.random_range(1_000..5_000)
        } else {
            rng.random_range(500..30_000)
        };
        let currency = match rng.random_range(0..100) {
            0..68 => "USD",
            68..88 => "EUR",
            _ => "GBP",
        };
        if !lead || rng.random_bool(0.3) {
            item["amount"] = json!(decimal(amount_minor));
            item["currencyCode"] = json!(currency);
        }
        if rng.random_bool(0.88) {
            item["customerKey"] = json!(format!("cust-{}", rng.random_range(0..CUSTOMERS)));
        }
        if rng.random_bool(0.08) {
            item["newCustomer"] = json!(rng.random_bool(0.5));
        }
        item["region"] = json!(pick(rng, REGIONS));
        let external_id = format!("{}-{i:04}", if lead { "lead" } else { "ord" });
        item["externalId"] = json!(external_id);
        item["occurredAt"] = json!(ts(at));
        plans.push((
            item,
            Order {
                external_id,
                at,
                amount_minor,
                sale: !lead,
                accepted: true,
            },
        ));
    }
    // Self-referrals: the creator's own email on the creator's own code (inside the
    // flight of Hal's campaign).
    for i in 0..5 {
        let at = between(
            rng,
            local(2026, 10, 16, 0, 0, 0),
            local(2026, 11, 11, 0, 0, 0),
        );
        let external_id = format!("self-{i}");
        plans.push((
            json!({ "externalId": external_id, "kind": "SALE", "occurredAt": ts(at), "amount": "80.00",
                "discountCode": "HAL10", "customerEmail": "Hal@Creators.test", "customerKey": format!("hal-{i}") }),
            Order { external_id, at, amount_minor: 8_000, sale: true, accepted: true },
        ));
    }
    // Sales exactly at the bounds of the midnight and odd ranges, with a code.
    let bounds = [r.midnight.0, r.midnight.1, r.odd.0, r.odd.1];
    for (i, at) in bounds.into_iter().enumerate() {
        let external_id = format!("edge-{i}");
        plans.push((
            json!({ "externalId": external_id, "kind": "SALE", "occurredAt": ts(at), "amount": "50.00",
                "discountCode": codes[i % codes.len()], "customerKey": format!("edge-{i}") }),
            Order { external_id, at, amount_minor: 5_000, sale: true, accepted: true },
        ));
    }
    for i in 0..3 {
        let at = between(rng, r.main.0, r.main.1);
        let external_id = format!("yen-{i}");
        plans.push((
            json!({ "externalId": external_id, "kind": "SALE", "occurredAt": ts(at), "amount": "1500",
                "currencyCode": "JPY", "discountCode": "AVA10" }),
            Order { external_id, at, amount_minor: 1_500, sale: true, accepted: false },
        ));
    }
    plans
}

/// Ingests in batches of at most 500; every item is accepted except the JPY ones.
pub async fn ingest(api: &Api<'_>, plans: Vec<(Value, Order)>) -> Vec<Order> {
    let (items, orders): (Vec<Value>, Vec<Order>) = plans.into_iter().unzip();
    for batch in batches(&items) {
        let result = api
            .integrator("ingest/RecordConversions", json!({ "conversions": batch }))
            .await;
        for (item, outcome) in batch.iter().zip(
            result["recordConversions"]["results"]
                .as_array()
                .expect("results"),
        ) {
            let rejected_by_design = item["currencyCode"] == "JPY";
            let expected = if rejected_by_design {
                "REJECTED"
            } else {
                "ACCEPTED"
            };
            assert_eq!(outcome["status"], expected, "{item} -> {outcome}");
        }
    }
    orders
}

pub async fn refund(
    api: &Api<'_>,
    order: &str,
    id: &str,
    amount: &str,
    at: DateTime<Utc>,
) -> Value {
    let response = api
        .integrator(
            "ingest/RecordRefund",
            json!({ "input": {
        "externalId": order, "refundId": id, "amount": amount, "occurredAt": ts(at) } }),
        )
        .await;
    response["recordRefund"].clone()
}

/// Full refunds, partial ones, and two partials that add up to the whole order; dated after
/// their order, often outside the ranges (a refund counts against its conversion).
pub async fn refunds(
    api: &Api<'_>,
    rng: &mut StdRng,
    orders: &[Order],
    already: &mut HashSet<String>,
) {
    let candidates: Vec<&Order> = orders
        .iter()
        .filter(|o| {
            o.sale && o.accepted && o.amount_minor > 100 && !already.contains(&o.external_id)
        })
        .collect();
    let mut chosen = HashSet::new();
    while chosen.len() < REFUNDED_ORDERS {
        chosen.insert(rng.random_range(0..candidates.len()));
    }
    let mut chosen: Vec<usize> = chosen.into_iter().collect();
    chosen.sort_unstable();
    for (n, index) in chosen.into_iter().enumerate() {
        let order = candidates[index];
        let at = (order.at + Duration::hours(rng.random_range(1..24 * 15)))
            .min(Utc::now() - Duration::minutes(5));
        let whole = order.amount_minor;
        let parts = match rng.random_range(0..10) {
            0..5 => vec![whole],
            5..8 => vec![whole * rng.random_range(10..90) / 100],
            _ => {
                let first = whole * rng.random_range(30..70) / 100;
                vec![first, whole - first]
            }
        };
        for (j, part) in parts.into_iter().enumerate() {
            let result = refund(
                api,
                &order.external_id,
                &format!("rf-{n}-{j}"),
                &decimal(part),
                at,
            )
            .await;
            assert!(!result.is_null(), "{} has arrived", order.external_id);
        }
        already.insert(order.external_id.clone());
    }
}
