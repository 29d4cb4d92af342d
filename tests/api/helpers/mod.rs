//! The test harness: a [`TestApp`] over a freshly migrated database on SQLite or PostgreSQL,
//! driving the real router in-process, and [`on_both_backends!`] to run a test on each.

pub mod contract;
pub mod http_client;
pub mod postgres;
pub mod replica;
pub mod schema_walk;
pub mod server;
pub mod smtp;
pub mod world;

pub use postgres::ports;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use partnergraph::config::LogFormat;
use partnergraph::config::{
    AuthConfig, Config, CorsOrigins, DatabaseConfig, ExportConfig, GraphqlConfig, HttpConfig,
    MailConfig, RateLimitConfig, Secret, SubscriptionConfig, TrackingConfig, WebhookConfig,
};
use partnergraph::http::client_ip::TrustedProxies;
use partnergraph::tracking::Tracking;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test; SQLite files live in a temp dir removed on drop.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// `None` when the backend is unavailable and not required (a loud skip was printed).
    pub async fn create(backend: Backend) -> Option<Self> {
        partnergraph::telemetry::init_for_tests();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => postgres::create_database()
                .await
                .map(|url| Self { url, _dir: None }),
        }
    }

    /// A database made elsewhere (the replica tests' own primary), used as it is.
    pub fn existing(url: String) -> Self {
        Self { url, _dir: None }
    }

    /// A configuration for code that needs one but no database.
    pub fn placeholder_config() -> DatabaseConfig {
        DatabaseConfig {
            url: Secret::new("sqlite::memory:"),
            max_connections: 1,
            acquire_timeout: Duration::from_secs(1),
            sqlite_busy_timeout: Duration::from_secs(1),
        }
    }

    pub fn database_config(&self) -> DatabaseConfig {
        DatabaseConfig {
            url: Secret::new(self.url.clone()),
            max_connections: 5,
            acquire_timeout: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        partnergraph::db::connect(&self.database_config())
            .await
            .expect("connect to test database")
    }
}

pub fn test_config(database: DatabaseConfig) -> Config {
    Config {
        database,
        replica: None,
        http: HttpConfig {
            bind: "127.0.0.1:0".parse().expect("address"),
            public_url: "http://pg.test".into(),
            graphiql: true,
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 8 * 1024 * 1024,
            max_upload_files: 1,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            trusted_proxies: TrustedProxies::none(),
            // Far above what any test sends: only the rate-limit tests set tight ones.
            rate_limit: RateLimitConfig {
                per_caller: 1_000_000,
                per_ip: 1_000_000,
                window: Duration::from_secs(60),
            },
            cors: CorsOrigins::SameOriginOnly,
        },
        auth: AuthConfig {
            jwt_secret: Secret::new("test-secret-test-secret-test-secret-42"),
            secret_key: partnergraph::auth::seal::SealingKey::new([42; 32]),
        },
        graphql: GraphqlConfig {
            max_depth: 10,
            max_complexity: 1000,
            max_aliases: 15,
            max_directives: 50,
            max_query_bytes: 32 * 1024,
            max_fields: 500,
            introspection: partnergraph::config::Introspection::Staff,
        },
        tracking: TrackingConfig {
            visitor_key_secret: Secret::new("test-visitor-secret-test-visitor-secret"),
            click_queue_capacity: 1_000,
            click_batch_size: 500,
            // Clicks are written when a test flushes (or a batch fills), never by the timer
            // in the middle of a test: statement counts stay deterministic.
            click_flush_interval: Duration::from_secs(3_600),
            link_cache_capacity: 1_000,
            link_cache_ttl: Duration::from_secs(60),
            raw_click_retention_days: None,
        },
        webhooks: WebhookConfig {
            // The worker never polls unless a test asks for it (see `TestApp::restart`):
            // statement counts elsewhere stay deterministic.
            poll_interval: Duration::from_secs(3_600),
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(100),
            max_attempts: 10,
            disable_after_failures: 3,
            request_timeout: Duration::from_secs(5),
            batch_size: 50,
            concurrency: 4,
            // Test receivers listen on 127.0.0.1; `targets` has its own test.
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
            app_url: "https://app.pg.test".into(),
            // No SMTP server: mail stays queued unless a test starts one (`helpers::smtp`).
            log_only: false,
            // Like webhooks: the worker never polls unless a test asks for it.
            poll_interval: Duration::from_secs(3_600),
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(200),
            max_attempts: 50,
            send_timeout: Duration::from_secs(5),
            batch_size: 20,
        },
        exports: ExportConfig {
            dir: std::env::temp_dir().join("partnergraph-test-exports"),
            // Like webhooks: the worker never polls unless a test asks for it.
            poll_interval: Duration::from_secs(3_600),
            // Small chunks: every export test crosses several keyset pages.
            chunk_rows: 7,
            lease: Duration::from_secs(300),
        },
        log_format: LogFormat::Text,
        dev: false,
        demo: false,
    }
}

