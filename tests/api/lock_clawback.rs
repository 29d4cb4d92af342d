//! The lock period and clawbacks (DOMAIN rule 4, issue #23): after `lockPeriodDays` a refund
//! lowers revenue but leaves commissions as they were; an ADMIN takes commission back with a
//! CLAWBACK line that the creator sees with its reason and the next payout nets.

use serde_json::{Value, json};

use crate::helpers::world::{self, World};
use crate::helpers::{TestApp, data, error_codes};
use crate::ledger::{lines, offer_and_code, record, refund, sale};
use crate::on_both_backends;

const SETTINGS: &str = "mutation ($input: UpdateBrandSettingsInput!) {
  updateBrandSettings(input: $input) { lockPeriodDays holdPeriodDays } }";

const CLAWBACK: &str = "mutation ($id: ID!, $amount: MoneyInput!, $reason: String!) {
  createClawback(conversionId: $id, amount: $amount, reason: $reason) {
    kind status amount { amount currencyCode } reason } }";

const RECORD_IDS: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  results { status conversion { id } } } }";

async fn settings(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql_as(Some(token), SETTINGS, json!({ "input": input }))
        .await
}

fn usd(amount: &str) -> Value {
    json!({ "amount": amount, "currencyCode": "USD" })
}

async fn claw_back(app: &TestApp, token: &str, id: &str, amount: Value, reason: &str) -> Value {
    app.graphql_as(
        Some(token),
        CLAWBACK,
        json!({ "id": id, "amount": amount, "reason": reason }),
    )
    .await
}

/// Records one sale through the INGEST key; returns the conversion's global ID.
async fn recorded(app: &TestApp, w: &World, item: Value) -> String {
    let response = app
        .graphql_as(Some(&w.key), RECORD_IDS, json!({ "c": [item] }))
        .await;
    let result = &data(&response)["recordConversions"]["results"][0];
    assert_eq!(result["status"], "ACCEPTED", "{response}");
    result["conversion"]["id"].as_str().unwrap().to_owned()
}

fn net(lines: &[partnergraph::db::entity::commission::Model]) -> i64 {
    lines.iter().map(|l| l.amount_minor).sum()
}

fn field_of(response: &Value) -> &Value {
    &response["errors"][0]["extensions"]["field"]
}

