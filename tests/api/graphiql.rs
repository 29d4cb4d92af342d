//! `GET /graphiql`: our own page and its embedded assets (src/http/graphiql.rs), routed only when
//! enabled, same-origin only; staff can run the introspection query GraphiQL sends. The page in a
//! real browser is tests/browser/.

use std::sync::Arc;

use axum::http::StatusCode;
use partnergraph::clock::SystemClock;
use partnergraph::config::Config;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::world::register;
use crate::helpers::{Backend, TestApp, data, error_codes};

const INTROSPECTION: &str = include_str!("fixtures/graphiql-introspection.graphql");

async fn app(configure: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_configured(Backend::Sqlite, Arc::new(SystemClock), configure)
        .await
        .expect("SQLite test app")
}

fn header<'a>(answer: &'a crate::helpers::HttpAnswer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// The values of every `src="..."` and `href="..."` of the page.
fn links(html: &str) -> Vec<&str> {
    let mut links = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            links.push(&rest[..rest.find('"').expect("closing quote")]);
        }
    }
    links
}

#[tokio::test]
async fn the_page_loads_only_same_origin_assets_under_a_strict_csp() {
    let app = app(|_| {}).await;
    let page = app.get("/graphiql").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let csp = header(&page, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "connect-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");

    let html = &page.text;
    for foreign in ["http://", "https://", "//cdn", "unpkg", "jsdelivr", "{{"] {
        assert!(!html.contains(foreign), "{foreign} in the page:\n{html}");
    }
    // No inline script: each one is a file.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/graphiql/assets/").count(),
        "{html}"
    );
    let links = links(html);
    assert_eq!(links.len(), 7, "{links:?}");
    for link in links {
        assert!(link.starts_with("/graphiql/assets/"), "{link}");
        let asset = app.get(link).await;
        assert_eq!(asset.status, StatusCode::OK, "{link}");
        assert!(!asset.text.is_empty(), "{link}");
        let expected = match link.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset type {other:?}: {link}"),
        };
        assert_eq!(header(&asset, "content-type"), expected, "{link}");
        assert_eq!(
            header(&asset, "cache-control"),
            "public, max-age=31536000, immutable",
            "{link}"
        );
        assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn the_sign_in_form_is_for_dev_and_prefilled_with_the_demo_admin_under_demo() {
    let production = app(|_| {}).await.get("/graphiql").await.text;
    assert!(
        production.contains("<form id=\"sign-in\" hidden>"),
        "{production}"
    );
    assert!(production.contains("<span id=\"hint\">"), "{production}");

    let demo = app(|config| {
        config.dev = true;
        config.demo = true;
    })
    .await
    .get("/graphiql")
    .await
    .text;
    assert!(demo.contains("<form id=\"sign-in\">"), "{demo}");
    assert!(demo.contains("<span id=\"hint\" hidden>"), "{demo}");
    let (email, _) = partnergraph::demo::STAFF[0];
    assert!(demo.contains(&format!("value=\"{email}\"")), "{demo}");
    let password = partnergraph::demo::DEMO_PASSWORD;
    assert!(demo.contains(&format!("value=\"{password}\"")), "{demo}");

    let dev = app(|config| config.dev = true)
        .await
        .get("/graphiql")
        .await
        .text;
    assert!(dev.contains("<form id=\"sign-in\">"), "{dev}");
    assert!(!dev.contains(email), "{dev}");
}

#[tokio::test]
async fn graphiql_and_its_assets_are_not_routed_when_disabled() {
    let enabled = app(|_| {}).await;
    let script = links(&enabled.get("/graphiql").await.text)
        .into_iter()
        .find(|link| link.ends_with("/graphiql.min.js"))
        .expect("graphiql.min.js")
        .to_owned();
    let disabled = app(|config| config.http.graphiql = false).await;
    for path in ["/graphiql", script.as_str()] {
        let answer = disabled.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.json()["errors"][0]["extensions"]["code"],
            "NOT_FOUND"
        );
    }
}

#[tokio::test]
async fn only_this_builds_assets_are_served() {
    let app = app(|_| {}).await;
    let script = links(&app.get("/graphiql").await.text)
        .into_iter()
        .find(|link| link.ends_with("/graphiql.min.js"))
        .expect("graphiql.min.js")
        .to_owned();
    let base = script.trim_end_matches("/graphiql.min.js");
    for path in [
        "/graphiql/assets/0000000000000000/graphiql.min.js".to_owned(),
        format!("{base}/index.html"),
        format!("{base}/SHA256SUMS"),
        format!("{base}/..%2F..%2FCargo.toml"),
        format!("{base}/LICENSE.react"),
    ] {
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// The vendored files are the ones `assets/graphiql/fetch` checked.
#[test]
fn vendored_assets_match_their_sums() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/graphiql");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut checked = 0;
    for line in sums.lines().filter(|line| !line.ends_with(".tgz")) {
        let (sum, name) = line.split_once("  ").expect("sha256sum format");
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(Sha256::digest(&bytes)), sum, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 7);
}

/// The docs explorer and completion need GraphiQL's introspection query (14 levels deep): staff
/// run it; others are refused as for any introspection.
#[tokio::test]
async fn staff_run_the_introspection_query_graphiql_sends() {
    let app = app(|_| {}).await;
    let admin = register(&app, "Glow", "admin@glow.test").await;
    let response = app
        .graphql_as(Some(&admin.access), INTROSPECTION, json!({}))
        .await;
    let schema = &data(&response)["__schema"];
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let types = schema["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "Campaign"), "{schema}");

    let anonymous = app.graphql(INTROSPECTION, json!({})).await;
    assert_eq!(error_codes(&anonymous), ["FORBIDDEN"]);
    // Expanding types below an expansion multiplies and is costed and counted in full.
    let twice =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let response = app.graphql_as(Some(&admin.access), twice, json!({})).await;
    assert_eq!(error_codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
}