pub struct TestApp {
    pub router: Router,
    pub db: DatabaseConnection,
    /// The app's link cache and click queue (`tracking.clicks.flush()` writes queued clicks).
    pub tracking: Arc<Tracking>,
    /// The app's webhook worker.
    pub webhooks: Arc<partnergraph::webhooks::Webhooks>,
    /// The app's mail worker.
    pub mail: Arc<partnergraph::mail::Mail>,
    /// The app's export worker (`exports.poll()` writes queued exports now).
    pub exports: Arc<partnergraph::exports::Exports>,
    statements: Arc<StatementLog>,
    _test_db: TestDb,
}

/// The statements an app ran: how many, and the text of the last few.
#[derive(Default)]
struct StatementLog {
    count: AtomicUsize,
    kept: Mutex<VecDeque<String>>,
}

impl StatementLog {
    const KEPT: usize = 32;

    fn record(&self, sql: &str) {
        self.count.fetch_add(1, Ordering::SeqCst);
        let mut kept = self.kept.lock().expect("statement log");
        if kept.len() == Self::KEPT {
            kept.pop_front();
        }
        kept.push_back(sql.to_owned());
    }
}

/// A raw HTTP answer: status, headers and the body parsed as JSON when it is JSON.
pub struct HttpAnswer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl HttpAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with_clock(backend, Arc::new(partnergraph::clock::SystemClock)).await
    }

    /// An app whose notion of "now" (holds, payouts) is `clock`.
    pub async fn spawn_with_clock(
        backend: Backend,
        clock: Arc<dyn partnergraph::clock::Clock>,
    ) -> Option<Self> {
        Self::spawn_configured(backend, clock, |_| {}).await
    }

    /// An app over [`test_config`] changed by `configure` (limits, pool size, ...).
    pub async fn spawn_configured(
        backend: Backend,
        clock: Arc<dyn partnergraph::clock::Clock>,
        configure: impl FnOnce(&mut Config),
    ) -> Option<Self> {
        let test_db = TestDb::create(backend).await?;
        Some(Self::spawn_over(test_db, clock, configure).await)
    }

    /// An app over `test_db` (migrated here) with [`test_config`] changed by `configure`.
    pub async fn spawn_over(
        test_db: TestDb,
        clock: Arc<dyn partnergraph::clock::Clock>,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(test_db.database_config());
        configure(&mut config);
        let mut db = partnergraph::app::connect_and_migrate(&config)
            .await
            .expect("migrate test database");
        let statements = Arc::new(StatementLog::default());
        let log = statements.clone();
        db.set_metric_callback(move |info| log.record(&info.statement.sql));
        let (state, router) = partnergraph::app::build_with_clock(config, db.clone(), clock);
        listening(&state).await;
        Self {
            router,
            db,
            tracking: state.tracking.clone(),
            webhooks: state.webhooks.clone(),
            mail: state.mail.clone(),
            exports: state.exports.clone(),
            statements,
            _test_db: test_db,
        }
    }

    /// An in-process restart: stops this app's click writer and webhook worker (as `serve`
    /// does on shutdown) and builds a new app over the same database with [`test_config`]
    /// changed by `configure`.
    pub async fn restart(self, configure: impl FnOnce(&mut Config)) -> Self {
        self.tracking.clicks.shutdown().await;
        self.webhooks.shutdown().await;
        self.mail.shutdown().await;
        self.exports.shutdown().await;
        // The old app's event listener goes with its router; on PostgreSQL the new app counts
        // the instances by their listeners (shared rate limits), so it starts once it is gone.
        drop(self.router);
        if self._test_db.url.starts_with("postgres") {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let listeners = format!(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{}' \
                 AND datname = current_database()",
                partnergraph::events::LISTENER_APPLICATION_NAME
            );
            while integers(&self.db, &listeners).await != [0]
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let mut config = test_config(self._test_db.database_config());
        configure(&mut config);
        let db = partnergraph::app::connect_and_migrate(&config)
            .await
            .expect("migrate test database");
        let (state, router) = partnergraph::app::build(config, db.clone());
        listening(&state).await;
        Self {
            router,
            db,
            tracking: state.tracking.clone(),
            webhooks: state.webhooks.clone(),
            mail: state.mail.clone(),
            exports: state.exports.clone(),
            statements: self.statements,
            _test_db: self._test_db,
        }
    }

    /// Another application (as another server process would be) over this test's database,
    /// with its event listener in place.
    pub async fn second_instance(&self) -> Router {
        let config = test_config(self._test_db.database_config());
        let db = self._test_db.connect().await;
        let (state, router) = partnergraph::app::build(config, db);
        listening(&state).await;
        router
    }

    /// SQL statements the app has run so far (every statement, through any clone of the pool).
    pub fn statements(&self) -> usize {
        self.statements.count.load(Ordering::SeqCst)
    }

    /// The text of the last statements the app ran (at most [`StatementLog::KEPT`]), oldest
    /// first.
    pub fn recent_statements(&self) -> Vec<String> {
        let kept = self.statements.kept.lock().expect("statement log");
        kept.iter().cloned().collect()
    }

    pub async fn request(&self, request: Request<Body>) -> HttpAnswer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("read body")
            .to_bytes();
        HttpAnswer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> HttpAnswer {
        let request = Request::get(path).body(Body::empty()).expect("request");
        self.request(request).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> HttpAnswer {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .expect("request");
        self.request(request).await
    }

    /// Sends one GraphQL operation and returns the whole response body (`data`, `errors`).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let answer = self.post_raw("/graphql", "application/json", body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.json()
    }

    /// Sends one operation with `Authorization: Bearer <token>` (none when `token` is `None`).
    /// A refused credential answers 401, a rate limit 429, with a GraphQL error body returned
    /// like any other.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.send_graphql(token, json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs `body` to `/graphql` as JSON with `Accept: accept` and `Authorization: Bearer
    /// token` (each left out when `None`), whatever the answer.
    pub async fn post_graphql(
        &self,
        token: Option<&str>,
        accept: Option<&str>,
        body: Value,
    ) -> HttpAnswer {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.request(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    /// Runs the contract operation `operation` of `../shared/contract/<file>.graphql` as written.
    pub async fn contract(
        &self,
        token: Option<&str>,
        file: &str,
        operation: &str,
        variables: Value,
    ) -> Value {
        let body = json!({
            "query": contract::document(file),
            "operationName": operation,
            "variables": variables,
        });
        self.send_graphql(token, body).await
    }

    async fn send_graphql(&self, token: Option<&str>, body: Value) -> Value {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let answer = self
            .request(request.body(Body::from(body.to_string())).expect("request"))
            .await;
        assert!(
            [
                StatusCode::OK,
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS
            ]
            .contains(&answer.status),
            "{} {}",
            answer.status,
            answer.text
        );
        answer.json()
    }
}

/// Waits for the app's event listener (PostgreSQL), so that its credential cache serves and
/// statement counts of authenticated requests are those of a warm server.
async fn listening(state: &partnergraph::http::AppState) {
    assert!(
        state.events.ready(Duration::from_secs(10)).await,
        "event listener did not start"
    );
}

/// Sends one operation with `Authorization: Bearer <token>` to `router` (another instance, see
/// [`TestApp::second_instance`]) and returns the response body, whatever its status.
pub async fn graphql_on(router: &Router, token: &str, query: &str, variables: Value) -> Value {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

/// `data` of a response that must have no errors.
pub fn data(response: &Value) -> &Value {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response}"
    );
    &response["data"]
}

/// The `extensions.code` of each error in a GraphQL response.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The integer columns of the one row `sql` answers, in order.
pub async fn integers(db: &DatabaseConnection, sql: &str) -> Vec<i64> {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("one row");
    let mut values = Vec::new();
    while let Ok(value) = row.try_get_by_index::<i64>(values.len()) {
        values.push(value);
    }
    values
}

/// Runs `test` against a fresh app on `backend`; a skipped backend returns at once.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = TestApp::spawn(backend).await {
        test(app).await;
    }
}

/// `on_both_backends!(a, b)` turns each `async fn a(app: TestApp)` into the tests `a::sqlite`
/// and `a::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::run($crate::helpers::Backend::Sqlite, super::$test).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::helpers::run($crate::helpers::Backend::Postgres, super::$test).await;
            }
        }
    )+};
}

/// How many migrations `Migrator::down` undoes to undo `name` and every later one.
pub fn migrations_from(name: &str) -> u32 {
    use migration::{Migrator, MigratorTrait};
    let from_end = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    from_end as u32 + 1
}
