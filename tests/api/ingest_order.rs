//! Property: any arrival order of the same orders and refunds ends in the same state.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::world::{create_key, register};
use crate::helpers::{Backend, TestApp, data};

#[derive(Clone, Debug)]
enum Event {
    Order {
        id: &'static str,
        customer: &'static str,
        day: i64,
        amount: &'static str,
    },
    Refund {
        order: &'static str,
        id: &'static str,
        amount: &'static str,
    },
}

/// Orders (two customers with repeat purchases, one without a key) and partial/full refunds,
/// some of which arrive before their order in some permutations.
fn events() -> Vec<Event> {
    vec![
        Event::Order {
            id: "o1",
            customer: "c1",
            day: 1,
            amount: "100.00",
        },
        Event::Order {
            id: "o2",
            customer: "c1",
            day: 3,
            amount: "40.00",
        },
        Event::Order {
            id: "o3",
            customer: "c2",
            day: 2,
            amount: "75.50",
        },
        Event::Order {
            id: "o4",
            customer: "c2",
            day: 5,
            amount: "20.00",
        },
        Event::Order {
            id: "o5",
            customer: "",
            day: 4,
            amount: "10.00",
        },
        Event::Refund {
            order: "o1",
            id: "r1",
            amount: "30.00",
        },
        Event::Refund {
            order: "o1",
            id: "r2",
            amount: "70.00",
        },
        Event::Refund {
            order: "o3",
            id: "r3",
            amount: "0.50",
        },
        Event::Refund {
            order: "o4",
            id: "r4",
            amount: "20.00",
        },
    ]
}

async fn apply(app: &TestApp, key: &str, event: &Event) {
    let base = Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap();
    match event {
        Event::Order {
            id,
            customer,
            day,
            amount,
        } => {
            let mut item = json!({ "externalId": id, "kind": "SALE",
                "occurredAt": (base + Duration::days(*day)).to_rfc3339(), "amount": amount });
            if !customer.is_empty() {
                item["customerKey"] = json!(customer);
            }
            let response = app
                .graphql_as(Some(key), "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { accepted } }", json!({ "c": [item] }))
                .await;
            assert_eq!(data(&response)["recordConversions"]["accepted"], 1);
        }
        Event::Refund { order, id, amount } => {
            let response = app
                .contract(
                    Some(key),
                    "ingest",
                    "RecordRefund",
                    json!({ "input": {
                    "externalId": order, "refundId": id, "amount": amount,
                    "occurredAt": (base + Duration::days(10)).to_rfc3339() } }),
                )
                .await;
            data(&response);
        }
    }
}

/// external id -> (status, refunded, brand refunded, new customer)
async fn state(app: &TestApp, token: &str) -> BTreeMap<String, Value> {
    let response = app
        .graphql_as(Some(token), "{ conversions(first: 100) { edges { node { externalId status newCustomer refundedAmount { amount } brandRefundedAmount { amount } } } } }", json!({}))
        .await;
    data(&response)["conversions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["externalId"].as_str().unwrap().to_owned(),
                e["node"].clone(),
            )
        })
        .collect()
}

async fn final_state(backend: Backend, order: Vec<Event>) -> Option<BTreeMap<String, Value>> {
    let app = TestApp::spawn(backend).await?;
    let brand = register(&app, "Brand", "admin@x.test").await;
    let (key, _) = create_key(&app, &brand.access, "store").await;
    for event in &order {
        apply(&app, &key, event).await;
    }
    Some(state(&app, &brand.access).await)
}

fn check(backend: Backend, cases: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(expected) = runtime.block_on(final_state(backend, events())) else {
        return;
    };
    // Sanity of the reference: repeat customers are not new, refunds are summed.
    assert_eq!(expected["o1"]["status"], "REFUNDED");
    assert_eq!(expected["o2"]["newCustomer"], false);
    assert_eq!(expected["o3"]["refundedAmount"]["amount"], "0.50");
    assert_eq!(expected["o3"]["newCustomer"], true);
    let config = ProptestConfig {
        cases,
        ..ProptestConfig::default()
    };
    proptest!(config, |(order in Just(events()).prop_shuffle())| {
        let got = runtime.block_on(final_state(backend, order)).expect("backend available");
        prop_assert_eq!(&got, &expected);
    });
}

#[test]
fn any_order_of_orders_and_refunds_ends_the_same_on_sqlite() {
    check(Backend::Sqlite, 10);
}

#[test]
fn any_order_of_orders_and_refunds_ends_the_same_on_postgres() {
    check(Backend::Postgres, 5);
}
