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
    world::record_clicks(&app, &w.key, clicks).await;
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

/// Random sequences of sales, refunds, payout runs, payments and releases keep the ledger
/// consistent: every open or paid payout is exactly the sum of its lines, paid lines belong to
/// paid payouts, released payouts hold no lines, and the creator's lines add up to its balances.
async fn random_ledger_sequences(backend: Backend, seeds: std::ops::Range<u64>) {
    use partnergraph::db::entity::{commission, payout};
    use rand::{Rng, SeedableRng};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    for seed in seeds {
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
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut orders: Vec<String> = Vec::new();
        for step in 0..14 {
            match rng.random_range(0..5) {
                0 | 1 => {
                    let id = format!("s{seed}-{step}");
                    sales(&app, &w, &[&id], rng.random_range(31..45)).await;
                    orders.push(id);
                }
                2 if !orders.is_empty() => {
                    let order = orders.swap_remove(rng.random_range(0..orders.len()));
                    let refund = app
                        .contract(
                            Some(&w.key),
                            "ingest",
                            "RecordRefund",
                            json!({ "input": {
                            "externalId": order, "refundId": format!("r-{order}"), "amount": "80",
                            "occurredAt": Utc::now().to_rfc3339() } }),
                        )
                        .await;
                    data(&refund);
                }
                3 => {
                    create_payouts(&app, &w, &clock).await;
                }
                _ => {
                    let pending = payout::Entity::find()
                        .filter(payout::Column::Status.eq("PENDING"))
                        .all(&app.db)
                        .await
                        .unwrap();
                    if let Some(p) = pending.first() {
                        let id = partnergraph::graphql::id::encode(
                            partnergraph::graphql::id::NodeKind::Payout,
                            p.id,
                        )
                        .0;
                        let response = if rng.random_bool(0.5) {
                            app.contract(
                                Some(&w.admin),
                                "payouts",
                                "MarkPayoutPaid",
                                json!({ "input": { "payoutId": id, "reference": "R" } }),
                            )
                            .await
                        } else {
                            app.graphql_as(Some(&w.admin), "mutation ($id: ID!) { releasePayout(id: $id, status: FAILED) { status } }", json!({ "id": id }))
                                .await
                        };
                        data(&response);
                    }
                }
            }
            let lines = commission::Entity::find().all(&app.db).await.unwrap();
            for p in payout::Entity::find().all(&app.db).await.unwrap() {
                let mine: Vec<&commission::Model> =
                    lines.iter().filter(|l| l.payout_id == Some(p.id)).collect();
                match p.status.as_str() {
                    "PENDING" | "PAID" => {
                        assert_eq!(
                            mine.iter().map(|l| l.amount_minor).sum::<i64>(),
                            p.amount_minor,
                            "seed {seed} step {step}"
                        );
                        assert_eq!(
                            mine.len() as i32,
                            p.commission_count,
                            "seed {seed} step {step}"
                        );
                        if p.status == "PAID" {
                            assert!(
                                mine.iter().all(|l| l.status == "PAID"),
                                "seed {seed} step {step}"
                            );
                        }
                    }
                    _ => assert!(
                        mine.is_empty(),
                        "released payouts hold no lines (seed {seed})"
                    ),
                }
            }
            let earnings = app
                .contract(Some(&w.creator), "creator-portal", "MyEarnings", json!({}))
                .await;
            let totals = &data(&earnings)["myEarnings"]["totals"];
            let balance: i64 = if totals.as_array().unwrap().is_empty() {
                0
            } else {
                ["pending", "approved", "paid"]
                    .iter()
                    .map(|k| {
                        let d: rust_decimal::Decimal =
                            totals[0][k].as_str().unwrap().parse().unwrap();
                        rust_decimal::prelude::ToPrimitive::to_i64(
                            &(d * rust_decimal::Decimal::ONE_HUNDRED),
                        )
                        .unwrap()
                    })
                    .sum()
            };
            let line_total: i64 = lines
                .iter()
                .filter(|l| l.status != "REVERSED")
                .map(|l| l.amount_minor)
                .sum();
            assert_eq!(balance, line_total, "seed {seed} step {step}");
            let reversed: i64 = lines
                .iter()
                .filter(|l| l.status == "REVERSED")
                .map(|l| l.amount_minor)
                .sum();
            assert_eq!(reversed, 0, "reversed lines net to zero (seed {seed})");
        }
    }
}

#[tokio::test]
async fn random_ledger_sequences_stay_consistent_on_sqlite() {
    random_ledger_sequences(Backend::Sqlite, 0..4).await;
}

#[tokio::test]
async fn random_ledger_sequences_stay_consistent_on_postgres() {
    random_ledger_sequences(Backend::Postgres, 10..12).await;
}
