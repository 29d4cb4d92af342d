//! Reports ordered by a metric and cut to the top N (`orderBy`, `first`): `performance`,
//! `myPerformanceReport` and `ltv`; their pages; unique clicks counted only when read; and bad
//! input refused before anything is computed.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{self, World};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const BY_DAY: &str = "query ($filter: PerformanceFilter!, $first: Int, $after: String,
                             $orderBy: PerformanceOrder) {
  performance(filter: $filter, groupBy: [DAY], first: $first, after: $after, orderBy: $orderBy) {
    rowCount
    rows { key { period } metrics { sales revenue { amount } aov { amount } } }
    pageInfo { hasNextPage endCursor } } }";

/// Midnight UTC (the world brand's timezone) six days ago.
fn base() -> DateTime<Utc> {
    let today = Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap();
    today.and_utc() - Duration::days(6)
}

fn at(hours: i64) -> String {
    (base() + Duration::hours(hours)).to_rfc3339()
}

fn day(days: i64) -> String {
    (base() + Duration::days(days)).date_naive().to_string()
}

/// Sales by code on four days: 120.00 (day 0), 40.00 (day 1), 120.00 (day 2, a tie with day 0),
/// and on day 3 clicks only (no sale: its AOV is null). Each sale is a new customer's.
async fn program(app: &TestApp) -> World {
    let w = world::world(app).await;
    world::tracking_link(app, &w.admin, &w.enrollment_a, "rank-link").await;
    world::discount_code(app, &w.admin, &w.enrollment_a, "RANK").await;
    let click = |hours: i64, visitor: &str| {
        json!({ "linkCode": "rank-link", "occurredAt": at(hours), "visitorKey": visitor,
                "userAgent": "Mozilla/5.0" })
    };
    let clicks = json!([
        click(10, "v1"),
        click(34, "v2"),
        click(58, "v3"),
        click(82, "v4")
    ]);
    world::record_clicks(app, &w.key, clicks).await;
    let sale = |id: &str, amount: &str, hours: i64| {
        json!({ "externalId": id, "kind": "SALE", "amount": amount, "discountCode": "RANK",
                "customerKey": format!("customer-{id}"), "occurredAt": at(hours) })
    };
    let sales = json!([
        sale("r-1", "120.00", 12),
        sale("r-2", "40.00", 36),
        sale("r-3", "120.00", 60),
    ]);
    world::record_conversions(app, &w.key, sales).await;
    w
}

fn filter() -> Value {
    json!({ "from": at(0), "to": at(24 * 5) })
}

fn periods(report: &Value) -> Vec<String> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["key"]["period"].as_str().unwrap().to_owned())
        .collect()
}

fn field(response: &Value) -> &Value {
    &response["errors"][0]["extensions"]["field"]
}

