//! Geo-holdout experiments: creation and its validation, who may read them, and the result on
//! recorded conversions, checked against numbers worked out by hand.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use partnergraph::auth::{Actor, Principal, Role};
use partnergraph::error::AppError;
use partnergraph::graphql::id::{NodeKind, encode};
use partnergraph::service::{costs, experiments};

use crate::helpers::world::{self, World, campaign_with_offer, create_key, db_id, enroll, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const EXPERIMENTS: &str = "query ($first: Int, $after: String, $campaignId: ID) {
  experiments(first: $first, after: $after, campaignId: $campaignId) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name campaign { id } startsAt endsAt
      treatment { region population } control { region population } } } }";

/// The experiments' window: fixed, in the past (history may be backfilled), so that every call
/// agrees on its bounds to the second.
fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("a date");
    (start, start + Duration::days(14))
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn region(name: &str, population: i64) -> Value {
    json!({ "region": name, "population": population })
}

fn experiment_input(campaign: &str, treatment: Value, control: Value) -> Value {
    let (start, end) = window();
    json!({ "campaignId": campaign, "name": "West coast holdout", "startsAt": at(start),
        "endsAt": at(end), "treatment": treatment, "control": control })
}

/// One operation of `performance.graphql`, exactly as written, sent on its own: the file's other
/// operations (performance, forecast) are built separately and need not validate for these.
/// Runs a `performance.graphql` contract operation as written.
async fn performance_operation(app: &TestApp, token: &str, name: &str, variables: Value) -> Value {
    app.contract(Some(token), "performance", name, variables)
        .await
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    performance_operation(app, token, "CreateExperiment", json!({ "input": input })).await
}

async fn create_ok(app: &TestApp, token: &str, input: Value) -> String {
    let response = create(app, token, input).await;
    text(&data(&response)["createExperiment"]["id"])
}

async fn result(app: &TestApp, token: &str, id: &str) -> Value {
    performance_operation(app, token, "ExperimentResult", json!({ "id": id })).await
}

fn sale(id: &str, amount: &str, when: DateTime<Utc>, region: Option<&str>) -> Value {
    json!({ "externalId": id, "kind": "SALE", "occurredAt": at(when), "amount": amount,
        "region": region })
}

fn coded(mut item: Value, code: &str) -> Value {
    item["discountCode"] = json!(code);
    item
}

/// Runs a contract operation that must succeed and returns its `data`.
async fn run_ok(app: &TestApp, token: &str, file: &str, operation: &str, vars: Value) -> Value {
    data(&app.contract(Some(token), file, operation, vars).await).clone()
}

async fn ingest(app: &TestApp, key: &str, items: Vec<Value>) {
    let count = items.len();
    let vars = json!({ "conversions": items });
    let batch = run_ok(app, key, "ingest", "RecordConversions", vars).await;
    assert_eq!(
        batch["recordConversions"]["accepted"],
        json!(count),
        "{batch}"
    );
}

async fn refund(app: &TestApp, key: &str, order: &str, amount: &str) {
    let vars = json!({ "input": { "externalId": order, "refundId": format!("rf-{order}"),
        "amount": amount, "occurredAt": at(Utc::now()) } });
    run_ok(app, key, "ingest", "RecordRefund", vars).await;
}

async fn discount_code(app: &TestApp, w: &World, enrollment: &str, code: &str) {
    let vars = json!({ "input": { "enrollmentId": enrollment, "code": code, "percentOff": "10" } });
    run_ok(app, &w.admin, "tracking", "CreateDiscountCode", vars).await;
}

async fn cost(app: &TestApp, w: &World, campaign: &str, amount: &str, when: DateTime<Utc>) {
    let vars = json!({ "input": { "campaignId": campaign, "kind": "PRODUCT_SEEDING",
        "amount": usd(amount), "incurredAt": at(when) } });
    run_ok(app, &w.admin, "campaigns", "RecordCost", vars).await;
}

