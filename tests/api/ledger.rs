//! Commissions written at ingestion and reversed by refunds, as conversions report them.

use chrono::{Datelike, Duration, Utc};
use partnergraph::db::entity::commission;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::world::{self, World, enroll, insert_creator, text};
use crate::helpers::{TestApp, data};
use crate::on_both_backends;

const RECORD: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  results { status error { field message } conversion { externalId commission { amount { amount currencyCode } status holdUntil } } } } }";

pub(crate) async fn offer_and_code(app: &TestApp, w: &World, input: Value, code: &str) -> String {
    let mut input = input;
    input["campaignId"] = json!(w.campaign_a);
    input["name"] = json!(code);
    let offer = app
        .contract(
            Some(&w.admin),
            "campaigns",
            "CreateOffer",
            json!({ "input": input }),
        )
        .await;
    let offer = text(&data(&offer)["createOffer"]["id"]);
    let creator = insert_creator(app, &w.brand_a, code, &format!("{code}@creators.test")).await;
    let enrollment = enroll(app, &w.admin, &w.campaign_a, &creator, &offer).await;
    let response = app
        .contract(
            Some(&w.admin),
            "tracking",
            "CreateDiscountCode",
            json!({ "input": { "enrollmentId": enrollment, "code": code, "percentOff": "10" } }),
        )
        .await;
    data(&response);
    enrollment
}

pub(crate) fn sale(id: &str, amount: &str, code: &str, days_ago: i64) -> Value {
    json!({ "externalId": id, "kind": "SALE", "amount": amount, "discountCode": code,
            "occurredAt": (Utc::now() - Duration::days(days_ago)).to_rfc3339() })
}

pub(crate) async fn record(app: &TestApp, w: &World, items: Vec<Value>) -> Vec<Value> {
    let response = app
        .graphql_as(Some(&w.key), RECORD, json!({ "c": items }))
        .await;
    data(&response)["recordConversions"]["results"]
        .as_array()
        .unwrap()
        .clone()
}

fn commission(result: &Value) -> &Value {
    &result["conversion"]["commission"]
}

pub(crate) async fn refund(app: &TestApp, w: &World, order: &str, id: &str, amount: &str) {
    let response = app
        .contract(Some(&w.key), "ingest", "RecordRefund", json!({ "input": {
            "externalId": order, "refundId": id, "amount": amount, "occurredAt": Utc::now().to_rfc3339() } }))
        .await;
    data(&response);
}

pub(crate) async fn lines(app: &TestApp, w: &World, order: &str) -> Vec<commission::Model> {
    let _ = w;
    let conversion = partnergraph::db::entity::conversion::Entity::find()
        .filter(partnergraph::db::entity::conversion::Column::ExternalId.eq(order))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    commission::Entity::find()
        .filter(commission::Column::ConversionId.eq(conversion.id))
        .all(&app.db)
        .await
        .unwrap()
}

async fn sales_earn_their_offer_and_holds_report_approved_when_due(app: TestApp) {
    let w = world::world(&app).await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "12.5" }),
        "SHARE",
    )
    .await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "CPA", "cpaAmount": { "amount": "20", "currencyCode": "USD" },
        "newCustomersOnly": true }),
        "NEWONLY",
    )
    .await;
    let results = record(
        &app,
        &w,
        vec![
            sale("s-1", "100.00", "SHARE", 40),
            sale("s-2", "3.00", "SHARE", 1),
            with_customer(sale("n-1", "50", "NEWONLY", 2), "cust-9"),
            with_customer(sale("n-2", "50", "NEWONLY", 1), "cust-9"),
            json!({ "externalId": "self", "kind": "SALE", "amount": "80", "discountCode": "SHARE",
                "customerEmail": "share@creators.test", "occurredAt": Utc::now().to_rfc3339() }),
        ],
    )
    .await;
    assert_eq!(
        commission(&results[0])["amount"],
        json!({ "amount": "12.50", "currencyCode": "USD" })
    );
    assert_eq!(
        commission(&results[0])["status"],
        "APPROVED",
        "the 30-day hold has passed"
    );
    assert_eq!(
        commission(&results[1])["amount"]["amount"],
        "0.38",
        "12.5% of 3.00, half to even"
    );
    assert_eq!(commission(&results[1])["status"], "PENDING");
    assert_eq!(commission(&results[2])["amount"]["amount"], "20.00");
    assert!(
        commission(&results[3]).is_null(),
        "returning customer under new-customers-only"
    );
    assert!(
        commission(&results[4]).is_null(),
        "self-referral earns nothing"
    );
    let hold = commission(&results[1])["holdUntil"].as_str().unwrap();
    assert!(hold > Utc::now().to_rfc3339().as_str());
}