/// Every row of the report in `order`, read `first` rows at a time through the cursors.
async fn all_pages(app: &TestApp, token: &str, order: Value, first: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let variables =
            json!({ "filter": filter(), "orderBy": order, "first": first, "after": after });
        let response = app.graphql_as(Some(token), BY_DAY, variables).await;
        let page = &data(&response)["performance"];
        assert_eq!(page["rowCount"], 4);
        seen.extend(periods(page));
        if page["pageInfo"]["hasNextPage"] == false {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn rows_come_in_the_order_of_any_metric(app: TestApp) {
    let w = program(&app).await;
    let (d0, d1, d2, d3) = (day(0), day(1), day(2), day(3));
    let unordered = app
        .graphql_as(Some(&w.analyst), BY_DAY, json!({ "filter": filter() }))
        .await;
    assert_eq!(
        periods(&data(&unordered)["performance"]),
        [d0.as_str(), &d1, &d2, &d3],
        "without orderBy, rows come in key order"
    );

    // Ties (days 0 and 2) keep key order; a row without a value (no sale: no AOV) comes last
    // in both directions.
    let revenue_desc = json!({ "metric": "REVENUE", "direction": "DESC" });
    assert_eq!(
        all_pages(&app, &w.analyst, revenue_desc, 1).await,
        [d0.as_str(), &d2, &d1, &d3]
    );
    let aov_asc = json!({ "metric": "AOV", "direction": "ASC" });
    assert_eq!(
        all_pages(&app, &w.analyst, aov_asc, 3).await,
        [d1.as_str(), &d0, &d2, &d3]
    );
    // DESC is the default direction.
    let aov = json!({ "metric": "AOV" });
    assert_eq!(
        all_pages(&app, &w.analyst, aov, 2).await,
        [d0.as_str(), &d2, &d1, &d3]
    );

    // The top 1 by sales, with the whole report's row count.
    let top = app
        .graphql_as(
            Some(&w.analyst),
            BY_DAY,
            json!({ "filter": filter(), "first": 1, "orderBy": { "metric": "SALES" } }),
        )
        .await;
    let top = &data(&top)["performance"];
    assert_eq!(periods(top), [d0]);
    assert_eq!(top["rowCount"], 4);
    assert_eq!(top["pageInfo"]["hasNextPage"], true);
    assert_eq!(top["rows"][0]["metrics"]["revenue"]["amount"], "120.00");
}

async fn creators_and_ltv_order_their_rows_too(app: TestApp) {
    let w = program(&app).await;
    let mine = app
        .graphql_as(
            Some(&w.creator),
            "query ($filter: PerformanceFilter!) {
               myPerformanceReport(filter: $filter, groupBy: [DAY], first: 2,
                                   orderBy: { metric: REVENUE, direction: ASC }) {
                 rowCount rows { key { period } } } }",
            json!({ "filter": filter() }),
        )
        .await;
    let mine = &data(&mine)["myPerformanceReport"];
    assert_eq!(mine["rowCount"], 4);
    assert_eq!(periods(mine), [day(3), day(1)]);

    let ltv = |order: Value, first: Value| {
        app.graphql_as(
            Some(&w.analyst),
            "query ($filter: PerformanceFilter!, $first: Int, $orderBy: LtvOrder) {
               ltv(filter: $filter, days: 30, groupBy: [DAY], first: $first, orderBy: $orderBy) {
                 rowCount rows { key { period } revenue { amount } } } }",
            json!({ "filter": filter(), "first": first, "orderBy": order }),
        )
    };
    let top = ltv(json!({ "metric": "REVENUE" }), json!(2)).await;
    let top = &data(&top)["ltv"];
    assert_eq!(top["rowCount"], 3, "three acquired customers' days");
    assert_eq!(periods(top), [day(0), day(2)]);
    let all = ltv(
        json!({ "metric": "REVENUE", "direction": "ASC" }),
        Value::Null,
    )
    .await;
    assert_eq!(periods(&data(&all)["ltv"]), [day(1), day(0), day(2)]);
    let too_many = ltv(Value::Null, json!(5_001)).await;
    assert_eq!(error_codes(&too_many), ["BAD_USER_INPUT"]);
    assert_eq!(field(&too_many), "first");
}

/// The statements a report request ran, and its `performance` answer.
async fn counted(app: &TestApp, token: &str, query: &str, order: Value) -> (usize, Value) {
    let before = app.statements();
    let variables = json!({ "filter": filter(), "orderBy": order });
    let response = app.graphql_as(Some(token), query, variables).await;
    (
        app.statements() - before,
        data(&response)["performance"].clone(),
    )
}

/// Distinct visitors are the costliest part of a report: they are counted only when a
/// selection reads `uniqueClicks` (or the rows are ordered by it).
async fn unique_clicks_are_counted_only_when_read(app: TestApp) {
    let w = program(&app).await;
    let without = "query ($filter: PerformanceFilter!, $orderBy: PerformanceOrder) {
      performance(filter: $filter, groupBy: [DAY], orderBy: $orderBy) {
        totals { clicks sales } rows { metrics { clicks } } } }";
    let with = "query ($filter: PerformanceFilter!, $orderBy: PerformanceOrder) {
      performance(filter: $filter, groupBy: [DAY], orderBy: $orderBy) {
        totals { clicks sales } rows { metrics { clicks ...U } } } }
      fragment U on PerformanceMetrics { uniqueClicks }";
    // The caller's first request reads its session; the compared ones find it cached.
    data(
        &app.graphql_as(Some(&w.analyst), "{ __typename }", json!({}))
            .await,
    );
    let (lean, lean_report) = counted(&app, &w.analyst, without, Value::Null).await;
    let (full, full_report) = counted(&app, &w.analyst, with, Value::Null).await;
    assert!(
        lean < full,
        "without uniqueClicks {lean} statements, with it {full}"
    );
    assert_eq!(lean_report["totals"], full_report["totals"]);
    assert_eq!(full_report["rows"][0]["metrics"]["uniqueClicks"], 1);
    // Ordered by unique clicks: counted even though not read.
    let by_uniques = json!({ "metric": "UNIQUE_CLICKS" });
    let (ordered, _) = counted(&app, &w.analyst, without, by_uniques).await;
    assert_eq!(ordered, full);
}

