//! Tracking links and discount codes, as the contract sends them.

use serde_json::json;

use crate::helpers::world;
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn links_are_created_with_chosen_or_generated_codes(app: TestApp) {
    let w = world::world(&app).await;
    let create = |code: Option<&str>, url: &str| {
        app.contract(
            Some(&w.manager),
            "tracking",
            "CreateTrackingLink",
            json!({ "input": { "enrollmentId": w.enrollment_a, "destinationUrl": url, "code": code,
                "utmSource": "cora", "utmMedium": "creator", "utmCampaign": "spring", "utmContent": "reel-1" } }),
        )
    };
    let chosen = create(Some("Glow-Cora"), "https://shop.example.com/serum?ref=x").await;
    let chosen = &data(&chosen)["createTrackingLink"];
    assert_eq!(chosen["code"], "glow-cora");
    assert_eq!(chosen["shortUrl"], "http://pg.test/r/glow-cora");
    assert_eq!(
        chosen["destinationUrl"],
        "https://shop.example.com/serum?ref=x"
    );
    assert_eq!(chosen["utmSource"], "cora");
    assert_eq!(chosen["utmContent"], "reel-1");
    let generated = create(None, "https://shop.example.com/").await;
    let code = generated["data"]["createTrackingLink"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8);
    assert!(
        code.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );

    let taken = create(Some("GLOW-CORA"), "https://shop.example.com/").await;
    assert_eq!(error_codes(&taken), ["CONFLICT"]);
    for (code, url, field) in [
        (Some("ok-code"), "javascript:alert(1)", "destinationUrl"),
        (Some("ok-code"), "ftp://files.example.com", "destinationUrl"),
        (Some("a b"), "https://shop.example.com/", "code"),
    ] {
        let response = create(code, url).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let listed = app
        .graphql_as(
            Some(&w.key),
            "{ trackingLinks(first: 10) { totalCount edges { node { code campaign { name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&listed)["trackingLinks"]["totalCount"],
        2,
        "READ_LINKS keys read links"
    );
    let own = app
        .graphql_as(
            Some(&w.creator),
            "{ trackingLinks(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&own)["trackingLinks"]["totalCount"],
        2,
        "the creator's own links"
    );
}

async fn discount_codes_are_unique_per_brand_ignoring_case(app: TestApp) {
    let w = world::world(&app).await;
    let create = |token: &str, enrollment: &str, code: &str, percent: Option<&str>| {
        let token = token.to_owned();
        let variables =
            json!({ "input": { "enrollmentId": enrollment, "code": code, "percentOff": percent } });
        let app = &app;
        async move {
            app.contract(Some(&token), "tracking", "CreateDiscountCode", variables)
                .await
        }
    };
    let created = create(&w.admin, &w.enrollment_a, "cora15", Some("15")).await;
    let created = &data(&created)["createDiscountCode"];
    assert_eq!(created["code"], "CORA15");
    assert_eq!(created["percentOff"], "15");
    let again = create(&w.admin, &w.enrollment_a, "Cora15", Some("10")).await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    let neither = create(&w.admin, &w.enrollment_a, "OTHER", None).await;
    assert_eq!(error_codes(&neither), ["BAD_USER_INPUT"]);
    let foreign = create(&w.admin_b, &w.enrollment_a, "BCODE", Some("5")).await;
    assert_eq!(error_codes(&foreign), ["BAD_USER_INPUT"]);
    assert_eq!(foreign["errors"][0]["extensions"]["field"], "enrollmentId");
    let by_analyst = create(&w.analyst, &w.enrollment_a, "NOPE", Some("5")).await;
    assert_eq!(error_codes(&by_analyst), ["FORBIDDEN"]);
}

async fn a_new_link_redirects_at_once_even_after_a_404_for_its_code(app: TestApp) {
    let w = world::world(&app).await;
    assert_eq!(
        app.get("/r/fresh-code").await.status,
        axum::http::StatusCode::NOT_FOUND
    );
    let created = app
        .contract(
            Some(&w.manager),
            "tracking",
            "CreateTrackingLink",
            json!({ "input": { "enrollmentId": w.enrollment_a, "destinationUrl": "https://shop.example.com/new", "code": "fresh-code" } }),
        )
        .await;
    data(&created);
    let redirect = app.get("/r/FRESH-CODE").await;
    assert_eq!(redirect.status, axum::http::StatusCode::FOUND);
    let location = redirect.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://shop.example.com/new?pg_click="),
        "{location}"
    );
}

on_both_backends!(
    a_new_link_redirects_at_once_even_after_a_404_for_its_code,
    links_are_created_with_chosen_or_generated_codes,
    discount_codes_are_unique_per_brand_ignoring_case,
);
