//! CODE_LEAK from its hourly counts (issue #23, row 11): the 7-day share stays exact at the
//! window's edges (an order just outside it, an order later than the one judged that arrived
//! first), an older backfill is judged from the orders themselves, and the counts are rebuilt
//! when the rule is turned on, so orders stored while it was off still count.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::world::{self, World, discount_code, record_clicks, text, tracking_link};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;

const UPDATE_RULE: &str = "mutation ($input: UpdateFraudRuleInput!) {
  updateFraudRule(input: $input) { rule enabled } }";

const RECORD: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  results { externalId status error { code field message } } } }";

const FLAGS: &str = "query { fraudFlags(first: 100) { nodes { rule conversion { externalId } } } }";

async fn set_rule(app: &TestApp, w: &World, enabled: bool) {
    let input = json!({ "rule": "CODE_LEAK", "enabled": enabled, "percent": 50,
        "minConversions": 3 });
    let response = app
        .graphql_as(Some(&w.admin), UPDATE_RULE, json!({ "input": input }))
        .await;
    assert_eq!(data(&response)["updateFraudRule"]["enabled"], enabled);
}

/// Records sales of `code` one at a time, in the order given: `(external id, time, click)`.
async fn sales(
    app: &TestApp,
    w: &World,
    code: &str,
    items: &[(&str, DateTime<Utc>, Option<&str>)],
) {
    for (id, when, click) in items {
        let sale = json!({ "externalId": id, "kind": "SALE", "amount": "40.00",
            "occurredAt": when.to_rfc3339(), "discountCode": code, "clickId": click });
        let response = app
            .graphql_as(Some(&w.key), RECORD, json!({ "c": [sale] }))
            .await;
        let result = &data(&response)["recordConversions"]["results"][0];
        assert_eq!(result["status"], "ACCEPTED", "{response}");
    }
}

/// The brand's flags: external id -> rule.
async fn flagged(app: &TestApp, w: &World) -> BTreeMap<String, String> {
    let response = app.graphql_as(Some(&w.admin), FLAGS, json!({})).await;
    data(&response)["fraudFlags"]["nodes"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|n| (text(&n["conversion"]["externalId"]), text(&n["rule"])))
        .collect()
}

fn expect(got: &BTreeMap<String, String>, cases: &[(&str, Option<&str>)]) {
    for (id, rule) in cases {
        assert_eq!(
            got.get(*id).map(String::as_str),
            *rule,
            "{id}: flags {got:?}"
        );
    }
}

/// The last full hour: a window judged inside it shares its first hour with orders a week
/// earlier, so only exact edges tell them apart.
fn last_hour() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::hours(1))
        .expect("an hour")
        - Duration::hours(1)
}

async fn code_leak_is_exact_at_the_window_edges(app: TestApp) {
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "EDGE").await;
    set_rule(&app, &w, true).await;
    let h = last_hour();
    let week = Duration::days(7);
    let m = Duration::minutes;
    sales(
        &app,
        &w,
        "EDGE",
        &[
            // A backfill a week old: its own window (judged from the orders) holds 3.
            ("a1", h - week + m(10), None),
            ("a2", h - week + m(30), None),
            ("b", h - week + m(40), None),
            // Later than x, but arriving first.
            ("c", h + m(50), None),
            // x's window is (h - 7d + 30m, h + 30m]: b and x; a1, a2 (at or before its start)
            // and c (after it) share its hours but not its window.
            ("x", h + m(30), None),
            // y's window holds x, c and y: three without a creator click.
            ("y", h + m(55), None),
        ],
    )
    .await;
    let got = flagged(&app, &w).await;
    expect(
        &got,
        &[
            ("a1", None),
            ("a2", None),
            ("b", Some("CODE_LEAK")),
            ("c", None),
            ("x", None),
            ("y", Some("CODE_LEAK")),
        ],
    );
    assert_eq!(got.len(), 2, "{got:?}");

    // Orders through a click of the code's creator keep the share down: two of three.
    discount_code(&app, &w.admin, &w.enrollment_a, "FAIR").await;
    tracking_link(&app, &w.admin, &w.enrollment_a, "FAIRL").await;
    let clicks: Vec<Value> = (1..=2)
        .map(|n| {
            json!({ "linkCode": "FAIRL", "clickId": format!("fair-c{n}"),
                "visitorKey": format!("fair-v{n}"), "occurredAt": (h + m(n)).to_rfc3339(),
                "userAgent": "Mozilla/5.0 (iPhone)" })
        })
        .collect();
    record_clicks(&app, &w.key, json!(clicks)).await;
    sales(
        &app,
        &w,
        "FAIR",
        &[
            ("f1", h + m(20), Some("fair-c1")),
            ("f2", h + m(21), Some("fair-c2")),
            ("f3", h + m(22), None),
        ],
    )
    .await;
    expect(
        &flagged(&app, &w).await,
        &[("f1", None), ("f2", None), ("f3", None)],
    );
}

async fn code_leak_counts_are_rebuilt_when_the_rule_is_turned_on(app: TestApp) {
    let w = world::world(&app).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "LATE").await;
    let h = last_hour();
    let m = Duration::minutes;
    // Stored while the rule is off: nothing judged, nothing counted.
    sales(
        &app,
        &w,
        "LATE",
        &[("l1", h + m(1), None), ("l2", h + m(2), None)],
    )
    .await;
    set_rule(&app, &w, true).await;
    sales(&app, &w, "LATE", &[("l3", h + m(3), None)]).await;
    expect(
        &flagged(&app, &w).await,
        &[("l1", None), ("l2", None), ("l3", Some("CODE_LEAK"))],
    );

    // Off again: orders stored meanwhile count once it is back on.
    set_rule(&app, &w, false).await;
    discount_code(&app, &w.admin, &w.enrollment_a, "AGAIN").await;
    sales(
        &app,
        &w,
        "AGAIN",
        &[("g1", h + m(4), None), ("g2", h + m(5), None)],
    )
    .await;
    set_rule(&app, &w, true).await;
    sales(&app, &w, "AGAIN", &[("g3", h + m(6), None)]).await;
    let got = flagged(&app, &w).await;
    expect(
        &got,
        &[("g1", None), ("g2", None), ("g3", Some("CODE_LEAK"))],
    );
    assert_eq!(got.len(), 2, "{got:?}");

    // Counts lost (as an upgrade's migration drops them): the next batch builds them again,
    // counting its own order once.
    discount_code(&app, &w.admin, &w.enrollment_a, "LAZY").await;
    sales(&app, &w, "LAZY", &[("z1", h + m(7), None)]).await;
    for statement in [
        "DELETE FROM code_leak_hours",
        "UPDATE fraud_rules SET counted_from = NULL",
    ] {
        app.db
            .execute_unprepared(statement)
            .await
            .expect("drop the counts");
    }
    sales(&app, &w, "LAZY", &[("z2", h + m(8), None)]).await;
    sales(&app, &w, "LAZY", &[("z3", h + m(9), None)]).await;
    let got = flagged(&app, &w).await;
    expect(
        &got,
        &[("z1", None), ("z2", None), ("z3", Some("CODE_LEAK"))],
    );
}

on_both_backends!(
    code_leak_is_exact_at_the_window_edges,
    code_leak_counts_are_rebuilt_when_the_rule_is_turned_on,
);