fn close(value: &Value, expected: f64) {
    let actual = value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

fn usd(amount: &str) -> Value {
    json!({ "amount": amount, "currencyCode": "USD" })
}

async fn invalid_experiments_are_bad_user_input(app: TestApp) {
    let w = world::world(&app).await;
    let (start, _) = window();
    let ok = || {
        experiment_input(
            &w.campaign_a,
            json!([region("US-CA", 10)]),
            json!([region("US-TX", 10)]),
        )
    };
    let with = |field: &str, value: Value| {
        let mut input = ok();
        input[field] = value;
        input
    };
    let (campaign_b, _) = campaign_with_offer(&app, &w.admin_b, "B's").await;
    let cases = [
        (with("treatment", json!([])), "treatment"),
        (with("control", json!([])), "control"),
        (
            with("control", json!([region(" us-ca", 5)])),
            "control[0].region",
        ),
        (
            with("treatment", json!([region("US-CA", 0)])),
            "treatment[0].population",
        ),
        (
            with("treatment", json!([region("   ", 3)])),
            "treatment[0].region",
        ),
        (with("endsAt", json!(at(start))), "endsAt"),
        (with("name", json!("  ")), "name"),
        (with("campaignId", json!(campaign_b)), "campaignId"),
        (with("campaignId", json!(w.creator_a)), "campaignId"),
    ];
    for (input, field) in cases {
        let response = create(&app, &w.manager, input).await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{response}"
        );
    }
    let listed = app.graphql_as(Some(&w.admin), EXPERIMENTS, json!({})).await;
    assert_eq!(
        data(&listed)["experiments"]["totalCount"],
        0,
        "nothing half-created"
    );
}

