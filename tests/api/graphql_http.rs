//! The GraphQL endpoint's handling of good and bad requests.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::world::register;
use crate::helpers::{TestApp, error_codes};
use crate::on_both_backends;

async fn typename_answers(app: TestApp) {
    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response["data"]["__typename"], "Query");
    assert!(response.get("errors").is_none());
}

async fn malformed_json_is_a_bad_request_and_the_server_keeps_serving(app: TestApp) {
    let answer = app
        .post_raw("/graphql", "application/json", "{\"query\": ")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );

    let not_a_request = app
        .post_raw("/graphql", "application/json", "{\"nope\": 1}")
        .await;
    assert_eq!(not_a_request.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        not_a_request.json()["errors"][0]["extensions"]["code"],
        "BAD_REQUEST"
    );

    let after = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(after["data"]["__typename"], "Query");
}

async fn batch_arrays_are_refused_with_a_clear_error(app: TestApp) {
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]);
    let answer = app
        .post_raw("/graphql", "application/json", batch.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("batch"),
        "{body}"
    );
    assert!(body.get("data").is_none());
}

async fn unknown_fields_fail_validation_without_suggestions(app: TestApp) {
    let response = app.graphql("{ nodee(id: \"x\") { id } }", json!({})).await;
    assert_eq!(error_codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
    let message = response["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nodee"), "{message}");
    assert!(!message.contains("Did you mean"), "{message}");
    assert!(response["data"].is_null());
}

async fn syntax_errors_have_a_parse_code(app: TestApp) {
    let response = app.graphql("{ __typename ", json!({})).await;
    assert_eq!(error_codes(&response), ["GRAPHQL_PARSE_FAILED"]);
}

/// The operation to run must be named when the document has several, and must exist: both
/// are refused before any field runs, as validation errors.
async fn the_operation_to_run_is_named_and_known(app: TestApp) {
    let document = "query A { __typename } query B { __typename }";
    for body in [
        json!({ "query": document }),
        json!({ "query": document, "operationName": "C" }),
    ] {
        let answer = app
            .post_raw("/graphql", "application/json", body.to_string())
            .await;
        let response = answer.json();
        assert_eq!(
            error_codes(&response),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{response}"
        );
        assert!(response["data"].is_null());
    }
    let named = json!({ "query": document, "operationName": "B" });
    let answer = app
        .post_raw("/graphql", "application/json", named.to_string())
        .await;
    assert_eq!(answer.json()["data"]["__typename"], "Query");
}

async fn bad_variables_are_bad_user_input(app: TestApp) {
    let response = app
        .graphql(
            "query ($id: ID!) { node(id: $id) { id } }",
            json!({ "id": 5.5 }),
        )
        .await;
    let codes = error_codes(&response);
    assert!(
        codes == ["GRAPHQL_VALIDATION_FAILED"] || codes == ["BAD_USER_INPUT"],
        "{response}"
    );
}

/// A request that passed validation runs without it the next time (`graphql::validated`): only
/// the very same text, operation and variables. The same text with variables that do not fit
/// is refused by validation as before, without data; a document that failed validation fails
/// it again.
async fn only_the_same_request_skips_validation_the_next_time(app: TestApp) {
    let admin = register(&app, "Validated", "admin@validated.example").await;
    let token = Some(admin.access.as_str());
    let query = "query ($first: Int) { creators(first: $first) { totalCount } }";
    for _ in 0..2 {
        let response = app.graphql_as(token, query, json!({ "first": 5 })).await;
        assert_eq!(response["data"]["creators"]["totalCount"], 0, "{response}");
    }
    // Validation refuses the request (an error without a path); execution would have refused
    // the field (an error with the path `creators`).
    for _ in 0..2 {
        let response = app
            .graphql_as(token, query, json!({ "first": "five" }))
            .await;
        assert!(response["data"].is_null(), "{response}");
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response}");
        assert!(response["errors"][0].get("path").is_none(), "{response}");
    }
    for _ in 0..2 {
        let response = app.graphql("{ nodee(id: \"x\") { id } }", json!({})).await;
        assert_eq!(error_codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
        assert!(response["data"].is_null());
    }
}

