//! Data rights (issue #20): `eraseCreator`, `eraseCustomer`, `exportCreatorData`. Erasing
//! removes what identifies a person and leaves every figure (reports, ledger, payouts) as it was,
//! to the cent.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::world::{self, PASSWORD, World};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

fn base() -> DateTime<Utc> {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    today - Duration::days(70)
}

fn day(d: i64) -> String {
    (base() + Duration::days(d) + Duration::hours(12)).to_rfc3339()
}

fn sale(id: &str, customer: &str, email: Option<&str>, amount: &str, d: i64) -> Value {
    json!({ "externalId": id, "kind": "SALE", "amount": amount, "customerKey": customer,
            "customerEmail": email, "discountCode": "CORA", "occurredAt": day(d) })
}

const ERASE_CREATOR: &str = "mutation ($id: ID!) {
  eraseCreator(id: $id) { id displayName email country niches vettingNotes brandSafetyScore
    channels { handle } erasedAt } }";
const ERASE_CUSTOMER: &str = "mutation ($input: EraseCustomerInput!) {
  eraseCustomer(input: $input) { conversionsChanged } }";
const EXPORT: &str = "query ($id: ID) { exportCreatorData(creatorId: $id) }";
const CONVERSIONS: &str =
    "{ conversions(first: 100) { edges { node { externalId customerKey newCustomer } } } }";

/// Brand A with Cora's channels, vetting notes and a code; three customers' sales (alice under
/// two keys, one of them with her email only), paid out once.
async fn program(app: &TestApp) -> World {
    let w = world::world(app).await;
    let updated = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: UpdateCreatorInput!) { updateCreator(input: $input) { id } }",
            json!({ "input": { "id": w.creator_a, "country": "FR", "niches": ["beauty"],
                "channels": [{ "platform": "TIKTOK", "handle": "@cora", "followers": 5000 }] } }),
        )
        .await;
    data(&updated);
    let vetted = app
        .contract(
            Some(&w.admin),
            "roster",
            "VetCreator",
            json!({ "input": { "creatorId": w.creator_a, "status": "APPROVED",
                "brandSafetyScore": 90, "notes": "met Cora at the Paris fair" } }),
        )
        .await;
    data(&vetted);
    world::discount_code(app, &w.admin, &w.enrollment_a, "CORA").await;
    world::record_conversions(
        app,
        &w.key,
        json!([
            sale("o-1", "c-1", Some("alice@shop.test"), "100.00", 0),
            sale("o-2", "c-1", None, "40.00", 10),
            sale("o-3", "c-2", Some("bob@shop.test"), "60.00", 2),
            sale("o-4", "c-1b", Some("Alice@Shop.test"), "25.00", 20),
        ]),
    )
    .await;
    let payouts = app
        .contract(
            Some(&w.admin),
            "payouts",
            "CreatePayouts",
            json!({ "input": { "periodEnd": day(40) } }),
        )
        .await;
    assert_eq!(
        data(&payouts)["createPayouts"]["payouts"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{payouts}"
    );
    w
}

async fn performance(app: &TestApp, w: &World, group_by: Value) -> Value {
    let response = app
        .contract(
            Some(&w.admin),
            "performance",
            "Performance",
            json!({ "filter": { "from": day(-1), "to": day(60) }, "groupBy": group_by }),
        )
        .await;
    let mut report = data(&response)["performance"].clone();
    // The creator's name is personal: everything else must be unchanged.
    if let Some(rows) = report["rows"].as_array_mut() {
        for row in rows {
            if row["key"]["creator"].is_object() {
                row["key"]["creator"]["displayName"] = Value::Null;
            }
        }
    }
    report
}

