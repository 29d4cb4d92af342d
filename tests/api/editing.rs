//! Editing (issue #20): a link's destination, UTM values and state (a paused link answers a
//! "paused" page and records no click), deactivating discount codes, deleting costs, channels
//! and creators; every change that affects redirects reaches the link cache at once.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{SecondsFormat, Utc};
use partnergraph::db::entity::click;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::world::{self, World, text};
use crate::helpers::{HttpAnswer, TestApp, data, error_codes};
use crate::on_both_backends;

on_both_backends!(
    a_link_is_edited_paused_and_resumed_and_the_redirect_follows_at_once,
    link_edits_are_validated_and_scoped,
    a_deactivated_code_attributes_no_new_order,
    costs_are_deleted,
    a_channel_is_removed_and_the_tier_follows,
    a_creator_is_deleted_only_without_ledger_lines_or_activity,
);

const UPDATE_LINK: &str = "mutation ($input: UpdateTrackingLinkInput!) {
  updateTrackingLink(input: $input) {
    id code destinationUrl utmSource utmMedium utmCampaign utmContent state pausedAt } }";

async fn create_link(app: &TestApp, w: &World, enrollment: &str, code: &str) -> String {
    let response = app
        .contract(
            Some(&w.admin),
            "tracking",
            "CreateTrackingLink",
            json!({ "input": { "enrollmentId": enrollment, "code": code,
                "destinationUrl": "https://shop.example.com/spring", "utmSource": "tiktok" } }),
        )
        .await;
    text(&data(&response)["createTrackingLink"]["id"])
}

async fn update_link(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql_as(Some(token), UPDATE_LINK, json!({ "input": input }))
        .await
}

fn location(answer: &HttpAnswer) -> String {
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
    answer.headers[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned()
}

async fn clicks(app: &TestApp) -> u64 {
    app.tracking.clicks.flush().await;
    click::Entity::find().count(&app.db).await.expect("count")
}

async fn head(app: &TestApp, path: &str) -> HttpAnswer {
    app.request(Request::head(path).body(Body::empty()).expect("request"))
        .await
}

async fn a_link_is_edited_paused_and_resumed_and_the_redirect_follows_at_once(app: TestApp) {
    let w = world::world(&app).await;
    let link = create_link(&app, &w, &w.enrollment_a, "spring-maya").await;
    assert!(
        location(&app.get("/r/spring-maya").await)
            .starts_with("https://shop.example.com/spring?utm_source=tiktok&")
    );
    assert_eq!(clicks(&app).await, 1);

    // New destination and UTM values: the very next redirect (same process, cached link) uses them.
    let edited = update_link(
        &app,
        &w.manager,
        json!({ "id": link, "destinationUrl": "https://shop.example.com/summer",
            "utmSource": "", "utmCampaign": "summer" }),
    )
    .await;
    let edited = &data(&edited)["updateTrackingLink"];
    assert_eq!(edited["destinationUrl"], "https://shop.example.com/summer");
    assert_eq!(edited["utmSource"], Value::Null);
    assert_eq!(edited["utmCampaign"], "summer");
    assert_eq!(edited["state"], "ACTIVE");
    let moved = location(&app.get("/r/spring-maya").await);
    assert!(
        moved.starts_with("https://shop.example.com/summer?utm_campaign=summer&pg_click="),
        "{moved}"
    );

    // Paused: a clear page, not the destination, and no click recorded.
    let paused = update_link(&app, &w.admin, json!({ "id": link, "state": "PAUSED" })).await;
    assert_eq!(data(&paused)["updateTrackingLink"]["state"], "PAUSED");
    let paused_at = data(&paused)["updateTrackingLink"]["pausedAt"].clone();
    assert!(paused_at.is_string());
    let before = clicks(&app).await;
    let answer = app.get("/r/SPRING-MAYA").await;
    assert_eq!(answer.status, StatusCode::GONE);
    assert!(answer.headers.get(header::LOCATION).is_none());
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        answer.text.contains("This link is paused"),
        "{}",
        answer.text
    );
    assert_eq!(head(&app, "/r/spring-maya").await.status, StatusCode::GONE);
    assert_eq!(clicks(&app).await, before);
    // Pausing again keeps when it was paused; the other fields stay.
    let again = update_link(&app, &w.admin, json!({ "id": link, "state": "PAUSED" })).await;
    assert_eq!(data(&again)["updateTrackingLink"]["pausedAt"], paused_at);
    assert_eq!(
        data(&again)["updateTrackingLink"]["destinationUrl"],
        "https://shop.example.com/summer"
    );

    let resumed = update_link(&app, &w.admin, json!({ "id": link, "state": "ACTIVE" })).await;
    assert_eq!(
        data(&resumed)["updateTrackingLink"]["pausedAt"],
        Value::Null
    );
    assert!(
        location(&app.get("/r/spring-maya").await).starts_with("https://shop.example.com/summer?")
    );
    assert_eq!(clicks(&app).await, before + 1);

    // Listed with its state.
    let listed = app
        .graphql_as(
            Some(&w.analyst),
            "{ trackingLinks(first: 10) { edges { node { code state } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&listed)["trackingLinks"]["edges"][0]["node"]["state"],
        "ACTIVE"
    );
}

