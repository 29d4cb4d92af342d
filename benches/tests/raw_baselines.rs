//! The raw baselines give PartnerGraph's answers: on the demo data (SQLite), the real app
//! (built in-process) and the raw router answer `{ __typename }`, the contract
//! `Creators(first: 20)` (PartnerGraph's `extensions.cost` aside) and every short link alike,
//! and the raw `/creators` runs the very statements the real server runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use partnergraph::config::{
    AuthConfig, Config, CorsOrigins, DatabaseConfig, ExportConfig, GraphqlConfig, HttpConfig,
    MailConfig, RateLimitConfig, Secret, SubscriptionConfig, TrackingConfig, WebhookConfig,
};
use partnergraph::config::{Introspection, LogFormat};
use partnergraph::http::client_ip::TrustedProxies;
use partnergraph_bench::raw::{self, POOL_SIZE, Pool, RawState};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-1";

fn config(url: &str) -> Config {
    Config {
        database: DatabaseConfig {
            url: Secret::new(url),
            max_connections: POOL_SIZE,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        },
        replica: None,
        http: HttpConfig {
            bind: "127.0.0.1:0".parse().expect("address"),
            public_url: "http://pg.test".into(),
            graphiql: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 8 * 1024 * 1024,
            max_upload_files: 1,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            trusted_proxies: TrustedProxies::none(),
            rate_limit: RateLimitConfig {
                per_caller: 1_000_000,
                per_ip: 1_000_000,
                window: Duration::from_secs(60),
            },
            cors: CorsOrigins::SameOriginOnly,
        },
        auth: AuthConfig {
            jwt_secret: Secret::new(JWT_SECRET),
            secret_key: partnergraph::auth::seal::SealingKey::new([7; 32]),
        },
        graphql: GraphqlConfig {
            max_depth: 10,
            max_complexity: 1000,
            max_aliases: 15,
            max_directives: 50,
            max_query_bytes: 32 * 1024,
            max_fields: 500,
            introspection: Introspection::Staff,
        },
        tracking: TrackingConfig {
            visitor_key_secret: Secret::new("bench-visitor-secret-bench-visitor-secret"),
            click_queue_capacity: 10_000,
            click_batch_size: 500,
            click_flush_interval: Duration::from_secs(3_600),
            link_cache_capacity: 10_000,
            link_cache_ttl: Duration::from_secs(60),
            raw_click_retention_days: None,
        },
        webhooks: WebhookConfig {
            poll_interval: Duration::from_secs(3_600),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3_600),
            max_attempts: 10,
            disable_after_failures: 20,
            request_timeout: Duration::from_secs(10),
            batch_size: 50,
            concurrency: 4,
            allow_private_targets: true,
        },
        subscriptions: SubscriptionConfig {
            max_connections: 100,
            per_connection: 20,
            buffer: 1_024,
            credential_recheck: Duration::from_secs(60),
        },
        mail: MailConfig {
            smtp_url: None,
            from: "PartnerGraph <no-reply@pg.test>".into(),
            app_url: "http://pg.test".into(),
            log_only: false,
            poll_interval: Duration::from_secs(3_600),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3_600),
            max_attempts: 10,
            send_timeout: Duration::from_secs(30),
            batch_size: 20,
        },
        exports: ExportConfig {
            dir: std::env::temp_dir().join("partnergraph-bench-exports"),
            // Like webhooks: the worker never polls unless a test asks for it.
            poll_interval: Duration::from_secs(3_600),
            chunk_rows: 2_000,
            lease: Duration::from_secs(300),
        },
        log_format: LogFormat::Text,
        dev: false,
        demo: false,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// PartnerGraph's answer without its `extensions.cost` (the document's cost and the caller's
/// request budget), which the raw baselines do not compute: the rest is compared byte for byte.
fn without_cost(mut answer: Answer) -> Answer {
    const COST: &[u8] = br#","extensions":{"cost":{"requestedQueryCost":"#;
    let at = answer
        .body
        .windows(COST.len())
        .rposition(|window| window == COST)
        .unwrap_or_else(|| {
            panic!(
                "no extensions.cost: {}",
                String::from_utf8_lossy(&answer.body)
            )
        });
    answer.body.truncate(at);
    answer.body.push(b'}');
    answer
}

fn post(path: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).expect("request")
}

/// One operation of a vendored contract file, as `benches/run` cuts it out.
fn contract_operation(file: &str, head: &str) -> String {
    let path = format!(
        "{}/../tests/contract/{file}.graphql",
        env!("CARGO_MANIFEST_DIR")
    );
    let document = std::fs::read_to_string(&path).expect("contract file");
    let start = document.find(head).expect("operation");
    let end = start + document[start..].find("\n}\n").expect("end") + 2;
    document[start..end].to_owned()
}