async fn staff_read_experiments_and_only_managers_create_them(app: TestApp) {
    let w = world::world(&app).await;
    let input = || {
        experiment_input(
            &w.campaign_a,
            json!([region(" us-ca ", 100), region("us-ny", 200)]),
            json!([region("US-TX", 300)]),
        )
    };
    let id = create_ok(&app, &w.manager, input()).await;
    let second = create_ok(&app, &w.admin, input()).await;
    for token in [&w.analyst, &w.creator, &w.key] {
        assert_eq!(
            error_codes(&create(&app, token, input()).await),
            ["FORBIDDEN"]
        );
    }

    let page = app
        .graphql_as(
            Some(&w.analyst),
            EXPERIMENTS,
            json!({ "first": 1, "campaignId": w.campaign_a }),
        )
        .await;
    let page = &data(&page)["experiments"];
    assert_eq!(
        (
            page["totalCount"].as_u64(),
            page["pageInfo"]["hasNextPage"].as_bool()
        ),
        (Some(2), Some(true))
    );
    let first = &page["nodes"][0];
    assert_eq!(first["id"], json!(id));
    assert_eq!(first["campaign"]["id"], json!(w.campaign_a));
    assert_eq!(
        first["treatment"],
        json!([region("US-CA", 100), region("US-NY", 200)])
    );
    assert_eq!(first["control"], json!([region("US-TX", 300)]));
    let rest = app
        .graphql_as(
            Some(&w.analyst),
            EXPERIMENTS,
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(data(&rest)["experiments"]["nodes"][0]["id"], json!(second));
    let (other_campaign, _) = campaign_with_offer(&app, &w.admin, "Other").await;
    let none = app
        .graphql_as(
            Some(&w.admin),
            EXPERIMENTS,
            json!({ "campaignId": other_campaign }),
        )
        .await;
    assert_eq!(data(&none)["experiments"]["totalCount"], 0);

    let analyst = result(&app, &w.analyst, &id).await;
    assert_eq!(data(&analyst)["node"]["result"]["treatmentConversions"], 0);
    for token in [&w.creator, &w.key] {
        let listed = app.graphql_as(Some(token), EXPERIMENTS, json!({})).await;
        assert_eq!(error_codes(&listed), ["FORBIDDEN"]);
        // Like every brand object, what a caller may not read does not exist for it.
        assert_eq!(error_codes(&result(&app, token, &id).await), ["NOT_FOUND"]);
    }
    assert_eq!(
        error_codes(&result(&app, &w.admin_b, &id).await),
        ["NOT_FOUND"]
    );
    let foreign = app
        .graphql_as(Some(&w.admin_b), EXPERIMENTS, json!({}))
        .await;
    assert_eq!(data(&foreign)["experiments"]["totalCount"], 0);
}

/// An experiment id the caller may not read answers NOT_FOUND, one answer whether it belongs to
/// another brand, does not exist, or the caller's role does not read experiments: through `node`
/// and from the service itself (which answered FORBIDDEN to the last before `service::scoped`).
/// Costs answer alike.
async fn foreign_and_missing_experiment_ids_are_not_found(app: TestApp) {
    let w = world::world(&app).await;
    let input = experiment_input(
        &w.campaign_a,
        json!([region("US-CA", 100)]),
        json!([region("US-TX", 300)]),
    );
    let id = create_ok(&app, &w.manager, input).await;
    let raw = db_id(&id);
    let missing = encode(NodeKind::Experiment, raw + 1_000).0;
    const NODE: &str = "query ($id: ID!) { node(id: $id) { id ... on Experiment { name } } }";
    for (who, token, id) in [
        ("another brand's ADMIN", &w.admin_b, &id),
        ("a creator of the brand", &w.creator, &id),
        ("an integrator of the brand", &w.key, &id),
        ("the ADMIN, for a missing id", &w.admin, &missing),
    ] {
        let answer = app.graphql_as(Some(token), NODE, json!({ "id": id })).await;
        assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{who}");
    }

    cost(&app, &w, &w.campaign_a, "10.00", window().0).await;
    let cost_id = {
        use sea_orm::EntityTrait;
        partnergraph::db::entity::cost::Entity::find()
            .one(&app.db)
            .await
            .expect("query")
            .expect("a cost")
            .id
    };
    let actor = |role: Role, brand: &str| Actor {
        principal: Principal::User(0),
        role,
        brand_id: Some(db_id(brand)),
        creator_ids: Vec::new(),
        scopes: Vec::new(),
        session_id: None,
    };
    let creator = Actor {
        brand_id: None,
        creator_ids: vec![db_id(&w.creator_a)],
        ..actor(Role::Creator, &w.brand_a)
    };
    let analyst = actor(Role::Analyst, &w.brand_a);
    let other_admin = actor(Role::Admin, &w.brand_b);
    for (who, caller, id) in [
        ("another brand's ADMIN", &other_admin, raw),
        ("a creator of the brand", &creator, raw),
        ("an analyst, for a missing id", &analyst, raw + 1_000),
    ] {
        let got = experiments::get(&app.db, caller, id).await;
        assert!(
            matches!(got, Err(AppError::NotFound)),
            "experiment, {who}: {got:?}"
        );
        let id = if id == raw { cost_id } else { cost_id + 1_000 };
        let got = costs::get(&app.db, caller, id).await;
        assert!(
            matches!(got, Err(AppError::NotFound)),
            "cost, {who}: {got:?}"
        );
    }
    assert_eq!(
        experiments::get(&app.db, &analyst, raw)
            .await
            .expect("own")
            .id,
        raw
    );
    assert_eq!(
        costs::get(&app.db, &analyst, cost_id)
            .await
            .expect("own")
            .id,
        cost_id
    );
}

async fn the_result_counts_every_sale_in_the_regions_and_window(app: TestApp) {
    let w = world::world(&app).await;
    let (start, end) = window();
    let day = |n: i64| start + Duration::days(n);
    discount_code(&app, &w, &w.enrollment_a, "SPRING").await;
    let (campaign_b, offer_b) = campaign_with_offer(&app, &w.admin, "Summer").await;
    let enrollment_b = enroll(&app, &w.admin, &campaign_b, &w.spare_creator_a, &offer_b).await;
    discount_code(&app, &w, &enrollment_b, "SUMMER").await;
    let (key_b, _) = create_key(&app, &w.admin_b, "b store").await;

    ingest(&app, &w.key, vec![
        // Treatment (US-CA, US-NY): 4 sales, net revenue 100 + 50 + 0 + 45 = 195.00.
        coded(sale("t-1", "100.00", day(1), Some("US-CA")), "SPRING"), // commission 20.00
        sale("t-2", "50.00", day(2), Some("us-ca")),                     // unattributed
        coded(sale("t-3", "80.00", day(3), Some("US-NY")), "SPRING"),  // 20.00, refunded in full
        sale("t-4", "60.00", day(4), Some("US-NY")),                     // 15.00 refunded
        // Control (US-TX, US-FL): 3 sales, net revenue 70 + 30 + 10 = 110.00.
        sale("c-1", "70.00", day(5), Some("US-TX")),
        coded(sale("c-2", "30.00", day(6), Some("US-FL")), "SUMMER"), // another campaign's
        sale("c-3", "10.00", start, Some("US-TX")),                     // the window's first instant
        // Not counted: outside the window, a lead, other regions, no region.
        coded(sale("x-1", "500.00", end, Some("US-CA")), "SPRING"),
        sale("x-2", "40.00", start - Duration::seconds(1), Some("US-TX")),
        json!({ "externalId": "x-3", "kind": "LEAD", "occurredAt": at(day(2)), "region": "US-CA" }),
        sale("x-4", "90.00", day(2), Some("DE-BE")),
        sale("x-5", "90.00", day(2), None),
    ])
    .await;
    ingest(
        &app,
        &key_b,
        vec![sale("b-1", "1000.00", day(2), Some("US-CA"))],
    )
    .await;
    refund(&app, &w.key, "t-3", "80.00").await; // REVERSAL -20.00, dated with t-3
    refund(&app, &w.key, "t-4", "15.00").await;
    cost(&app, &w, &w.campaign_a, "30.00", day(3)).await;
    cost(&app, &w, &w.campaign_a, "99.00", end).await;
    cost(&app, &w, &campaign_b, "50.00", day(3)).await;

    let id = create_ok(
        &app,
        &w.manager,
        experiment_input(
            &w.campaign_a,
            json!([region("US-CA", 1_000), region("US-NY", 1_000)]),
            json!([region("US-TX", 1_500), region("US-FL", 1_500)]),
        ),
    )
    .await;
    let response = result(&app, &w.analyst, &id).await;
    let got = &data(&response)["node"]["result"];
    // rate_t = 4 / 2,000 = 0.002; rate_c = 3 / 3,000 = 0.001; lift = 0.001 / 0.001 = 1.
    // se = sqrt(0.002 x 0.998 / 2,000 + 0.001 x 0.999 / 3,000) = sqrt(1.331e-6)
    //    = 0.00115368973298716670...
    // low  = (0.001 - 1.959963984540054 x se) / 0.001 = -1.26119032598847822...
    // high = (0.001 + 1.959963984540054 x se) / 0.001 =  3.26119032598847822...
    // incremental conversions = 0.001 x 2,000 = 2
    // incremental revenue = 195.00 - 110.00 x 2,000 / 3,000 = 121.6666... -> 121.67
    // spend = commissions 20.00 + 20.00 - 20.00 + costs 30.00 = 50.00; iROAS = 121.67 / 50 = 2.4334
    assert_eq!(got["treatmentConversions"], 4, "{got}");
    assert_eq!(got["controlConversions"], 3, "{got}");
    close(&got["lift"], 1.0);
    close(&got["liftLow"], -1.261_190_325_988_478);
    close(&got["liftHigh"], 3.261_190_325_988_478);
    close(&got["incrementalConversions"], 2.0);
    assert_eq!(got["incrementalRevenue"], usd("121.67"));
    close(&got["iroas"], 2.4334);

    let detail = app
        .graphql_as(
            Some(&w.admin),
            "query ($id: ID!) { node(id: $id) { ... on Experiment { result {
              treatmentPopulation controlPopulation treatmentRate controlRate
              treatmentRevenue { amount currencyCode } controlRevenue { amount currencyCode }
              spend { amount currencyCode } } } } }",
            json!({ "id": id }),
        )
        .await;
    let detail = &data(&detail)["node"]["result"];
    assert_eq!(
        (
            detail["treatmentPopulation"].as_i64(),
            detail["controlPopulation"].as_i64()
        ),
        (Some(2_000), Some(3_000))
    );
    close(&detail["treatmentRate"], 0.002);
    close(&detail["controlRate"], 0.001);
    assert_eq!(detail["treatmentRevenue"], usd("195.00"));
    assert_eq!(detail["controlRevenue"], usd("110.00"));
    assert_eq!(detail["spend"], usd("50.00"));
}

