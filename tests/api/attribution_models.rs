//! Attribution models (DOMAIN rule 2, issue #23), oracle-style: seeded visitors click the links
//! of four creators (one of whom is paused before the orders come in), some of their clicks are
//! a crawler's, and their orders name one of their clicks. The same orders are ingested once per
//! model (CLICK_ID, LAST_CLICK, FIRST_CLICK), and each conversion's enrollment must equal what a
//! brute-force recomputation here says, written from the rule's text with no server code: the
//! named click (CLICK_ID), else the latest / earliest of the visitor's eligible clicks (not a
//! bot's unless it is the named one, inside `[click, click + window]`, enrollment ACTIVE) with
//! the named click winning a tie.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{self, enroll, insert_creator, text};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;

const WINDOW_DAYS: i64 = 7;
const VISITORS: usize = 24;
const BROWSER: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148";
const CRAWLER: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A tiny deterministic generator (the same cases on every run and backend).
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[derive(Clone, Debug)]
struct Click {
    id: String,
    visitor: usize,
    /// Index into the creators.
    creator: usize,
    at: DateTime<Utc>,
    bot: bool,
}

#[derive(Clone, Debug)]
struct Order {
    id: String,
    named: usize,
    at: DateTime<Utc>,
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The rule, brute force: which creator (index) an order is credited to under `model`.
fn expected(model: &str, clicks: &[Click], order: &Order, paused: usize) -> Option<usize> {
    let named = &clicks[order.named];
    let eligible = |c: &Click| {
        c.at <= order.at && order.at <= c.at + Duration::days(WINDOW_DAYS) && c.creator != paused
    };
    // The named click first, then the visitor's other non-bot clicks in the order recorded.
    let mut candidates: Vec<&Click> = vec![named];
    candidates.extend(
        clicks
            .iter()
            .filter(|c| c.visitor == named.visitor && c.id != named.id && !c.bot),
    );
    let eligible: Vec<&Click> = candidates.into_iter().filter(|c| eligible(c)).collect();
    let pick = match model {
        "CLICK_ID" => eligible.iter().find(|c| c.id == named.id).copied(),
        "LAST_CLICK" => {
            let latest = eligible.iter().map(|c| c.at).max()?;
            // A tie: the named click, else the latest recorded.
            eligible
                .iter()
                .filter(|c| c.at == latest)
                .find(|c| c.id == named.id)
                .or_else(|| eligible.iter().rev().find(|c| c.at == latest))
                .copied()
        }
        "FIRST_CLICK" => {
            let earliest = eligible.iter().map(|c| c.at).min()?;
            eligible.iter().find(|c| c.at == earliest).copied()
        }
        other => panic!("model {other}"),
    };
    pick.map(|c| c.creator)
}

async fn set_model(app: &TestApp, admin: &str, model: &str) {
    let response = app
        .graphql_as(
            Some(admin),
            "mutation ($input: UpdateBrandSettingsInput!) { updateBrandSettings(input: $input) { attributionModel attributionWindowDays } }",
            json!({ "input": { "attributionModel": model, "attributionWindowDays": WINDOW_DAYS } }),
        )
        .await;
    assert_eq!(
        data(&response)["updateBrandSettings"]["attributionModel"],
        model
    );
}

async fn each_model_credits_the_click_the_rule_names(app: TestApp) {
    let w = world::world(&app).await;
    // Four creators on the world's campaign and offer, each with a link.
    let mut enrollments = Vec::new();
    let mut links = Vec::new();
    for n in 0..4 {
        let creator = insert_creator(
            &app,
            &w.brand_a,
            &format!("Model Creator {n}"),
            &format!("model{n}@creators.test"),
        )
        .await;
        let enrollment = enroll(&app, &w.admin, &w.campaign_a, &creator, &w.offer_a).await;
        let link = app
            .contract(
                Some(&w.admin),
                "tracking",
                "CreateTrackingLink",
                json!({ "input": { "enrollmentId": enrollment, "destinationUrl": "https://shop.example/p" } }),
            )
            .await;
        links.push(text(&data(&link)["createTrackingLink"]["code"]));
        enrollments.push(enrollment);
    }

    // Visitors with 1 to 5 clicks over the last 20 days, one in eight a crawler's.
    let now = Utc::now() - Duration::minutes(5);
    let base = now - Duration::days(20);
    let mut rng = Seeded(0x5EED_A77B);
    let mut clicks = Vec::new();
    for visitor in 0..VISITORS {
        let count = 1 + rng.below(5) as usize;
        let mut times: Vec<i64> = (0..count)
            .map(|_| rng.below(19 * 24 * 3600) as i64)
            .collect();
        times.sort_unstable();
        // Every fifth visitor clicks twice in the same second (a tie).
        if visitor % 5 == 0 && times.len() > 1 {
            times[1] = times[0];
        }
        for (n, seconds) in times.into_iter().enumerate() {
            clicks.push(Click {
                id: format!("mv{visitor}c{n}"),
                visitor,
                creator: rng.below(4) as usize,
                at: base + Duration::seconds(seconds),
                bot: rng.below(8) == 0,
            });
        }
    }
    let items: Vec<Value> = clicks
        .iter()
        .map(|c| {
            json!({ "linkCode": links[c.creator], "clickId": c.id, "occurredAt": ts(c.at),
                    "visitorKey": format!("visitor-{}", c.visitor),
                    "userAgent": if c.bot { CRAWLER } else { BROWSER } })
        })
        .collect();
    let recorded = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": items }),
        )
        .await;
    assert_eq!(
        data(&recorded)["recordClicks"]["accepted"],
        clicks.len(),
        "{recorded}"
    );

