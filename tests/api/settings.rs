//! Brand settings and exchange rates.

use serde_json::json;

use crate::helpers::world::register;
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn settings_change_and_are_validated(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let response = app
        .contract(
            Some(&brand.access),
            "auth",
            "UpdateBrandSettings",
            json!({ "input": { "attributionWindowDays": 14, "holdPeriodDays": 0,
                "codePrecedence": "CLICK_WINS", "grossMargin": "0.600",
                "minimumPayout": { "amount": "50", "currencyCode": "USD" } } }),
        )
        .await;
    let settings = &data(&response)["updateBrandSettings"];
    assert_eq!(settings["id"], brand.brand_id.as_str());
    assert_eq!(settings["attributionWindowDays"], 14);
    assert_eq!(settings["holdPeriodDays"], 0);
    assert_eq!(settings["codePrecedence"], "CLICK_WINS");
    assert_eq!(settings["grossMargin"], "0.6");
    assert_eq!(
        settings["minimumPayout"],
        json!({ "amount": "50.00", "currencyCode": "USD" })
    );

    let invalid = [
        (
            json!({ "attributionWindowDays": 0 }),
            "attributionWindowDays",
        ),
        (json!({ "holdPeriodDays": 400 }), "holdPeriodDays"),
        (json!({ "grossMargin": "1.5" }), "grossMargin"),
        (
            json!({ "minimumPayout": { "amount": "10", "currencyCode": "EUR" } }),
            "minimumPayout",
        ),
        (
            json!({ "minimumPayout": { "amount": "-1", "currencyCode": "USD" } }),
            "minimumPayout",
        ),
        (
            json!({ "minimumPayout": { "amount": "1.005", "currencyCode": "USD" } }),
            "minimumPayout",
        ),
        (json!({ "timezone": "Nowhere/Land" }), "timezone"),
    ];
    for (input, field) in invalid {
        let response = app
            .contract(
                Some(&brand.access),
                "auth",
                "UpdateBrandSettings",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    // The refused changes left the settings as they were.
    let current = app
        .graphql_as(
            Some(&brand.access),
            "{ brand { attributionWindowDays grossMargin timezone } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&current)["brand"],
        json!({ "attributionWindowDays": 14, "grossMargin": "0.6", "timezone": "UTC" })
    );
}

async fn exchange_rates_are_set_replaced_and_listed(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let set = |rate: &'static str| {
        app.contract(
            Some(&brand.access),
            "auth",
            "SetExchangeRate",
            json!({ "input": { "currencyCode": "EUR", "date": "2026-03-01", "rate": rate } }),
        )
    };
    let first = set("1.0850").await;
    assert_eq!(
        data(&first)["setExchangeRate"],
        json!({ "currencyCode": "EUR", "date": "2026-03-01", "rate": "1.085" })
    );
    let replaced = set("1.09").await;
    assert_eq!(data(&replaced)["setExchangeRate"]["rate"], "1.09");
    let listed = app
        .graphql_as(
            Some(&brand.access),
            "{ exchangeRates(currencyCode: \"EUR\") { totalCount edges { node { date rate } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&listed)["exchangeRates"]["totalCount"], 1);
    assert_eq!(
        data(&listed)["exchangeRates"]["edges"][0]["node"]["rate"],
        "1.09"
    );

    for (input, field) in [
        (
            json!({ "currencyCode": "USD", "date": "2026-03-01", "rate": "1" }),
            "currencyCode",
        ),
        (
            json!({ "currencyCode": "EUR", "date": "2026-03-01", "rate": "0" }),
            "rate",
        ),
        (
            json!({ "currencyCode": "EUR", "date": "2026-03-01", "rate": "-2" }),
            "rate",
        ),
    ] {
        let response = app
            .contract(
                Some(&brand.access),
                "auth",
                "SetExchangeRate",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let bad_date = app
        .contract(
            Some(&brand.access),
            "auth",
            "SetExchangeRate",
            json!({ "input": { "currencyCode": "EUR", "date": "2026-02-30", "rate": "1" } }),
        )
        .await;
    assert_eq!(error_codes(&bad_date), ["BAD_USER_INPUT"], "{bad_date}");
}

on_both_backends!(
    settings_change_and_are_validated,
    exchange_rates_are_set_replaced_and_listed,
);
