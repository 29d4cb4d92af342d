//! Conversion ingestion: batches, idempotency, currency, attribution, new customers, refunds,
//! the change feed and the postback endpoint.

use chrono::{DateTime, Duration, Utc};
use partnergraph::db::entity::{click, conversion};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::world::{self, World, db_id, enroll, insert_creator, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const RECORD: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  accepted duplicates rejected
  results { externalId status error { code message field }
    conversion { id externalId status newCustomer amount { amount currencyCode } brandAmount { amount currencyCode }
      attribution { method selfReferral creator { id } campaign { id } enrollment { id } } } } } }";

fn sale(id: &str, amount: &str, at: DateTime<Utc>) -> Value {
    json!({ "externalId": id, "kind": "SALE", "occurredAt": at.to_rfc3339(), "amount": amount })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

async fn record(app: &TestApp, key: &str, items: Vec<Value>) -> Value {
    let response = app
        .graphql_as(Some(key), RECORD, json!({ "c": items }))
        .await;
    data(&response)["recordConversions"].clone()
}

async fn link_id(app: &TestApp, w: &World, enrollment: &str, code: &str) -> i64 {
    let response = app
        .contract(
            Some(&w.admin),
            "tracking",
            "CreateTrackingLink",
            json!({ "input": { "enrollmentId": enrollment, "destinationUrl": "https://shop.example.com/", "code": code } }),
        )
        .await;
    db_id(&text(&data(&response)["createTrackingLink"]["id"]))
}

async fn insert_click(
    app: &TestApp,
    brand: &str,
    link: i64,
    enrollment: &str,
    click_id: &str,
    at: DateTime<Utc>,
) {
    click::ActiveModel {
        brand_id: Set(db_id(brand)),
        link_id: Set(link),
        enrollment_id: Set(Some(db_id(enrollment))),
        click_id: Set(click_id.into()),
        occurred_at: Set(at),
        visitor_key: Set("v".into()),
        is_bot: Set(false),
        source: Set("API".into()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("insert click");
}

async fn code_for(app: &TestApp, w: &World, enrollment: &str, code: &str) {
    let response = app
        .contract(
            Some(&w.admin),
            "tracking",
            "CreateDiscountCode",
            json!({ "input": { "enrollmentId": enrollment, "code": code, "percentOff": "10" } }),
        )
        .await;
    data(&response);
}

async fn a_batch_reports_each_item_and_replays_write_nothing(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    let items = vec![
        sale("o-1", "120.00", now),
        json!({ "externalId": "o-2", "kind": "SALE", "occurredAt": now.to_rfc3339() }),
        with(sale("o-3", "10", now), json!({ "currencyCode": "EUR" })),
        sale("o-4", "12.345", now),
        json!({ "externalId": "lead-1", "kind": "LEAD", "occurredAt": now.to_rfc3339() }),
        sale("  ", "1", now),
        sale("o-1", "999", now),
    ];
    let first = record(&app, &w.key, items.clone()).await;
    assert_eq!(
        (
            first["accepted"].as_u64(),
            first["duplicates"].as_u64(),
            first["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(4))
    );
    let results = first["results"].as_array().unwrap();
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        [
            "ACCEPTED",
            "REJECTED",
            "REJECTED",
            "REJECTED",
            "ACCEPTED",
            "REJECTED",
            "DUPLICATE"
        ]
    );
    assert_eq!(results[1]["error"]["field"], "amount");
    assert_eq!(
        results[2]["error"]["field"], "currencyCode",
        "no EUR rate for today"
    );
    assert_eq!(results[3]["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        results[0]["conversion"]["amount"],
        json!({ "amount": "120.00", "currencyCode": "USD" })
    );
    assert_eq!(
        results[6]["conversion"]["id"], results[0]["conversion"]["id"],
        "in-batch repeat"
    );
    assert_eq!(
        results[6]["conversion"]["amount"]["amount"], "120.00",
        "the stored result, not the new one"
    );
    assert_eq!(conversion::Entity::find().count(&app.db).await.unwrap(), 2);

    let replay = record(&app, &w.key, items).await;
    assert_eq!(replay["accepted"], 0);
    assert_eq!(replay["duplicates"], 3);
    assert_eq!(replay["results"][0]["conversion"], results[0]["conversion"]);
    assert_eq!(conversion::Entity::find().count(&app.db).await.unwrap(), 2);
}

async fn oversized_batches_are_refused_whole(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    let items: Vec<Value> = (0..501)
        .map(|i| sale(&format!("b-{i}"), "1", now))
        .collect();
    let response = app
        .graphql_as(Some(&w.key), RECORD, json!({ "c": items }))
        .await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    assert_eq!(conversion::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn concurrent_identical_batches_store_each_conversion_once(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    let items: Vec<Value> = (0..40).map(|i| sale(&format!("c-{i}"), "5", now)).collect();
    let (a, b) = tokio::join!(
        record(&app, &w.key, items.clone()),
        record(&app, &w.key, items.clone())
    );
    assert_eq!(
        a["accepted"].as_u64().unwrap() + b["accepted"].as_u64().unwrap(),
        40
    );
    assert_eq!(
        a["duplicates"].as_u64().unwrap() + b["duplicates"].as_u64().unwrap(),
        40
    );
    assert_eq!(conversion::Entity::find().count(&app.db).await.unwrap(), 40);
}

async fn foreign_amounts_convert_with_the_days_rate(app: TestApp) {
    let w = world::world(&app).await;
    let at = Utc::now() - Duration::days(3);
    let day = at.format("%Y-%m-%d").to_string();
    let rate = app
        .contract(
            Some(&w.admin),
            "auth",
            "SetExchangeRate",
            json!({ "input": { "currencyCode": "JPY", "date": day, "rate": "0.0067" } }),
        )
        .await;
    data(&rate);
    let result = record(
        &app,
        &w.key,
        vec![with(
            sale("jp-1", "1500", at),
            json!({ "currencyCode": "JPY" }),
        )],
    )
    .await;
    let conversion = &result["results"][0]["conversion"];
    assert_eq!(
        conversion["amount"],
        json!({ "amount": "1500", "currencyCode": "JPY" })
    );
    assert_eq!(
        conversion["brandAmount"],
        json!({ "amount": "10.05", "currencyCode": "USD" })
    );
}

fn method(result: &Value, i: usize) -> (String, Option<String>) {
    let attribution = &result["results"][i]["conversion"]["attribution"];
    (
        attribution["method"].as_str().unwrap().to_owned(),
        attribution["creator"]["id"].as_str().map(str::to_owned),
    )
}

async fn attribution_follows_the_domain_rules(app: TestApp) {
    let w = world::world(&app).await;
    // A second creator of A, enrolled in the same campaign, with a code.
    let other = insert_creator(&app, &w.brand_a, "Olly Other", "olly@creators.test").await;
    let other_enrollment = enroll(&app, &w.admin, &w.campaign_a, &other, &w.offer_a).await;
    code_for(&app, &w, &other_enrollment, "OLLY10").await;
    code_for(&app, &w, &w.enrollment_a, "CORA10").await;
    let link = link_id(&app, &w, &w.enrollment_a, "cora-link").await;
    let now = Utc::now();
    insert_click(
        &app,
        &w.brand_a,
        link,
        &w.enrollment_a,
        "click-fresh",
        now - Duration::days(2),
    )
    .await;
    insert_click(
        &app,
        &w.brand_a,
        link,
        &w.enrollment_a,
        "click-stale",
        now - Duration::days(40),
    )
    .await;
    // Brand B's click id means nothing to A.
    let (campaign_b, offer_b) = world::campaign_with_offer(&app, &w.admin_b, "B").await;
    let enrollment_b = enroll(&app, &w.admin_b, &campaign_b, &w.creator_b, &offer_b).await;
    let link_b = {
        let response = app
            .contract(Some(&w.admin_b), "tracking", "CreateTrackingLink",
                json!({ "input": { "enrollmentId": enrollment_b, "destinationUrl": "https://b.example.com/" } }))
            .await;
        db_id(&text(&data(&response)["createTrackingLink"]["id"]))
    };
    insert_click(
        &app,
        &w.brand_b,
        link_b,
        &enrollment_b,
        "click-b",
        now - Duration::days(1),
    )
    .await;

    let items = vec![
        with(sale("a-1", "10", now), json!({ "clickId": "click-fresh" })),
        with(sale("a-2", "10", now), json!({ "clickId": "click-stale" })),
        with(sale("a-3", "10", now), json!({ "discountCode": "olly10" })),
        with(
            sale("a-4", "10", now),
            json!({ "clickId": "click-fresh", "discountCode": "OLLY10" }),
        ),
        with(sale("a-5", "10", now), json!({ "clickId": "click-b" })),
        with(
            sale("a-6", "10", now),
            json!({ "discountCode": "CORA10", "customerEmail": "Cora@Creators.test" }),
        ),
        sale("a-7", "10", now),
        with(
            sale("a-8", "10", now - Duration::days(5)),
            json!({ "clickId": "click-fresh" }),
        ),
    ];
    let result = record(&app, &w.key, items).await;
    let cora = Some(w.creator_a.clone());
    let olly = Some(other.clone());
    assert_eq!(
        method(&result, 0),
        ("CLICK".into(), cora.clone()),
        "click in the window"
    );
    assert_eq!(
        method(&result, 1),
        ("NONE".into(), None),
        "click out of the window"
    );
    assert_eq!(
        method(&result, 2),
        ("CODE".into(), olly.clone()),
        "code only, case-insensitive"
    );
    assert_eq!(
        method(&result, 3),
        ("CODE".into(), olly.clone()),
        "CODE_WINS by default"
    );
    assert_eq!(
        method(&result, 4),
        ("NONE".into(), None),
        "another brand's click id"
    );
    assert_eq!(method(&result, 5), ("CODE".into(), cora.clone()));
    assert_eq!(
        result["results"][5]["conversion"]["attribution"]["selfReferral"],
        true
    );
    assert_eq!(
        result["results"][0]["conversion"]["attribution"]["selfReferral"],
        false
    );
    assert_eq!(method(&result, 6), ("NONE".into(), None));
    assert_eq!(
        method(&result, 7),
        ("NONE".into(), None),
        "the click came after the order"
    );

    // CLICK_WINS flips the tie-break.
    let settings = app
        .contract(
            Some(&w.admin),
            "auth",
            "UpdateBrandSettings",
            json!({ "input": { "codePrecedence": "CLICK_WINS" } }),
        )
        .await;
    data(&settings);
    let result = record(
        &app,
        &w.key,
        vec![with(
            sale("b-1", "10", now),
            json!({ "clickId": "click-fresh", "discountCode": "OLLY10" }),
        )],
    )
    .await;
    assert_eq!(method(&result, 0), ("CLICK".into(), cora.clone()));

    // A paused enrollment's candidate is dropped before precedence: the other one wins.
    let paused = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { setEnrollmentStatus(id: $id, status: PAUSED) { status } }",
            json!({ "id": w.enrollment_a }),
        )
        .await;
    data(&paused);
    let result = record(
        &app,
        &w.key,
        vec![with(
            sale("b-2", "10", now),
            json!({ "clickId": "click-fresh", "discountCode": "OLLY10" }),
        )],
    )
    .await;
    assert_eq!(method(&result, 0), ("CODE".into(), olly.clone()));

    // A campaign that is not running attributes nothing.
    let paused = app
        .contract(
            Some(&w.admin),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": w.campaign_a, "status": "PAUSED" }),
        )
        .await;
    data(&paused);
    let result = record(
        &app,
        &w.key,
        vec![with(
            sale("b-3", "10", now),
            json!({ "discountCode": "OLLY10" }),
        )],
    )
    .await;
    assert_eq!(method(&result, 0), ("NONE".into(), None));
}

async fn a_flight_attributes_only_inside_its_window(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    let flight = app
        .contract(Some(&w.admin), "campaigns", "CreateCampaign", json!({ "input": { "name": "Flight",
            "objective": "SALES", "schedule": "FLIGHT",
            "startsAt": (now - Duration::days(10)).to_rfc3339(), "endsAt": (now - Duration::days(5)).to_rfc3339() } }))
        .await;
    let campaign = text(&data(&flight)["createCampaign"]["id"]);
    data(
        &app.contract(
            Some(&w.admin),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": campaign, "status": "ACTIVE" }),
        )
        .await,
    );
    let offer = app
        .contract(Some(&w.admin), "campaigns", "CreateOffer", json!({ "input": { "campaignId": campaign,
            "name": "CPA", "model": "CPA", "cpaAmount": { "amount": "5", "currencyCode": "USD" } } }))
        .await;
    let offer = text(&data(&offer)["createOffer"]["id"]);
    let enrollment = enroll(&app, &w.admin, &campaign, &w.spare_creator_a, &offer).await;
    code_for(&app, &w, &enrollment, "FLIGHT1").await;
    let result = record(
        &app,
        &w.key,
        vec![
            with(
                sale("f-in", "10", now - Duration::days(7)),
                json!({ "discountCode": "FLIGHT1" }),
            ),
            with(
                sale("f-after", "10", now - Duration::days(1)),
                json!({ "discountCode": "FLIGHT1" }),
            ),
        ],
    )
    .await;
    assert_eq!(
        method(&result, 0).0,
        "CODE",
        "history inside the flight is backfilled"
    );
    assert_eq!(method(&result, 1).0, "NONE");
}

async fn new_customers_do_not_depend_on_arrival_order(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    let customer = json!({ "customerKey": "cust-1" });
    let late = record(
        &app,
        &w.key,
        vec![with(
            sale("n-2", "10", now - Duration::days(1)),
            customer.clone(),
        )],
    )
    .await;
    assert_eq!(
        late["results"][0]["conversion"]["newCustomer"], true,
        "first seen: new"
    );
    let early = record(
        &app,
        &w.key,
        vec![with(
            sale("n-1", "10", now - Duration::days(3)),
            customer.clone(),
        )],
    )
    .await;
    assert_eq!(early["results"][0]["conversion"]["newCustomer"], true);
    let replay = record(
        &app,
        &w.key,
        vec![with(
            sale("n-2", "10", now - Duration::days(1)),
            customer.clone(),
        )],
    )
    .await;
    assert_eq!(
        replay["results"][0]["conversion"]["newCustomer"], false,
        "the earlier order arrived late"
    );
    // In time order, after the customer's stored orders: a returning customer.
    let in_order = record(
        &app,
        &w.key,
        vec![with(
            sale("n-4", "10", now - Duration::hours(12)),
            customer.clone(),
        )],
    )
    .await;
    assert_eq!(in_order["results"][0]["conversion"]["newCustomer"], false);
    let flagged = record(
        &app,
        &w.key,
        vec![with(
            sale("n-3", "10", now),
            json!({ "customerKey": "cust-1", "newCustomer": true }),
        )],
    )
    .await;
    assert_eq!(
        flagged["results"][0]["conversion"]["newCustomer"], true,
        "the input flag wins"
    );
}

async fn refund(app: &TestApp, key: &str, order: &str, refund_id: &str, amount: &str) -> Value {
    app.contract(Some(key), "ingest", "RecordRefund", json!({ "input": {
        "externalId": order, "refundId": refund_id, "amount": amount, "occurredAt": Utc::now().to_rfc3339() } }))
        .await
}

async fn refunds_apply_before_or_after_their_order(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    record(&app, &w.key, vec![sale("r-1", "100.00", now)]).await;
    let partial = refund(&app, &w.key, "r-1", "rf-1", "30").await;
    assert_eq!(
        data(&partial)["recordRefund"]["status"],
        "PARTIALLY_REFUNDED"
    );
    assert_eq!(
        data(&partial)["recordRefund"]["refundedAmount"]["amount"],
        "30.00"
    );
    let again = refund(&app, &w.key, "r-1", "rf-1", "30").await;
    assert_eq!(
        data(&again)["recordRefund"]["refundedAmount"]["amount"],
        "30.00",
        "idempotent on refundId"
    );
    let too_much = refund(&app, &w.key, "r-1", "rf-2", "70.01").await;
    assert_eq!(error_codes(&too_much), ["BAD_USER_INPUT"]);
    let rest = refund(&app, &w.key, "r-1", "rf-3", "70").await;
    assert_eq!(data(&rest)["recordRefund"]["status"], "REFUNDED");

    // Refund first: held (null), then applied when the order arrives.
    let early = refund(&app, &w.key, "r-2", "rf-4", "25").await;
    assert!(data(&early)["recordRefund"].is_null());
    let order = app
        .graphql_as(Some(&w.key), "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { results { conversion { status refundedAmount { amount } } } } }",
            json!({ "c": [sale("r-2", "100", now)] }))
        .await;
    let stored = &data(&order)["recordConversions"]["results"][0]["conversion"];
    assert_eq!(stored["status"], "PARTIALLY_REFUNDED");
    assert_eq!(stored["refundedAmount"]["amount"], "25.00");
    let no_scope = refund(&app, &w.admin, "r-1", "rf-9", "1").await;
    assert_eq!(error_codes(&no_scope), ["FORBIDDEN"], "staff cannot ingest");
}

const CHANGES: &str = "query ($after: String, $first: Int) { conversionChanges(after: $after, first: $first) {
  pageInfo { hasNextPage endCursor } edges { cursor node { id externalId status updatedAt attribution { method creator { id } } } } } }";

async fn the_change_feed_is_resumable_and_shows_changes_again(app: TestApp) {
    let w = world::world(&app).await;
    let now = Utc::now();
    record(
        &app,
        &w.key,
        (0..5).map(|i| sale(&format!("f-{i}"), "10", now)).collect(),
    )
    .await;
    let first = app
        .contract(
            Some(&w.key),
            "ingest",
            "ConversionChanges",
            json!({ "first": 3 }),
        )
        .await;
    let page = &data(&first)["conversionChanges"];
    let ids: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["f-0", "f-1", "f-2"]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let rest = app
        .graphql_as(
            Some(&w.key),
            CHANGES,
            json!({ "after": cursor, "first": 10 }),
        )
        .await;
    let rest = &data(&rest)["conversionChanges"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 2);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let end = rest["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    // Nothing new: an empty page from the same cursor, stable.
    let idle = app
        .graphql_as(Some(&w.key), CHANGES, json!({ "after": end, "first": 10 }))
        .await;
    assert_eq!(data(&idle)["conversionChanges"]["edges"], json!([]));
    // A refund changes f-1: it comes back after the cursor.
    data(&refund(&app, &w.key, "f-1", "rf-f1", "10").await);
    let changed = app
        .graphql_as(Some(&w.key), CHANGES, json!({ "after": end, "first": 10 }))
        .await;
    let edges = data(&changed)["conversionChanges"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["externalId"], "f-1");
    assert_eq!(edges[0]["node"]["status"], "REFUNDED");
    let staff = app
        .contract(Some(&w.admin), "ingest", "ConversionChanges", json!({}))
        .await;
    assert_eq!(error_codes(&staff), ["FORBIDDEN"]);
}

async fn the_postback_endpoint_follows_the_same_rules(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    let w = world::world(&app).await;
    let post = |token: Option<&str>, body: Value| {
        let mut request =
            Request::post("/postback/conversions").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        app.request(request.body(Body::from(body.to_string())).unwrap())
    };
    let body = json!({ "externalId": "pb-1", "kind": "SALE", "occurredAt": Utc::now().to_rfc3339(), "amount": "42.50" });
    let created = post(Some(&w.key), body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["status"], "ACCEPTED");
    let repeat = post(Some(&w.key), body.clone()).await;
    assert_eq!(repeat.status, StatusCode::OK);
    assert_eq!(repeat.json()["status"], "DUPLICATE");
    assert_eq!(
        repeat.json()["conversionId"],
        created.json()["conversionId"]
    );
    let bad = post(Some(&w.key), json!({ "externalId": "pb-2", "kind": "SALE", "occurredAt": Utc::now().to_rfc3339(), "amount": 1.5 })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["extensions"]["field"], "amount");
    assert_eq!(
        post(None, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some(&w.admin), body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let junk = post(Some(&w.key), json!({ "nope": 1 })).await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert_eq!(conversion::Entity::find().count(&app.db).await.unwrap(), 1);
}

async fn integrator_clicks_are_stored_once_and_attribute(app: TestApp) {
    let w = world::world(&app).await;
    link_id(&app, &w, &w.enrollment_a, "cora-api").await;
    let now = Utc::now();
    let clicks = json!([
        { "linkCode": "CORA-API", "clickId": "k-1", "occurredAt": (now - Duration::hours(2)).to_rfc3339(),
          "visitorKey": "visitor-9", "userAgent": "Mozilla/5.0 (iPhone)", "referrer": "https://www.tiktok.com/@cora", "country": "us" },
        { "linkCode": "cora-api", "occurredAt": now.to_rfc3339(), "userAgent": "Googlebot/2.1" },
        { "linkCode": "no-such-link", "clickId": "k-3", "occurredAt": now.to_rfc3339() },
        // The same click id again in the same batch: stored once.
        { "linkCode": "cora-api", "clickId": "k-1", "occurredAt": now.to_rfc3339() },
    ]);
    let first = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": clicks }),
        )
        .await;
    assert_eq!(
        data(&first)["recordClicks"],
        json!({ "accepted": 2, "duplicates": 1, "rejected": 1 })
    );
    let again = app
        .contract(
            Some(&w.key),
            "ingest",
            "RecordClicks",
            json!({ "clicks": [clicks[0].clone()] }),
        )
        .await;
    assert_eq!(
        data(&again)["recordClicks"],
        json!({ "accepted": 0, "duplicates": 1, "rejected": 0 })
    );
    let stored = click::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 2);
    let first_click = stored.iter().find(|c| c.click_id == "k-1").unwrap();
    assert_eq!(first_click.referrer_host.as_deref(), Some("www.tiktok.com"));
    assert_eq!(first_click.country.as_deref(), Some("US"));
    assert!(!first_click.visitor_key.contains("visitor-9"));
    assert!(!first_click.is_bot);
    assert!(stored.iter().any(|c| c.is_bot), "the crawler is flagged");
    let result = record(
        &app,
        &w.key,
        vec![with(
            sale("k-order", "10", now),
            json!({ "clickId": "k-1" }),
        )],
    )
    .await;
    assert_eq!(
        method(&result, 0),
        ("CLICK".into(), Some(w.creator_a.clone()))
    );
}

/// Click times keep sub-seconds; an order sent in whole seconds, placed in the same second as
/// its click, is compared at its own precision and attributed (it is not "before" the click).
async fn a_whole_second_order_in_its_clicks_second_is_attributed(app: TestApp) {
    let w = world::world(&app).await;
    link_id(&app, &w, &w.enrollment_a, "same-second").await;
    let second = DateTime::from_timestamp(Utc::now().timestamp() - 3_600, 0).unwrap();
    let click_at = second + Duration::milliseconds(400);
    let clicks = json!([{ "linkCode": "same-second", "clickId": "ss-1",
                          "occurredAt": click_at.to_rfc3339(), "userAgent": "Mozilla/5.0" }]);
    world::record_clicks(&app, &w.key, clicks).await;
    let whole = with(sale("ss-order", "10", second), json!({ "clickId": "ss-1" }));
    // The same instant in milliseconds is 0.4 s before the click: not the click's.
    let millis = second.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let precise = with(
        with(
            sale("ss-precise", "10", second),
            json!({ "clickId": "ss-1" }),
        ),
        json!({ "occurredAt": millis.replace(".000", ".001") }),
    );
    let result = record(&app, &w.key, vec![whole, precise]).await;
    assert_eq!(
        method(&result, 0),
        ("CLICK".into(), Some(w.creator_a.clone()))
    );
    assert_eq!(method(&result, 1).0, "NONE");
}

on_both_backends!(
    a_whole_second_order_in_its_clicks_second_is_attributed,
    integrator_clicks_are_stored_once_and_attribute,
    a_batch_reports_each_item_and_replays_write_nothing,
    oversized_batches_are_refused_whole,
    concurrent_identical_batches_store_each_conversion_once,
    foreign_amounts_convert_with_the_days_rate,
    attribution_follows_the_domain_rules,
    a_flight_attributes_only_inside_its_window,
    new_customers_do_not_depend_on_arrival_order,
    refunds_apply_before_or_after_their_order,
    the_change_feed_is_resumable_and_shows_changes_again,
    the_postback_endpoint_follows_the_same_rules,
);
