//! The command-line options of `serve` (and the database options every command shares), one
//! struct per concern. Each option also reads a `PARTNERGRAPH_*` environment variable; flags win.
//! [`super::Config`] validates them into settings.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Secret;

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path.db` (created if missing) or `postgres://user:pass@host/db`.
    #[arg(
        long,
        env = "PARTNERGRAPH_DATABASE_URL",
        default_value = "sqlite://partnergraph.db"
    )]
    pub database_url: Secret,
    /// Pool size (SQLite: readers and the writer share it).
    #[arg(long, env = "PARTNERGRAPH_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// How long a request may wait for a pooled connection, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub db_acquire_timeout_ms: u64,
    /// SQLite busy timeout in milliseconds (how long a writer waits for the lock).
    #[arg(
        long,
        env = "PARTNERGRAPH_SQLITE_BUSY_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "PARTNERGRAPH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// HS256 secret for access tokens, at least 32 bytes. Required unless --dev or --demo.
    #[arg(long, env = "PARTNERGRAPH_JWT_SECRET")]
    pub jwt_secret: Option<Secret>,
    /// Key that seals stored signing secrets (connectors): 32 bytes as 64 hex digits or base64.
    /// Required unless --dev or --demo, which use a fixed development key.
    #[arg(long, env = "PARTNERGRAPH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,
    /// Base URL of short links (`{public_url}/r/{code}`); default `http://{bind}`.
    #[arg(long, env = "PARTNERGRAPH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Development mode: random JWT secret, GraphiQL on, readable logs.
    #[arg(long, env = "PARTNERGRAPH_DEV")]
    pub dev: bool,
    /// Load demo data (implies --dev).
    #[arg(long)]
    pub demo: bool,
    /// A streaming replica of the PostgreSQL database (`postgres://…`) that GraphQL queries,
    /// reports and exports read from; the primary while it is unreachable. PostgreSQL only.
    #[arg(
        long,
        env = "PARTNERGRAPH_DATABASE_REPLICA_URL",
        hide_env_values = true
    )]
    pub database_replica_url: Option<Secret>,
    /// Past this many seconds behind the primary, the replica is left for the primary until
    /// it catches up (measured every second, to about a second); 0 measures the lag without
    /// acting on it.
    #[arg(
        long,
        env = "PARTNERGRAPH_DATABASE_REPLICA_MAX_LAG_SECS",
        default_value_t = 10
    )]
    pub database_replica_max_lag_secs: u64,
    /// Browser origins allowed to call the API from another origin (CORS), comma-separated exact
    /// origins such as `https://app.example.com`; `*` only with --dev. Unset: same-origin only
    /// (any localhost origin with --dev/--demo). See docs/browser.md.
    #[arg(long, env = "PARTNERGRAPH_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Serve GraphiQL at GET /graphiql (on by default in --dev/--demo).
    #[arg(long, env = "PARTNERGRAPH_GRAPHIQL")]
    pub graphiql: Option<bool>,
    /// Log format.
    #[arg(long, env = "PARTNERGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub tracking: TrackingArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    pub subscriptions: SubscriptionArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub exports: ExportArgs,
}

/// Bulk exports (`startExport`): where their files go and how often the worker looks for work.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Directory the export files are written to (created if missing); every server process on
    /// the database must see the same one. Default: `partnergraph-exports` in the system's
    /// temporary directory.
    #[arg(long, env = "PARTNERGRAPH_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,
    /// How often the export worker looks for queued exports and expired files, in
    /// milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_EXPORT_POLL_INTERVAL_MS",
        default_value_t = 1_000
    )]
    pub export_poll_interval_ms: u64,
}

/// Outgoing email: the SMTP server, the sender, and the outbox worker.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// `smtps://user:pass@host[:465]` (TLS), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtp://host:port` (unencrypted: a local relay). Unset: mail stays queued
    /// (logged instead with --dev/--demo).
    #[arg(long, env = "PARTNERGRAPH_SMTP_URL")]
    pub smtp_url: Option<Secret>,
    /// The sender, `Name <address>` or `address`. Required with an SMTP URL.
    #[arg(long, env = "PARTNERGRAPH_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Base of the links in mail (invites, password resets): the front end's URL. Default:
    /// the public URL.
    #[arg(long, env = "PARTNERGRAPH_APP_URL")]
    pub app_url: Option<String>,
    /// How often the mail worker looks for due messages, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_MAIL_POLL_INTERVAL_MS",
        default_value_t = 1_000
    )]
    pub mail_poll_interval_ms: u64,
    /// Wait after a message's first failed attempt, in milliseconds; it doubles after each.
    #[arg(
        long,
        env = "PARTNERGRAPH_MAIL_BACKOFF_BASE_MS",
        default_value_t = 30_000
    )]
    pub mail_backoff_base_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_MAIL_BACKOFF_MAX_MS",
        default_value_t = 3_600_000
    )]
    pub mail_backoff_max_ms: u64,
    /// Attempts per message before it is FAILED.
    #[arg(long, env = "PARTNERGRAPH_MAIL_MAX_ATTEMPTS", default_value_t = 10)]
    pub mail_max_attempts: u32,
}

