//! The `performance` report on a small hand-worked program: every metric, groupings, ranges
//! that do and do not fall on local midnights (rollups and raw edge days must agree), the
//! creator's own view, the campaign scorecard, and who may read what.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{self, World, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const REPORT: &str = "query ($filter: PerformanceFilter!, $groupBy: [PerformanceDimension!]) {
  performance(filter: $filter, groupBy: $groupBy) {
    totals { clicks uniqueClicks sales leads newCustomers revenue { amount } commissions { amount }
             otherCosts { amount } spend { amount } conversionRate aov { amount } cpa { amount }
             cac { amount } roas roi epc { amount } ctr impressions }
    rows { key { period periodStart campaign { name } creator { displayName } }
           metrics { clicks uniqueClicks sales revenue { amount } commissions { amount } otherCosts { amount } } } } }";

/// Midnight UTC (the world brand's timezone) five days ago.
fn base() -> DateTime<Utc> {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    today - Duration::days(5)
}

fn at(hours: i64) -> String {
    (base() + Duration::hours(hours)).to_rfc3339()
}

/// Clicks, three sales by code (one fully refunded), a cost; returns the world.
async fn program(app: &TestApp) -> World {
    let w = world::world(app).await;
    world::tracking_link(app, &w.admin, &w.enrollment_a, "cora-perf").await;
    world::discount_code(app, &w.admin, &w.enrollment_a, "CORA").await;
    let clicks = json!([
        { "linkCode": "cora-perf", "occurredAt": at(12), "visitorKey": "v1", "userAgent": "Mozilla/5.0" },
        { "linkCode": "cora-perf", "occurredAt": at(13), "visitorKey": "v1", "userAgent": "Mozilla/5.0" },
        { "linkCode": "cora-perf", "occurredAt": at(36), "visitorKey": "v2", "userAgent": "Mozilla/5.0" },
        { "linkCode": "cora-perf", "occurredAt": at(37), "visitorKey": "v3", "userAgent": "Googlebot/2.1" },
    ]);
    world::record_clicks(app, &w.key, clicks).await;
    let sale = |id: &str, amount: &str, hours: i64, customer: &str| {
        json!({ "externalId": id, "kind": "SALE", "amount": amount, "discountCode": "CORA",
                "customerKey": customer, "occurredAt": at(hours) })
    };
    let response = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [
                sale("o-1", "100.00", 14, "c-1"),
                sale("o-2", "50.00", 15, "c-1"),
                sale("o-3", "80.00", 40, "c-2"),
            ]}),
        )
        .await;
    data(&response);
    let refund = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordRefund",
            json!({ "input": {
            "externalId": "o-3", "refundId": "r-3", "amount": "80.00", "occurredAt": at(60) } }),
        )
        .await;
    data(&refund);
    let cost = app
        .contract(
            Some(&w.admin),
            "campaigns",
            "RecordCost",
            json!({ "input": {
            "campaignId": w.campaign_a, "kind": "GIFTING",
            "amount": { "amount": "30.00", "currencyCode": "USD" }, "incurredAt": at(20) } }),
        )
        .await;
    data(&cost);
    w
}

async fn report(app: &TestApp, token: &str, from: &str, to: &str, group_by: Value) -> Value {
    app.graphql_as(
        Some(token),
        REPORT,
        json!({ "filter": { "from": from, "to": to }, "groupBy": group_by }),
    )
    .await
}

fn amount(value: &Value) -> &str {
    value["amount"].as_str().unwrap_or("null")
}

