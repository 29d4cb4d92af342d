//! Automatic persisted queries over `POST /graphql` (Apollo's protocol, version 1): an unknown
//! hash, registering with the text, running by hash alone, and what is never stored.

use axum::http::StatusCode;
use partnergraph::graphql::persisted_queries::sha256_hex;
use serde_json::{Value, json};

use crate::helpers::world::register;
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

fn by_hash(hash: &str) -> Value {
    json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } })
}

fn with_text(query: &str, hash: &str) -> Value {
    let mut body = by_hash(hash);
    body["query"] = json!(query);
    body
}

async fn an_unknown_hash_is_not_found(app: TestApp) {
    // `echo -n '{ __typename }' | sha256sum`: what an Apollo client sends first.
    let hash = "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b";
    assert_eq!(sha256_hex("{ __typename }"), hash);
    let answer = app.post_graphql(None, None, by_hash(hash)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    assert_eq!(error_codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(body["data"].is_null());
    assert!(body["extensions"]["cost"]["requestedQueryCost"].is_null());

    // Under GraphQL over HTTP: a request error, 404 (not 400, which some Apollo clients read
    // as "persisted queries unsupported"), no `data`.
    let answer = app
        .post_graphql(None, Some(GRAPHQL_RESPONSE_JSON), by_hash(hash))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    let body = answer.json();
    assert_eq!(error_codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert!(body.get("data").is_none(), "{body}");
}

async fn the_text_registers_its_hash_then_the_hash_alone_runs_it(app: TestApp) {
    let admin = register(&app, "APQ Brand", "apq@example.com").await;
    let query = "query Me { viewer { email role } }";
    let hash = sha256_hex(query);
    let token = Some(admin.access.as_str());

    let missing = app.post_graphql(token, None, by_hash(&hash)).await.json();
    assert_eq!(error_codes(&missing), ["PERSISTED_QUERY_NOT_FOUND"]);

    let first = app.post_graphql(token, None, with_text(query, &hash)).await;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json();
    assert_eq!(data(&first)["viewer"]["email"], "apq@example.com");

    for accept in [None, Some(GRAPHQL_RESPONSE_JSON)] {
        let again = app.post_graphql(token, accept, by_hash(&hash)).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        let again = again.json();
        assert_eq!(data(&again), data(&first));
        assert_eq!(
            again["extensions"]["cost"]["requestedQueryCost"],
            first["extensions"]["cost"]["requestedQueryCost"]
        );
    }
    // Upper-case hex, `query: null` and variables work too; the stored text runs for whoever
    // sends the hash, with that caller's rights.
    let mut body = by_hash(&hash.to_uppercase());
    body["query"] = Value::Null;
    body["variables"] = json!({});
    assert_eq!(
        data(&app.post_graphql(token, None, body).await.json())["viewer"]["role"],
        "ADMIN"
    );
    let anonymous = app.post_graphql(None, None, by_hash(&hash)).await.json();
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

async fn a_hash_that_does_not_match_the_text_is_refused_and_nothing_is_stored(app: TestApp) {
    let query = "{ __typename }";
    let other = "{ a: __typename }";
    let answer = app
        .post_graphql(None, None, with_text(query, &sha256_hex(other)))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = answer.json();
    assert_eq!(error_codes(&body), ["PERSISTED_QUERY_HASH_MISMATCH"]);
    assert!(body["data"].is_null());

    let strict = app
        .post_graphql(
            None,
            Some(GRAPHQL_RESPONSE_JSON),
            with_text(query, &sha256_hex(other)),
        )
        .await;
    assert_eq!(strict.status, StatusCode::BAD_REQUEST, "{}", strict.text);
    assert!(strict.json().get("data").is_none());

    for hash in [sha256_hex(query), sha256_hex(other)] {
        let body = app.post_graphql(None, None, by_hash(&hash)).await.json();
        assert_eq!(error_codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{hash}");
    }
}

async fn malformed_or_unsupported_persisted_queries_are_bad_requests(app: TestApp) {
    let hash = sha256_hex("{ __typename }");
    for (extension, says) in [
        (json!({ "version": 2, "sha256Hash": hash }), "version 2"),
        (json!({ "sha256Hash": hash }), "version"),
        (json!({ "version": 1 }), "sha256Hash"),
        (json!("abc"), "sha256Hash"),
    ] {
        let body = json!({ "extensions": { "persistedQuery": extension } });
        let answer = app.post_graphql(None, None, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        let body = answer.json();
        assert_eq!(error_codes(&body), ["BAD_REQUEST"]);
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }
    // Without a persisted query, `query` is still required.
    let answer = app
        .post_graphql(None, None, json!({ "extensions": {} }))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

/// A stored text meets the same limits as one sent in full, and one refused by them (too
/// deep, too long, not parsing) is never stored.
async fn texts_over_the_limits_are_refused_and_never_stored(app: TestApp) {
    let too_deep = "{ campaigns(first: 1) { edges { node { enrollments(first: 1) { edges { \
                    node { creator { enrollments(first: 1) { edges { node { id } } } } } } } } \
                    } } }";
    let too_long = format!("{{ __typename }} # {}", "x".repeat(40 * 1024));
    let broken = "{ __typename ";
    for (query, code) in [
        (too_deep, "GRAPHQL_VALIDATION_FAILED"),
        (too_long.as_str(), "GRAPHQL_VALIDATION_FAILED"),
        (broken, "GRAPHQL_PARSE_FAILED"),
    ] {
        let hash = sha256_hex(query);
        let body = app
            .post_graphql(None, None, with_text(query, &hash))
            .await
            .json();
        assert_eq!(error_codes(&body), [code], "{body}");
        let body = app.post_graphql(None, None, by_hash(&hash)).await.json();
        assert_eq!(
            error_codes(&body),
            ["PERSISTED_QUERY_NOT_FOUND"],
            "{query:.40}"
        );
    }
}

on_both_backends!(
    an_unknown_hash_is_not_found,
    the_text_registers_its_hash_then_the_hash_alone_runs_it,
    a_hash_that_does_not_match_the_text_is_refused_and_nothing_is_stored,
    malformed_or_unsupported_persisted_queries_are_bad_requests,
    texts_over_the_limits_are_refused_and_never_stored,
);