async fn link_edits_are_validated_and_scoped(app: TestApp) {
    let w = world::world(&app).await;
    let link = create_link(&app, &w, &w.enrollment_a, "checked-link").await;
    for bad in [
        "javascript:alert(1)",
        "ftp://shop.example.com/",
        "not a url",
        "/relative",
    ] {
        let response =
            update_link(&app, &w.admin, json!({ "id": link, "destinationUrl": bad })).await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{bad}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"],
            "destinationUrl"
        );
    }
    let long = update_link(
        &app,
        &w.admin,
        json!({ "id": link, "utmSource": "x".repeat(201) }),
    )
    .await;
    assert_eq!(long["errors"][0]["extensions"]["field"], "utmSource");
    for token in [&w.analyst, &w.creator, &w.key] {
        let response = update_link(&app, token, json!({ "id": link, "state": "PAUSED" })).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = update_link(&app, &w.admin_b, json!({ "id": link, "state": "PAUSED" })).await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    let wrong_kind = update_link(
        &app,
        &w.admin,
        json!({ "id": w.campaign_a, "state": "PAUSED" }),
    )
    .await;
    assert_eq!(error_codes(&wrong_kind), ["NOT_FOUND"]);
    // Nothing changed, the redirect still works.
    assert!(
        location(&app.get("/r/checked-link").await).starts_with("https://shop.example.com/spring?")
    );

    let archived = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { archiveTrackingLink(id: $id) { id } }",
            json!({ "id": link }),
        )
        .await;
    data(&archived);
    let response = update_link(&app, &w.admin, json!({ "id": link, "state": "ACTIVE" })).await;
    assert_eq!(error_codes(&response), ["CONFLICT"]);
    assert_eq!(
        app.get("/r/checked-link").await.status,
        StatusCode::NOT_FOUND
    );
}

const SET_CODE: &str = "mutation ($id: ID!) {
  deactivateDiscountCode(id: $id) { id active deactivatedAt } }";
const REACTIVATE_CODE: &str = "mutation ($id: ID!) {
  reactivateDiscountCode(id: $id) { id active deactivatedAt } }";

async fn order_with_code(app: &TestApp, w: &World, external_id: &str, code: &str) -> Value {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let response = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": [{ "externalId": external_id, "kind": "SALE",
                "occurredAt": now, "amount": "80.00", "currencyCode": "USD",
                "discountCode": code }] }),
        )
        .await;
    let result = &data(&response)["recordConversions"]["results"][0];
    assert_eq!(result["status"], "ACCEPTED", "{response}");
    result["conversion"]["attribution"]["method"].clone()
}

