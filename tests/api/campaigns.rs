//! Campaigns, offers and enrollments, as the contract sends them.

use partnergraph::db::entity::{campaign, enrollment, offer};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::world::{self, campaign_with_offer, enroll, insert_creator, register, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

fn usd(amount: &str) -> Value {
    json!({ "amount": amount, "currencyCode": "USD" })
}

async fn create_campaign_runs_as_written(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let response = app
        .contract(
            Some(&brand.access),
            "campaigns",
            "CreateCampaign",
            json!({ "input": {
                "name": "Summer flight", "objective": "SALES", "schedule": "FLIGHT",
                "startsAt": "2026-06-01T00:00:00Z", "endsAt": "2026-07-01T00:00:00Z",
                "budget": usd("25000"), "targetCpa": usd("25.5"), "targetRoas": "3.50",
                "brief": { "summary": "Show the serum", "keyMessages": ["vitamin C", " ", "fragrance free"],
                           "guardrails": "No medical claims", "disclosureRequired": true, "usageRightsDays": 90 }
            } }),
        )
        .await;
    let created = &data(&response)["createCampaign"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["schedule"], "FLIGHT");
    assert_eq!(created["startsAt"], "2026-06-01T00:00:00Z");
    assert_eq!(created["budget"], usd("25000.00"));
    assert_eq!(created["targetCpa"], usd("25.50"));
    assert_eq!(created["targetRoas"], "3.5");
    assert_eq!(
        created["brief"],
        json!({ "summary": "Show the serum", "keyMessages": ["vitamin C", "fragrance free"],
                "guardrails": "No medical claims", "disclosureRequired": true, "usageRightsDays": 90 })
    );
    let id = text(&created["id"]);
    let status = app
        .contract(
            Some(&brand.access),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": id, "status": "ACTIVE" }),
        )
        .await;
    assert_eq!(
        data(&status)["setCampaignStatus"],
        json!({ "id": id, "status": "ACTIVE" })
    );
    let archived = app
        .contract(
            Some(&brand.access),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": id, "status": "ARCHIVED" }),
        )
        .await;
    data(&archived);
    let reopen = app
        .contract(
            Some(&brand.access),
            "campaigns",
            "SetCampaignStatus",
            json!({ "id": id, "status": "ACTIVE" }),
        )
        .await;
    assert_eq!(error_codes(&reopen), ["BAD_USER_INPUT"]);
}

async fn invalid_campaign_input_is_refused_and_writes_nothing(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let base = json!({ "name": "C", "objective": "SALES", "schedule": "ALWAYS_ON" });
    let cases = [
        (
            json!({ "schedule": "FLIGHT", "startsAt": "2026-07-01T00:00:00Z", "endsAt": "2026-06-01T00:00:00Z" }),
            "endsAt",
        ),
        (
            json!({ "schedule": "FLIGHT", "endsAt": "2026-06-01T00:00:00Z" }),
            "startsAt",
        ),
        (json!({ "budget": usd("-1") }), "budget"),
        (
            json!({ "budget": { "amount": "10", "currencyCode": "EUR" } }),
            "budget",
        ),
        (json!({ "targetCpa": usd("1.001") }), "targetCpa"),
        (json!({ "targetRoas": "0" }), "targetRoas"),
        (json!({ "name": "  " }), "name"),
    ];
    for (change, field) in cases {
        let mut input = base.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let response = app
            .contract(
                Some(&brand.access),
                "campaigns",
                "CreateCampaign",
                json!({ "input": input }),
            )
            .await;
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
    for (change, what) in [
        (json!({ "objective": "WORLD_DOMINATION" }), "unknown enum"),
        (
            json!({ "budget": { "amount": "10", "currencyCode": "XYZ" } }),
            "bad currency",
        ),
        (
            json!({ "budget": { "amount": 10.5, "currencyCode": "USD" } }),
            "float amount",
        ),
    ] {
        let mut input = base.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let response = app
            .contract(
                Some(&brand.access),
                "campaigns",
                "CreateCampaign",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{what}: {response}"
        );
    }
    assert_eq!(campaign::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn offer(app: &TestApp, token: &str, campaign: &str, extra: Value) -> Value {
    let mut input = json!({ "campaignId": campaign, "name": "Offer" });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    app.contract(
        Some(token),
        "campaigns",
        "CreateOffer",
        json!({ "input": input }),
    )
    .await
}

async fn offers_of_every_model_run_as_written(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let (campaign, _) = campaign_with_offer(&app, &brand.access, "C").await;
    let t = &brand.access;
    let cpa = offer(&app, t, &campaign, json!({ "model": "CPA", "cpaAmount": usd("20"), "newCustomersOnly": true,
        "holdPeriodDays": 14, "tiers": [ { "fromSale": 11, "cpaAmount": usd("25") }, { "fromSale": 51, "cpaAmount": usd("30") } ] })).await;
    let cpa = &data(&cpa)["createOffer"];
    assert_eq!(cpa["model"], "CPA");
    assert_eq!(cpa["cpaAmount"], usd("20.00"));
    assert_eq!(cpa["newCustomersOnly"], true);
    assert_eq!(cpa["holdPeriodDays"], 14);
    assert_eq!(
        cpa["tiers"],
        json!([ { "fromSale": 11, "revenueSharePercent": null, "cpaAmount": usd("25.00") },
                { "fromSale": 51, "revenueSharePercent": null, "cpaAmount": usd("30.00") } ])
    );
    let share = offer(
        &app,
        t,
        &campaign,
        json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "12.50",
        "tiers": [ { "fromSale": 21, "revenueSharePercent": "15" } ] }),
    )
    .await;
    assert_eq!(data(&share)["createOffer"]["revenueSharePercent"], "12.5");
    let hybrid = offer(
        &app,
        t,
        &campaign,
        json!({ "model": "HYBRID", "flatFee": usd("500"), "revenueSharePercent": "8" }),
    )
    .await;
    assert_eq!(data(&hybrid)["createOffer"]["flatFee"], usd("500.00"));
    for (model, field, amount) in [
        ("CPL", "cplAmount", "2.5"),
        ("CPC", "cpcAmount", "0.15"),
        ("FLAT_FEE", "flatFee", "1000"),
    ] {
        let created = offer(
            &app,
            t,
            &campaign,
            json!({ "model": model, field: usd(amount) }),
        )
        .await;
        assert_eq!(data(&created)["createOffer"]["model"], model);
    }
    let before = offer::Entity::find().count(&app.db).await.unwrap();
    let invalid = [
        (json!({ "model": "CPA" }), "cpaAmount"),
        (
            json!({ "model": "CPA", "cpaAmount": usd("-5") }),
            "cpaAmount",
        ),
        (
            json!({ "model": "CPA", "cpaAmount": usd("5"), "revenueSharePercent": "3" }),
            "revenueSharePercent",
        ),
        (
            json!({ "model": "HYBRID", "cpaAmount": usd("5") }),
            "flatFee",
        ),
        (
            json!({ "model": "REVENUE_SHARE", "revenueSharePercent": "120" }),
            "revenueSharePercent",
        ),
        (
            json!({ "model": "CPA", "cpaAmount": { "amount": "5", "currencyCode": "EUR" } }),
            "cpaAmount",
        ),
        (
            json!({ "model": "CPA", "cpaAmount": usd("5"), "tiers": [ { "fromSale": 1, "cpaAmount": usd("6") } ] }),
            "tiers",
        ),
        (
            json!({ "model": "CPL", "cplAmount": usd("5"), "tiers": [ { "fromSale": 3, "cpaAmount": usd("6") } ] }),
            "tiers",
        ),
        (
            json!({ "model": "CPA", "cpaAmount": usd("5"), "holdPeriodDays": -1 }),
            "holdPeriodDays",
        ),
    ];
    for (input, field) in invalid {
        let response = offer(&app, t, &campaign, input).await;
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
    assert_eq!(offer::Entity::find().count(&app.db).await.unwrap(), before);
}

async fn enrollments_are_validated_and_unique(app: TestApp) {
    let w = world::world(&app).await;
    let (campaign_b, offer_b) = campaign_with_offer(&app, &w.admin_b, "B camp").await;
    let enroll_with = |campaign: &str, creator: &str, offer: &str| {
        app.contract(
            Some(&w.admin),
            "campaigns",
            "EnrollCreator",
            json!({ "input": { "campaignId": campaign, "creatorId": creator, "offerId": offer } }),
        )
    };
    let ok = enroll_with(&w.campaign_a, &w.spare_creator_a, &w.offer_a).await;
    let ok = &data(&ok)["enrollCreator"];
    assert_eq!(ok["status"], "INVITED");
    assert_eq!(ok["creator"]["id"], w.spare_creator_a.as_str());
    assert_eq!(ok["campaign"]["id"], w.campaign_a.as_str());
    assert_eq!(ok["offer"]["id"], w.offer_a.as_str());

    let before = enrollment::Entity::find().count(&app.db).await.unwrap();
    let twice = enroll_with(&w.campaign_a, &w.spare_creator_a, &w.offer_a).await;
    assert_eq!(error_codes(&twice), ["CONFLICT"]);
    for (campaign, creator, offer, field) in [
        (&w.campaign_a, &w.creator_b, &w.offer_a, "creatorId"),
        (&campaign_b, &w.spare_creator_a, &w.offer_a, "campaignId"),
        (&w.campaign_a, &w.spare_creator_a, &offer_b, "offerId"),
    ] {
        let response = enroll_with(campaign, creator, offer).await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    assert_eq!(
        enrollment::Entity::find().count(&app.db).await.unwrap(),
        before
    );

    // REMOVED frees the slot for a new enrollment.
    let set_status = "mutation ($id: ID!, $s: EnrollmentStatus!) { setEnrollmentStatus(id: $id, status: $s) { status activatedAt } }";
    let removed = app
        .graphql_as(
            Some(&w.admin),
            set_status,
            json!({ "id": w.enrollment_a, "s": "REMOVED" }),
        )
        .await;
    assert_eq!(data(&removed)["setEnrollmentStatus"]["status"], "REMOVED");
    let again = app
        .graphql_as(
            Some(&w.admin),
            set_status,
            json!({ "id": w.enrollment_a, "s": "ACTIVE" }),
        )
        .await;
    assert_eq!(error_codes(&again), ["BAD_USER_INPUT"]);
    let new_id = enroll(&app, &w.admin, &w.campaign_a, &w.creator_a, &w.offer_a).await;
    assert_ne!(new_id, w.enrollment_a);
}

async fn overrides_follow_the_offer_model(app: TestApp) {
    let w = world::world(&app).await;
    let creator = insert_creator(&app, &w.brand_a, "Override", "o@x.test").await;
    let query = "mutation ($input: EnrollCreatorInput!) { enrollCreator(input: $input) { id overrides { cpaAmount { amount } revenueSharePercent } } }";
    let good = app
        .graphql_as(
            Some(&w.admin),
            query,
            json!({ "input": { "campaignId": w.campaign_a, "creatorId": creator,
            "offerId": w.offer_a, "overrides": { "cpaAmount": usd("35") } } }),
        )
        .await;
    assert_eq!(
        data(&good)["enrollCreator"]["overrides"]["cpaAmount"]["amount"],
        "35.00"
    );
    let creator2 = insert_creator(&app, &w.brand_a, "Override 2", "o2@x.test").await;
    let bad = app
        .graphql_as(
            Some(&w.admin),
            query,
            json!({ "input": { "campaignId": w.campaign_a, "creatorId": creator2,
            "offerId": w.offer_a, "overrides": { "revenueSharePercent": "10" } } }),
        )
        .await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
    assert_eq!(
        bad["errors"][0]["extensions"]["field"],
        "revenueSharePercent"
    );
}

async fn the_campaigns_query_runs_as_written_in_constant_statements(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let mut creators = Vec::new();
    for i in 0..6 {
        creators.push(
            insert_creator(
                &app,
                &brand.brand_id,
                &format!("C{i}"),
                &format!("c{i}@x.test"),
            )
            .await,
        );
    }
    for c in 0..12 {
        let (campaign, offer) =
            campaign_with_offer(&app, &brand.access, &format!("Campaign {c}")).await;
        for creator in creators.iter().take(1 + c % 6) {
            enroll(&app, &brand.access, &campaign, creator, &offer).await;
        }
    }
    let run = |first: i64| {
        let app = &app;
        let token = brand.access.clone();
        async move {
            let before = app.statements();
            let response = app
                .contract(
                    Some(&token),
                    "campaigns",
                    "Campaigns",
                    json!({ "first": first }),
                )
                .await;
            (app.statements() - before, response)
        }
    };
    let (small, response) = run(2).await;
    let page = &data(&response)["campaigns"];
    assert_eq!(page["totalCount"], 12);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = &page["edges"][1]["node"];
    assert_eq!(second["name"], "Campaign 1");
    assert_eq!(second["enrollments"]["totalCount"], 2);
    let enrollment = &second["enrollments"]["edges"][0]["node"];
    assert_eq!(enrollment["creator"]["displayName"], "C0");
    assert_eq!(enrollment["creator"]["tier"], "NANO");
    assert_eq!(enrollment["offer"]["model"], "CPA");

    let (large, response) = run(12).await;
    let page = &data(&response)["campaigns"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 12);
    assert_eq!(page["edges"][11]["node"]["enrollments"]["totalCount"], 6);
    assert_eq!(small, large, "statements must not grow with the page size");
    // The caller is cached: the page with its count, 2 for the enrollment pages, creators,
    // offers.
    assert!((4..=5).contains(&large), "{large} statements");
}

async fn fields_come_back_in_the_order_asked(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Request, header};
    let w = world::world(&app).await;
    let query = "{ campaigns(first: 1) { edges { node { offers(first: 1) { totalCount } enrollments(first: 1) { totalCount } name status } } } }";
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.admin))
        .body(Body::from(json!({ "query": query }).to_string()))
        .unwrap();
    let text = app.request(request).await.text;
    let at = |key: &str| {
        text.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    assert!(at("offers") < at("enrollments"), "{text}");
    assert!(at("enrollments") < at("name"), "{text}");
    assert!(at("name") < at("status"), "{text}");
}

on_both_backends!(
    fields_come_back_in_the_order_asked,
    create_campaign_runs_as_written,
    invalid_campaign_input_is_refused_and_writes_nothing,
    offers_of_every_model_run_as_written,
    enrollments_are_validated_and_unique,
    overrides_follow_the_offer_model,
    the_campaigns_query_runs_as_written_in_constant_statements,
);
