// HELPER SESSION: STOP AND READ /tmp/helper_common.md FIRST (the full instructions for this task:
// rules, time limit 00:35 UTC, how to build and test). Delete these two lines when done.
//! Cases of the walk: campaigns, offers, enrollments, content and costs, experiments, tracking
//! links and codes, ingestion, payouts and the ledger.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::cases::{Case, Done};
use crate::helpers::world::{self, World, text};
use crate::helpers::{TestApp, data};
use crate::{audit_case, on_both_backends};

pub fn cases() -> Vec<Case> {
    vec![
        audit_case!("createCampaign", create_campaign),
        audit_case!("updateCampaign", update_campaign),
        audit_case!("setCampaignStatus", set_campaign_status),
        audit_case!("createOffer", create_offer),
        audit_case!("updateOffer", update_offer),
        audit_case!("enrollCreator", enroll_creator),
        audit_case!("setEnrollmentStatus", set_enrollment_status),
        audit_case!("updateEnrollment", update_enrollment),
        audit_case!("createDeliverable", create_deliverable),
        audit_case!("updateDeliverable", update_deliverable),
        audit_case!("recordCost", record_cost),
        audit_case!("deleteCost", delete_cost),
        audit_case!("createExperiment", create_experiment),
        audit_case!("createTrackingLink", create_tracking_link),
        audit_case!("archiveTrackingLink", archive_tracking_link),
        audit_case!("updateTrackingLink", update_tracking_link),
        audit_case!("createDiscountCode", create_discount_code),
        audit_case!("deactivateDiscountCode", deactivate_discount_code),
        audit_case!("reactivateDiscountCode", reactivate_discount_code),
        audit_case!("recordClicks", record_clicks),
        audit_case!("recordConversions", record_conversions),
        audit_case!("recordRefund", record_refund),
        audit_case!("addCommission", add_commission),
        audit_case!("createClawback", create_clawback),
        audit_case!("createPayouts", create_payouts),
        audit_case!("markPayoutPaid", mark_payout_paid),
        audit_case!("releasePayout", release_payout),
    ]
}

/// Runs `query` as `token` and returns `data.<field>.id`.
async fn id_of(app: &TestApp, token: &str, query: &str, variables: Value, field: &str) -> String {
    let response = app.graphql_as(Some(token), query, variables).await;
    text(&data(&response)[field]["id"])
}

fn usd(amount: &str) -> Value {
    json!({ "amount": amount, "currencyCode": "USD" })
}

const CREATE_OFFER: &str =
    "mutation ($input: CreateOfferInput!) { createOffer(input: $input) { id } }";
const CREATE_LINK: &str =
    "mutation ($input: CreateTrackingLinkInput!) { createTrackingLink(input: $input) { id } }";
const CREATE_CODE: &str =
    "mutation ($input: CreateDiscountCodeInput!) { createDiscountCode(input: $input) { id } }";
const RECORD_COST: &str =
    "mutation ($input: RecordCostInput!) { recordCost(input: $input) { id } }";
const ADD_COMMISSION: &str =
    "mutation ($input: AddCommissionInput!) { addCommission(input: $input) { id } }";

/// A creator record of A of this case's own, enrolled (INVITED) in the World's campaign.
async fn own_enrollment(app: &TestApp, w: &World, name: &str) -> String {
    let email = format!("{}@creators.test", name.to_lowercase());
    let creator = world::insert_creator(app, &w.brand_a, name, &email).await;
    id_of(
        app,
        &w.admin,
        "mutation ($input: EnrollCreatorInput!) { enrollCreator(input: $input) { id } }",
        json!({ "input": { "campaignId": w.campaign_a, "creatorId": creator, "offerId": w.offer_a } }),
        "enrollCreator",
    )
    .await
}

async fn own_link(app: &TestApp, w: &World, code: &str) -> String {
    let input = json!({ "enrollmentId": w.enrollment_a,
        "destinationUrl": "https://shop.example.com/", "code": code });
    id_of(
        app,
        &w.admin,
        CREATE_LINK,
        json!({ "input": input }),
        "createTrackingLink",
    )
    .await
}

