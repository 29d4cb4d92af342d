//! Content negotiation of `POST /graphql` (the GraphQL-over-HTTP spec): `Accept:
//! application/graphql-response+json` gets that media type and 4xx for request errors;
//! `application/json` or no `Accept` gets what clients have always had (200, `data: null`).

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::world::register;
use crate::helpers::{HttpAnswer, TestApp, error_codes};
use crate::on_both_backends;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn content_type(answer: &HttpAnswer) -> &str {
    answer.headers[header::CONTENT_TYPE].to_str().unwrap()
}

fn query(text: &str) -> Value {
    json!({ "query": text })
}

async fn data_is_200_in_the_media_type_asked_for(app: TestApp) {
    let admin = register(&app, "Spec Brand", "spec@example.com").await;
    for accept in [
        GRAPHQL_RESPONSE_JSON,
        "application/graphql-response+json, application/json;q=0.9",
    ] {
        let answer = app
            .post_graphql(
                Some(&admin.access),
                Some(accept),
                query("{ viewer { email } }"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(
            content_type(&answer),
            "application/graphql-response+json; charset=utf-8"
        );
        let body = answer.json();
        assert_eq!(body["data"]["viewer"]["email"], "spec@example.com");
        assert!(body["extensions"]["cost"].is_object());
    }
}

async fn field_errors_with_data_are_200_with_the_data(app: TestApp) {
    // `node` is nullable: given a malformed ID it fails alone and the rest of the data stands.
    let partial = app
        .post_graphql(
            None,
            Some(GRAPHQL_RESPONSE_JSON),
            query("{ __typename node(id: \"x\") { id } }"),
        )
        .await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.text);
    let body = partial.json();
    assert_eq!(body["data"]["__typename"], "Query");
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["path"], json!(["node"]));
    // `viewer` is not: its error nulls the whole data, which is still present (it ran).
    let nulled = app
        .post_graphql(
            None,
            Some(GRAPHQL_RESPONSE_JSON),
            query("{ viewer { id } }"),
        )
        .await;
    assert_eq!(nulled.status, StatusCode::OK, "{}", nulled.text);
    let body = nulled.json();
    assert!(body.get("data").is_some_and(Value::is_null), "{body}");
}

async fn request_errors_are_4xx_without_data(app: TestApp) {
    for (text, status, code) in [
        (
            "{ __typename ",
            StatusCode::BAD_REQUEST,
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "{ nodee(id: \"x\") { id } }",
            StatusCode::BAD_REQUEST,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ __schema { queryType { name } } }",
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        ),
    ] {
        let answer = app
            .post_graphql(None, Some(GRAPHQL_RESPONSE_JSON), query(text))
            .await;
        assert_eq!(answer.status, status, "{text}: {}", answer.text);
        assert!(content_type(&answer).starts_with(GRAPHQL_RESPONSE_JSON));
        let body = answer.json();
        assert_eq!(error_codes(&body), [code], "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert!(body["extensions"]["cost"].is_object(), "{body}");
    }
    // A body that is not a GraphQL request: 400 as before, in the media type asked for.
    let answer = app
        .post_graphql(None, Some(GRAPHQL_RESPONSE_JSON), json!({ "nope": 1 }))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(content_type(&answer).starts_with(GRAPHQL_RESPONSE_JSON));
    assert_eq!(error_codes(&answer.json()), ["BAD_REQUEST"]);
}

/// `application/json`, a wildcard or no `Accept`: 200 and `data: null` for every GraphQL
/// error, as the contract's clients expect.
async fn json_clients_keep_todays_answers(app: TestApp) {
    for accept in [None, Some("application/json"), Some("*/*")] {
        for (text, code) in [
            ("{ __typename ", "GRAPHQL_PARSE_FAILED"),
            ("{ nodee(id: \"x\") { id } }", "GRAPHQL_VALIDATION_FAILED"),
            ("{ __schema { queryType { name } } }", "FORBIDDEN"),
            ("{ viewer { id } }", "UNAUTHENTICATED"),
        ] {
            let answer = app.post_graphql(None, accept, query(text)).await;
            assert_eq!(answer.status, StatusCode::OK, "{accept:?} {text}");
            assert_eq!(content_type(&answer), "application/json");
            let body = answer.json();
            assert_eq!(error_codes(&body), [code], "{body}");
            assert!(body.get("data").is_some_and(Value::is_null), "{body}");
        }
    }
}

on_both_backends!(
    data_is_200_in_the_media_type_asked_for,
    field_errors_with_data_are_200_with_the_data,
    request_errors_are_4xx_without_data,
    json_clients_keep_todays_answers,
);
