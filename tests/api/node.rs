//! `node(id:)` before authentication exists for the caller.

use serde_json::json;

use crate::helpers::{TestApp, error_codes};
use crate::on_both_backends;

const NODE: &str = "query ($id: ID!) { node(id: $id) { id __typename } }";

async fn malformed_ids_are_bad_user_input(app: TestApp) {
    for id in ["", "not-base64!", "QnJhbmQ6eA", "Tm9wZTox"] {
        let response = app.graphql(NODE, json!({ "id": id })).await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{id}: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["field"], "id");
        assert!(response["data"]["node"].is_null());
    }
}

async fn anonymous_callers_get_unauthenticated(app: TestApp) {
    // "Brand:1" in the opaque encoding.
    let response = app.graphql(NODE, json!({ "id": "QnJhbmQ6MQ" })).await;
    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"], "{response}");
}

on_both_backends!(
    malformed_ids_are_bad_user_input,
    anonymous_callers_get_unauthenticated,
);