/// The outbound webhook delivery worker.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// How often the worker looks for due deliveries, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_WEBHOOK_POLL_INTERVAL_MS",
        default_value_t = 1_000
    )]
    pub webhook_poll_interval_ms: u64,
    /// Wait after the first failed attempt, in milliseconds; it doubles after each failure.
    #[arg(
        long,
        env = "PARTNERGRAPH_WEBHOOK_BACKOFF_BASE_MS",
        default_value_t = 30_000
    )]
    pub webhook_backoff_base_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_WEBHOOK_BACKOFF_MAX_MS",
        default_value_t = 3_600_000
    )]
    pub webhook_backoff_max_ms: u64,
    /// Attempts per delivery before it is FAILED.
    #[arg(long, env = "PARTNERGRAPH_WEBHOOK_MAX_ATTEMPTS", default_value_t = 10)]
    pub webhook_max_attempts: u32,
    /// Consecutive failed attempts (over all its deliveries) that disable an endpoint.
    #[arg(
        long,
        env = "PARTNERGRAPH_WEBHOOK_DISABLE_AFTER_FAILURES",
        default_value_t = 20
    )]
    pub webhook_disable_after_failures: u32,
    /// Time allowed for one delivery request (connect, send, answer), in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_WEBHOOK_REQUEST_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub webhook_request_timeout_ms: u64,
    /// Let deliveries go to loopback, private and link-local addresses (receivers on this host
    /// or network). Off by default, where only public addresses are contacted; on by default
    /// with --demo (a local demo's receivers are on this host).
    #[arg(long, env = "PARTNERGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS")]
    pub webhook_allow_private_targets: Option<bool>,
}

/// GraphQL subscriptions over WebSocket (`GET /graphql/ws`).
#[derive(Debug, Clone, Args)]
pub struct SubscriptionArgs {
    /// WebSocket connections served at once by this process; more are refused with 503.
    #[arg(
        long,
        env = "PARTNERGRAPH_SUBSCRIPTION_MAX_CONNECTIONS",
        default_value_t = 1_000
    )]
    pub subscription_max_connections: usize,
    /// Subscriptions open at once on one connection.
    #[arg(
        long,
        env = "PARTNERGRAPH_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 20
    )]
    pub subscriptions_per_connection: usize,
    /// Events kept for a slow subscriber; one that falls further behind gets an error and its
    /// subscription ends.
    #[arg(
        long,
        env = "PARTNERGRAPH_SUBSCRIPTION_BUFFER",
        default_value_t = 1_024
    )]
    pub subscription_buffer: usize,
}

/// The redirect hot path: link cache, click queue, visitor hashing.
#[derive(Debug, Clone, Args)]
pub struct TrackingArgs {
    /// Key of the visitor hash (HMAC-SHA256 of IP and user agent), at least 32 bytes. Default:
    /// derived from the JWT secret, so rotating that secret also changes visitor keys.
    #[arg(long, env = "PARTNERGRAPH_VISITOR_KEY_SECRET")]
    pub visitor_key_secret: Option<Secret>,
    /// Clicks waiting to be written; past this, new clicks are dropped (and counted).
    #[arg(
        long,
        env = "PARTNERGRAPH_CLICK_QUEUE_CAPACITY",
        default_value_t = 10_000
    )]
    pub click_queue_capacity: usize,
    /// Most clicks written by one INSERT.
    #[arg(long, env = "PARTNERGRAPH_CLICK_BATCH_SIZE", default_value_t = 500)]
    pub click_batch_size: usize,
    /// Longest time a click waits in the queue before its batch is written, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_CLICK_FLUSH_INTERVAL_MS",
        default_value_t = 250
    )]
    pub click_flush_interval_ms: u64,
    /// Links (and, separately, unknown codes) kept in the in-memory link cache.
    #[arg(
        long,
        env = "PARTNERGRAPH_LINK_CACHE_CAPACITY",
        default_value_t = 10_000
    )]
    pub link_cache_capacity: usize,
    /// How long a cached link (or unknown code) is trusted, in seconds: the bound on how stale
    /// a link changed by another server process can be here.
    #[arg(long, env = "PARTNERGRAPH_LINK_CACHE_TTL_SECS", default_value_t = 60)]
    pub link_cache_ttl_secs: u64,
    /// Days raw clicks are kept on PostgreSQL: older whole months are dropped once their days
    /// are in the rollups (reports keep their numbers). Default: kept for ever. At least 366,
    /// longer than the longest attribution window.
    #[arg(long, env = "PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS")]
    pub raw_click_retention_days: Option<u32>,
}

