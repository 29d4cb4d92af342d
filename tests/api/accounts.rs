//! Sign-up, sign-in, sessions and what is stored.

use partnergraph::db::entity::{api_key, invite, refresh_token, user};
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::world::{self, PASSWORD, register, text};
use crate::helpers::{TestApp, data, error_codes};
use crate::on_both_backends;

async fn register_brand_creates_the_brand_and_a_signed_in_admin(app: TestApp) {
    let response = app
        .contract(
            None,
            "auth",
            "RegisterBrand",
            json!({ "input": { "brandName": "Glow", "currencyCode": "EUR",
                "timezone": "Europe/Berlin", "email": "Owner@Glow.test", "password": PASSWORD } }),
        )
        .await;
    let payload = &data(&response)["registerBrand"];
    assert_eq!(payload["user"]["email"], "owner@glow.test");
    assert_eq!(payload["user"]["role"], "ADMIN");
    assert_eq!(payload["user"]["brand"]["name"], "Glow");
    assert_eq!(payload["user"]["brand"]["currencyCode"], "EUR");
    let token = text(&payload["accessToken"]);

    let viewer = app
        .contract(Some(&token), "auth", "Viewer", json!({}))
        .await;
    let viewer = &data(&viewer)["viewer"];
    assert_eq!(viewer["email"], "owner@glow.test");
    assert_eq!(viewer["brand"]["currencyCode"], "EUR");
    assert_eq!(viewer["creators"], json!([]));
}