async fn a_refund_after_the_lock_period_leaves_commissions_as_they_were(app: TestApp) {
    let w = world::world(&app).await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "10" }),
        "LOCKED",
    )
    .await;
    // Out of range, or by a MANAGER: refused, nothing changes.
    let negative = settings(&app, &w.admin, json!({ "lockPeriodDays": -1 })).await;
    assert_eq!(error_codes(&negative), ["BAD_USER_INPUT"]);
    assert_eq!(field_of(&negative), "lockPeriodDays");
    assert_eq!(
        error_codes(&settings(&app, &w.admin, json!({ "lockPeriodDays": 731 })).await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        error_codes(&settings(&app, &w.manager, json!({ "lockPeriodDays": 30 })).await),
        ["FORBIDDEN"]
    );
    let set = settings(&app, &w.admin, json!({ "lockPeriodDays": 30 })).await;
    assert_eq!(data(&set)["updateBrandSettings"]["lockPeriodDays"], 30);

    // Sold 40 days ago (locked) and 5 days ago (not yet): both refunded half.
    record(
        &app,
        &w,
        vec![
            sale("lock-old", "100.00", "LOCKED", 40),
            sale("lock-new", "100.00", "LOCKED", 5),
        ],
    )
    .await;
    refund(&app, &w, "lock-old", "lock-old-r", "50").await;
    refund(&app, &w, "lock-new", "lock-new-r", "50").await;
    let old = lines(&app, &w, "lock-old").await;
    assert_eq!(old.len(), 1, "no REVERSAL after the lock");
    assert_eq!(net(&old), 1000);
    let new = lines(&app, &w, "lock-new").await;
    assert_eq!(net(&new), 500, "10% of the net 50.00");
    assert!(new.iter().any(|l| l.kind == "REVERSAL"));
    // The locked refund still lowered revenue.
    let revenue = app
        .graphql_as(
            Some(&w.admin),
            "{ conversions(first: 10) { nodes { externalId refundedAmount { amount } } } }",
            json!({}),
        )
        .await;
    let nodes = data(&revenue)["conversions"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let old_node = nodes
        .iter()
        .find(|n| n["externalId"] == "lock-old")
        .unwrap();
    assert_eq!(old_node["refundedAmount"]["amount"], "50.00");

    // null lifts the lock; a field left out keeps it.
    let kept = settings(&app, &w.admin, json!({ "holdPeriodDays": 30 })).await;
    assert_eq!(data(&kept)["updateBrandSettings"]["lockPeriodDays"], 30);
    let lifted = settings(&app, &w.admin, json!({ "lockPeriodDays": null })).await;
    assert_eq!(
        data(&lifted)["updateBrandSettings"]["lockPeriodDays"],
        Value::Null
    );
    refund(&app, &w, "lock-old", "lock-old-r2", "50").await;
    assert_eq!(
        net(&lines(&app, &w, "lock-old").await),
        0,
        "unlocked: reversed"
    );
}

async fn admins_claw_back_commission_that_the_next_payout_nets(app: TestApp) {
    let w = world::world(&app).await;
    // The world's CPA $20 offer on creator_a (who has an account), through a code.
    let code = app
        .contract(Some(&w.admin), "tracking", "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CLAW", "percentOff": "10" } }))
        .await;
    data(&code);
    let id = recorded(&app, &w, sale("claw-1", "80.00", "CLAW", 40)).await;

    // Refused: more than the net $20, nothing, another currency, MANAGER, another brand.
    let too_much = claw_back(&app, &w.admin, &id, usd("20.01"), "coupon site").await;
    assert_eq!(error_codes(&too_much), ["BAD_USER_INPUT"]);
    assert_eq!(field_of(&too_much), "amount");
    for amount in [
        usd("0"),
        usd("-5"),
        json!({ "amount": "5", "currencyCode": "EUR" }),
    ] {
        let refused = claw_back(&app, &w.admin, &id, amount, "x").await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    }
    assert_eq!(
        error_codes(&claw_back(&app, &w.admin, &id, usd("5"), " ").await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        error_codes(&claw_back(&app, &w.manager, &id, usd("5"), "x").await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&claw_back(&app, &w.admin_b, &id, usd("5"), "x").await),
        ["NOT_FOUND"]
    );
    assert_eq!(
        net(&lines(&app, &w, "claw-1").await),
        2000,
        "nothing changed"
    );

    let clawed = claw_back(
        &app,
        &w.admin,
        &id,
        usd("7.50"),
        "code leaked to a coupon site",
    )
    .await;
    assert_eq!(
        data(&clawed)["createClawback"],
        json!({ "kind": "CLAWBACK", "status": "APPROVED", "amount": usd("-7.50"),
                "reason": "code leaked to a coupon site" })
    );
    // What is left is the most a second clawback takes.
    let second = claw_back(&app, &w.admin, &id, usd("12.51"), "again").await;
    assert_eq!(error_codes(&second), ["BAD_USER_INPUT"]);

    // The creator sees the line and its reason; its approved earnings are net of it.
    let mine = app
        .graphql_as(
            Some(&w.creator),
            "{ myCommissions(first: 10) { nodes { kind amount { amount } reason } } myEarnings { totals { approved } } }",
            json!({}),
        )
        .await;
    let mine = data(&mine);
    assert!(
        mine["myCommissions"]["nodes"].as_array().unwrap().contains(
            &json!({ "kind": "CLAWBACK", "amount": { "amount": "-7.50" },
                               "reason": "code leaked to a coupon site" })
        ),
        "{mine}"
    );
    assert_eq!(mine["myEarnings"]["totals"][0]["approved"], "12.50");

    // The next payout nets it.
    let payouts = app
        .contract(
            Some(&w.admin),
            "payouts",
            "CreatePayouts",
            json!({ "input": { "periodEnd": chrono::Utc::now().to_rfc3339() } }),
        )
        .await;
    let payouts = data(&payouts)["createPayouts"]["payouts"].clone();
    assert_eq!(payouts.as_array().unwrap().len(), 1, "{payouts}");
    assert_eq!(payouts[0]["amount"]["amount"], "12.50");
    assert_eq!(payouts[0]["commissionCount"], 2);
}

async fn a_refund_after_a_clawback_reverses_only_what_is_left(app: TestApp) {
    let w = world::world(&app).await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "10" }),
        "SHARE",
    )
    .await;
    let id = recorded(&app, &w, sale("claw-share", "200.00", "SHARE", 2)).await;
    let clawed = claw_back(&app, &w.admin, &id, usd("5"), "self-purchase").await;
    // Held like the conversion's own line (pending until its hold ends).
    assert_eq!(data(&clawed)["createClawback"]["status"], "PENDING");
    refund(&app, &w, "claw-share", "claw-share-r", "200").await;
    let after = lines(&app, &w, "claw-share").await;
    assert_eq!(net(&after), 0, "never below zero: {after:?}");
    assert!(
        after
            .iter()
            .any(|l| l.kind == "REVERSAL" && l.amount_minor == -1500)
    );
    assert!(after.iter().all(|l| l.status == "REVERSED"));
    // Nothing is left to claw back.
    let nothing = claw_back(&app, &w.admin, &id, usd("1"), "x").await;
    assert_eq!(error_codes(&nothing), ["BAD_USER_INPUT"]);
    assert_eq!(field_of(&nothing), "conversionId");
}

on_both_backends!(
    a_refund_after_the_lock_period_leaves_commissions_as_they_were,
    admins_claw_back_commission_that_the_next_payout_nets,
    a_refund_after_a_clawback_reverses_only_what_is_left,
);
