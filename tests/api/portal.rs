//! The creator portal: a creator with two brands sees both, and nothing of anyone else.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{
    self, World, accept, campaign_with_offer, create_key, enroll, insert_creator, invite, text,
};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn code(app: &TestApp, admin: &str, enrollment: &str, code: &str) {
    let response = app
        .contract(
            Some(admin),
            "tracking",
            "CreateDiscountCode",
            json!({ "input": { "enrollmentId": enrollment, "code": code, "percentOff": "10" } }),
        )
        .await;
    data(&response);
}

async fn sale(app: &TestApp, key: &str, id: &str, amount: &str, code: &str, days_ago: i64) {
    let response = app
        .contract(
            Some(key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [{
            "externalId": id, "kind": "SALE", "amount": amount, "discountCode": code,
            "occurredAt": (Utc::now() - Duration::days(days_ago)).to_rfc3339() }] }),
        )
        .await;
    assert_eq!(data(&response)["recordConversions"]["accepted"], 1);
}

struct Setup {
    w: World,
    key_b: String,
}

async fn setup(app: &TestApp) -> Setup {
    let w = world::world(app).await;
    code(app, &w.admin, &w.enrollment_a, "CORA").await;
    // Another creator of A earns too: Cora must never see it.
    let other = insert_creator(app, &w.brand_a, "Otto", "otto@creators.test").await;
    let other_enrollment = enroll(app, &w.admin, &w.campaign_a, &other, &w.offer_a).await;
    code(app, &w.admin, &other_enrollment, "OTTO").await;
    // Brand B works with Cora too (her account is linked, not duplicated).
    let record_b = insert_creator(app, &w.brand_b, "Cora at B", "cora@creators.test").await;
    let invite_token = invite(
        app,
        &w.admin_b,
        "cora@creators.test",
        "CREATOR",
        Some(&record_b),
    )
    .await;
    accept(app, &invite_token).await;
    let (campaign_b, offer_b) = campaign_with_offer(app, &w.admin_b, "B campaign").await;
    let enrollment_b = enroll(app, &w.admin_b, &campaign_b, &record_b, &offer_b).await;
    code(app, &w.admin_b, &enrollment_b, "CORAB").await;
    let (key_b, _) = create_key(app, &w.admin_b, "b").await;

    sale(app, &w.key, "a-1", "100", "CORA", 40).await; // $20, due
    sale(app, &w.key, "a-2", "100", "CORA", 2).await; // $20, on hold
    sale(app, &w.key, "a-otto", "100", "OTTO", 2).await;
    sale(app, &key_b, "b-1", "100", "CORAB", 1).await; // $20 at B, on hold
    Setup { w, key_b }
}

async fn a_creator_sees_both_brands_and_no_one_else(app: TestApp) {
    let Setup { w, key_b } = setup(&app).await;
    let _ = key_b;
    let earnings = app
        .contract(Some(&w.creator), "creator-portal", "MyEarnings", json!({}))
        .await;
    let earnings = &data(&earnings)["myEarnings"];
    assert_eq!(
        earnings["totals"],
        json!([{ "currencyCode": "USD", "pending": "40.00", "approved": "20.00", "paid": "0.00" }])
    );
    let by_brand = earnings["byBrand"].as_array().unwrap();
    assert_eq!(by_brand.len(), 2);
    let a = by_brand
        .iter()
        .find(|b| b["brand"]["name"] == "Brand A")
        .unwrap();
    assert_eq!(a["approved"]["amount"], "20.00");
    assert_eq!(a["pending"]["amount"], "20.00");
    let b = by_brand
        .iter()
        .find(|b| b["brand"]["name"] == "Brand B")
        .unwrap();
    assert_eq!(b["pending"]["amount"], "20.00");

    let lines = app
        .contract(
            Some(&w.creator),
            "creator-portal",
            "MyCommissions",
            json!({ "first": 50 }),
        )
        .await;
    let edges = data(&lines)["myCommissions"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 3, "Otto's line is not Cora's");
    let statuses: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["APPROVED", "PENDING", "PENDING"]);
    assert!(edges.iter().all(|e| e["node"]["kind"] == "CPA"));
    assert_eq!(edges[2]["node"]["campaign"]["name"], "B campaign");
    // The lines add up to the balances (pending + approved + paid = 60.00).
    let sum: f64 = edges
        .iter()
        .map(|e| {
            e["node"]["amount"]["amount"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert_eq!(format!("{sum:.2}"), "60.00");

    let perf = app
        .contract(Some(&w.creator), "creator-portal", "MyPerformance", json!({
            "from": (Utc::now() - Duration::days(60)).to_rfc3339(), "to": Utc::now().to_rfc3339() }))
        .await;
    let perf = &data(&perf)["myPerformance"];
    assert_eq!(perf["sales"], 3);
    assert_eq!(
        perf["revenue"],
        json!({ "amount": "300.00", "currencyCode": "USD" })
    );
    assert_eq!(perf["commissions"]["amount"], "60.00");
    assert!(
        perf["conversionRate"].is_null(),
        "no clicks: null, never 0 or infinity"
    );
    assert!(perf["epc"].is_null());

    let link = app
        .contract(Some(&w.admin), "tracking", "CreateTrackingLink",
            json!({ "input": { "enrollmentId": w.enrollment_a, "destinationUrl": "https://shop.example.com/", "code": "cora-portal" } }))
        .await;
    data(&link);
    let links = app
        .contract(Some(&w.creator), "creator-portal", "MyLinks", json!({}))
        .await;
    let links = data(&links)["myLinks"].as_array().unwrap().clone();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["code"], "cora-portal");
    assert_eq!(links[0]["campaign"]["name"], "Spring");

    let payouts = app
        .contract(
            Some(&w.creator),
            "creator-portal",
            "MyPayouts",
            json!({ "first": 5 }),
        )
        .await;
    assert_eq!(data(&payouts)["myPayouts"]["edges"], json!([]));

    for op in ["MyEarnings", "MyLinks"] {
        let staff = app
            .contract(Some(&w.admin), "creator-portal", op, json!({}))
            .await;
        assert_eq!(error_codes(&staff), ["FORBIDDEN"], "{op}");
    }
}

async fn creators_never_see_customer_data(app: TestApp) {
    let Setup { w, .. } = setup(&app).await;
    let response = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [{
            "externalId": "cust", "kind": "SALE", "amount": "10", "discountCode": "CORA",
            "customerKey": "shopify-4411", "customerEmail": "buyer@example.com",
            "occurredAt": Utc::now().to_rfc3339() }] }),
        )
        .await;
    let id = text(&data(&response)["recordConversions"]["results"][0]["conversion"]["id"]);
    let query =
        "query ($id: ID!) { node(id: $id) { ... on Conversion { externalId customerKey } } }";
    let as_creator: Value = app
        .graphql_as(Some(&w.creator), query, json!({ "id": id }))
        .await;
    assert_eq!(data(&as_creator)["node"]["customerKey"], Value::Null);
    assert!(!as_creator.to_string().contains("buyer@example.com"));
    let as_staff = app
        .graphql_as(Some(&w.admin), query, json!({ "id": id }))
        .await;
    assert_eq!(data(&as_staff)["node"]["customerKey"], "shopify-4411");
}

on_both_backends!(
    a_creator_sees_both_brands_and_no_one_else,
    creators_never_see_customer_data,
);