    // Orders: each visitor orders once or twice, naming one of its clicks, at a time after
    // that click (sometimes past the window).
    let mut orders = Vec::new();
    for visitor in 0..VISITORS {
        let own: Vec<usize> = (0..clicks.len())
            .filter(|&i| clicks[i].visitor == visitor)
            .collect();
        for n in 0..1 + rng.below(2) {
            let named = own[rng.below(own.len() as u64) as usize];
            let after = rng.below(10 * 24 * 3600) as i64;
            let at = (clicks[named].at + Duration::seconds(after)).min(now);
            orders.push(Order {
                id: format!("mv{visitor}o{n}"),
                named,
                at,
            });
        }
    }
    // Creator 3 is paused once the clicks are in: its clicks no longer credit anything.
    let paused = 3;
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { setEnrollmentStatus(id: $id, status: PAUSED) { status } }",
            json!({ "id": enrollments[paused] }),
        )
        .await;
    data(&response);

    let mut compared = 0;
    let mut credited_differently = 0;
    for model in ["CLICK_ID", "LAST_CLICK", "FIRST_CLICK"] {
        set_model(&app, &w.admin, model).await;
        let items: Vec<Value> = orders
            .iter()
            .map(|o| {
                json!({ "externalId": format!("{}-{model}", o.id), "kind": "SALE",
                        "amount": "50.00", "occurredAt": ts(o.at), "clickId": clicks[o.named].id })
            })
            .collect();
        let response = app
            .graphql_as(
                Some(&w.key),
                "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
                   results { status conversion { externalId attribution { method enrollment { id } } } } } }",
                json!({ "c": items }),
            )
            .await;
        let results = data(&response)["recordConversions"]["results"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(results.len(), orders.len());
        for (order, result) in orders.iter().zip(&results) {
            assert_eq!(result["status"], "ACCEPTED", "{result}");
            let got = result["conversion"]["attribution"]["enrollment"]["id"]
                .as_str()
                .map(|id| enrollments.iter().position(|e| e == id).expect("ours"));
            let want = expected(model, &clicks, order, paused);
            assert_eq!(
                got,
                want,
                "{model}: order {} at {} naming {:?}; the visitor's clicks: {:#?}",
                order.id,
                ts(order.at),
                clicks[order.named].id,
                clicks
                    .iter()
                    .filter(|c| c.visitor == clicks[order.named].visitor)
                    .collect::<Vec<_>>()
            );
            let method = &result["conversion"]["attribution"]["method"];
            assert_eq!(method, if want.is_some() { "CLICK" } else { "NONE" });
            if model != "CLICK_ID" && want != expected("CLICK_ID", &clicks, order, paused) {
                credited_differently += 1;
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * orders.len());
    // The data set exercises the models: some orders move to another creator under them.
    assert!(
        credited_differently >= 5,
        "only {credited_differently} orders differ"
    );
}

on_both_backends!(each_model_credits_the_click_the_rule_names);
