//! Deliverables and costs, as the contract sends them.

use chrono::Utc;
use partnergraph::db::entity::cost;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::world;
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn deliverables_move_through_their_flow(app: TestApp) {
    let w = world::world(&app).await;
    let created = app
        .contract(
            Some(&w.manager),
            "campaigns",
            "CreateDeliverable",
            json!({ "input": { "enrollmentId": w.enrollment_a, "platform": "INSTAGRAM", "format": "STORY",
                "dueAt": "2026-05-01T12:00:00Z" } }),
        )
        .await;
    let created = &data(&created)["createDeliverable"];
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["platform"], "INSTAGRAM");
    assert_eq!(created["format"], "STORY");
    assert_eq!(created["dueAt"], "2026-05-01T12:00:00Z");
    let id = created["id"].as_str().unwrap().to_owned();
    let update = |input: serde_json::Value| {
        let mut input = input;
        input["id"] = json!(id);
        app.contract(
            Some(&w.manager),
            "campaigns",
            "UpdateDeliverable",
            json!({ "input": input }),
        )
    };
    let skip = update(json!({ "status": "PUBLISHED" })).await;
    assert_eq!(error_codes(&skip), ["BAD_USER_INPUT"]);
    data(&update(json!({ "status": "SUBMITTED" })).await);
    data(&update(json!({ "status": "APPROVED" })).await);
    let undisclosed =
        update(json!({ "status": "PUBLISHED", "postUrl": "https://instagram.com/p/x" })).await;
    assert_eq!(error_codes(&undisclosed), ["BAD_USER_INPUT"]);
    assert_eq!(
        undisclosed["errors"][0]["extensions"]["field"],
        "disclosureConfirmed"
    );
    data(&update(json!({ "disclosureConfirmed": true })).await);
    let no_url = update(json!({ "status": "PUBLISHED" })).await;
    assert_eq!(error_codes(&no_url), ["BAD_USER_INPUT"]);
    assert_eq!(no_url["errors"][0]["extensions"]["field"], "postUrl");
    let negative = update(json!({ "impressions": -1 })).await;
    assert_eq!(negative["errors"][0]["extensions"]["field"], "impressions");
    let published = update(
        json!({ "status": "PUBLISHED", "postUrl": "https://instagram.com/p/abc",
        "publishedAt": "2026-05-02T09:30:00Z", "usageRightsUntil": "2026-08-01T00:00:00Z",
        "impressions": 120000, "views": 80000, "engagements": 5400 }),
    )
    .await;
    assert_eq!(
        data(&published)["updateDeliverable"],
        json!({ "id": id, "status": "PUBLISHED", "postUrl": "https://instagram.com/p/abc",
                "publishedAt": "2026-05-02T09:30:00Z", "impressions": 120000 })
    );
    let listed = app
        .graphql_as(
            Some(&w.analyst),
            "query ($c: ID) { deliverables(first: 10, filter: { campaignId: $c, status: PUBLISHED }) { totalCount edges { node { views engagements disclosureConfirmed } } } }",
            json!({ "c": w.campaign_a }),
        )
        .await;
    let listed = &data(&listed)["deliverables"];
    assert_eq!(listed["totalCount"], 1);
    assert_eq!(
        listed["edges"][0]["node"],
        json!({ "views": 80000, "engagements": 5400, "disclosureConfirmed": true })
    );
    // The creator sees its own deliverables.
    let own = app
        .graphql_as(
            Some(&w.creator),
            "{ deliverables(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&own)["deliverables"]["totalCount"], 2);
}

async fn costs_are_recorded_in_the_brand_currency(app: TestApp) {
    let w = world::world(&app).await;
    let record = |amount: serde_json::Value, creator: Option<&str>| {
        app.contract(
            Some(&w.admin),
            "campaigns",
            "RecordCost",
            json!({ "input": { "campaignId": w.campaign_a, "creatorId": creator, "kind": "GIFTING",
                "amount": amount, "incurredAt": Utc::now().to_rfc3339(), "note": "box" } }),
        )
    };
    let usd = record(
        json!({ "amount": "120.5", "currencyCode": "USD" }),
        Some(&w.creator_a),
    )
    .await;
    let usd = &data(&usd)["recordCost"];
    assert_eq!(usd["kind"], "GIFTING");
    assert_eq!(
        usd["amount"],
        json!({ "amount": "120.50", "currencyCode": "USD" })
    );

    let no_rate = record(json!({ "amount": "100", "currencyCode": "EUR" }), None).await;
    assert_eq!(error_codes(&no_rate), ["BAD_USER_INPUT"]);
    assert_eq!(no_rate["errors"][0]["extensions"]["field"], "amount");
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let rate = app
        .contract(
            Some(&w.admin),
            "auth",
            "SetExchangeRate",
            json!({ "input": { "currencyCode": "EUR", "date": today, "rate": "1.1" } }),
        )
        .await;
    data(&rate);
    let eur = record(json!({ "amount": "100", "currencyCode": "EUR" }), None).await;
    let id = data(&eur)["recordCost"]["id"].clone();
    let node = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { ... on Cost { amount { amount currencyCode } brandAmount { amount currencyCode } creator { id } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&node)["node"],
        json!({ "amount": { "amount": "100.00", "currencyCode": "EUR" },
                "brandAmount": { "amount": "110.00", "currencyCode": "USD" }, "creator": null })
    );
    let before = cost::Entity::find().count(&app.db).await.unwrap();
    let negative = record(json!({ "amount": "-1", "currencyCode": "USD" }), None).await;
    assert_eq!(negative["errors"][0]["extensions"]["field"], "amount");
    let foreign = record(
        json!({ "amount": "1", "currencyCode": "USD" }),
        Some(&w.creator_b),
    )
    .await;
    assert_eq!(foreign["errors"][0]["extensions"]["field"], "creatorId");
    assert_eq!(cost::Entity::find().count(&app.db).await.unwrap(), before);
}

on_both_backends!(
    deliverables_move_through_their_flow,
    costs_are_recorded_in_the_brand_currency,
);
