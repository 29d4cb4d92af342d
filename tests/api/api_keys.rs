//! API keys: shown once, scoped, revocable, last use recorded.

use partnergraph::db::entity::api_key;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::world::{self, create_key, db_id, register};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

const API_KEYS: &str = "{ apiKeys(first: 10) { totalCount edges { node { id name prefix scopes revokedAt lastUsedAt } } } }";

async fn created_keys_show_their_secret_once_and_work_until_revoked(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let response = app
        .contract(
            Some(&brand.access),
            "auth",
            "CreateApiKey",
            json!({ "input": { "name": " Shopify sync ", "scopes": ["INGEST", "READ_CHANGES", "INGEST"] } }),
        )
        .await;
    let payload = &data(&response)["createApiKey"];
    let secret = payload["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("pg_") && secret.len() >= 3 + 43,
        "{secret}"
    );
    assert_eq!(payload["apiKey"]["name"], "Shopify sync");
    assert_eq!(
        payload["apiKey"]["scopes"],
        json!(["INGEST", "READ_CHANGES"])
    );
    assert!(secret.starts_with(payload["apiKey"]["prefix"].as_str().unwrap()));
    let key_id = payload["apiKey"]["id"].as_str().unwrap().to_owned();

    // The list never shows the secret.
    let listed = app
        .graphql_as(Some(&brand.access), API_KEYS, json!({}))
        .await;
    let listed = &data(&listed)["apiKeys"];
    assert_eq!(listed["totalCount"], 1);
    assert!(!listed.to_string().contains(&secret));

    // The key authenticates (an integrator may not read the viewer: FORBIDDEN, not 401)...
    let as_key = app
        .contract(Some(&secret), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(error_codes(&as_key), ["FORBIDDEN"]);
    let row = api_key::Entity::find_by_id(db_id(&key_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.last_used_at.is_some(), "last use recorded");

    // ...until revoked: the next request is refused.
    let revoked = app
        .contract(
            Some(&brand.access),
            "auth",
            "RevokeApiKey",
            json!({ "id": key_id }),
        )
        .await;
    assert!(data(&revoked)["revokeApiKey"]["revokedAt"].is_string());
    let after = app
        .contract(Some(&secret), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(error_codes(&after), ["UNAUTHENTICATED"]);
}

async fn key_input_is_validated(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    for (input, field) in [
        (json!({ "name": "k", "scopes": [] }), "scopes"),
        (json!({ "name": "   ", "scopes": ["INGEST"] }), "name"),
    ] {
        let response = app
            .contract(
                Some(&brand.access),
                "auth",
                "CreateApiKey",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let unknown_scope = app
        .contract(
            Some(&brand.access),
            "auth",
            "CreateApiKey",
            json!({ "input": { "name": "k", "scopes": ["ADMIN"] } }),
        )
        .await;
    assert_eq!(
        error_codes(&unknown_scope),
        ["BAD_USER_INPUT"],
        "{unknown_scope}"
    );
}

async fn keys_and_users_are_listed_only_within_the_brand(app: TestApp) {
    let w = world::world(&app).await;
    let (_, _) = create_key(&app, &w.admin, "second").await;
    let mine = app.graphql_as(Some(&w.admin), API_KEYS, json!({})).await;
    assert_eq!(data(&mine)["apiKeys"]["totalCount"], 2);
    let theirs = app.graphql_as(Some(&w.admin_b), API_KEYS, json!({})).await;
    assert_eq!(data(&theirs)["apiKeys"]["totalCount"], 1);
    let users = app
        .graphql_as(Some(&w.admin), "{ users(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { email role } } } }", json!({}))
        .await;
    let users = &data(&users)["users"];
    assert_eq!(users["totalCount"], 3, "admin, manager, analyst of A");
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
    let cursor = users["pageInfo"]["endCursor"].as_str().unwrap();
    let next = app
        .graphql_as(
            Some(&w.admin),
            "query ($after: String) { users(first: 2, after: $after) { pageInfo { hasNextPage } edges { node { email } } } }",
            json!({ "after": cursor }),
        )
        .await;
    let next = &data(&next)["users"];
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    assert_eq!(next["edges"].as_array().unwrap().len(), 1);
    let by_manager = app.graphql_as(Some(&w.manager), API_KEYS, json!({})).await;
    assert_eq!(error_codes(&by_manager), ["FORBIDDEN"]);
}

on_both_backends!(
    created_keys_show_their_secret_once_and_work_until_revoked,
    key_input_is_validated,
    keys_and_users_are_listed_only_within_the_brand,
);
