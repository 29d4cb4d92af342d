//! Orders -> commissions -> hold passes -> payout -> paid -> refund -> negative carry, with a
//! manual clock.

use std::sync::Arc;

use chrono::{Duration, Utc};
use partnergraph::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::world::{self, World};
use crate::helpers::{Backend, TestApp, data, error_codes};

async fn sales(app: &TestApp, w: &World, ids: &[&str], days_ago: i64) {
    let items: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({ "externalId": id, "kind": "SALE", "amount": "80", "discountCode": "CORA",
            "occurredAt": (Utc::now() - Duration::days(days_ago)).to_rfc3339() })
        })
        .collect();
    let response = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": items }),
        )
        .await;
    assert_eq!(data(&response)["recordConversions"]["accepted"], ids.len());
}

async fn create_payouts(app: &TestApp, w: &World, clock: &ManualClock) -> Vec<Value> {
    use partnergraph::clock::Clock;
    let response = app
        .contract(
            Some(&w.admin),
            "payouts",
            "CreatePayouts",
            json!({ "input": { "periodEnd": clock.now().to_rfc3339() } }),
        )
        .await;
    data(&response)["createPayouts"]["payouts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn the_payout_cycle(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    let w = world::world(&app).await;
    let code = app
        .contract(Some(&w.admin), "tracking", "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CORA", "percentOff": "10" } }))
        .await;
    data(&code);
    // The world's offer pays a $20 CPA with the brand's 30-day hold.
    sales(&app, &w, &["p-1", "p-2", "p-3"], 10).await;
    assert!(
        create_payouts(&app, &w, &clock).await.is_empty(),
        "still on hold"
    );

    clock.advance(Duration::days(25));
    let payouts = create_payouts(&app, &w, &clock).await;
    assert_eq!(payouts.len(), 1);
    assert_eq!(
        payouts[0]["amount"],
        json!({ "amount": "60.00", "currencyCode": "USD" })
    );
    assert_eq!(payouts[0]["commissionCount"], 3);
    assert_eq!(payouts[0]["creator"]["id"], w.creator_a.as_str());
    assert_eq!(payouts[0]["status"], "PENDING");
    assert!(
        create_payouts(&app, &w, &clock).await.is_empty(),
        "a line is in one payout only"
    );

    let payout_id = payouts[0]["id"].as_str().unwrap().to_owned();
    let by_manager = app
        .contract(
            Some(&w.manager),
            "payouts",
            "MarkPayoutPaid",
            json!({ "input": { "payoutId": payout_id, "reference": "SEPA-1" } }),
        )
        .await;
    assert_eq!(error_codes(&by_manager), ["FORBIDDEN"]);
    let paid = app
        .contract(
            Some(&w.admin),
            "payouts",
            "MarkPayoutPaid",
            json!({ "input": { "payoutId": payout_id, "reference": "SEPA-1" } }),
        )
        .await;
    let paid = &data(&paid)["markPayoutPaid"];
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["reference"], "SEPA-1");
    assert!(paid["paidAt"].is_string());

    // A paid order is refunded: its reversal makes the balance negative, which carries.
    let refund = app
        .contract(Some(&w.key), "ingest", "RecordRefund", json!({ "input": {
            "externalId": "p-1", "refundId": "pr-1", "amount": "80", "occurredAt": Utc::now().to_rfc3339() } }))
        .await;
    data(&refund);
    assert!(
        create_payouts(&app, &w, &clock).await.is_empty(),
        "-20.00 does not pay out"
    );
    sales(&app, &w, &["p-4", "p-5"], 8).await;
    let payouts = create_payouts(&app, &w, &clock).await;
    assert_eq!(payouts.len(), 1);
    assert_eq!(
        payouts[0]["amount"]["amount"], "20.00",
        "40.00 earned minus the 20.00 reversal"
    );
    assert_eq!(payouts[0]["commissionCount"], 3);

    let listed = app
        .contract(
            Some(&w.analyst),
            "payouts",
            "Payouts",
            json!({ "first": 10, "status": "PAID" }),
        )
        .await;
    assert_eq!(data(&listed)["payouts"]["totalCount"], 1);
    let pending = app
        .contract(
            Some(&w.analyst),
            "payouts",
            "Payouts",
            json!({ "first": 10, "status": "PENDING" }),
        )
        .await;
    assert_eq!(
        data(&pending)["payouts"]["edges"][0]["node"]["creator"]["displayName"],
        "Cora Creator"
    );
}

