//! GraphQL-level attacks (graphql-cop's probes and more): each is refused with its documented code
//! before any resolver or SQL runs, and the server then still serves a normal request.

use axum::http::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::world::{register, world};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

/// Sends `query` anonymously and asserts it is refused with `code` without running any SQL.
async fn refused_without_sql(app: &TestApp, query: &str, code: &str) -> Value {
    let before = app.statements();
    let response = app.graphql_as(None, query, json!({})).await;
    assert_eq!(error_codes(&response), [code], "{response}");
    assert!(response["data"].is_null(), "{response}");
    assert_eq!(app.statements(), before, "a refused document ran SQL");
    response
}

fn message(response: &Value) -> &str {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

async fn still_serves(app: &TestApp) {
    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(data(&response)["__typename"], "Query");
}

async fn deep_queries_are_refused(app: TestApp) {
    // 11 levels: campaigns > edges > node > enrollments > edges > node > creator > enrollments
    // > edges > node > id.
    let query = "{ campaigns(first: 1) { edges { node { enrollments(first: 1) { edges { node { \
                 creator { enrollments(first: 1) { edges { node { id } } } } } } } } } } }";
    refused_without_sql(&app, query, "GRAPHQL_VALIDATION_FAILED").await;
    // The same, split into fragments.
    let hidden = "{ ...A } fragment A on Query { campaigns(first: 1) { edges { node { ...B } } } } \
                  fragment B on Campaign { enrollments(first: 1) { edges { node { creator { \
                  enrollments(first: 1) { edges { node { id } } } } } } } }";
    let response = refused_without_sql(&app, hidden, "GRAPHQL_VALIDATION_FAILED").await;
    assert!(
        message(&response).contains("nested 11 levels"),
        "{response}"
    );
    still_serves(&app).await;
}

async fn alias_floods_are_refused(app: TestApp) {
    let flood: String = (0..101).map(|i| format!("a{i}: __typename ")).collect();
    let response =
        refused_without_sql(&app, &format!("{{ {flood} }}"), "GRAPHQL_VALIDATION_FAILED").await;
    assert!(message(&response).contains("101 aliases"), "{response}");
    let fifteen: String = (0..15).map(|i| format!("a{i}: __typename ")).collect();
    let response = app.graphql(&format!("{{ {fifteen} }}"), json!({})).await;
    assert_eq!(data(&response)["a14"], "Query");
    still_serves(&app).await;
}

async fn directive_floods_are_refused(app: TestApp) {
    let flood = "__typename @include(if: true) ".repeat(51);
    let response =
        refused_without_sql(&app, &format!("{{ {flood} }}"), "GRAPHQL_VALIDATION_FAILED").await;
    assert!(message(&response).contains("51 directives"), "{response}");
    still_serves(&app).await;
}

async fn field_floods_are_refused(app: TestApp) {
    let flood = "__typename ".repeat(501);
    refused_without_sql(&app, &format!("{{ {flood} }}"), "GRAPHQL_VALIDATION_FAILED").await;
    // Fragments spreading the next one twice: 2^30 fields from a short text.
    let mut explosion = String::from("{ ...F0 }");
    for i in 0..30 {
        explosion.push_str(&format!(
            " fragment F{i} on Query {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    explosion.push_str(" fragment F30 on Query { __typename }");
    refused_without_sql(&app, &explosion, "GRAPHQL_VALIDATION_FAILED").await;
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }";
    refused_without_sql(&app, cycle, "GRAPHQL_VALIDATION_FAILED").await;
    still_serves(&app).await;
}

async fn oversized_query_texts_are_refused_before_parsing(app: TestApp) {
    // 40 KiB of query text, under the 64 KiB body limit of the tests.
    let query = format!("{{ __typename }}\n#{}", "x".repeat(40 * 1024));
    let response = refused_without_sql(&app, &query, "GRAPHQL_VALIDATION_FAILED").await;
    assert!(message(&response).contains("bytes"), "{response}");
    still_serves(&app).await;
}

async fn batch_arrays_are_refused(app: TestApp) {
    let before = app.statements();
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ viewer { id } }" }]);
    let answer = app
        .post_raw("/graphql", "application/json", batch.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&answer.json()), ["BAD_REQUEST"]);
    assert_eq!(app.statements(), before);
    still_serves(&app).await;
}

async fn mutations_over_get_are_refused(app: TestApp) {
    let before = app.statements();
    let answer = app
        .get("/graphql?query=mutation%20%7B%20logout%20%7D")
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_codes(&answer.json()), ["BAD_REQUEST"]);
    assert_eq!(app.statements(), before);
    still_serves(&app).await;
}

async fn misspelled_fields_get_no_suggestions(app: TestApp) {
    for probe in [
        "{ campaign { id } }",
        "{ viewr { id } }",
        "{ viewer { emial } }",
    ] {
        let response = refused_without_sql(&app, probe, "GRAPHQL_VALIDATION_FAILED").await;
        assert!(!response.to_string().contains("Did you mean"), "{response}");
    }
    still_serves(&app).await;
}