/// A volume tier from the 3rd sale of the month and a monthly cap: what a sale earns depends
/// on the enrollment's sales before it in its month and on what the month has accrued.
async fn tiers_and_the_monthly_cap_count_the_month_so_far(app: TestApp) {
    let w = world::world(&app).await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "CPA", "cpaAmount": { "amount": "10", "currencyCode": "USD" },
                "monthlyCap": { "amount": "42", "currencyCode": "USD" },
                "tiers": [ { "fromSale": 3, "cpaAmount": { "amount": "15", "currencyCode": "USD" } } ] }),
        "TIERS",
    )
    .await;
    // Noon on the 15th of last month (UTC, the world brand's timezone), and hours after it.
    let first_of_month = Utc::now()
        .date_naive()
        .with_day(1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let last_month = first_of_month - Duration::days(first_of_month.day0() as i64 + 16);
    let at = |base: chrono::DateTime<Utc>, hours: i64| (base + Duration::hours(hours)).to_rfc3339();
    let sale_at = |id: &str, when: String| {
        json!({ "externalId": id, "kind": "SALE", "amount": "100", "discountCode": "TIERS",
                "occurredAt": when })
    };
    let amounts = |results: &[Value]| -> Vec<Value> {
        results
            .iter()
            .map(|r| commission(r)["amount"]["amount"].clone())
            .collect()
    };
    // Out of time order within the batch: the tier counts sales before each one by time.
    let results = record(
        &app,
        &w,
        vec![
            sale_at("t-2", at(last_month, 2)),
            sale_at("t-1", at(last_month, 1)),
            sale_at("t-3", at(last_month, 3)),
        ],
    )
    .await;
    assert_eq!(
        amounts(&results),
        [json!("10.00"), json!("10.00"), json!("15.00")]
    );
    let results = record(
        &app,
        &w,
        vec![
            sale_at("t-4", at(last_month, 4)),
            sale_at("t-5", at(last_month, 5)),
            // The month before: a month of its own, nothing accrued.
            sale_at("t-0", at(last_month - Duration::days(31), 0)),
        ],
    )
    .await;
    assert_eq!(
        amounts(&results),
        [json!("7.00"), Value::Null, json!("10.00")],
        "15.00 cut to the 7.00 left of the 42.00 cap, then nothing left"
    );
}

/// Statements a batch of `n` sales with `code` ran (and each sale earned its line).
async fn batch_cost(app: &TestApp, w: &World, code: &str, n: usize) -> usize {
    let before = app.statements();
    let results = record(
        app,
        w,
        (0..n)
            .map(|i| sale(&format!("{code}-{n}-{i}-{before}"), "100", code, 1))
            .collect(),
    )
    .await;
    let statements = app.statements() - before;
    for result in &results {
        assert_eq!(result["status"], "ACCEPTED", "{result}");
        assert!(!commission(result).is_null(), "{result}");
    }
    statements
}

