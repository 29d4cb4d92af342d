//! `ltv`: customers acquired by an attributed, new first purchase, worth all their purchases
//! within the window.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{self, World};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

fn base() -> DateTime<Utc> {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    today - Duration::days(70)
}

fn day(d: i64) -> String {
    (base() + Duration::days(d) + Duration::hours(12)).to_rfc3339()
}

fn sale(id: &str, customer: &str, amount: &str, d: i64, code: Option<&str>) -> Value {
    json!({ "externalId": id, "kind": "SALE", "amount": amount, "customerKey": customer,
            "discountCode": code, "occurredAt": day(d) })
}

async fn customers(app: &TestApp) -> World {
    let w = world::world(app).await;
    world::discount_code(app, &w.admin, &w.enrollment_a, "CORA").await;
    let response = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [
                // c-1: acquired on day 0, buys again on days 10 (unattributed) and 50.
                sale("o-1", "c-1", "100.00", 0, Some("CORA")),
                sale("o-2", "c-1", "40.00", 10, None),
                sale("o-3", "c-1", "70.00", 50, None),
                // c-2: first purchase unattributed: never acquired by a creator.
                sale("o-4", "c-2", "30.00", 1, None),
                sale("o-5", "c-2", "90.00", 2, Some("CORA")),
                // c-3: acquired on day 2, partly refunded.
                sale("o-6", "c-3", "60.00", 2, Some("CORA")),
                // c-4: acquired after the range.
                sale("o-7", "c-4", "55.00", 9, Some("CORA")),
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
            "externalId": "o-6", "refundId": "r-6", "amount": "20.00", "occurredAt": day(3) } }),
        )
        .await;
    data(&refund);
    w
}

async fn ltv(app: &TestApp, token: &str, days: i64, group_by: Value) -> Value {
    app.contract(
        Some(token),
        "performance",
        "CustomerLtv",
        json!({ "filter": { "from": day(0), "to": day(5) }, "days": days, "groupBy": group_by }),
    )
    .await
}

async fn customers_are_worth_their_purchases_in_the_window(app: TestApp) {
    let w = customers(&app).await;
    let month = ltv(&app, &w.analyst, 30, json!([])).await;
    let rows = data(&month)["ltv"]["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "no grouping: one row");
    let row = &rows[0];
    assert_eq!(row["customersAcquired"], 2, "c-1 and c-3");
    // c-1: 100 + 40; c-3: 60 - 20.
    assert_eq!(row["revenue"]["amount"], "180.00");
    assert_eq!(row["ltv"]["amount"], "90.00");
    assert_eq!(row["repeatRate"], 0.5);

    let two_months = ltv(&app, &w.admin, 60, json!(["CREATOR", "WEEK"])).await;
    let rows = data(&two_months)["ltv"]["rows"].as_array().unwrap().clone();
    let revenue: f64 = rows
        .iter()
        .map(|r| {
            r["revenue"]["amount"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!(
        (revenue - 250.0).abs() < 1e-9,
        "o-3 on day 50 counts now: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r["key"]["creator"]["id"] == json!(w.creator_a))
    );
    assert!(
        rows.iter()
            .all(|r| r["key"]["period"].as_str().unwrap().contains("-W"))
    );
}

async fn ltv_is_for_staff_with_a_sane_window(app: TestApp) {
    let w = customers(&app).await;
    assert_eq!(
        error_codes(&ltv(&app, &w.creator, 30, json!([])).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&ltv(&app, &w.key, 30, json!([])).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&ltv(&app, &w.admin, 0, json!([])).await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        error_codes(&ltv(&app, &w.admin, 4000, json!([])).await),
        ["BAD_USER_INPUT"]
    );
    let other_brand = ltv(&app, &w.admin_b, 30, json!([])).await;
    assert_eq!(data(&other_brand)["ltv"]["rows"], json!([]));
}

on_both_backends!(
    customers_are_worth_their_purchases_in_the_window,
    ltv_is_for_staff_with_a_sane_window,
);
