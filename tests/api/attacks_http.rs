//! Attacks on the HTTP layer: huge bodies, slow requests, floods past the in-flight limit, an
//! exhausted database pool, login floods, spoofed `X-Forwarded-For` and bursts past a key's
//! rate limit. Each gets its documented refusal with a code, and the server then still serves a
//! normal request. Requests go through the real router in-process; connection info (the peer
//! address) is set on each request as `axum::serve` would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use futures_util::stream::{self, StreamExt};
use partnergraph::clock::SystemClock;
use partnergraph::config::Config;
use partnergraph::http::client_ip::TrustedProxies;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::world::{self, PASSWORD};
use crate::helpers::{Backend, HttpAnswer, TestApp, data, error_codes};

const TYPENAME: &str = r#"{"query":"{ __typename }"}"#;

async fn app(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    TestApp::spawn_configured(backend, Arc::new(SystemClock), configure).await
}

fn peer(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().expect("ip"), 40_000))
}

/// A POST of `body` to `path` from `from`, with extra headers.
fn post(path: &str, from: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(body.into()).expect("request");
    request.extensions_mut().insert(peer(from));
    request
}

fn code(answer: &HttpAnswer) -> String {
    answer.json()["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned()
}

fn retry_after(answer: &HttpAnswer) -> u64 {
    answer.headers[header::RETRY_AFTER]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After in {:?}", answer.headers))
}

async fn still_serves(app: &TestApp) {
    let answer = app
        .request(post("/graphql", "192.0.2.200", &[], TYPENAME))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["data"]["__typename"], "Query");
}

#[tokio::test]
async fn a_10_mb_body_is_refused_with_a_code() {
    let Some(app) = app(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let huge = format!(
        r#"{{"query":"{{ __typename }}","x":"{}"}}"#,
        "a".repeat(10 << 20)
    );
    // Announced by Content-Length: the body-limit layer refuses it before any handler runs.
    for path in ["/graphql", "/postback/conversions"] {
        let length = huge.len().to_string();
        let answer = app
            .request(post(
                path,
                "192.0.2.1",
                &[("content-length", &length)],
                huge.clone(),
            ))
            .await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(code(&answer), "BAD_REQUEST", "{path}: {}", answer.text);
    }
    // Streamed without a length: refused once the limit is crossed while reading.
    let chunks = huge
        .into_bytes()
        .chunks(64 * 1024)
        .map(|chunk| Ok::<_, std::io::Error>(Bytes::copy_from_slice(chunk)))
        .collect::<Vec<_>>();
    let streamed = Body::from_stream(stream::iter(chunks));
    let answer = app
        .request(post("/graphql", "192.0.2.1", &[], streamed))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&answer), "BAD_REQUEST", "{}", answer.text);
    still_serves(&app).await;
}

/// A body that sends its first bytes and then nothing more (a slowloris client).
fn stalled_body() -> Body {
    let first = stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{\"query\":")) });
    Body::from_stream(first.chain(stream::pending()))
}

#[tokio::test]
async fn a_request_past_the_timeout_is_answered_with_a_code() {
    let Some(app) = app(Backend::Sqlite, |config| {
        config.http.request_timeout = Duration::from_millis(300);
    })
    .await
    else {
        return;
    };
    let started = Instant::now();
    let answer = app
        .request(post("/graphql", "192.0.2.1", &[], stalled_body()))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::REQUEST_TIMEOUT,
        "{}",
        answer.text
    );
    assert_eq!(code(&answer), "TIMEOUT");
    assert!(started.elapsed() < Duration::from_secs(5));
    still_serves(&app).await;
}