/// Each sale of a batch costs the same statements; under an offer with tiers or a cap one more
/// (the enrollment's month so far, which its line depends on), and without them none.
async fn only_tiers_or_a_cap_read_the_month_so_far(app: TestApp) {
    let w = world::world(&app).await;
    let cpa = json!({ "model": "CPA", "cpaAmount": { "amount": "10", "currencyCode": "USD" } });
    let mut tiered = cpa.clone();
    tiered["tiers"] =
        json!([{ "fromSale": 3, "cpaAmount": { "amount": "15", "currencyCode": "USD" } }]);
    let mut capped = cpa.clone();
    capped["monthlyCap"] = json!({ "amount": "1000", "currencyCode": "USD" });
    offer_and_code(&app, &w, cpa, "PLAIN").await;
    offer_and_code(&app, &w, tiered, "TIERED").await;
    offer_and_code(&app, &w, capped, "CAPPED").await;
    let mut per_sale = Vec::new();
    for code in ["PLAIN", "TIERED", "CAPPED"] {
        // A first batch also reads what later ones find cached (the brand's first sales).
        batch_cost(&app, &w, code, 2).await;
        let one = batch_cost(&app, &w, code, 1).await;
        let three = batch_cost(&app, &w, code, 3).await;
        assert_eq!((three - one) % 2, 0, "{code}: {one} then {three}");
        per_sale.push((three - one) / 2);
    }
    assert_eq!(per_sale[1], per_sale[0] + 1, "{per_sale:?}");
    assert_eq!(per_sale[2], per_sale[0] + 1, "{per_sale:?}");
}

fn with_customer(mut item: Value, key: &str) -> Value {
    item["customerKey"] = json!(key);
    item
}

async fn refunds_add_reversals_and_a_full_refund_nets_to_zero(app: TestApp) {
    let w = world::world(&app).await;
    offer_and_code(
        &app,
        &w,
        json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "10" }),
        "TEN",
    )
    .await;
    record(
        &app,
        &w,
        vec![sale("r-1", "200.00", "TEN", 1), sale("r-cpa", "50", "", 1)],
    )
    .await;
    refund(&app, &w, "r-1", "rf-1", "50").await;
    let after_partial = lines(&app, &w, "r-1").await;
    assert_eq!(
        after_partial.iter().map(|l| l.amount_minor).sum::<i64>(),
        1500,
        "10% of the net 150.00"
    );
    assert_eq!(after_partial.len(), 2);
    assert!(
        after_partial
            .iter()
            .any(|l| l.kind == "REVERSAL" && l.amount_minor == -500)
    );
    refund(&app, &w, "r-1", "rf-2", "150").await;
    let after_full = lines(&app, &w, "r-1").await;
    assert_eq!(after_full.iter().map(|l| l.amount_minor).sum::<i64>(), 0);
    assert!(
        after_full.iter().all(|l| l.status == "REVERSED"),
        "fully refunded before payment"
    );
    // The original line's amount was never changed.
    assert!(
        after_full
            .iter()
            .any(|l| l.kind == "REVENUE_SHARE" && l.amount_minor == 2000)
    );
}

async fn the_cpa_offer_reverses_only_on_a_full_refund(app: TestApp) {
    let w = world::world(&app).await;
    // The world's offer is CPA $20 on creator_a's enrollment; attribute through a code.
    let response = app
        .contract(Some(&w.admin), "tracking", "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CORA", "percentOff": "10" } }))
        .await;
    data(&response);
    record(&app, &w, vec![sale("c-1", "80", "CORA", 1)]).await;
    refund(&app, &w, "c-1", "cr-1", "30").await;
    assert_eq!(
        lines(&app, &w, "c-1")
            .await
            .iter()
            .map(|l| l.amount_minor)
            .sum::<i64>(),
        2000
    );
    refund(&app, &w, "c-1", "cr-2", "50").await;
    assert_eq!(
        lines(&app, &w, "c-1")
            .await
            .iter()
            .map(|l| l.amount_minor)
            .sum::<i64>(),
        0
    );
}

