//! The oracle's and the comparison's own checks, without a server.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use partnergraph::db::entity::channel;
use partnergraph::graphql::id::{NodeKind, encode};
use serde_json::{Value, json};

use super::compare::{minor_units, report};
use super::oracle::{Dim, Metrics, Query, compute, money_div, period};
use super::raw::{Dims, Event, Fact, Raw, primary_platforms};
use super::{TIMEZONE, local};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("instant")
        .with_timezone(&Utc)
}

#[test]
fn a_contract_operation_is_taken_with_its_fragments_only() {
    let performance = crate::helpers::contract::operation("performance", "Performance");
    assert!(
        performance.starts_with("query Performance("),
        "{performance}"
    );
    assert!(performance.contains("fragment Metrics on PerformanceMetrics"));
    assert!(performance.contains("key { campaign { id name }"));
    assert!(!performance.contains("CampaignScorecard"));
    assert!(!performance.contains("Forecast"));
    let clicks = crate::helpers::contract::operation("ingest", "RecordClicks");
    assert!(clicks.starts_with("mutation RecordClicks("));
    assert!(clicks.ends_with('}') && !clicks.contains("fragment"));
}

#[test]
fn money_divisions_round_half_to_even() {
    let cases = [
        (5, 2, Some(2)),
        (7, 2, Some(4)),
        (-5, 2, Some(-2)),
        (-7, 2, Some(-4)),
        (1, 3, Some(0)),
        (2, 3, Some(1)),
        (-2, 3, Some(-1)),
        (1_000, 7, Some(143)),
        (10, 0, None),
    ];
    for (n, d, want) in cases {
        assert_eq!(money_div(n, d), want, "{n} / {d}");
    }
}

#[test]
fn periods_are_local_and_weeks_use_the_iso_week_year() {
    let cases = [
        (
            local(2025, 12, 28, 23, 59, 59),
            "2025-12-28",
            "2025-W52",
            "2025-12",
        ),
        (
            local(2025, 12, 29, 0, 0, 0),
            "2025-12-29",
            "2026-W01",
            "2025-12",
        ),
        // 22:00 on New Year's Eve in New York is already January in UTC.
        (
            at("2026-01-01T03:00:00Z"),
            "2025-12-31",
            "2026-W01",
            "2025-12",
        ),
        // The second 01:30 of the DST change, and 23:30 that evening (04:30 UTC next day).
        (
            at("2026-11-01T06:30:00Z"),
            "2026-11-01",
            "2026-W44",
            "2026-11",
        ),
        (
            at("2026-11-02T04:30:00Z"),
            "2026-11-01",
            "2026-W44",
            "2026-11",
        ),
        (
            at("2026-11-02T05:00:00Z"),
            "2026-11-02",
            "2026-W45",
            "2026-11",
        ),
    ];
    for (instant, day, week, month) in cases {
        assert_eq!(period(instant, TIMEZONE, Dim::Day), day, "{instant}");
        assert_eq!(period(instant, TIMEZONE, Dim::Week), week, "{instant}");
        assert_eq!(period(instant, TIMEZONE, Dim::Month), month, "{instant}");
    }
}