#[tokio::test]
async fn the_payout_cycle_on_sqlite() {
    the_payout_cycle(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_payout_cycle_on_postgres() {
    the_payout_cycle(Backend::Postgres).await;
}

async fn concurrent_payout_runs(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    let w = world::world(&app).await;
    let code = app
        .contract(Some(&w.admin), "tracking", "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CORA", "percentOff": "10" } }))
        .await;
    data(&code);
    sales(&app, &w, &["c-1", "c-2", "c-3", "c-4"], 40).await;
    let (first, second) = tokio::join!(
        create_payouts(&app, &w, &clock),
        create_payouts(&app, &w, &clock)
    );
    assert_eq!(
        first.len() + second.len(),
        1,
        "one payout, whichever run got there first"
    );
    let payout = first.first().or(second.first()).unwrap();
    assert_eq!(payout["commissionCount"], 4);
    assert_eq!(payout["amount"]["amount"], "80.00");
}

#[tokio::test]
async fn concurrent_payout_runs_put_a_line_in_one_payout_on_sqlite() {
    concurrent_payout_runs(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_payout_runs_put_a_line_in_one_payout_on_postgres() {
    concurrent_payout_runs(Backend::Postgres).await;
}

async fn cpc_days_are_paid_per_unique_visitor(backend: Backend) {
    use crate::helpers::world::{enroll, insert_creator, text};
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_with_clock(backend, clock.clone()).await else {
        return;
    };
    let w = world::world(&app).await;
    let offer = app
        .contract(Some(&w.admin), "campaigns", "CreateOffer", json!({ "input": { "campaignId": w.campaign_a,
            "name": "CPC", "model": "CPC", "cpcAmount": { "amount": "0.40", "currencyCode": "USD" } } }))
        .await;
    let offer = text(&data(&offer)["createOffer"]["id"]);
    let creator = insert_creator(&app, &w.brand_a, "Clicky", "clicky@creators.test").await;
    let enrollment = enroll(&app, &w.admin, &w.campaign_a, &creator, &offer).await;
    let link = app
        .contract(Some(&w.admin), "tracking", "CreateTrackingLink", json!({ "input": {
            "enrollmentId": enrollment, "destinationUrl": "https://shop.example.com/", "code": "clicky" } }))
        .await;
    data(&link);
    let at = |days: i64| (Utc::now() - Duration::days(days)).to_rfc3339();
    let clicks = json!([
        { "linkCode": "clicky", "occurredAt": at(3), "visitorKey": "v1", "userAgent": "Mozilla/5.0" },
        { "linkCode": "clicky", "occurredAt": at(3), "visitorKey": "v1", "userAgent": "Mozilla/5.0" },
        { "linkCode": "clicky", "occurredAt": at(3), "visitorKey": "v2", "userAgent": "Mozilla/5.0" },
        { "linkCode": "clicky", "occurredAt": at(3), "visitorKey": "bot", "userAgent": "Googlebot/2.1" },
        { "linkCode": "clicky", "occurredAt": at(2), "visitorKey": "v3", "userAgent": "Mozilla/5.0" },
    ]);
    let recorded = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": clicks }),
        )
        .await;
    assert_eq!(data(&recorded)["recordClicks"]["accepted"], 5);
    clock.advance(Duration::days(40));
    let payouts = create_payouts(&app, &w, &clock).await;
    let mine: Vec<&Value> = payouts
        .iter()
        .filter(|p| p["creator"]["id"] == creator.as_str())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["amount"]["amount"], "1.20",
        "2 unique visitors, then 1, at 0.40"
    );
    assert_eq!(mine[0]["commissionCount"], 2, "one line per day");
    assert!(
        create_payouts(&app, &w, &clock).await.is_empty(),
        "days are accrued once"
    );
}

#[tokio::test]
async fn cpc_days_are_paid_per_unique_visitor_on_sqlite() {
    cpc_days_are_paid_per_unique_visitor(Backend::Sqlite).await;
}

#[tokio::test]
async fn cpc_days_are_paid_per_unique_visitor_on_postgres() {
    cpc_days_are_paid_per_unique_visitor(Backend::Postgres).await;
}