#[tokio::test]
async fn requests_past_the_in_flight_limit_are_shed() {
    let Some(app) = app(Backend::Sqlite, |config| {
        config.http.max_in_flight = 1;
        config.http.request_timeout = Duration::from_secs(2);
    })
    .await
    else {
        return;
    };
    // One slow request holds the only slot until it times out.
    let slow = tokio::spawn(app.router.clone().oneshot(post(
        "/graphql",
        "192.0.2.1",
        &[],
        stalled_body(),
    )));
    let mut shed = None;
    for _ in 0..100 {
        let answer = app
            .request(post("/graphql", "192.0.2.2", &[], TYPENAME))
            .await;
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            shed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shed = shed.expect("a request past the limit is shed");
    assert_eq!(code(&shed), "SERVICE_UNAVAILABLE", "{}", shed.text);
    assert!(retry_after(&shed) >= 1);
    assert_eq!(
        app.get("/healthz").await.status,
        StatusCode::OK,
        "liveness is never shed"
    );
    let slow = slow.await.expect("join").expect("infallible");
    assert_eq!(slow.status(), StatusCode::REQUEST_TIMEOUT);
    still_serves(&app).await;
}

async fn exhausted_pool_fails_fast_and_recovers(backend: Backend) {
    let Some(app) = app(backend, |config| {
        config.database.max_connections = 1;
        config.database.acquire_timeout = Duration::from_millis(300);
        config.http.request_timeout = Duration::from_secs(10);
    })
    .await
    else {
        return;
    };
    let admin = world::register(&app, "Glow", "admin@glow.test")
        .await
        .access;
    let viewer = |token: &str| {
        let bearer = format!("Bearer {token}");
        let body = r#"{"query":"{ viewer { email } }"}"#;
        post("/graphql", "192.0.2.1", &[("authorization", &bearer)], body)
    };
    // A transaction holds the pool's only connection.
    let held = app.db.begin().await.expect("begin");
    let started = Instant::now();
    let answer = app.request(viewer(&admin)).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(code(&answer), "SERVICE_UNAVAILABLE");
    assert!(retry_after(&answer) >= 1);
    let login = json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        "variables": { "e": "admin@glow.test", "p": PASSWORD } });
    let anonymous = app
        .request(post("/graphql", "192.0.2.1", &[], login.to_string()))
        .await;
    let anonymous = anonymous.json();
    assert_eq!(error_codes(&anonymous), ["SERVICE_UNAVAILABLE"]);
    assert_eq!(anonymous["errors"][0]["extensions"]["retryAfter"], 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails fast, well before the request timeout: {:?}",
        started.elapsed()
    );
    held.rollback().await.expect("rollback");
    let answer = app.request(viewer(&admin)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(data(&answer.json())["viewer"]["email"], "admin@glow.test");
}

#[tokio::test]
async fn exhausted_pool_fails_fast_and_recovers_on_sqlite() {
    exhausted_pool_fails_fast_and_recovers(Backend::Sqlite).await;
}

#[tokio::test]
async fn exhausted_pool_fails_fast_and_recovers_on_postgres() {
    exhausted_pool_fails_fast_and_recovers(Backend::Postgres).await;
}

fn wrong_login(from: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let body = json!({
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        "variables": { "e": "admin@glow.test", "p": "not-the-password-at-all" },
    });
    let headers: Vec<(&str, &str)> = forwarded_for
        .map(|xff| vec![("x-forwarded-for", xff)])
        .unwrap_or_default();
    post("/graphql", from, &headers, body.to_string())
}

#[tokio::test]
async fn a_login_flood_from_one_ip_is_rate_limited_and_spoofing_does_not_help() {
    let Some(app) = app(Backend::Sqlite, |config| {
        // 60 at once, then one a minute: the loop never runs long enough to earn another.
        config.http.rate_limit.per_ip = 60;
        config.http.rate_limit.window = Duration::from_secs(3_600);
    })
    .await
    else {
        return;
    };
    world::register(&app, "Glow", "admin@glow.test").await;
    let (mut password_checks, mut refused_by_login_limit, mut refused_by_http_limit) = (0, 0, 0);
    for attempt in 0..1000 {
        let answer = app.request(wrong_login("198.51.100.7", None)).await;
        if answer.status == StatusCode::OK {
            assert_eq!(error_codes(&answer.json()), ["UNAUTHENTICATED"]);
            password_checks += 1;
            continue;
        }
        assert_eq!(
            answer.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{attempt}: {}",
            answer.text
        );
        assert_eq!(code(&answer), "RATE_LIMITED", "{}", answer.text);
        let wait = retry_after(&answer);
        assert!((1..=3_600).contains(&wait), "{wait}");
        assert_eq!(answer.json()["errors"][0]["extensions"]["retryAfter"], wait);
        // The failed-login limit answers from the `login` field; the HTTP limit before GraphQL.
        if answer.json()["errors"][0]["path"] == json!(["login"]) {
            refused_by_login_limit += 1;
        } else {
            refused_by_http_limit += 1;
        }
    }
    // One account is targeted: its failure limit (below the per-IP one) stops the guessing.
    let per_account = partnergraph::auth::LOGIN_FAILURES_PER_ACCOUNT;
    assert_eq!(password_checks, per_account, "passwords checked");
    assert_eq!(
        refused_by_login_limit,
        60 - per_account,
        "the rest of the HTTP allowance"
    );
    assert_eq!(
        refused_by_http_limit,
        1000 - 60,
        "never more than 60 reach GraphQL"
    );
    // A forged X-Forwarded-For is ignored: no trusted proxy is configured.
    let spoofed = app
        .request(wrong_login("198.51.100.7", Some("203.0.113.9")))
        .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(spoofed.json()["errors"][0]["path"], json!(["login"]));
    // Another client passes the HTTP limit; the targeted account still waits.
    let other = app.request(wrong_login("198.51.100.8", None)).await;
    assert_eq!(
        other.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        other.text
    );
    assert_eq!(other.json()["errors"][0]["path"], json!(["login"]));
}