#[test]
fn the_primary_platform_is_the_largest_channel_ties_to_the_first() {
    let channel = |id: i64, creator_id: i64, platform: &str, followers: i64| channel::Model {
        id,
        brand_id: 1,
        creator_id,
        platform: platform.into(),
        handle: "@x".into(),
        url: None,
        followers,
        avg_views: None,
        engagement_rate: None,
        audience_countries: "[]".into(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let platforms = primary_platforms(&[
        channel(1, 10, "TIKTOK", 5),
        channel(2, 10, "YOUTUBE", 9),
        channel(3, 11, "YOUTUBE", 7),
        channel(4, 11, "INSTAGRAM", 7),
        channel(6, 12, "X", 1),
        channel(5, 12, "BLOG", 1),
    ]);
    assert_eq!(platforms[&10], "YOUTUBE");
    assert_eq!(platforms[&11], "YOUTUBE");
    assert_eq!(platforms[&12], "BLOG", "the lowest channel id");
    assert!(!platforms.contains_key(&13));
}

#[test]
fn minor_units_parse_decimal_strings() {
    assert_eq!(minor_units("123.45"), Ok(12_345));
    assert_eq!(minor_units("12.5"), Ok(1_250));
    assert_eq!(minor_units("7"), Ok(700));
    assert_eq!(minor_units("-7.50"), Ok(-750));
    assert_eq!(minor_units("0.100"), Ok(10));
    assert!(minor_units("0.125").is_err());
    assert!(minor_units("1e3").is_err());
    assert!(minor_units("").is_err());
}

fn small_raw() -> Raw {
    let dims = |campaign: i64, creator: Option<i64>, platform: Option<&str>| Dims {
        campaign: Some(campaign),
        creator,
        offer: creator.map(|c| c + 100),
        platform: platform.map(str::to_owned),
    };
    let event = |when: &str, dims: Dims, fact: Fact| Event {
        at: at(when),
        dims,
        fact,
    };
    let ava = || dims(1, Some(7), Some("TIKTOK"));
    let bo = || dims(2, Some(8), None);
    Raw {
        timezone: TIMEZONE,
        gross_margin: 0.6,
        currency: "USD".into(),
        events: vec![
            event("2026-10-20T12:00:00Z", ava(), Fact::Click("v1".into())),
            event("2026-10-20T13:00:00Z", ava(), Fact::Click("v1".into())),
            event("2026-10-21T03:00:00Z", ava(), Fact::Click("v2".into())),
            event("2026-10-21T03:30:00Z", bo(), Fact::Click("v2".into())),
            event("2026-10-20T14:00:00Z", ava(), Fact::Impressions(1_000)),
            event(
                "2026-10-20T15:00:00Z",
                ava(),
                Fact::Sale {
                    net_minor: 10_001,
                    counted: true,
                    new_customer: true,
                },
            ),
            event(
                "2026-10-20T16:00:00Z",
                ava(),
                Fact::Sale {
                    net_minor: 0,
                    counted: false,
                    new_customer: true,
                },
            ),
            event(
                "2026-10-20T17:00:00Z",
                ava(),
                Fact::Sale {
                    net_minor: 2_500,
                    counted: true,
                    new_customer: false,
                },
            ),
            event("2026-10-21T03:40:00Z", bo(), Fact::Lead),
            event("2026-10-20T15:00:00Z", ava(), Fact::Commission(1_250)),
            event("2026-10-21T03:40:00Z", bo(), Fact::Commission(-100)),
            event(
                "2026-10-21T12:00:00Z",
                dims(2, None, None),
                Fact::Cost(5_000),
            ),
        ],
        campaign_names: HashMap::from([(1, "One".into()), (2, "Two".into())]),
        creator_names: HashMap::from([(7, "Ava".into()), (8, "Bo".into())]),
        census: BTreeMap::new(),
    }
}

fn money(minor: Option<i64>) -> Value {
    minor.map_or(
        Value::Null,
        |m| json!({ "amount": super::data_set::decimal(m), "currencyCode": "USD" }),
    )
}

fn render_metrics(m: &Metrics) -> Value {
    json!({ "clicks": m.clicks, "uniqueClicks": m.unique_clicks, "impressions": m.impressions,
        "sales": m.sales, "leads": m.leads, "newCustomers": m.new_customers,
        "revenue": money(m.revenue), "commissions": money(m.commissions),
        "otherCosts": money(m.other_costs), "spend": money(m.spend), "ctr": m.ctr,
        "conversionRate": m.conversion_rate, "aov": money(m.aov), "cpa": money(m.cpa),
        "cac": money(m.cac), "roas": m.roas, "roi": m.roi, "epc": money(m.epc) })
}

#[test]
fn the_oracle_adds_up_and_the_comparison_catches_each_kind_of_difference() {
    let raw = small_raw();
    let query = Query {
        from: at("2026-10-01T00:00:00Z"),
        to: at("2026-11-01T00:00:00Z"),
        group_by: Some(vec![Dim::Creator, Dim::Day]),
        campaigns: None,
        creators: None,
        platforms: None,
    };
    let expected = compute(&raw, &query);
    let t = &expected.totals;
    assert_eq!(
        (t.clicks, t.unique_clicks, t.sales, t.leads, t.new_customers),
        (4, 2, 2, 1, 1)
    );
    assert_eq!(
        (t.revenue, t.commissions, t.other_costs, t.spend),
        (Some(12_501), Some(1_150), Some(5_000), Some(6_150))
    );
    assert_eq!(
        (t.aov, t.cpa, t.cac, t.epc),
        (Some(6_250), Some(3_075), Some(6_150), Some(288))
    );
    assert_eq!(t.roi, Some((12_501.0 * 0.6 - 6_150.0) / 6_150.0));
    // 03:00Z on the 21st is still the 20th in New York; the cost has no creator.
    let periods: Vec<(Option<i64>, Option<String>)> = expected
        .rows
        .keys()
        .map(|k| (k.creator, k.period.clone()))
        .collect();
    assert_eq!(
        periods,
        [
            (None, Some("2026-10-21".into())),
            (Some(7), Some("2026-10-20".into())),
            (Some(8), Some("2026-10-20".into())),
        ]
    );

    let rows: Vec<Value> = expected
        .rows
        .iter()
        .map(|(key, m)| {
            let creator = key.creator.map(|c| {
                json!({ "id": encode(NodeKind::Creator, c).0, "displayName": raw.creator_names[&c] })
            });
            json!({ "key": { "campaign": null, "creator": creator, "platform": null, "offer": null,
                "period": key.period }, "metrics": render_metrics(m) })
        })
        .collect();
    let response = json!({ "data": { "performance": {
        "totals": render_metrics(&expected.totals), "rows": rows } } });
    assert_eq!(
        report("self", &query, &raw, &expected, &response),
        Vec::<String>::new()
    );

    let mut changed = response.clone();
    changed["data"]["performance"]["rows"][1]["metrics"]["revenue"]["amount"] = json!("125.02");
    let found = report("self", &query, &raw, &expected, &changed);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("Ava#7") && found[0].contains("revenue: expected 125.01, got 125.02"),
        "{found:?}"
    );
    assert!(found[1].contains("add up"), "{found:?}");

    let mut missing = response.clone();
    missing["data"]["performance"]["rows"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    let found = report("self", &query, &raw, &expected, &missing);
    assert!(found.iter().any(|f| f.contains("missing row")), "{found:?}");

    let mut renamed = response.clone();
    renamed["data"]["performance"]["rows"][2]["key"]["creator"]["displayName"] = json!("Bob");
    let found = report("self", &query, &raw, &expected, &renamed);
    assert!(found.iter().any(|f| f.contains("named")), "{found:?}");

    let mut ratio = response.clone();
    ratio["data"]["performance"]["totals"]["conversionRate"] = json!(0.5 + 1e-6);
    let found = report("self", &query, &raw, &expected, &ratio);
    assert!(
        found.iter().any(|f| f.contains("totals | conversionRate")),
        "{found:?}"
    );

    let failed = json!({ "errors": [ { "message": "Unknown field" } ] });
    assert!(report("self", &query, &raw, &expected, &failed)[0].contains("failed"));
}