async fn ltv(app: &TestApp, w: &World) -> Value {
    let response = app
        .contract(
            Some(&w.admin),
            "performance",
            "CustomerLtv",
            json!({ "filter": { "from": day(-1), "to": day(30) }, "days": 60, "groupBy": ["CREATOR"] }),
        )
        .await;
    let mut report = data(&response)["ltv"].clone();
    if let Some(rows) = report["rows"].as_array_mut() {
        for row in rows {
            row["key"]["creator"]["displayName"] = Value::Null;
        }
    }
    report
}

async fn payouts(app: &TestApp, w: &World) -> Value {
    let response = app
        .contract(Some(&w.admin), "payouts", "Payouts", json!({ "first": 50 }))
        .await;
    let mut list = data(&response)["payouts"].clone();
    if let Some(edges) = list["edges"].as_array_mut() {
        for edge in edges {
            edge["node"]["creator"]["displayName"] = Value::Null;
        }
    }
    list
}

async fn export_as(app: &TestApp, token: &str, creator: Option<&str>) -> Value {
    app.graphql_as(Some(token), EXPORT, json!({ "id": creator }))
        .await
}

/// The ledger as the export shows it: each commission line's amount and status, and each payout.
fn ledger_of(export: &Value) -> Value {
    let creator = &export["data"]["exportCreatorData"]["creators"][0];
    let lines: Vec<Value> = creator["commissions"]["items"]
        .as_array()
        .expect("commission lines")
        .iter()
        .map(|c| json!([c["id"], c["amount"], c["status"], c["payoutId"]]))
        .collect();
    let payouts: Vec<Value> = creator["payouts"]["items"]
        .as_array()
        .expect("payouts")
        .iter()
        .map(|p| json!([p["id"], p["amount"], p["status"], p["commissionCount"]]))
        .collect();
    json!({ "lines": lines, "payouts": payouts })
}

async fn conversions(app: &TestApp, w: &World) -> Vec<Value> {
    let response = app.graphql_as(Some(&w.admin), CONVERSIONS, json!({})).await;
    data(&response)["conversions"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn key_of<'a>(rows: &'a [Value], external_id: &str) -> &'a Value {
    &rows
        .iter()
        .find(|r| r["externalId"] == external_id)
        .unwrap_or_else(|| panic!("{external_id} in {rows:?}"))["customerKey"]
}

async fn erasing_a_creator_keeps_every_figure_and_drops_the_person(app: TestApp) {
    let w = program(&app).await;
    let by = json!(["CREATOR", "PLATFORM"]);
    let before = (
        performance(&app, &w, by.clone()).await,
        ltv(&app, &w).await,
        payouts(&app, &w).await,
        ledger_of(&export_as(&app, &w.admin, Some(&w.creator_a)).await),
    );
    assert_eq!(before.3["lines"].as_array().map(Vec::len), Some(4));

    let erased = app
        .graphql_as(Some(&w.admin), ERASE_CREATOR, json!({ "id": w.creator_a }))
        .await;
    let record = &data(&erased)["eraseCreator"];
    let number = world::db_id(&w.creator_a);
    assert_eq!(record["displayName"], format!("Erased creator #{number}"));
    for field in ["email", "country", "vettingNotes", "brandSafetyScore"] {
        assert_eq!(record[field], Value::Null, "{field}");
    }
    assert_eq!(record["niches"], json!([]));
    assert_eq!(record["channels"], json!([]));
    let erased_at = record["erasedAt"].clone();
    assert!(erased_at.is_string(), "{record}");

    let after = (
        performance(&app, &w, by).await,
        ltv(&app, &w).await,
        payouts(&app, &w).await,
        ledger_of(&export_as(&app, &w.admin, Some(&w.creator_a)).await),
    );
    assert_eq!(
        before, after,
        "reports, payouts and the ledger are unchanged"
    );

    // The account: signed out, and no way back in.
    let viewer = app
        .contract(Some(&w.creator), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(error_codes(&viewer), ["UNAUTHENTICATED"]);
    let login = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": "cora@creators.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&login), ["UNAUTHENTICATED"]);
    let export = export_as(&app, &w.admin, Some(&w.creator_a)).await;
    let text = export.to_string();
    for personal in ["cora@creators.test", "Cora Creator", "@cora", "Paris"] {
        assert!(!text.contains(personal), "{personal} left in {text}");
    }
    assert_eq!(
        export["data"]["exportCreatorData"]["account"],
        Value::Null,
        "unlinked"
    );

    // Idempotent, and an erased record stays erased.
    let again = app
        .graphql_as(Some(&w.admin), ERASE_CREATOR, json!({ "id": w.creator_a }))
        .await;
    assert_eq!(data(&again)["eraseCreator"], *record);
    let edit = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: UpdateCreatorInput!) { updateCreator(input: $input) { id } }",
            json!({ "input": { "id": w.creator_a, "email": "cora@creators.test" } }),
        )
        .await;
    assert_eq!(error_codes(&edit), ["CONFLICT"]);
}