#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "PARTNERGRAPH_GRAPHQL_MAX_DEPTH", default_value_t = 10)]
    pub graphql_max_depth: usize,
    /// Highest complexity a query may have (list fields cost their page size).
    #[arg(
        long,
        env = "PARTNERGRAPH_GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 1000
    )]
    pub graphql_max_complexity: usize,
    /// Most aliased fields in one document.
    #[arg(long, env = "PARTNERGRAPH_GRAPHQL_MAX_ALIASES", default_value_t = 15)]
    pub graphql_max_aliases: usize,
    /// Most directives in one document.
    #[arg(
        long,
        env = "PARTNERGRAPH_GRAPHQL_MAX_DIRECTIVES",
        default_value_t = 50
    )]
    pub graphql_max_directives: usize,
    /// Longest query text, in bytes.
    #[arg(
        long,
        env = "PARTNERGRAPH_GRAPHQL_MAX_QUERY_BYTES",
        default_value_t = 32_768
    )]
    pub graphql_max_query_bytes: usize,
    /// Most fields one document selects (a fragment counts wherever it is spread).
    #[arg(long, env = "PARTNERGRAPH_GRAPHQL_MAX_FIELDS", default_value_t = 500)]
    pub graphql_max_fields: usize,
    /// Who may run `__schema` and `__type`: staff (ADMIN, MANAGER, ANALYST), on or off.
    #[arg(long, env = "PARTNERGRAPH_INTROSPECTION", value_enum, default_value_t = Introspection::Staff)]
    pub introspection: Introspection,
    /// Largest request body, in bytes.
    #[arg(long, env = "PARTNERGRAPH_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Largest file of a multipart upload (`importCreators`, `importConversions`), in bytes.
    #[arg(
        long,
        env = "PARTNERGRAPH_MAX_UPLOAD_BYTES",
        default_value_t = 67_108_864
    )]
    pub max_upload_bytes: usize,
    /// Most files in one multipart request.
    #[arg(long, env = "PARTNERGRAPH_MAX_UPLOAD_FILES", default_value_t = 1)]
    pub max_upload_files: usize,
    /// Longest time a request may take, in milliseconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_REQUEST_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub request_timeout_ms: u64,
    /// Requests served at once; past it new requests are refused at once (503, Retry-After).
    #[arg(long, env = "PARTNERGRAPH_MAX_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,
    /// Proxies whose `X-Forwarded-For` is believed: comma-separated addresses and CIDR blocks.
    /// Empty (the default): the header is ignored and the socket peer is the client.
    #[arg(long, env = "PARTNERGRAPH_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Requests per window for each user and each API key.
    #[arg(
        long,
        env = "PARTNERGRAPH_RATE_LIMIT_PER_CALLER",
        default_value_t = 600
    )]
    pub rate_limit_per_caller: u32,
    /// Requests per window for each client IP without credentials (login, registration, ...).
    #[arg(long, env = "PARTNERGRAPH_RATE_LIMIT_PER_IP", default_value_t = 60)]
    pub rate_limit_per_ip: u32,
    /// The rate-limit window, in seconds.
    #[arg(
        long,
        env = "PARTNERGRAPH_RATE_LIMIT_WINDOW_SECS",
        default_value_t = 60
    )]
    pub rate_limit_window_secs: u64,
}

/// Who may introspect the schema (`__schema`, `__type`); `__typename` is always allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Introspection {
    /// ADMIN, MANAGER and ANALYST only.
    Staff,
    /// Every caller, anonymous included.
    On,
    /// Nobody.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
