//! Credentials that must not work, sent over HTTP as a client would.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use partnergraph::auth::jwt::JwtKeys;
use partnergraph::config::Secret;
use serde_json::json;

use crate::helpers::world::{db_id, register};
use crate::helpers::{TestApp, error_codes, test_config};
use crate::on_both_backends;

const VIEWER: &str = "{ viewer { email } }";

fn test_secret() -> Secret {
    test_config(crate::helpers::TestDb::placeholder_config())
        .auth
        .jwt_secret
}

async fn forged_and_stale_tokens_are_refused_with_401(app: TestApp) {
    let brand = register(&app, "Brand", "admin@x.test").await;
    let parts: Vec<&str> = brand.access.split('.').collect();
    let payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();

    let mut forged = Vec::new();
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    forged.push(("alg none", format!("{none_header}.{}.", parts[1])));
    let mut tampered = payload.clone();
    tampered["sub"] = json!("999");
    forged.push((
        "tampered payload",
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(tampered.to_string()),
            parts[2]
        ),
    ));
    let other_keys = JwtKeys::new(&Secret::new("a-different-secret-a-different-secret"));
    let user = db_id(&brand.user_id);
    let sid = payload["sid"].as_str().unwrap();
    forged.push((
        "wrong secret",
        other_keys.issue(user, sid, Utc::now()).unwrap().0,
    ));
    let keys = JwtKeys::new(&test_secret());
    let stale = keys
        .issue(user, sid, Utc::now() - Duration::hours(1))
        .unwrap()
        .0;
    forged.push(("expired beyond leeway", stale));
    forged.push(("not a jwt", "abc.def.ghi".into()));
    forged.push(("unknown api key", "pg_not_a_real_key".into()));

    for (name, token) in forged {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(json!({ "query": VIEWER }).to_string()))
            .unwrap();
        let answer = app.request(request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(error_codes(&answer.json()), ["UNAUTHENTICATED"], "{name}");
        assert!(
            answer.headers.contains_key(header::WWW_AUTHENTICATE),
            "{name}"
        );
    }
    // The genuine token still works, and a token signed with the server's key for the same
    // session (so only its validity window differs) does too.
    let fresh = keys.issue(user, sid, Utc::now()).unwrap().0;
    for token in [&brand.access, &fresh] {
        let ok = app.graphql_as(Some(token), VIEWER, json!({})).await;
        assert_eq!(ok["data"]["viewer"]["email"], "admin@x.test");
    }
}

async fn malformed_authorization_headers_are_refused(app: TestApp) {
    for value in ["Basic abc", "Bearer", "Bearer    ", "token"] {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, value)
            .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
            .unwrap();
        let answer = app.request(request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value}");
    }
}

on_both_backends!(
    forged_and_stale_tokens_are_refused_with_401,
    malformed_authorization_headers_are_refused,
);