async fn erasing_a_customer_keeps_reports_and_forgets_the_customer(app: TestApp) {
    let w = program(&app).await;
    let by = json!(["CREATOR"]);
    let before = (performance(&app, &w, by.clone()).await, ltv(&app, &w).await);
    let rows = conversions(&app, &w).await;
    let flags: Vec<Value> = rows.iter().map(|r| r["newCustomer"].clone()).collect();

    // By email (case and spaces as ingestion normalized them): both of alice's keys.
    let erased = app
        .graphql_as(
            Some(&w.admin),
            ERASE_CUSTOMER,
            json!({ "input": { "email": " ALICE@shop.test " } }),
        )
        .await;
    assert_eq!(data(&erased)["eraseCustomer"]["conversionsChanged"], 3);
    let after = (performance(&app, &w, by).await, ltv(&app, &w).await);
    assert_eq!(before, after, "new customers and LTV are unchanged");
    let rows = conversions(&app, &w).await;
    assert_eq!(
        rows.iter()
            .map(|r| r["newCustomer"].clone())
            .collect::<Vec<_>>(),
        flags
    );
    let token = key_of(&rows, "o-1").clone();
    assert!(
        token.as_str().is_some_and(|t| t.starts_with("erased_")),
        "{token}"
    );
    assert_eq!(key_of(&rows, "o-2"), &token, "one customer, one token");
    assert_ne!(key_of(&rows, "o-4"), &token, "another key, another token");
    assert_eq!(key_of(&rows, "o-3"), "c-2", "bob is untouched");

    // Idempotent: nothing of alice is left to match.
    for input in [
        json!({ "email": "alice@shop.test" }),
        json!({ "customerKey": "c-1" }),
        json!({ "customerKey": token }),
    ] {
        let again = app
            .graphql_as(Some(&w.admin), ERASE_CUSTOMER, json!({ "input": input }))
            .await;
        assert_eq!(data(&again)["eraseCustomer"]["conversionsChanged"], 0);
    }

    // Decision: an order arriving later under the old key is a new customer's (the old orders
    // no longer name anyone).
    world::record_conversions(
        &app,
        &w.key,
        json!([sale("o-5", "c-1", Some("alice@shop.test"), "10.00", 30)]),
    )
    .await;
    let rows = conversions(&app, &w).await;
    let later = rows.iter().find(|r| r["externalId"] == "o-5").expect("o-5");
    assert_eq!(later["newCustomer"], true);

    // By key: bob.
    let bob = app
        .graphql_as(
            Some(&w.admin),
            ERASE_CUSTOMER,
            json!({ "input": { "customerKey": "c-2" } }),
        )
        .await;
    assert_eq!(data(&bob)["eraseCustomer"]["conversionsChanged"], 1);
}