async fn own_code(app: &TestApp, w: &World, code: &str) -> String {
    let input = json!({ "enrollmentId": w.enrollment_a, "code": code, "percentOff": "10" });
    id_of(
        app,
        &w.admin,
        CREATE_CODE,
        json!({ "input": input }),
        "createDiscountCode",
    )
    .await
}

/// A manual BONUS for the World's creator: APPROVED at once, so a payout run gathers it.
async fn bonus(app: &TestApp, w: &World, amount: &str) -> String {
    let input = json!({ "enrollmentId": w.enrollment_a, "kind": "BONUS", "amount": usd(amount),
        "reason": "launch week" });
    id_of(
        app,
        &w.admin,
        ADD_COMMISSION,
        json!({ "input": input }),
        "addCommission",
    )
    .await
}

async fn run_payouts(app: &TestApp, w: &World) -> Vec<String> {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: CreatePayoutsInput!) { createPayouts(input: $input) { payouts { id } } }",
            json!({ "input": { "periodEnd": Utc::now().to_rfc3339() } }),
        )
        .await;
    data(&response)["createPayouts"]["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .map(|payout| text(&payout["id"]))
        .collect()
}

/// A PENDING payout of this case's own (a bonus gathered by a run).
async fn own_payout(app: &TestApp, w: &World) -> String {
    bonus(app, w, "30.00").await;
    let payouts = run_payouts(app, w).await;
    payouts.into_iter().next().expect("a payout")
}

async fn create_campaign(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "Audited", "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    Done::target(text(&data(&response)["createCampaign"]["id"]))
}

async fn update_campaign(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id } }",
            json!({ "input": { "id": w.campaign_a, "name": "Spring, renamed" } }),
        )
        .await;
    Done::target(text(&data(&response)["updateCampaign"]["id"]))
}

async fn set_campaign_status(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { setCampaignStatus(id: $id, status: PAUSED) { id } }",
            json!({ "id": w.campaign_a }),
        )
        .await;
    Done::target(text(&data(&response)["setCampaignStatus"]["id"]))
}

async fn create_offer(app: &TestApp, w: &World) -> Done {
    let input = json!({ "campaignId": w.campaign_a, "name": "CPA $10, tiered", "model": "CPA",
        "cpaAmount": usd("10.00"), "tiers": [{ "fromSale": 5, "cpaAmount": usd("12.00") }] });
    Done::target(
        id_of(
            app,
            &w.admin,
            CREATE_OFFER,
            json!({ "input": input }),
            "createOffer",
        )
        .await,
    )
}

async fn update_offer(app: &TestApp, w: &World) -> Done {
    let input = json!({ "campaignId": w.campaign_a, "name": "CPA $15", "model": "CPA",
        "cpaAmount": usd("15.00") });
    let offer = id_of(
        app,
        &w.admin,
        CREATE_OFFER,
        json!({ "input": input }),
        "createOffer",
    )
    .await;
    let change = json!({ "id": offer, "name": "CPA $15, tiered",
        "tiers": [{ "fromSale": 10, "cpaAmount": usd("18.00") }] });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: UpdateOfferInput!) { updateOffer(input: $input) { id } }",
            json!({ "input": change }),
            "updateOffer",
        )
        .await,
    )
}

async fn enroll_creator(app: &TestApp, w: &World) -> Done {
    Done::target(own_enrollment(app, w, "Enid").await)
}

async fn set_enrollment_status(app: &TestApp, w: &World) -> Done {
    let enrollment = own_enrollment(app, w, "Stella").await;
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($id: ID!) { setEnrollmentStatus(id: $id, status: ACTIVE) { id } }",
            json!({ "id": enrollment }),
            "setEnrollmentStatus",
        )
        .await,
    )
}

async fn update_enrollment(app: &TestApp, w: &World) -> Done {
    let enrollment = own_enrollment(app, w, "Ursula").await;
    let input = json!({ "id": enrollment, "overrides": { "cpaAmount": usd("25.00") } });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: UpdateEnrollmentInput!) { updateEnrollment(input: $input) { id } }",
            json!({ "input": input }),
            "updateEnrollment",
        )
        .await,
    )
}

