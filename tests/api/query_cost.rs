//! `extensions.cost` on every GraphQL response: the document's cost (the limits' estimate) and
//! what is left of the caller's request budget (the rate limiter's bucket).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::world::register;
use crate::helpers::{TestApp, error_codes};
use crate::on_both_backends;

fn cost(response: &Value) -> &Value {
    &response["extensions"]["cost"]
}

async fn campaigns_page(app: &TestApp, token: &str, first: u32) -> Value {
    app.graphql_as(
        Some(token),
        &format!("{{ campaigns(first: {first}) {{ nodes {{ id name }} }} }}"),
        json!({}),
    )
    .await
}

async fn the_cost_follows_the_query(app: TestApp) {
    let admin = register(&app, "Cost Brand", "cost@example.com").await;
    // 1 connection + 20 campaigns = 21 objects: 3 points; 1 + 100 = 101: 11 points.
    let twenty = campaigns_page(&app, &admin.access, 20).await;
    let hundred = campaigns_page(&app, &admin.access, 100).await;
    assert!(twenty.get("errors").is_none(), "{twenty}");
    assert_eq!(cost(&twenty)["requestedQueryCost"], 3, "{twenty}");
    assert_eq!(cost(&hundred)["requestedQueryCost"], 11, "{hundred}");
    // By variable, as the limits read it.
    let by_variable = app
        .graphql_as(
            Some(&admin.access),
            "query ($n: Int) { campaigns(first: $n) { nodes { id } } }",
            json!({ "n": 50 }),
        )
        .await;
    assert_eq!(cost(&by_variable)["requestedQueryCost"], 6);
    // The same request again is not costed again (it passed before), but reports the same cost;
    // the same text with another variable is costed anew.
    let by_variable = async |n: u32| {
        let query = "query ($n: Int) { campaigns(first: $n) { nodes { id } } }";
        let response = app
            .graphql_as(Some(&admin.access), query, json!({ "n": n }))
            .await;
        cost(&response)["requestedQueryCost"].clone()
    };
    assert_eq!(by_variable(50).await, 6);
    assert_eq!(by_variable(50).await, 6);
    assert_eq!(by_variable(100).await, 11);
    assert_eq!(by_variable(50).await, 6);
    // Scalars are free.
    let free = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(cost(&free)["requestedQueryCost"], 0, "{free}");
}

async fn refused_documents_report_what_was_costed(app: TestApp) {
    let admin = register(&app, "Cost Brand", "costly@example.com").await;
    // 100 campaigns x (1 + 100 enrollments): over the 1,000 points allowed, and said so.
    let costly = app
        .graphql_as(
            Some(&admin.access),
            "{ campaigns(first: 100) { nodes { enrollments(first: 100) { nodes { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&costly), ["GRAPHQL_VALIDATION_FAILED"]);
    let points = cost(&costly)["requestedQueryCost"]
        .as_u64()
        .expect("costed");
    assert!(points > 1000, "{costly}");
    assert!(
        costly["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&points.to_string())
    );
    // A document that does not parse was never costed.
    let broken = app.graphql("{ __typename ", json!({})).await;
    assert_eq!(error_codes(&broken), ["GRAPHQL_PARSE_FAILED"]);
    assert!(cost(&broken)["requestedQueryCost"].is_null(), "{broken}");
    assert!(cost(&broken)["throttleStatus"].is_object(), "{broken}");
}

/// The budget is the rate limiter's: requests, not points; each request takes one.
async fn the_throttle_status_counts_down_the_callers_requests(app: TestApp) {
    let app = app
        .restart(|config| {
            config.http.rate_limit.per_caller = 100;
            config.http.rate_limit.per_ip = 50;
            config.http.rate_limit.window = Duration::from_secs(3_600);
        })
        .await;
    let admin = register(&app, "Budget Brand", "budget@example.com").await;
    let mut left = Vec::new();
    for first in [20, 100, 20] {
        let response = campaigns_page(&app, &admin.access, first).await;
        let throttle = &cost(&response)["throttleStatus"];
        assert_eq!(throttle["maximumAvailable"], 100, "{response}");
        let rate = throttle["restoreRate"].as_f64().unwrap();
        assert!((rate - 100.0 / 3600.0).abs() < 1e-9, "{rate}");
        left.push(throttle["currentlyAvailable"].as_u64().unwrap());
    }
    // A heavier query takes no more than one request from the budget.
    assert_eq!(left, [99, 98, 97]);

    // Anonymous calls spend their client IP's budget (the sign-up above took one).
    let anonymous = app.graphql("{ __typename }", json!({})).await;
    let throttle = &cost(&anonymous)["throttleStatus"];
    assert_eq!(throttle["maximumAvailable"], 50, "{anonymous}");
    assert_eq!(throttle["currentlyAvailable"], 48, "{anonymous}");
}

on_both_backends!(
    the_cost_follows_the_query,
    refused_documents_report_what_was_costed,
    the_throttle_status_counts_down_the_callers_requests,
);