/// A request that passed runs the next time on a copy of the schema with async-graphql's
/// federation flag set (`graphql::executor`), whose registry has `_service`, `_entities` and
/// their types. None of it shows: introspection answers the same every time, and the fields are
/// unknown every time.
async fn repeated_requests_see_no_federation_fields(app: TestApp) {
    let admin = register(&app, "Federation", "admin@federation.example").await;
    let token = Some(admin.access.as_str());
    let introspection = "{ __schema { queryType { fields { name } } types { name } } \
        service: __type(name: \"_Service\") { name } }";
    let first = app.graphql_as(token, introspection, json!({})).await;
    let fields = first["data"]["__schema"]["queryType"]["fields"]
        .as_array()
        .expect("the query type's fields");
    assert!(
        fields.iter().any(|field| field["name"] == "viewer"),
        "{first}"
    );
    let types = first["data"]["__schema"]["types"]
        .as_array()
        .expect("the types");
    let underscored = |list: &[serde_json::Value]| {
        list.iter()
            .filter_map(|item| item["name"].as_str())
            .filter(|name| name.starts_with('_') && !name.starts_with("__"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(underscored(fields), Vec::<String>::new(), "{first}");
    assert_eq!(underscored(types), Vec::<String>::new(), "{first}");
    assert!(first["data"]["service"].is_null(), "{first}");
    for _ in 0..2 {
        let again = app.graphql_as(token, introspection, json!({})).await;
        assert_eq!(again, first);
    }
    for query in [
        "{ _service { sdl } }",
        "{ _entities(representations: []) { __typename } }",
    ] {
        for _ in 0..3 {
            let response = app.graphql_as(token, query, json!({})).await;
            assert_eq!(
                error_codes(&response),
                ["GRAPHQL_VALIDATION_FAILED"],
                "{response}"
            );
            assert!(response["data"].is_null(), "{response}");
        }
    }
    for _ in 0..2 {
        let response = app
            .graphql_as(token, "{ viewer { email } }", json!({}))
            .await;
        assert_eq!(
            response["data"]["viewer"]["email"], "admin@federation.example",
            "{response}"
        );
    }
}

async fn non_json_content_types_are_refused(app: TestApp) {
    let answer = app
        .post_raw("/graphql", "text/plain", "{\"query\":\"{ __typename }\"}")
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        answer.json()["errors"][0]["extensions"]["code"],
        "BAD_REQUEST"
    );
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let padding = "x".repeat(70 * 1024);
    let body = json!({ "query": "{ __typename }", "variables": { "pad": padding } });
    let answer = app
        .post_raw("/graphql", "application/json", body.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.json()["errors"][0]["extensions"]["code"],
        "BAD_REQUEST"
    );
}

async fn get_requests_are_not_served(app: TestApp) {
    let answer = app.get("/graphql?query=%7B__typename%7D").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn queries_deeper_than_the_limit_are_refused(app: TestApp) {
    // campaigns > edges > node > enrollments > edges > node > creator > enrollments > edges >
    // node > id: 11 levels, limit 10. (Introspection is for staff: see attacks_graphql.)
    let query = "{ campaigns(first: 1) { edges { node { enrollments(first: 1) { edges { node { \
                 creator { enrollments(first: 1) { edges { node { id } } } } } } } } } } }";
    let response = app.graphql(query, json!({})).await;
    assert_eq!(
        error_codes(&response),
        ["GRAPHQL_VALIDATION_FAILED"],
        "{response}"
    );
    assert!(response["data"].is_null());
}

on_both_backends!(
    typename_answers,
    malformed_json_is_a_bad_request_and_the_server_keeps_serving,
    batch_arrays_are_refused_with_a_clear_error,
    unknown_fields_fail_validation_without_suggestions,
    syntax_errors_have_a_parse_code,
    the_operation_to_run_is_named_and_known,
    bad_variables_are_bad_user_input,
    only_the_same_request_skips_validation_the_next_time,
    repeated_requests_see_no_federation_fields,
    non_json_content_types_are_refused,
    oversized_bodies_are_refused,
    get_requests_are_not_served,
    queries_deeper_than_the_limit_are_refused,
);