async fn create_deliverable(app: &TestApp, w: &World) -> Done {
    let input =
        json!({ "enrollmentId": w.enrollment_a, "platform": "INSTAGRAM", "format": "STORY" });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: CreateDeliverableInput!) { createDeliverable(input: $input) { id } }",
            json!({ "input": input }),
            "createDeliverable",
        )
        .await,
    )
}

async fn update_deliverable(app: &TestApp, w: &World) -> Done {
    let input = json!({ "id": w.deliverable_a, "views": 1200, "impressions": 3400 });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: UpdateDeliverableInput!) { updateDeliverable(input: $input) { id } }",
            json!({ "input": input }),
            "updateDeliverable",
        )
        .await,
    )
}

async fn own_cost(app: &TestApp, w: &World, amount: &str) -> String {
    let input = json!({ "campaignId": w.campaign_a, "creatorId": w.creator_a,
        "kind": "PRODUCT_SEEDING", "amount": usd(amount), "incurredAt": Utc::now().to_rfc3339(),
        "note": "spring box" });
    id_of(
        app,
        &w.admin,
        RECORD_COST,
        json!({ "input": input }),
        "recordCost",
    )
    .await
}

async fn record_cost(app: &TestApp, w: &World) -> Done {
    Done::target(own_cost(app, w, "45.00").await)
}

async fn delete_cost(app: &TestApp, w: &World) -> Done {
    let cost = own_cost(app, w, "12.00").await;
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { deleteCost(id: $id) }",
            json!({ "id": cost }),
        )
        .await;
    Done::target(text(&data(&response)["deleteCost"]))
}

async fn create_experiment(app: &TestApp, w: &World) -> Done {
    let starts = Utc::now() - Duration::days(7);
    let input = json!({ "campaignId": w.campaign_a, "name": "West vs South",
        "startsAt": starts.to_rfc3339(), "endsAt": (starts + Duration::days(28)).to_rfc3339(),
        "treatment": [{ "region": "US-CA", "population": 39000000 }],
        "control": [{ "region": "US-TX", "population": 30000000 }] });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }",
            json!({ "input": input }),
            "createExperiment",
        )
        .await,
    )
}

async fn create_tracking_link(app: &TestApp, w: &World) -> Done {
    Done::target(own_link(app, w, "audit-new").await)
}

async fn archive_tracking_link(app: &TestApp, w: &World) -> Done {
    let link = own_link(app, w, "audit-archived").await;
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($id: ID!) { archiveTrackingLink(id: $id) { id } }",
            json!({ "id": link }),
            "archiveTrackingLink",
        )
        .await,
    )
}

async fn update_tracking_link(app: &TestApp, w: &World) -> Done {
    let link = own_link(app, w, "audit-updated").await;
    let input = json!({ "id": link, "utmSource": "tiktok", "state": "PAUSED" });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: UpdateTrackingLinkInput!) { updateTrackingLink(input: $input) { id } }",
            json!({ "input": input }),
            "updateTrackingLink",
        )
        .await,
    )
}

async fn create_discount_code(app: &TestApp, w: &World) -> Done {
    Done::target(own_code(app, w, "AUDITNEW").await)
}

const DEACTIVATE_CODE: &str = "mutation ($id: ID!) { deactivateDiscountCode(id: $id) { id } }";

async fn deactivate_discount_code(app: &TestApp, w: &World) -> Done {
    let code = own_code(app, w, "AUDITOFF").await;
    let id = id_of(
        app,
        &w.admin,
        DEACTIVATE_CODE,
        json!({ "id": code }),
        "deactivateDiscountCode",
    );
    Done::target(id.await)
}

async fn reactivate_discount_code(app: &TestApp, w: &World) -> Done {
    let code = own_code(app, w, "AUDITBACK").await;
    id_of(
        app,
        &w.admin,
        DEACTIVATE_CODE,
        json!({ "id": code }),
        "deactivateDiscountCode",
    )
    .await;
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($id: ID!) { reactivateDiscountCode(id: $id) { id } }",
            json!({ "id": code }),
            "reactivateDiscountCode",
        )
        .await,
    )
}