async fn bad_report_requests_name_their_field(app: TestApp) {
    let w = program(&app).await;
    let ask = |variables: Value| app.graphql_as(Some(&w.analyst), BY_DAY, variables);

    let long = json!({ "from": (base() - Duration::days(800)).to_rfc3339(), "to": at(0) });
    let before = app.statements();
    let response = ask(json!({ "filter": long })).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "to");
    assert!(
        app.statements() - before <= 2,
        "refused before the report is computed"
    );
    let two_years = json!({ "from": (base() - Duration::days(731)).to_rfc3339(), "to": at(0) });
    data(&ask(json!({ "filter": two_years })).await);

    let response = ask(json!({ "filter": filter(), "first": 5_001 })).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "first");

    let response = ask(json!({ "filter": filter(), "orderBy": { "metric": "PROFIT" } })).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "orderBy.metric");

    // A scalar that does not parse names its field too, in the document or in a variable.
    let literal = r#"{ performance(filter: { from: "yesterday", to: "2026-01-01T00:00:00Z" }) {
                         rowCount } }"#;
    let response = app.graphql_as(Some(&w.analyst), literal, json!({})).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "filter.from");
    let response = ask(json!({ "filter": { "from": "yesterday", "to": at(0) } })).await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert_eq!(field(&response), "filter.from", "in a variable");

    // A cursor belongs to its order.
    let by_revenue = ask(json!({ "filter": filter(), "first": 1,
                                 "orderBy": { "metric": "REVENUE" } }))
    .await;
    let cursor = data(&by_revenue)["performance"]["pageInfo"]["endCursor"].clone();
    for other in [json!({ "metric": "SALES" }), Value::Null] {
        let response = ask(json!({ "filter": filter(), "after": cursor, "orderBy": other })).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{other}");
        assert_eq!(field(&response), "after");
    }
}

const TOP_CREATORS: &str = "query ($filter: PerformanceFilter!, $first: Int) {
  performance(filter: $filter, groupBy: [CREATOR], first: $first,
              orderBy: { metric: REVENUE, direction: DESC }) {
    rowCount
    rows { key { creator { id } } metrics { sales revenue { amount } } }
    pageInfo { hasNextPage } } }";

/// A top page over a range that ends inside a month on both sides is ranked from the month
/// minus its days outside the range (`domain::signed_cover`): a sale outside the range is
/// subtracted, and a creator whose only events are outside it is not a row, though its month
/// has rows.
async fn top_pages_subtract_the_days_outside_the_range(app: TestApp) {
    let w = world::world(&app).await;
    let sam = world::enroll_spare(&app, &w).await;
    world::discount_code(&app, &w.admin, &w.enrollment_a, "CORA").await;
    world::discount_code(&app, &w.admin, &sam, "SAM").await;
    let sale = |id: &str, code: &str, amount: &str, at: &str| {
        json!({ "externalId": id, "kind": "SALE", "amount": amount, "discountCode": code,
                "occurredAt": at })
    };
    let sales = json!([
        sale("in", "CORA", "100.00", "2026-10-20T12:00:00Z"),
        sale("before", "CORA", "30.00", "2026-10-03T12:00:00Z"),
        sale("after", "CORA", "7.00", "2026-10-31T12:00:00Z"),
        sale("only-outside", "SAM", "500.00", "2026-10-02T12:00:00Z"),
    ]);
    world::record_conversions(&app, &w.key, sales).await;
    let (from, to) = ("2026-10-06", "2026-10-31");
    // The range is read as October minus its other days, not as weeks and days.
    let day = |d: &str| d.parse().expect("a date");
    let spans = partnergraph::domain::signed_cover::signed_cover(day(from), day(to), day(to));
    assert!(
        spans
            .iter()
            .any(|(_, counted)| *counted == partnergraph::domain::signed_cover::Counted::Around),
        "{spans:?}"
    );
    let filter = json!({ "from": format!("{from}T00:00:00Z"), "to": format!("{to}T00:00:00Z") });
    // `first: 1` is cut in the database; `first: 2` gets a second row of 0 from the ranking,
    // so it is computed whole: both must give the same page.
    for first in [1, 2] {
        let response = app
            .graphql_as(
                Some(&w.admin),
                TOP_CREATORS,
                json!({ "filter": filter, "first": first }),
            )
            .await;
        let report = &data(&response)["performance"];
        assert_eq!(report["rowCount"], 1, "first {first}: {report}");
        assert_eq!(report["pageInfo"]["hasNextPage"], false, "{report}");
        let rows = report["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 1, "{report}");
        assert_eq!(rows[0]["key"]["creator"]["id"], json!(w.creator_a));
        assert_eq!(rows[0]["metrics"]["sales"], 1, "{report}");
        assert_eq!(
            rows[0]["metrics"]["revenue"]["amount"], "100.00",
            "{report}"
        );
    }
}

on_both_backends!(
    rows_come_in_the_order_of_any_metric,
    creators_and_ltv_order_their_rows_too,
    unique_clicks_are_counted_only_when_read,
    bad_report_requests_name_their_field,
    top_pages_subtract_the_days_outside_the_range,
);