async fn heavy_nested_pages_are_refused_and_the_contract_page_is_not(app: TestApp) {
    let heavy = "{ campaigns(first: 100) { edges { node { id enrollments(first: 100) { \
                 edges { node { id creator { id } offer { id } } } } } } } }";
    let response = refused_without_sql(&app, heavy, "GRAPHQL_VALIDATION_FAILED").await;
    assert!(message(&response).contains("points"), "{response}");
    // The same through a variable.
    let before = app.statements();
    let by_variable = app
        .graphql_as(
            None,
            "query ($n: Int) { campaigns(first: $n) { nodes { enrollments(first: $n) { \
             nodes { id creator { id } } } } } }",
            json!({ "n": 100 }),
        )
        .await;
    assert_eq!(error_codes(&by_variable), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(app.statements(), before);

    // The contract's Campaigns (20 campaigns x 50 enrollments) passes the limits and runs.
    let admin = register(&app, "Heavy", "admin@heavy.test").await;
    let response = app
        .contract(
            Some(&admin.access),
            "campaigns",
            "Campaigns",
            json!({ "first": 20 }),
        )
        .await;
    assert_eq!(data(&response)["campaigns"]["totalCount"], 0);
    still_serves(&app).await;
}

/// A text seen before is served from the parsed-document cache: its cost is still computed
/// from each request's variables, and a refused text is refused every time.
async fn a_known_text_is_costed_on_every_request(app: TestApp) {
    let admin = register(&app, "Known", "admin@known.test").await;
    let query = "query ($n: Int) { campaigns(first: $n) { nodes { enrollments(first: $n) { \
                 nodes { id creator { id } } } } } }";
    for n in [5, 100, 5, 100] {
        let before = app.statements();
        let response = app
            .graphql_as(Some(&admin.access), query, json!({ "n": n }))
            .await;
        if n == 100 {
            assert_eq!(
                error_codes(&response),
                ["GRAPHQL_VALIDATION_FAILED"],
                "{response}"
            );
            assert_eq!(app.statements(), before, "a refused document ran SQL");
        } else {
            assert_eq!(data(&response)["campaigns"]["nodes"], json!([]));
        }
    }
    let deep = "{ campaigns(first: 1) { edges { node { enrollments(first: 1) { edges { node { \
                creator { enrollments(first: 1) { edges { node { id } } } } } } } } } } }";
    for _ in 0..2 {
        refused_without_sql(&app, deep, "GRAPHQL_VALIDATION_FAILED").await;
    }
    still_serves(&app).await;
}

async fn introspection_is_for_staff_only(app: TestApp) {
    let w = world(&app).await;
    let schema = "{ __schema { queryType { name } } }";
    let type_probe = "{ __type(name: \"Campaign\") { fields { name } } }";
    let hidden = "query { ...Q } fragment Q on Query { __schema { types { name } } }";

    for staff in [&w.analyst, &w.manager, &w.admin] {
        let response = app.graphql_as(Some(staff), schema, json!({})).await;
        assert_eq!(data(&response)["__schema"]["queryType"]["name"], "Query");
    }
    let response = app
        .graphql_as(Some(&w.analyst), type_probe, json!({}))
        .await;
    assert!(data(&response)["__type"]["fields"].is_array());

    refused_without_sql(&app, schema, "FORBIDDEN").await;
    refused_without_sql(&app, type_probe, "FORBIDDEN").await;
    refused_without_sql(&app, hidden, "FORBIDDEN").await;
    for outsider in [&w.creator, &w.key] {
        // Authenticating the caller runs the statements it runs for `__typename` (or fewer: a
        // key's `lastUsedAt` is written once a minute); the refused document adds none.
        let before = app.statements();
        let plain = app
            .graphql_as(Some(outsider), "{ __typename }", json!({}))
            .await;
        assert_eq!(data(&plain)["__typename"], "Query");
        let auth_only = app.statements() - before;
        for probe in [schema, type_probe, hidden] {
            let before = app.statements();
            let response = app.graphql_as(Some(outsider), probe, json!({})).await;
            assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response}");
            assert!(response["data"].is_null());
            assert!(app.statements() - before <= auth_only, "{probe} ran SQL");
        }
    }
    still_serves(&app).await;
}

async fn database_errors_are_masked_as_internal(app: TestApp) {
    let admin = register(&app, "Masked", "admin@masked.test").await;
    app.db
        .execute_unprepared("DROP TABLE costs")
        .await
        .expect("drop table");
    let response = app
        .graphql_as(
            Some(&admin.access),
            "{ costs(first: 5) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&response), ["INTERNAL"], "{response}");
    let error = &response["errors"][0];
    assert_eq!(error["message"], "internal error");
    let request_id = error["extensions"]["requestId"]
        .as_str()
        .unwrap_or_default();
    assert!(!request_id.is_empty(), "{response}");
    let text = response.to_string().to_lowercase();
    for leak in [
        "select", "from ", "table", "relation", "sqlx", "sqlite", "postgres", "sea_orm", ".rs",
        "/src/", "panicked",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {response}");
    }
    still_serves(&app).await;
}

on_both_backends!(
    a_known_text_is_costed_on_every_request,
    deep_queries_are_refused,
    alias_floods_are_refused,
    directive_floods_are_refused,
    field_floods_are_refused,
    oversized_query_texts_are_refused_before_parsing,
    batch_arrays_are_refused,
    mutations_over_get_are_refused,
    misspelled_fields_get_no_suggestions,
    heavy_nested_pages_are_refused_and_the_contract_page_is_not,
    introspection_is_for_staff_only,
    database_errors_are_masked_as_internal,
);