/// Ingestion by the API key: one entry per call, about the brand, with its counts.
async fn record_clicks(app: &TestApp, w: &World) -> Done {
    world::tracking_link(app, &w.admin, &w.enrollment_a, "audit-clicks").await;
    let at = Utc::now().to_rfc3339();
    let clicks = json!([
        { "linkCode": "audit-clicks", "clickId": "audit-c-1", "occurredAt": at },
        { "linkCode": "audit-clicks", "clickId": "audit-c-2", "occurredAt": at },
    ]);
    world::record_clicks(app, &w.key, clicks).await;
    Done::target(w.brand_a.clone()).by(w.key_id.clone())
}

async fn record_conversions(app: &TestApp, w: &World) -> Done {
    let conversions = json!([{ "externalId": "audit-order-1", "kind": "SALE", "amount": "40",
        "occurredAt": Utc::now().to_rfc3339() }]);
    world::record_conversions(app, &w.key, conversions).await;
    Done::target(w.brand_a.clone()).by(w.key_id.clone())
}

async fn record_refund(app: &TestApp, w: &World) -> Done {
    // The order has not arrived: the refund is held (and the answer is null).
    let input = json!({ "externalId": "audit-order-later", "refundId": "audit-refund-1",
        "amount": "5", "occurredAt": Utc::now().to_rfc3339() });
    let response = app
        .graphql_as(
            Some(&w.key),
            "mutation ($input: RecordRefundInput!) { recordRefund(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(data(&response)["recordRefund"], Value::Null, "{response}");
    Done::target(w.brand_a.clone()).by(w.key_id.clone())
}

async fn add_commission(app: &TestApp, w: &World) -> Done {
    Done::target(bonus(app, w, "15.00").await)
}

async fn create_clawback(app: &TestApp, w: &World) -> Done {
    // A campaign of its own: the World's was paused by `setCampaignStatus` (no commission).
    let (campaign, offer) = world::campaign_with_offer(app, &w.admin, "Clawed").await;
    let enrollment = world::enroll(app, &w.admin, &campaign, &w.creator_a, &offer).await;
    world::discount_code(app, &w.admin, &enrollment, "AUDITCLAW").await;
    let item = json!({ "externalId": "audit-claw", "kind": "SALE", "amount": "80",
        "discountCode": "AUDITCLAW", "occurredAt": Utc::now().to_rfc3339() });
    let recorded = app
        .graphql_as(
            Some(&w.key),
            "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
              results { status conversion { id } } } }",
            json!({ "c": [item] }),
        )
        .await;
    let result = &data(&recorded)["recordConversions"]["results"][0];
    assert_eq!(result["status"], "ACCEPTED", "{recorded}");
    let conversion = text(&result["conversion"]["id"]);
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($id: ID!, $amount: MoneyInput!) {
              createClawback(conversionId: $id, amount: $amount, reason: \"coupon site\") { id } }",
            json!({ "id": conversion, "amount": usd("5.00") }),
            "createClawback",
        )
        .await,
    )
}

/// One entry per payout created (each about its payout).
async fn create_payouts(app: &TestApp, w: &World) -> Done {
    bonus(app, w, "20.00").await;
    let payouts = run_payouts(app, w).await;
    Done::target(payouts.into_iter().next().expect("a payout"))
}

async fn mark_payout_paid(app: &TestApp, w: &World) -> Done {
    let payout = own_payout(app, w).await;
    let input = json!({ "payoutId": payout, "reference": "SEPA-AUDIT-1" });
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($input: MarkPayoutPaidInput!) { markPayoutPaid(input: $input) { id } }",
            json!({ "input": input }),
            "markPayoutPaid",
        )
        .await,
    )
}

async fn release_payout(app: &TestApp, w: &World) -> Done {
    let payout = own_payout(app, w).await;
    Done::target(
        id_of(
            app,
            &w.admin,
            "mutation ($id: ID!) { releasePayout(id: $id, status: CANCELED, reason: \"bank\") { id } }",
            json!({ "id": payout }),
            "releasePayout",
        )
        .await,
    )
}

/// Each changed field's new value, by name.
fn new_values(entry: &Value) -> Vec<(String, Value)> {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| (text(&change["field"]), change["newValue"].clone()))
        .collect()
}