#[tokio::test]
async fn behind_a_trusted_proxy_forwarded_clients_are_told_apart() {
    let Some(app) = app(Backend::Sqlite, |config| {
        config.http.rate_limit.per_ip = 3;
        config.http.trusted_proxies = TrustedProxies::parse("127.0.0.1").expect("parse");
    })
    .await
    else {
        return;
    };
    let from = |xff: &str| {
        post(
            "/graphql",
            "127.0.0.1",
            &[("x-forwarded-for", xff)],
            TYPENAME,
        )
    };
    for _ in 0..3 {
        assert_eq!(
            app.request(from("198.51.100.1")).await.status,
            StatusCode::OK
        );
    }
    let limited = app.request(from("198.51.100.1")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&limited), "RATE_LIMITED");
    // A left-most entry the client wrote itself does not change who it is.
    let prefixed = app.request(from("203.0.113.50, 198.51.100.1")).await;
    assert_eq!(prefixed.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.request(from("198.51.100.2")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_burst_over_the_key_limit_is_refused_then_recovers() {
    let Some(app) = app(Backend::Sqlite, |config| {
        config.http.rate_limit.per_caller = 5;
        config.http.rate_limit.window = Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    let admin = world::register(&app, "Glow", "admin@glow.test")
        .await
        .access;
    let (key, _) = world::create_key(&app, &admin, "integration").await;
    let as_caller = |token: &str| {
        let bearer = format!("Bearer {token}");
        post(
            "/graphql",
            "192.0.2.1",
            &[("authorization", &bearer)],
            TYPENAME,
        )
    };
    // A token comes back every 200 ms: on a slow machine a few more calls may get through.
    let mut served = 0;
    let mut limited = None;
    for _ in 0..50 {
        let answer = app.request(as_caller(&key)).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(answer);
            break;
        }
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        served += 1;
    }
    assert!(served >= 5, "the whole burst is served: {served}");
    let limited = limited.expect("the burst is refused");
    assert_eq!(code(&limited), "RATE_LIMITED");
    assert_eq!(retry_after(&limited), 1);
    // The user who made the key has a bucket of its own.
    assert_eq!(app.request(as_caller(&admin)).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for _ in 0..5 {
        let answer = app.request(as_caller(&key)).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "after the window: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn guessing_api_keys_is_limited_per_ip() {
    let Some(app) = app(Backend::Sqlite, |config| {
        config.http.rate_limit.per_ip = 5;
    })
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    for i in 0..10 {
        let bearer = format!("Bearer pg_guess{i:040}");
        let answer = app
            .request(post(
                "/graphql",
                "192.0.2.9",
                &[("authorization", &bearer)],
                TYPENAME,
            ))
            .await;
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses[..5], [401; 5]);
    assert_eq!(statuses[5..], [429; 5]);
    let postback: Value = app
        .request(post("/postback/conversions", "192.0.2.9", &[], "{}"))
        .await
        .json();
    assert_eq!(error_codes(&postback), ["RATE_LIMITED"]);
}

/// The real binary refuses to start when an exhausted pool could outwait the request timeout.
#[test]
fn start_up_refuses_an_acquire_timeout_not_below_the_request_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_partnergraph"));
    command
        .args(["serve", "--dev", "--bind", "127.0.0.1:0"])
        .args([
            "--db-acquire-timeout-ms",
            "2000",
            "--request-timeout-ms",
            "1000",
        ])
        .current_dir(dir.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("PARTNERGRAPH_") {
            command.env_remove(key);
        }
    }
    let output = command.output().expect("run partnergraph serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PARTNERGRAPH_DB_ACQUIRE_TIMEOUT_MS")
            && stderr.contains("PARTNERGRAPH_REQUEST_TIMEOUT_MS"),
        "{stderr}"
    );
}