async fn a_flat_fee_is_earned_once_on_first_activation(app: TestApp) {
    let w = world::world(&app).await;
    let offer = app
        .contract(Some(&w.admin), "campaigns", "CreateOffer", json!({ "input": { "campaignId": w.campaign_a,
            "name": "Fee", "model": "FLAT_FEE", "flatFee": { "amount": "500", "currencyCode": "USD" } } }))
        .await;
    let offer = text(&data(&offer)["createOffer"]["id"]);
    let creator = insert_creator(&app, &w.brand_a, "Fee Taker", "fee@creators.test").await;
    let enrolled = app
        .contract(Some(&w.admin), "campaigns", "EnrollCreator",
            json!({ "input": { "campaignId": w.campaign_a, "creatorId": creator, "offerId": offer } }))
        .await;
    let enrollment = text(&data(&enrolled)["enrollCreator"]["id"]);
    let fee_lines = || async {
        commission::Entity::find()
            .filter(commission::Column::EnrollmentId.eq(crate::helpers::world::db_id(&enrollment)))
            .all(&app.db)
            .await
            .unwrap()
    };
    assert!(fee_lines().await.is_empty(), "INVITED earns nothing yet");
    let set = |status: &'static str| {
        app.graphql_as(Some(&w.admin), "mutation ($id: ID!, $s: EnrollmentStatus!) { setEnrollmentStatus(id: $id, status: $s) { status } }",
            json!({ "id": enrollment, "s": status }))
    };
    data(&set("ACTIVE").await);
    data(&set("PAUSED").await);
    data(&set("ACTIVE").await);
    let lines = fee_lines().await;
    assert_eq!(lines.len(), 1, "only the first activation");
    assert_eq!(lines[0].kind, "FLAT_FEE");
    assert_eq!(lines[0].amount_minor, 50_000);
    assert!(lines[0].conversion_id.is_none());
}

async fn admins_add_bonuses_and_adjustments_with_a_reason(app: TestApp) {
    let w = world::world(&app).await;
    let add = |token: &str, kind: &str, amount: &str, reason: &str| {
        let token = token.to_owned();
        let variables = json!({ "input": { "enrollmentId": w.enrollment_a, "kind": kind,
            "amount": { "amount": amount, "currencyCode": "USD" }, "reason": reason } });
        let app = &app;
        async move {
            app.graphql_as(Some(&token), "mutation ($input: AddCommissionInput!) { addCommission(input: $input) { kind status amount { amount } reason } }", variables)
                .await
        }
    };
    let bonus = add(&w.admin, "BONUS", "10", "great launch video").await;
    assert_eq!(
        data(&bonus)["addCommission"],
        json!({ "kind": "BONUS", "status": "APPROVED", "amount": { "amount": "10.00" }, "reason": "great launch video" })
    );
    let adjustment = add(&w.admin, "ADJUSTMENT", "-2.5", "duplicate order").await;
    assert_eq!(
        data(&adjustment)["addCommission"]["amount"]["amount"],
        "-2.50"
    );
    assert_eq!(
        crate::helpers::error_codes(&add(&w.manager, "BONUS", "10", "x").await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        crate::helpers::error_codes(&add(&w.admin, "BONUS", "-1", "x").await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        crate::helpers::error_codes(&add(&w.admin, "CPA", "1", "x").await),
        ["BAD_USER_INPUT"]
    );
    assert_eq!(
        crate::helpers::error_codes(&add(&w.admin, "BONUS", "1", " ").await),
        ["BAD_USER_INPUT"]
    );
    let earnings = app
        .contract(Some(&w.creator), "creator-portal", "MyEarnings", json!({}))
        .await;
    assert_eq!(
        data(&earnings)["myEarnings"]["totals"][0]["approved"],
        "7.50"
    );
}

on_both_backends!(
    only_tiers_or_a_cap_read_the_month_so_far,
    tiers_and_the_monthly_cap_count_the_month_so_far,
    admins_add_bonuses_and_adjustments_with_a_reason,
    a_flat_fee_is_earned_once_on_first_activation,
    sales_earn_their_offer_and_holds_report_approved_when_due,
    refunds_add_reversals_and_a_full_refund_nets_to_zero,
    the_cpa_offer_reverses_only_on_a_full_refund,
);