async fn erase_customer_needs_exactly_one_identifier(app: TestApp) {
    let w = program(&app).await;
    for input in [
        json!({}),
        json!({ "customerKey": "c-1", "email": "alice@shop.test" }),
        json!({ "customerKey": "  " }),
    ] {
        let response = app
            .graphql_as(Some(&w.admin), ERASE_CUSTOMER, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
        assert_eq!(
            response["errors"][0]["extensions"]["field"], "customerKey",
            "{response}"
        );
    }
    let bad_email = app
        .graphql_as(
            Some(&w.admin),
            ERASE_CUSTOMER,
            json!({ "input": { "email": "nope" } }),
        )
        .await;
    assert_eq!(bad_email["errors"][0]["extensions"]["field"], "email");
    for token in [&w.manager, &w.analyst, &w.creator] {
        let response = app
            .graphql_as(
                Some(token),
                ERASE_CUSTOMER,
                json!({ "input": { "customerKey": "c-1" } }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"]);
    }
    let foreign = app
        .graphql_as(
            Some(&w.admin_b),
            ERASE_CREATOR,
            json!({ "id": w.creator_a }),
        )
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    // Another brand's admin erases nothing of brand A's customers.
    let other = app
        .graphql_as(
            Some(&w.admin_b),
            ERASE_CUSTOMER,
            json!({ "input": { "customerKey": "c-1" } }),
        )
        .await;
    assert_eq!(data(&other)["eraseCustomer"]["conversionsChanged"], 0);
}

async fn a_creator_exports_its_own_data_without_secrets(app: TestApp) {
    let w = program(&app).await;
    let mine = export_as(&app, &w.creator, None).await;
    let export = &data(&mine)["exportCreatorData"];
    assert_eq!(export["account"]["email"], "cora@creators.test");
    assert_eq!(export["account"]["role"], "CREATOR");
    let creators = export["creators"].as_array().expect("creators");
    assert_eq!(creators.len(), 1);
    let cora = &creators[0];
    assert_eq!(cora["profile"]["id"], json!(w.creator_a));
    assert_eq!(cora["profile"]["displayName"], "Cora Creator");
    assert_eq!(
        cora["profile"]["vettingNotes"],
        "met Cora at the Paris fair"
    );
    assert_eq!(cora["channels"][0]["handle"], "@cora");
    assert_eq!(cora["enrollments"][0]["id"], json!(w.enrollment_a));
    assert_eq!(cora["discountCodes"][0]["code"], "CORA");
    assert_eq!(cora["commissions"]["truncated"], false);
    assert_eq!(
        cora["commissions"]["items"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(cora["payouts"]["items"].as_array().map(Vec::len), Some(1));
    let text = mine.to_string().to_lowercase();
    for secret in ["password", "argon2", "token", "hash"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // With its own id: the same record; with another: NOT_FOUND.
    let by_id = export_as(&app, &w.creator, Some(&w.creator_a)).await;
    assert_eq!(
        data(&by_id)["exportCreatorData"]["creators"],
        export["creators"]
    );
    for other in [&w.spare_creator_a, &w.creator_b] {
        let response = export_as(&app, &w.creator, Some(other)).await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"]);
    }
    // Staff: ADMIN of the brand names the creator; others may not.
    let admin = export_as(&app, &w.admin, Some(&w.creator_a)).await;
    assert_eq!(
        data(&admin)["exportCreatorData"]["creators"],
        export["creators"]
    );
    let no_id = export_as(&app, &w.admin, None).await;
    assert_eq!(error_codes(&no_id), ["BAD_USER_INPUT"]);
    assert_eq!(no_id["errors"][0]["extensions"]["field"], "creatorId");
    let foreign = export_as(&app, &w.admin_b, Some(&w.creator_a)).await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    let manager = export_as(&app, &w.manager, Some(&w.creator_a)).await;
    assert_eq!(error_codes(&manager), ["FORBIDDEN"]);
}

on_both_backends!(
    erasing_a_creator_keeps_every_figure_and_drops_the_person,
    erasing_a_customer_keeps_reports_and_forgets_the_customer,
    erase_customer_needs_exactly_one_identifier,
    a_creator_exports_its_own_data_without_secrets,
);
