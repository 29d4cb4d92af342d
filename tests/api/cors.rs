//! Browser front ends on other origins (src/http/cors.rs, src/http/origins.rs): CORS preflights
//! and answers for allowed and refused origins, on `/graphql` only; nothing at all without
//! `PARTNERGRAPH_CORS_ORIGINS`; the Origin check of the WebSocket upgrade. The cookie flow is in
//! `refresh_cookie.rs`; the same in a real browser is tests/browser/cors.mjs.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use partnergraph::config::CorsOrigins;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{HttpAnswer, TestApp, data};
use crate::on_both_backends;

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

fn allowing_app(config: &mut partnergraph::config::Config) {
    config.http.cors = CorsOrigins::List(vec![APP.into()]);
}

fn header<'a>(answer: &'a HttpAnswer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// Every `access-control-*` header of an answer.
fn cors_headers(answer: &HttpAnswer) -> Vec<String> {
    answer
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> HttpAnswer {
    let request = Request::options(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,authorization",
        )
        .body(Body::empty())
        .expect("request");
    app.request(request).await
}

async fn post_from(app: &TestApp, origin: &str, body: impl Into<Body>) -> HttpAnswer {
    let request = Request::post("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request");
    app.request(request).await
}

const TYPENAME: &str = r#"{"query":"{ __typename }"}"#;

async fn an_allowed_origin_gets_a_cached_preflight_and_readable_answers(app: TestApp) {
    let app = app.restart(allowing_app).await;
    let answer = preflight(&app, "/graphql", APP).await;
    assert!(answer.status.is_success(), "{}", answer.status);
    assert_eq!(header(&answer, "access-control-allow-origin"), APP);
    assert_eq!(header(&answer, "access-control-allow-credentials"), "true");
    assert_eq!(header(&answer, "access-control-allow-methods"), "POST");
    let allowed_headers = header(&answer, "access-control-allow-headers");
    assert!(
        allowed_headers.contains("content-type"),
        "{allowed_headers}"
    );
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    assert_eq!(header(&answer, "access-control-max-age"), "600");
    assert!(header(&answer, "vary").contains("origin"));

    let answer = post_from(&app, APP, TYPENAME).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(data(&answer.json())["__typename"], "Query");
    assert_eq!(header(&answer, "access-control-allow-origin"), APP);
    assert_eq!(header(&answer, "access-control-allow-credentials"), "true");
    let exposed = header(&answer, "access-control-expose-headers");
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert!(exposed.contains("retry-after"), "{exposed}");
    assert!(!header(&answer, "x-request-id").is_empty());

    // The limits' own answers reach the page readable too (the layer is outside them).
    let too_large = post_from(&app, APP, vec![b' '; 128 * 1024]).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&too_large, "access-control-allow-origin"), APP);
}

async fn a_refused_origin_gets_no_cors_header_and_no_hint(app: TestApp) {
    let app = app.restart(allowing_app).await;
    for origin in [
        EVIL,
        "https://app.example.com.evil.example",
        "null",
        "http://app.example.com",
    ] {
        let answer = preflight(&app, "/graphql", origin).await;
        assert_eq!(cors_headers(&answer), Vec::<String>::new(), "{origin}");
        assert!(!answer.status.is_success(), "{origin}: {}", answer.status);
        assert!(!answer.text.contains("example.com"), "{}", answer.text);

        let answer = post_from(&app, origin, TYPENAME).await;
        assert_eq!(cors_headers(&answer), Vec::<String>::new(), "{origin}");
        assert!(!answer.text.contains("app.example.com"), "{}", answer.text);
    }
}

async fn cors_covers_the_graphql_endpoint_only(app: TestApp) {
    let app = app.restart(allowing_app).await;
    for path in [
        "/r/some-code",
        "/postback/conversions",
        "/healthz",
        "/graphql/ws",
    ] {
        let answer = preflight(&app, path, APP).await;
        assert_eq!(cors_headers(&answer), Vec::<String>::new(), "{path}");
    }
    let request = Request::get("/healthz")
        .header(header::ORIGIN, APP)
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        cors_headers(&app.request(request).await),
        Vec::<String>::new()
    );
}

/// Without the variable (and without --dev) the server is same-origin only, as before CORS.
async fn without_the_setting_no_origin_gets_cors(app: TestApp) {
    for origin in [APP, "http://localhost:5173"] {
        let answer = preflight(&app, "/graphql", origin).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{origin}");
        assert_eq!(cors_headers(&answer), Vec::<String>::new(), "{origin}");
        let answer = post_from(&app, origin, TYPENAME).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(cors_headers(&answer), Vec::<String>::new(), "{origin}");
    }
}

async fn dev_allows_local_origins_and_star_allows_any_without_credentials(app: TestApp) {
    let app = app
        .restart(|config| config.http.cors = CorsOrigins::Loopback)
        .await;
    let local = preflight(&app, "/graphql", "http://localhost:5173").await;
    assert_eq!(
        header(&local, "access-control-allow-origin"),
        "http://localhost:5173"
    );
    assert_eq!(
        cors_headers(&preflight(&app, "/graphql", APP).await),
        Vec::<String>::new()
    );

    let app = app
        .restart(|config| config.http.cors = CorsOrigins::Any)
        .await;
    let any = preflight(&app, "/graphql", EVIL).await;
    assert_eq!(header(&any, "access-control-allow-origin"), "*");
    assert_eq!(header(&any, "access-control-allow-credentials"), "");
}

/// Serves `router` on a free port of 127.0.0.1 until the test ends.
async fn serve(app: &TestApp) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}

/// The HTTP status of a WebSocket upgrade to `/graphql/ws` with `origin` (101 when it opened).
async fn upgrade_status(addr: SocketAddr, origin: Option<&str>) -> u16 {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().expect("header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tungstenite::Error::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            assert!(!body.contains("app.example.com"), "{body}");
            response.status().as_u16()
        }
        Err(other) => panic!("upgrade failed: {other}"),
    }
}

async fn websocket_upgrades_from_other_origins_are_refused(app: TestApp) {
    let app = app.restart(allowing_app).await;
    let addr = serve(&app).await;
    assert_eq!(upgrade_status(addr, Some(EVIL)).await, 403);
    assert_eq!(upgrade_status(addr, Some("null")).await, 403);
    assert_eq!(upgrade_status(addr, Some(APP)).await, 101);
    // Not a browser, and GraphiQL's page on this server.
    assert_eq!(upgrade_status(addr, None).await, 101);
    assert_eq!(
        upgrade_status(addr, Some(&format!("http://{addr}"))).await,
        101
    );

    // Same-origin only: a listed origin of another config is refused like any other.
    let app = app.restart(|_| {}).await;
    let addr = serve(&app).await;
    assert_eq!(upgrade_status(addr, Some(APP)).await, 403);
    assert_eq!(
        upgrade_status(addr, Some(&format!("http://{addr}"))).await,
        101
    );
}

on_both_backends!(
    an_allowed_origin_gets_a_cached_preflight_and_readable_answers,
    a_refused_origin_gets_no_cors_header_and_no_hint,
    cors_covers_the_graphql_endpoint_only,
    without_the_setting_no_origin_gets_cors,
    dev_allows_local_origins_and_star_allows_any_without_credentials,
    websocket_upgrades_from_other_origins_are_refused,
);
