//! Top pages by creator (`orderBy`, `first`) against the oracle: the rows of the page in their
//! order (value descending, ties by creator id, the row without a creator last among equals),
//! every metric of each, the totals and the whole report's row count. On ranges of whole local
//! days a page ordered by a rollup sum is cut in the database (`service::performance::top`); on
//! ranges with partial days, and for other metrics, the report is computed whole: both must give
//! the oracle's page. One range ends inside a month on both sides, so that its sums are read as
//! a month minus its days outside the range.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::compare::{self, describe, parse_key, parse_metrics};
use super::data_set::DataSet;
use super::oracle::{self, Dim, Key, Metrics, Query};
use super::raw::Raw;
use super::{local, ranges, ts};
use crate::helpers::{TestApp, contract};

/// The metrics pages are ordered by: every sum the rollups keep, and two the database cannot
/// rank (a ratio, and one with costs).
const METRICS: &[&str] = &[
    "REVENUE",
    "SALES",
    "CLICKS",
    "COMMISSIONS",
    "LEADS",
    "NEW_CUSTOMERS",
    "ROI",
    "SPEND",
];

/// The contract's `Performance` selection, ordered and cut, with the row count and whether
/// more rows follow.
fn document() -> String {
    let operation = contract::operation("performance", "Performance");
    let (head, call) = (
        "query Performance($filter: PerformanceFilter!, $groupBy: [PerformanceDimension!])",
        "performance(filter: $filter, groupBy: $groupBy) {",
    );
    assert!(operation.contains(head) && operation.contains(call));
    operation
        .replace(
            head,
            "query Top($filter: PerformanceFilter!, $groupBy: [PerformanceDimension!],
                       $first: Int, $orderBy: PerformanceOrder)",
        )
        .replace(
            call,
            "performance(filter: $filter, groupBy: $groupBy, first: $first, orderBy: $orderBy) {
               rowCount pageInfo { hasNextPage }",
        )
}

/// A metric's value in an oracle row, as the API orders it (`None`: sorts last).
fn value(m: &Metrics, metric: &str) -> Option<f64> {
    let count = |n: i64| Some(n as f64);
    match metric {
        "REVENUE" => m.revenue.map(|v| v as f64),
        "SALES" => count(m.sales),
        "CLICKS" => count(m.clicks),
        "COMMISSIONS" => m.commissions.map(|v| v as f64),
        "LEADS" => count(m.leads),
        "NEW_CUSTOMERS" => count(m.new_customers),
        "ROI" => m.roi,
        "SPEND" => m.spend.map(|v| v as f64),
        other => panic!("no oracle value for {other}"),
    }
}

/// The oracle's rows in the order of `metric`, descending.
fn ranked<'a>(expected: &'a oracle::Report, metric: &str) -> Vec<(&'a Key, &'a Metrics)> {
    let mut rows: Vec<(&Key, &Metrics)> = expected.rows.iter().collect();
    let creator_last = |k: &Key| (k.creator.is_none(), k.creator);
    rows.sort_by(|(ka, a), (kb, b)| {
        let by_value = match (value(a, metric), value(b, metric)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then_with(|| creator_last(ka).cmp(&creator_last(kb)))
    });
    rows
}

/// Every difference between the API's top pages by creator and the oracle's.
pub async fn differences(app: &TestApp, set: &DataSet, raw: &Raw) -> Vec<String> {
    let document = document();
    let r = ranges();
    let mut out = Vec::new();
    // October 6 to December 1 reads October minus its first 5 days (`domain::signed_cover`).
    let edge_month = (local(2026, 10, 6, 0, 0, 0), local(2026, 12, 1, 0, 0, 0));
    let named = [
        ("midnight", r.midnight),
        ("main", r.main),
        ("odd", r.odd),
        ("edge month", edge_month),
    ];
    for (name, range) in named {
        let query = Query {
            from: range.0,
            to: range.1,
            group_by: Some(vec![Dim::Creator]),
            campaigns: None,
            creators: None,
            platforms: None,
        };
        let expected = oracle::compute(raw, &query);
        for metric in METRICS {
            let order = ranked(&expected, metric);
            for first in [1, 3] {
                let label = format!("top {first} by {metric} of range {name}");
                let variables = json!({
                    "filter": { "from": ts(range.0), "to": ts(range.1) },
                    "groupBy": ["CREATOR"], "first": first,
                    "orderBy": { "metric": metric, "direction": "DESC" },
                });
                let response = app.graphql_as(Some(&set.admin), &document, variables).await;
                page(&mut out, &label, raw, &expected, &order[..first], &response);
            }
        }
    }
    out
}

fn page(
    out: &mut Vec<String>,
    label: &str,
    raw: &Raw,
    expected: &oracle::Report,
    want: &[(&Key, &Metrics)],
    response: &Value,
) {
    let performance = &response["data"]["performance"];
    if performance.is_null() {
        out.push(format!(
            "{label} | the query failed: {}",
            response["errors"]
        ));
        return;
    }
    let count = expected.rows.len();
    if performance["rowCount"] != count {
        out.push(format!(
            "{label} | rowCount {} (want {count})",
            performance["rowCount"]
        ));
    }
    if performance["pageInfo"]["hasNextPage"] != (count > want.len()) {
        out.push(format!("{label} | hasNextPage wrong"));
    }
    match parse_metrics(&performance["totals"], &raw.currency) {
        Ok(totals) => {
            compare::metrics(out, &format!("{label} | totals"), &expected.totals, &totals)
        }
        Err(e) => out.push(format!("{label} | totals: {e}")),
    }
    let rows = performance["rows"].as_array().cloned().unwrap_or_default();
    if rows.len() != want.len() {
        out.push(format!(
            "{label} | {} rows (want {})",
            rows.len(),
            want.len()
        ));
    }
    for (i, (row, (key, metrics))) in rows.iter().zip(want).enumerate() {
        let got = parse_key(&row["key"], raw)
            .and_then(|key| parse_metrics(&row["metrics"], &raw.currency).map(|m| (key, m)));
        match got {
            Ok((got_key, got_metrics)) if got_key == **key => {
                let context = format!("{label} | row {i} {}", describe(key, raw));
                compare::metrics(out, &context, metrics, &got_metrics);
            }
            Ok((got_key, _)) => out.push(format!(
                "{label} | row {i} is {} (want {})",
                describe(&got_key, raw),
                describe(key, raw)
            )),
            Err(e) => out.push(format!("{label} | row {i}: {e}")),
        }
    }
}