async fn a_deactivated_code_attributes_no_new_order(app: TestApp) {
    let w = world::world(&app).await;
    let created = app
        .contract(
            Some(&w.admin),
            "tracking",
            "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CORA10", "percentOff": "10" } }),
        )
        .await;
    let code = text(&data(&created)["createDiscountCode"]["id"]);
    assert_eq!(order_with_code(&app, &w, "o-1", "cora10").await, "CODE");

    for token in [&w.analyst, &w.creator, &w.key] {
        let response = app
            .graphql_as(Some(token), SET_CODE, json!({ "id": code }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = app
        .graphql_as(Some(&w.admin_b), SET_CODE, json!({ "id": code }))
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);

    let off = app
        .graphql_as(Some(&w.manager), SET_CODE, json!({ "id": code }))
        .await;
    assert_eq!(data(&off)["deactivateDiscountCode"]["active"], false);
    assert_eq!(order_with_code(&app, &w, "o-2", "CORA10").await, "NONE");
    // The order attributed before keeps its attribution.
    let node = app
        .graphql_as(
            Some(&w.admin),
            "{ discountCodes(first: 5) { edges { node { code active deactivatedAt } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&node)["discountCodes"]["edges"][0]["node"]["active"],
        false
    );

    let on = app
        .graphql_as(Some(&w.manager), REACTIVATE_CODE, json!({ "id": code }))
        .await;
    assert_eq!(data(&on)["reactivateDiscountCode"]["active"], true);
    assert_eq!(
        data(&on)["reactivateDiscountCode"]["deactivatedAt"],
        Value::Null
    );
    assert_eq!(order_with_code(&app, &w, "o-3", "CORA10").await, "CODE");
}

async fn costs_are_deleted(app: TestApp) {
    let w = world::world(&app).await;
    let recorded = app
        .contract(
            Some(&w.admin),
            "campaigns",
            "RecordCost",
            json!({ "input": { "campaignId": w.campaign_a, "kind": "GIFTING",
                "amount": { "amount": "10", "currencyCode": "USD" },
                "incurredAt": "2026-01-01T00:00:00Z" } }),
        )
        .await;
    let cost = text(&data(&recorded)["recordCost"]["id"]);
    const DELETE: &str = "mutation ($id: ID!) { deleteCost(id: $id) }";
    for token in [&w.analyst, &w.creator, &w.key] {
        let response = app
            .graphql_as(Some(token), DELETE, json!({ "id": cost }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = app
        .graphql_as(Some(&w.admin_b), DELETE, json!({ "id": cost }))
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    let deleted = app
        .graphql_as(Some(&w.manager), DELETE, json!({ "id": cost }))
        .await;
    assert_eq!(data(&deleted)["deleteCost"], cost.as_str());
    let again = app
        .graphql_as(Some(&w.manager), DELETE, json!({ "id": cost }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
    let listed = app
        .graphql_as(
            Some(&w.admin),
            "{ costs(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&listed)["costs"]["totalCount"], 0);
}

async fn a_channel_is_removed_and_the_tier_follows(app: TestApp) {
    let w = world::world(&app).await;
    let created = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: CreateCreatorInput!) { createCreator(input: $input) {
               id tier channels { id platform followers } } }",
            json!({ "input": { "displayName": "Two Channels", "channels": [
                { "platform": "TIKTOK", "handle": "@big", "followers": 250000 },
                { "platform": "BLOG", "handle": "small.blog", "followers": 4000 } ] } }),
        )
        .await;
    let creator = &data(&created)["createCreator"];
    assert_eq!(creator["tier"], "MID");
    let tiktok = creator["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["platform"] == "TIKTOK")
        .map(|c| text(&c["id"]))
        .expect("tiktok");
    const REMOVE: &str = "mutation ($id: ID!) { removeChannel(id: $id) {
        id tier channels { platform followers } } }";
    for token in [&w.analyst, &w.creator, &w.key] {
        let response = app
            .graphql_as(Some(token), REMOVE, json!({ "id": tiktok }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = app
        .graphql_as(Some(&w.admin_b), REMOVE, json!({ "id": tiktok }))
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    let removed = app
        .graphql_as(Some(&w.manager), REMOVE, json!({ "id": tiktok }))
        .await;
    let after = &data(&removed)["removeChannel"];
    assert_eq!(after["tier"], "NANO");
    assert_eq!(
        after["channels"],
        json!([{ "platform": "BLOG", "followers": 4000 }])
    );
    let again = app
        .graphql_as(Some(&w.manager), REMOVE, json!({ "id": tiktok }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
}

const DELETE_CREATOR: &str = "mutation ($id: ID!) { deleteCreator(id: $id) }";

async fn a_creator_is_deleted_only_without_ledger_lines_or_activity(app: TestApp) {
    let w = world::world(&app).await;
    // A creator with a link but no click (HEAD is no visit): deleted, and its link with it.
    let spare_enrollment = world::enroll_spare(&app, &w).await;
    create_link(&app, &w, &spare_enrollment, "spare-link").await;
    assert_eq!(head(&app, "/r/spare-link").await.status, StatusCode::FOUND);
    for token in [&w.analyst, &w.creator, &w.key] {
        let response = app
            .graphql_as(
                Some(token),
                DELETE_CREATOR,
                json!({ "id": w.spare_creator_a }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
    }
    let foreign = app
        .graphql_as(
            Some(&w.admin_b),
            DELETE_CREATOR,
            json!({ "id": w.spare_creator_a }),
        )
        .await;
    assert_eq!(error_codes(&foreign), ["NOT_FOUND"]);
    let deleted = app
        .graphql_as(
            Some(&w.manager),
            DELETE_CREATOR,
            json!({ "id": w.spare_creator_a }),
        )
        .await;
    assert_eq!(data(&deleted)["deleteCreator"], w.spare_creator_a.as_str());
    assert_eq!(app.get("/r/spare-link").await.status, StatusCode::NOT_FOUND);
    let gone = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": w.spare_creator_a }),
        )
        .await;
    assert_eq!(error_codes(&gone), ["NOT_FOUND"]);

    // A creator whose link was clicked: CONFLICT, erase instead.
    let clicked = world::insert_creator(&app, &w.brand_a, "Clicked", "clicked@creators.test").await;
    let enrollment = world::enroll(&app, &w.admin, &w.campaign_a, &clicked, &w.offer_a).await;
    create_link(&app, &w, &enrollment, "clicked-link").await;
    location(&app.get("/r/clicked-link").await);
    app.tracking.clicks.flush().await;
    let refused = app
        .graphql_as(Some(&w.admin), DELETE_CREATOR, json!({ "id": clicked }))
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"], "{refused}");
    assert!(refused.to_string().contains("erase"), "{refused}");

    // A creator with commission lines: CONFLICT, erase instead; nothing was deleted.
    world::discount_code(&app, &w.admin, &w.enrollment_a, "CORA20").await;
    assert_eq!(
        order_with_code(&app, &w, "o-ledger", "CORA20").await,
        "CODE"
    );
    let refused = app
        .graphql_as(Some(&w.admin), DELETE_CREATOR, json!({ "id": w.creator_a }))
        .await;
    assert_eq!(error_codes(&refused), ["CONFLICT"], "{refused}");
    assert!(
        refused.to_string().contains("commission or payout lines"),
        "{refused}"
    );
    let still = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": w.creator_a }),
        )
        .await;
    data(&still);
}