async fn every_metric_on_a_hand_worked_program(app: TestApp) {
    let w = program(&app).await;
    let response = report(&app, &w.analyst, &at(0), &at(96), json!([])).await;
    let t = &data(&response)["performance"]["totals"];
    assert_eq!(t["clicks"], 3, "the bot is left out");
    assert_eq!(t["uniqueClicks"], 2);
    assert_eq!(t["sales"], 2, "o-3 is fully refunded");
    assert_eq!(t["newCustomers"], 1, "c-1 is new once");
    assert_eq!(amount(&t["revenue"]), "150.00");
    // CPA $20 x 3, and the full refund reverses o-3's line.
    assert_eq!(amount(&t["commissions"]), "40.00");
    assert_eq!(amount(&t["otherCosts"]), "30.00");
    assert_eq!(amount(&t["spend"]), "70.00");
    assert_eq!(amount(&t["aov"]), "75.00");
    assert_eq!(amount(&t["cpa"]), "35.00");
    assert_eq!(amount(&t["cac"]), "70.00");
    assert_eq!(amount(&t["epc"]), "13.33");
    let float = |v: &Value| v.as_f64().unwrap();
    assert!((float(&t["conversionRate"]) - 2.0 / 3.0).abs() < 1e-12);
    assert!((float(&t["roas"]) - 150.0 / 70.0).abs() < 1e-12);
    assert!((float(&t["roi"]) - 80.0 / 70.0).abs() < 1e-12);
    assert!(
        t["ctr"].is_null(),
        "no impressions: null, never 0 or infinity"
    );
    assert_eq!(t["impressions"], 0);

    // By day: rows add up to the totals, the campaign-level cost has its own day.
    let by_day = report(&app, &w.admin, &at(0), &at(96), json!(["DAY", "CREATOR"])).await;
    let rows = data(&by_day)["performance"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    let periods: Vec<&str> = rows
        .iter()
        .map(|r| r["key"]["period"].as_str().unwrap())
        .collect();
    let day = |d: i64| (base() + Duration::days(d)).format("%Y-%m-%d").to_string();
    assert_eq!(periods, [day(0), day(0), day(1)], "{rows:?}");
    // Grouped or not, the totals count the same visitors (grouped, from the brand's sketches).
    for group_by in [
        json!(["DAY", "CREATOR"]),
        json!(["CREATOR"]),
        json!(["CAMPAIGN"]),
    ] {
        let grouped = report(&app, &w.admin, &at(0), &at(96), group_by.clone()).await;
        let totals = &data(&grouped)["performance"]["totals"];
        assert_eq!(totals["uniqueClicks"], 2, "{group_by}");
        assert_eq!(totals["clicks"], 3, "{group_by}");
    }
    assert_eq!(rows[0]["key"]["creator"]["displayName"], "Cora Creator");
    assert_eq!(rows[0]["metrics"]["clicks"], 2);
    assert_eq!(rows[0]["metrics"]["uniqueClicks"], 1);
    assert_eq!(amount(&rows[0]["metrics"]["revenue"]), "150.00");
    assert!(
        rows[1]["key"]["creator"].is_null(),
        "the cost has no creator"
    );
    assert_eq!(amount(&rows[1]["metrics"]["otherCosts"]), "30.00");
    assert_eq!(rows[2]["metrics"]["sales"], 0);
    assert_eq!(amount(&rows[2]["metrics"]["revenue"]), "0.00");
    assert_eq!(
        amount(&rows[2]["metrics"]["commissions"]),
        "0.00",
        "line and reversal"
    );
    assert_eq!(
        rows[0]["key"]["periodStart"],
        json!(base().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
}

async fn ragged_ranges_read_edges_from_events(app: TestApp) {
    let w = program(&app).await;
    let aligned = report(&app, &w.admin, &at(0), &at(96), json!(["DAY"])).await;
    // Bounds inside days: 11:30 on day 0 to 14:30 on day 1 keep every event but the last sale.
    let ragged = report(&app, &w.admin, &at(-1), &at(39), json!(["DAY"])).await;
    let a = &data(&aligned)["performance"]["totals"];
    let r = &data(&ragged)["performance"]["totals"];
    assert_eq!(a["clicks"], r["clicks"]);
    assert_eq!(a["uniqueClicks"], r["uniqueClicks"]);
    assert_eq!(amount(&r["revenue"]), "150.00");
    assert_eq!(
        amount(&r["commissions"]),
        "40.00",
        "o-3's line and reversal are both outside"
    );
    let tight = report(&app, &w.admin, &at(13), &at(15), json!([])).await;
    let t = &data(&tight)["performance"]["totals"];
    assert_eq!(t["clicks"], 1, "only the 13:00 click");
    assert_eq!(t["sales"], 1, "only o-1 at 14:00");
    assert_eq!(amount(&t["revenue"]), "100.00");
}

async fn creators_see_their_own_numbers_without_the_margin(app: TestApp) {
    let w = program(&app).await;
    let mine = app
        .contract(
            Some(&w.creator),
            "creator-portal",
            "MyPerformance",
            json!({ "from": at(0), "to": at(96) }),
        )
        .await;
    let mine = &data(&mine)["myPerformance"];
    assert_eq!(mine["clicks"], 3);
    assert_eq!(mine["sales"], 2);
    assert_eq!(amount(&mine["commissions"]), "40.00");
    assert_eq!(amount(&mine["epc"]), "13.33");
    let full = app
        .graphql_as(Some(&w.creator), "query ($f: PerformanceFilter!) { myPerformanceReport(filter: $f) { totals { otherCosts { amount } roi roas } } }",
            json!({ "f": { "from": at(0), "to": at(96) } }))
        .await;
    let totals = &data(&full)["myPerformanceReport"]["totals"];
    assert_eq!(
        amount(&totals["otherCosts"]),
        "0.00",
        "the campaign-level cost is not hers"
    );
    assert!(totals["roi"].is_null());
    assert!(totals["roas"].as_f64().is_some());

    let forbidden = report(&app, &w.creator, &at(0), &at(96), json!([])).await;
    assert_eq!(error_codes(&forbidden), ["FORBIDDEN"]);
    let integrator = report(&app, &w.key, &at(0), &at(96), json!([])).await;
    assert_eq!(error_codes(&integrator), ["FORBIDDEN"]);
    let staff_portal = app
        .contract(
            Some(&w.admin),
            "creator-portal",
            "MyPerformance",
            json!({ "from": at(0), "to": at(96) }),
        )
        .await;
    assert_eq!(error_codes(&staff_portal), ["FORBIDDEN"]);
}

async fn bad_reports_are_refused_with_a_code(app: TestApp) {
    let w = program(&app).await;
    let grains = report(&app, &w.admin, &at(0), &at(96), json!(["DAY", "MONTH"])).await;
    assert_eq!(error_codes(&grains), ["BAD_USER_INPUT"]);
    let backwards = report(&app, &w.admin, &at(96), &at(0), json!([])).await;
    assert_eq!(error_codes(&backwards), ["BAD_USER_INPUT"]);
    let wrong_id = app
        .graphql_as(
            Some(&w.admin),
            REPORT,
            json!({ "filter": { "from": at(0), "to": at(96), "campaignIds": [w.creator_a] } }),
        )
        .await;
    assert_eq!(
        error_codes(&wrong_id),
        ["NOT_FOUND"],
        "an id of another kind names nothing"
    );
    // Another brand's campaign matches nothing of this brand.
    let foreign = app
        .graphql_as(
            Some(&w.admin_b),
            REPORT,
            json!({ "filter": { "from": at(0), "to": at(96), "campaignIds": [w.campaign_a] } }),
        )
        .await;
    assert_eq!(data(&foreign)["performance"]["totals"]["clicks"], 0);
}

async fn the_scorecard_compares_with_targets(app: TestApp) {
    let w = program(&app).await;
    let update = app
        .graphql_as(Some(&w.admin), "mutation ($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id } }",
            json!({ "input": { "id": w.campaign_a, "targetCpa": { "amount": "28.00", "currencyCode": "USD" }, "targetRoas": "2.5" } }))
        .await;
    data(&update);
    let card = app
        .contract(
            Some(&w.analyst),
            "performance",
            "CampaignScorecard",
            json!({ "id": w.campaign_a, "from": at(0), "to": at(96) }),
        )
        .await;
    let perf = &data(&card)["node"]["performance"];
    assert_eq!(amount(&perf["metrics"]["cpa"]), "35.00");
    assert!((perf["cpaVsTarget"].as_f64().unwrap() - 35.0 / 28.0).abs() < 1e-12);
    assert!((perf["roasVsTarget"].as_f64().unwrap() - (150.0 / 70.0) / 2.5).abs() < 1e-12);
    let other = text(&data(&card)["node"]["id"]);
    assert_eq!(other, w.campaign_a);
    let foreign = app
        .contract(
            Some(&w.admin_b),
            "performance",
            "CampaignScorecard",
            json!({ "id": w.campaign_a, "from": at(0), "to": at(96) }),
        )
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
}

async fn forecasts_project_the_lookback_window(app: TestApp) {
    let w = program(&app).await;
    let forecast = |token: &str, campaign: &str, amount: &str, currency: &str| {
        let vars = json!({ "input": { "campaignId": campaign,
            "budget": { "amount": amount, "currencyCode": currency }, "lookbackDays": 30 } });
        let token = token.to_owned();
        let app = &app;
        async move {
            app.contract(Some(&token), "performance", "Forecast", vars)
                .await
        }
    };
    let answer = forecast(&w.analyst, &w.campaign_a, "700.00", "USD").await;
    let f = &data(&answer)["forecast"];
    // The window: 2 sales, revenue $150, spend $70 (commissions $40 + cost $30).
    assert!((f["expectedSales"].as_f64().unwrap() - 20.0).abs() < 1e-12);
    assert_eq!(amount(&f["expectedRevenue"]), "1500.00");
    assert_eq!(amount(&f["expectedCpa"]), "35.00");
    assert!((f["expectedRoas"].as_f64().unwrap() - 150.0 / 70.0).abs() < 1e-12);
    let basis = f["basis"].as_str().unwrap();
    assert!(
        basis.contains("30 days") && basis.contains("2 sales"),
        "{basis}"
    );

    let euros = forecast(&w.admin, &w.campaign_a, "700.00", "EUR").await;
    assert_eq!(error_codes(&euros), ["BAD_USER_INPUT"]);
    let (empty, _) = world::campaign_with_offer(&app, &w.admin, "Empty").await;
    let no_history = forecast(&w.admin, &empty, "700.00", "USD").await;
    assert_eq!(error_codes(&no_history), ["BAD_USER_INPUT"]);
    assert!(
        no_history["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("history")
    );
    let creator = forecast(&w.creator, &w.campaign_a, "700.00", "USD").await;
    assert_eq!(error_codes(&creator), ["FORBIDDEN"]);
    let foreign = forecast(&w.admin_b, &w.campaign_a, "700.00", "USD").await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
}

const PAGED: &str = "query ($filter: PerformanceFilter!, $groupBy: [PerformanceDimension!],
                      $first: Int, $after: String) {
  performance(filter: $filter, groupBy: $groupBy, first: $first, after: $after) {
    totals { clicks sales revenue { amount } }
    rowCount
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    rows { key { period creator { displayName } } metrics { clicks otherCosts { amount } } } } }";

async fn report_rows_come_in_pages(app: TestApp) {
    let w = program(&app).await;
    let filter = json!({ "from": at(0), "to": at(96) });
    let group_by = json!(["DAY", "CREATOR"]);
    let whole = app
        .graphql_as(
            Some(&w.admin),
            PAGED,
            json!({ "filter": filter, "groupBy": group_by }),
        )
        .await;
    let whole = &data(&whole)["performance"];
    assert_eq!(whole["rowCount"], 3);
    assert_eq!(whole["pageInfo"]["hasNextPage"], false);
    assert_eq!(whole["pageInfo"]["hasPreviousPage"], false);

    let mut rows = Vec::new();
    let mut after = Value::Null;
    for expected_more in [true, true, false] {
        let response = app
            .graphql_as(
                Some(&w.admin),
                PAGED,
                json!({ "filter": filter, "groupBy": group_by, "first": 1, "after": after }),
            )
            .await;
        let page = &data(&response)["performance"];
        assert_eq!(page["totals"], whole["totals"], "totals cover every page");
        assert_eq!(page["rowCount"], 3);
        assert_eq!(page["pageInfo"]["hasNextPage"], expected_more);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
        let page_rows = page["rows"].as_array().unwrap();
        assert_eq!(page_rows.len(), 1);
        assert_eq!(
            page["pageInfo"]["startCursor"],
            page["pageInfo"]["endCursor"]
        );
        rows.extend(page_rows.iter().cloned());
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        Value::Array(rows),
        whole["rows"],
        "the pages are the report"
    );

    // Past the last row: an empty page, still with its totals.
    let past = app
        .graphql_as(
            Some(&w.admin),
            PAGED,
            json!({ "filter": filter, "groupBy": group_by, "after": after }),
        )
        .await;
    let past = &data(&past)["performance"];
    assert_eq!(past["rows"], json!([]));
    assert_eq!(past["pageInfo"]["endCursor"], Value::Null);
    assert_eq!(past["totals"], whole["totals"]);

    for (first, after) in [
        (json!(0), Value::Null),
        (json!(5001), Value::Null),
        (json!(2), json!("bm9wZQ")),
    ] {
        let bad = app
            .graphql_as(
                Some(&w.admin),
                PAGED,
                json!({ "filter": filter, "groupBy": group_by, "first": first, "after": after }),
            )
            .await;
        assert_eq!(
            error_codes(&bad),
            ["BAD_USER_INPUT"],
            "first {first}, after {after}"
        );
    }
}

/// The pages after the first are cut from the first page's computation: they agree with it even
/// when events arrive in between; a new first page sees the new events.
async fn pages_come_from_their_first_pages_computation(app: TestApp) {
    let w = program(&app).await;
    let page = |after: Value| {
        json!({ "filter": { "from": at(0), "to": at(96) }, "groupBy": ["DAY", "CREATOR"],
                "first": 1, "after": after })
    };
    let first = app
        .graphql_as(Some(&w.admin), PAGED, page(Value::Null))
        .await;
    let first = &data(&first)["performance"];
    assert_eq!(first["totals"]["clicks"], 3);
    let click = json!([{ "linkCode": "cora-perf", "occurredAt": at(50), "visitorKey": "v9",
                         "userAgent": "Mozilla/5.0" }]);
    let recorded = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": click }),
        )
        .await;
    assert_eq!(data(&recorded)["recordClicks"]["accepted"], 1);

    let second = app
        .graphql_as(
            Some(&w.admin),
            PAGED,
            page(first["pageInfo"]["endCursor"].clone()),
        )
        .await;
    let second = &data(&second)["performance"];
    assert_eq!(
        second["totals"], first["totals"],
        "the first page's computation"
    );
    assert_eq!(second["rowCount"], 3);

    let again = app
        .graphql_as(Some(&w.admin), PAGED, page(Value::Null))
        .await;
    let again = &data(&again)["performance"];
    assert_eq!(
        again["totals"]["clicks"], 4,
        "a first page is computed anew"
    );
    let next = app
        .graphql_as(
            Some(&w.admin),
            PAGED,
            page(again["pageInfo"]["endCursor"].clone()),
        )
        .await;
    assert_eq!(data(&next)["performance"]["totals"]["clicks"], 4);

    // Another brand's staff asking with the same cursor get their own report.
    let foreign = app
        .graphql_as(
            Some(&w.admin_b),
            PAGED,
            page(again["pageInfo"]["endCursor"].clone()),
        )
        .await;
    assert_eq!(data(&foreign)["performance"]["totals"]["clicks"], 0);
}

on_both_backends!(
    pages_come_from_their_first_pages_computation,
    report_rows_come_in_pages,
    forecasts_project_the_lookback_window,
    every_metric_on_a_hand_worked_program,
    ragged_ranges_read_edges_from_events,
    creators_see_their_own_numbers_without_the_margin,
    bad_reports_are_refused_with_a_code,
    the_scorecard_compares_with_targets,
);
