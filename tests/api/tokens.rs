//! Credentials that must not work, sent over HTTP as a client would.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use partnergraph::auth::jwt::JwtKeys;
use partnergraph::config::Secret;
use serde_json::json;

use crate::helpers::world::{self, db_id, register};
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

/// `POST /graphql` and `POST /postback/conversions` read `Authorization` with one extractor:
/// the same forms are accepted, and the same ones refused with the same status, challenge and
/// body.
async fn every_endpoint_reads_the_authorization_header_alike(app: TestApp) {
    let w = world::world(&app).await;
    let send = |path: &str, authorization: Option<String>, body: serde_json::Value| {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        app.request(request.body(Body::from(body.to_string())).unwrap())
    };
    let graphql =
        |authorization: Option<String>| send("/graphql", authorization, json!({ "query": VIEWER }));
    let postback = |authorization: Option<String>, external_id: &str| {
        let body = json!({ "externalId": external_id, "kind": "SALE",
            "occurredAt": Utc::now().to_rfc3339(), "amount": "10" });
        send("/postback/conversions", authorization, body)
    };

    // The scheme in any case, with extra spaces.
    for (i, scheme) in ["Bearer", "bearer", "BEARER", "bEaReR  "]
        .iter()
        .enumerate()
    {
        let viewer = graphql(Some(format!("{scheme} {}", w.admin))).await;
        assert_eq!(viewer.status, StatusCode::OK, "{scheme}: {}", viewer.text);
        assert_eq!(
            viewer.json()["data"]["viewer"]["email"],
            "admin@a.test",
            "{scheme}"
        );
        // The key is recognised on /graphql (an integrator has no viewer: FORBIDDEN, not
        // UNAUTHENTICATED) and accepted by the postback.
        let as_key = graphql(Some(format!("{scheme} {}", w.key))).await;
        assert_eq!(error_codes(&as_key.json()), ["FORBIDDEN"], "{scheme}");
        let created = postback(Some(format!("{scheme} {}", w.key)), &format!("hdr-{i}")).await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{scheme}: {}",
            created.text
        );
    }

    // Bad credentials: the same refusal on both.
    let refused = [
        "Bearer not-a-token".to_owned(),
        "bearer not-a-token".to_owned(),
        "bearer pg_not_a_real_key".to_owned(),
        format!("Basic {}", w.key),
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        "token".to_owned(),
    ];
    for value in refused {
        let on_graphql = graphql(Some(value.clone())).await;
        let on_postback = postback(Some(value.clone()), "hdr-refused").await;
        for answer in [&on_graphql, &on_postback] {
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{value}: {}",
                answer.text
            );
            assert_eq!(
                answer.headers[header::WWW_AUTHENTICATE],
                "Bearer error=\"invalid_token\"",
                "{value}"
            );
            assert_eq!(error_codes(&answer.json()), ["UNAUTHENTICATED"], "{value}");
        }
        assert_eq!(on_graphql.json(), on_postback.json(), "{value}");
    }

    // No credential: anonymous on /graphql, a challenge where one is required.
    let anonymous = graphql(None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(error_codes(&anonymous.json()), ["UNAUTHENTICATED"]);
    let missing = postback(None, "hdr-missing").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(error_codes(&missing.json()), ["UNAUTHENTICATED"]);
}

on_both_backends!(
    forged_and_stale_tokens_are_refused_with_401,
    malformed_authorization_headers_are_refused,
    every_endpoint_reads_the_authorization_header_alike,
);