fn content_type(answer: &Answer) -> Option<&str> {
    answer
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// `Location` without the click id (fresh on every redirect), after checking its form.
fn location_without_click(answer: &Answer) -> String {
    let location = answer.headers[header::LOCATION].to_str().expect("ascii");
    let at = location.rfind("pg_click=").expect("click id") + "pg_click=".len();
    let id = &location[at..at + 32];
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{location}");
    format!("{}{}", &location[..at], &location[at + 32..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_answers_equal_the_real_servers_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    raw_answers_equal_the_real_servers(&url, DbBackend::Sqlite).await;
}

/// On PostgreSQL when `PARTNERGRAPH_TEST_POSTGRES_URL` names a server (`postgres://user@host:port`,
/// as for the API tests): a database of its own is created and left for the server's owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_answers_equal_the_real_servers_on_postgres() {
    let Ok(server) = std::env::var("PARTNERGRAPH_TEST_POSTGRES_URL") else {
        eprintln!("PARTNERGRAPH_TEST_POSTGRES_URL not set: the PostgreSQL check is skipped");
        return;
    };
    let server = server.trim_end_matches('/');
    let name = format!(
        "bench_raw_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos()
    );
    let admin = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    raw_answers_equal_the_real_servers(&format!("{server}/{name}"), DbBackend::Postgres).await;
}

async fn raw_answers_equal_the_real_servers(url: &str, backend: DbBackend) {
    let url = url.to_owned();
    let config = config(&url);
    let mut db = partnergraph::app::connect_and_migrate(&config)
        .await
        .expect("migrate");
    partnergraph::demo::load(
        &db,
        &partnergraph::service::mail::Links::new("http://pg.test"),
        &config.auth.secret_key,
        &config.exports,
    )
    .await
    .expect("demo data");
    let statements: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = statements.clone();
    db.set_metric_callback(move |info| {
        seen.lock().expect("lock").push(info.statement.sql.clone());
    });
    let (_state, real) = partnergraph::app::build(config, db.clone());
    let pool = Pool::connect(&url).await.expect("raw pool");
    let state = RawState::load(pool, &Secret::new(JWT_SECRET))
        .await
        .expect("raw state");
    let raw_statements = state.statements.clone();
    let raw = raw::router(state);

    // Row 1: `{ __typename }`, byte for byte.
    let typename = json!({ "query": "{ __typename }" });
    let (a, b) = (
        without_cost(send(&real, post("/graphql", None, &typename)).await),
        send(&raw, post("/graphql", None, &typename)).await,
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a.body, b.body);
    assert_eq!(a.body, raw::TYPENAME_BODY);
    assert_eq!(content_type(&a), Some("application/json"));
    assert_eq!(content_type(&a), content_type(&b));

    // Row 2: the contract `Creators(first: 20)` as the admin, byte for byte, same statements.
    let login = json!({
        "query": contract_operation("auth", "mutation Login("),
        "operationName": "Login",
        "variables": { "email": "admin@glow.example", "password": "demo-password-2026" },
    });
    let answer: Value =
        serde_json::from_slice(&send(&real, post("/graphql", None, &login)).await.body)
            .expect("json");
    let token = answer["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let creators = json!({
        "query": contract_operation("roster", "query Creators("),
        "operationName": "Creators",
        "variables": { "first": 20 },
    });
    // The first request of a session verifies it (both keep the caller); compared: the next.
    statements.lock().expect("lock").clear();
    send(&real, post("/graphql", Some(&token), &creators)).await;
    let first = std::mem::take(&mut *statements.lock().expect("lock"));
    assert_eq!(
        first,
        raw_statements.sequence(20, false),
        "statements differ"
    );
    send(&raw, post("/creators", Some(&token), &creators)).await;
    let a = without_cost(send(&real, post("/graphql", Some(&token), &creators)).await);
    let run = std::mem::take(&mut *statements.lock().expect("lock"));
    let b = send(&raw, post("/creators", Some(&token), &creators)).await;
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert_eq!(a.status, StatusCode::OK, "{text}");
    assert!(!text.contains("\"errors\""), "{text}");
    assert!(text.contains("\"totalCount\":40"), "{text}");
    assert_eq!(
        text,
        String::from_utf8_lossy(&b.body),
        "raw /creators differs"
    );
    assert_eq!(content_type(&a), content_type(&b));
    assert_eq!(run, raw_statements.sequence(20, true), "statements differ");
    // A token that does not verify is refused by both.
    let refused = send(&raw, post("/creators", Some("nope"), &creators)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    // Row 3: every live (not archived, not paused) link redirects to the same place (the click id aside), same headers.
    let codes = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code FROM tracking_links WHERE archived_at IS NULL AND paused_at IS NULL ORDER BY code",
        ))
        .await
        .expect("codes");
    assert!(codes.len() >= 10, "demo links: {}", codes.len());
    for row in codes {
        let code: String = row.try_get("", "code").expect("code");
        let path = format!("/r/{code}");
        let get = || Request::get(&path).body(Body::empty()).expect("request");
        let (a, b) = (send(&real, get()).await, send(&raw, get()).await);
        assert_eq!(a.status, StatusCode::FOUND, "{code}");
        assert_eq!(b.status, StatusCode::FOUND, "{code}");
        assert_eq!(location_without_click(&a), location_without_click(&b));
        for name in [header::CACHE_CONTROL, header::REFERRER_POLICY] {
            assert_eq!(a.headers.get(&name), b.headers.get(&name), "{name}");
        }
        assert_eq!(a.body, b.body);
    }
    let missing = Request::get("/r/no-such-code")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&raw, missing).await.status, StatusCode::NOT_FOUND);
}