fn counts(accepted: &str, duplicates: &str, rejected: &str) -> Vec<(String, Value)> {
    vec![
        ("accepted".to_owned(), json!(accepted)),
        ("duplicates".to_owned(), json!(duplicates)),
        ("rejected".to_owned(), json!(rejected)),
    ]
}

/// Ingestion by an API key leaves one entry per call, about the brand, with the call's counts
/// (never one per event); a repeated refund is a call too.
async fn an_ingestion_call_leaves_one_entry_with_its_counts(app: TestApp) {
    let w = world::world(&app).await;
    world::tracking_link(&app, &w.admin, &w.enrollment_a, "counted").await;
    let at = Utc::now().to_rfc3339();
    let clicks = json!([
        { "linkCode": "counted", "clickId": "n-1", "occurredAt": at },
        { "linkCode": "counted", "clickId": "n-2", "occurredAt": at },
        { "linkCode": "counted", "clickId": "n-1", "occurredAt": at },
        { "linkCode": "no-such-link", "clickId": "n-3", "occurredAt": at },
    ]);
    let response = app
        .graphql_as(
            Some(&w.key),
            "mutation ($c: [ClickInput!]!) { recordClicks(clicks: $c) { accepted duplicates rejected } }",
            json!({ "c": clicks }),
        )
        .await;
    assert_eq!(
        data(&response)["recordClicks"],
        json!({ "accepted": 2, "duplicates": 1, "rejected": 1 })
    );
    let entries = super::all_entries(&app, &w.admin, json!({ "operation": "recordClicks" })).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["targetType"], "Brand");
    assert_eq!(entries[0]["target"], w.brand_a.as_str());
    assert_eq!(entries[0]["actorType"], "API_KEY");
    assert_eq!(entries[0]["actor"], w.key_id.as_str());
    assert_eq!(new_values(&entries[0]), counts("2", "1", "1"));

    const REFUND: &str =
        "mutation ($input: RecordRefundInput!) { recordRefund(input: $input) { id } }";
    let refund = json!({ "input": { "externalId": "later", "refundId": "r-1", "amount": "5",
        "occurredAt": at } });
    for _ in 0..2 {
        data(&app.graphql_as(Some(&w.key), REFUND, refund.clone()).await);
    }
    let entries = super::all_entries(&app, &w.admin, json!({ "operation": "recordRefund" })).await;
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!(
        new_values(&entries[0]),
        counts("0", "1", "0"),
        "newest first"
    );
    let mut held = counts("1", "0", "0");
    held.insert(2, ("held".to_owned(), json!("1")));
    assert_eq!(new_values(&entries[1]), held);

    // The postback endpoint shares the service but is no mutation: no entry.
    let before = super::all_entries(&app, &w.admin, json!({})).await.len();
    let body = json!({ "externalId": "pb-1", "kind": "SALE", "occurredAt": at, "amount": "9" });
    let request = Request::post("/postback/conversions")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.key))
        .body(Body::from(body.to_string()))
        .expect("request");
    let posted = app.request(request).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let after = super::all_entries(&app, &w.admin, json!({})).await.len();
    assert_eq!(after, before);
}

/// A mutation that changes nothing (archiving an archived link) still leaves its entry.
async fn a_change_to_nothing_is_recorded_without_changes(app: TestApp) {
    let w = world::world(&app).await;
    let link = own_link(&app, &w, "twice").await;
    const ARCHIVE: &str = "mutation ($id: ID!) { archiveTrackingLink(id: $id) { id } }";
    for _ in 0..2 {
        data(
            &app.graphql_as(Some(&w.admin), ARCHIVE, json!({ "id": link }))
                .await,
        );
    }
    let entries = super::all_entries(
        &app,
        &w.admin,
        json!({ "operation": "archiveTrackingLink" }),
    )
    .await;
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!(entries[0]["changes"], json!([]), "newest first");
    assert_eq!(
        entries[1]["changes"][0]["field"], "archivedAt",
        "{entries:#?}"
    );
}

on_both_backends!(
    an_ingestion_call_leaves_one_entry_with_its_counts,
    a_change_to_nothing_is_recorded_without_changes
);