async fn no_control_conversions_means_no_lift(app: TestApp) {
    let w = world::world(&app).await;
    let (start, _) = window();
    ingest(
        &app,
        &w.key,
        vec![
            sale("t-1", "25.00", start + Duration::days(1), Some("US-CA")),
            sale("t-2", "25.00", start + Duration::days(2), Some("US-CA")),
        ],
    )
    .await;
    let id = create_ok(
        &app,
        &w.admin,
        experiment_input(
            &w.campaign_a,
            json!([region("US-CA", 100)]),
            json!([region("US-WA", 100)]),
        ),
    )
    .await;
    let response = result(&app, &w.admin, &id).await;
    let got = &data(&response)["node"]["result"];
    assert_eq!(
        (
            got["treatmentConversions"].as_i64(),
            got["controlConversions"].as_i64()
        ),
        (Some(2), Some(0))
    );
    for field in ["lift", "liftLow", "liftHigh", "iroas"] {
        assert!(got[field].is_null(), "{field}: {got}");
    }
    // Incremental figures divide by populations, not by the control's rate.
    close(&got["incrementalConversions"], 2.0);
    assert_eq!(got["incrementalRevenue"], usd("50.00"));
}

on_both_backends!(
    invalid_experiments_are_bad_user_input,
    staff_read_experiments_and_only_managers_create_them,
    foreign_and_missing_experiment_ids_are_not_found,
    the_result_counts_every_sale_in_the_regions_and_window,
    no_control_conversions_means_no_lift,
);