async fn registration_input_is_validated(app: TestApp) {
    let cases = [
        (json!({ "password": "short" }), "password"),
        (json!({ "timezone": "Mars/Base" }), "timezone"),
        (json!({ "email": "not-an-email" }), "email"),
        (json!({ "brandName": "  " }), "brandName"),
    ];
    for (change, field) in cases {
        let mut input = json!({ "brandName": "X", "currencyCode": "USD", "timezone": "UTC",
            "email": "x@x.test", "password": PASSWORD });
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let response = app
            .contract(None, "auth", "RegisterBrand", json!({ "input": input }))
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{field}: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
    }
    let bad_currency = app
        .contract(
            None,
            "auth",
            "RegisterBrand",
            json!({ "input": { "brandName": "X", "currencyCode": "usd", "timezone": "UTC",
                "email": "x@x.test", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(
        error_codes(&bad_currency),
        ["BAD_USER_INPUT"],
        "{bad_currency}"
    );
    // Nothing was created by the refused attempts.
    assert_eq!(user::Entity::find().all(&app.db).await.unwrap().len(), 0);
}

async fn an_email_registers_once(app: TestApp) {
    register(&app, "One", "same@x.test").await;
    let again = app
        .contract(
            None,
            "auth",
            "RegisterBrand",
            json!({ "input": { "brandName": "Two", "currencyCode": "USD", "timezone": "UTC",
                "email": "SAME@x.test", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"], "{again}");
}

async fn wrong_email_and_wrong_password_answer_the_same(app: TestApp) {
    register(&app, "Brand", "real@x.test").await;
    let wrong_password = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": "real@x.test", "password": "nope-nope-nope" }),
        )
        .await;
    let wrong_email = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": "ghost@x.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&wrong_password), ["UNAUTHENTICATED"]);
    assert_eq!(
        wrong_password["errors"][0]["message"],
        wrong_email["errors"][0]["message"]
    );
    assert_eq!(
        wrong_password["errors"][0]["extensions"],
        wrong_email["errors"][0]["extensions"]
    );
    // Not an address at all (a NUL used to fail the lookup on PostgreSQL with INTERNAL).
    for not_an_address in ["real\u{0}@x.test", "no at sign", ""] {
        let answer = app
            .contract(
                None,
                "auth",
                "Login",
                json!({ "email": not_an_address, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"], wrong_email["errors"][0]["extensions"],
            "{answer}"
        );
    }

    let (token, _) = world::login(&app, "REAL@x.test").await;
    let viewer = app
        .contract(Some(&token), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(data(&viewer)["viewer"]["email"], "real@x.test");
}

async fn failed_logins_are_rate_limited_per_account(app: TestApp) {
    register(&app, "Brand", "target@x.test").await;
    let attempt = || {
        app.contract(
            None,
            "auth",
            "Login",
            json!({ "email": "target@x.test", "password": "wrong-wrong-wrong" }),
        )
    };
    for _ in 0..partnergraph::auth::LOGIN_FAILURES_PER_ACCOUNT {
        assert_eq!(error_codes(&attempt().await), ["UNAUTHENTICATED"]);
    }
    let limited = attempt().await;
    assert_eq!(error_codes(&limited), ["RATE_LIMITED"], "{limited}");
    assert!(
        limited["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Even the right password waits now.
    let right = app
        .contract(
            None,
            "auth",
            "Login",
            json!({ "email": "target@x.test", "password": PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&right), ["RATE_LIMITED"]);
}

async fn failed_logins_are_rate_limited_per_ip(app: TestApp) {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, header};
    use std::net::SocketAddr;

    let from = |email: String, ip: [u8; 4]| {
        let body = json!({ "query": "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": { "e": email, "p": "wrong-wrong-wrong" } });
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
        request
    };
    // Different accounts from one address: the per-IP limit applies.
    for i in 0..partnergraph::auth::LOGIN_FAILURES_PER_IP {
        let answer = app
            .request(from(format!("user{i}@x.test"), [10, 0, 0, 1]))
            .await;
        assert_eq!(error_codes(&answer.json()), ["UNAUTHENTICATED"]);
    }
    let limited = app
        .request(from("fresh@x.test".into(), [10, 0, 0, 1]))
        .await;
    assert_eq!(error_codes(&limited.json()), ["RATE_LIMITED"]);
    let elsewhere = app
        .request(from("fresh@x.test".into(), [10, 0, 0, 2]))
        .await;
    assert_eq!(error_codes(&elsewhere.json()), ["UNAUTHENTICATED"]);
}

async fn refresh_rotates_and_reuse_revokes_the_session(app: TestApp) {
    let brand = register(&app, "Brand", "rot@x.test").await;
    let first = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": brand.refresh }),
        )
        .await;
    let first = &data(&first)["refreshSession"];
    let new_refresh = text(&first["refreshToken"]);
    let new_access = text(&first["accessToken"]);
    assert_ne!(new_refresh, brand.refresh);
    let viewer = app
        .contract(Some(&new_access), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(data(&viewer)["viewer"]["email"], "rot@x.test");

    // The old refresh token again: refused, and the whole family is revoked.
    let replay = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": brand.refresh }),
        )
        .await;
    assert_eq!(error_codes(&replay), ["UNAUTHENTICATED"]);
    let after = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": new_refresh }),
        )
        .await;
    assert_eq!(error_codes(&after), ["UNAUTHENTICATED"], "{after}");
    let viewer = app
        .contract(Some(&new_access), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(error_codes(&viewer), ["UNAUTHENTICATED"]);
    let garbage = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": "pgr_nope" }),
        )
        .await;
    assert_eq!(error_codes(&garbage), ["UNAUTHENTICATED"]);
}

async fn logout_ends_access_and_refresh_tokens(app: TestApp) {
    let brand = register(&app, "Brand", "out@x.test").await;
    let (other_access, _) = world::login(&app, "out@x.test").await;
    let response = app
        .contract(Some(&brand.access), "auth", "Logout", json!({}))
        .await;
    assert_eq!(data(&response)["logout"], true);
    let viewer = app
        .contract(Some(&brand.access), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(error_codes(&viewer), ["UNAUTHENTICATED"]);
    let refresh = app
        .contract(
            None,
            "auth",
            "RefreshSession",
            json!({ "refreshToken": brand.refresh }),
        )
        .await;
    assert_eq!(error_codes(&refresh), ["UNAUTHENTICATED"]);
    // Another session of the same user is not affected.
    let viewer = app
        .contract(Some(&other_access), "auth", "Viewer", json!({}))
        .await;
    assert_eq!(data(&viewer)["viewer"]["email"], "out@x.test");
}

async fn no_table_holds_a_plaintext_secret(app: TestApp) {
    let w = world::world(&app).await;
    let users = user::Entity::find().all(&app.db).await.unwrap();
    assert!(!users.is_empty());
    for u in &users {
        assert!(
            u.password_hash
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            u.password_hash
        );
        assert!(!u.password_hash.contains(PASSWORD));
    }
    for key in api_key::Entity::find().all(&app.db).await.unwrap() {
        assert_eq!(key.secret_hash.len(), 64);
        assert!(!w.key.contains(&key.secret_hash));
        assert!(key.prefix.starts_with("pg_") && key.prefix.len() == 10);
        assert_ne!(key.secret_hash, w.key);
    }
    let key_row = api_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|k| w.key.starts_with(&k.prefix))
        .expect("key row");
    assert_eq!(
        key_row.secret_hash,
        partnergraph::auth::secrets::sha256_hex(&w.key)
    );
    for token in refresh_token::Entity::find().all(&app.db).await.unwrap() {
        assert_eq!(token.token_hash.len(), 64);
        assert!(!token.token_hash.starts_with("pgr_"));
    }
    for row in invite::Entity::find().all(&app.db).await.unwrap() {
        assert_eq!(row.token_hash.len(), 64);
    }
}

on_both_backends!(
    register_brand_creates_the_brand_and_a_signed_in_admin,
    registration_input_is_validated,
    an_email_registers_once,
    wrong_email_and_wrong_password_answer_the_same,
    failed_logins_are_rate_limited_per_account,
    failed_logins_are_rate_limited_per_ip,
    refresh_rotates_and_reuse_revokes_the_session,
    logout_ends_access_and_refresh_tokens,
    no_table_holds_a_plaintext_secret,
);
