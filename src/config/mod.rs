//! Typed, validated configuration: one struct per concern, built once at start-up from the CLI
//! (flags and `PARTNERGRAPH_*` variables). Start-up fails fast with the variable's name.

use std::net::SocketAddr;
use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;

mod args;
mod cors;
mod secret;

pub use args::{
    DatabaseArgs, ExportArgs, Introspection, LimitArgs, LogFormat, MailArgs, ServeArgs,
    SubscriptionArgs, TrackingArgs, WebhookArgs,
};
pub use cors::{CorsOrigins, parse_cors_origins};
pub use secret::Secret;

use crate::http::client_ip::TrustedProxies;
use crate::tracking::visitor;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    /// A read replica of the PostgreSQL database, when one is configured.
    pub replica: Option<ReplicaConfig>,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub graphql: GraphqlConfig,
    pub tracking: TrackingConfig,
    pub webhooks: WebhookConfig,
    pub subscriptions: SubscriptionConfig,
    pub mail: MailConfig,
    pub exports: ExportConfig,
    pub log_format: LogFormat,
    pub dev: bool,
    pub demo: bool,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// May hold a password: see [`DatabaseConfig::display_url`] for logs.
    pub url: Secret,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub sqlite_busy_timeout: Duration,
}

/// A streaming replica that queries, reports and exports read from (`crate::db::Db`).
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// May hold a password, like the primary's.
    pub url: Secret,
    /// How often the replica is checked (its replay position and the primary's WAL
    /// position), and how long each may take.
    pub check_interval: Duration,
    pub check_timeout: Duration,
    /// Past this lag behind the primary, reads go to the primary until the replica catches
    /// up; `None` (`PARTNERGRAPH_DATABASE_REPLICA_MAX_LAG_SECS=0`): the lag is measured and
    /// reported, never acted on.
    pub max_lag: Option<Duration>,
}

impl ReplicaConfig {
    /// The replica of a PostgreSQL primary: refused with SQLite, which has none.
    pub fn from_args(
        url: Option<&Secret>,
        max_lag_secs: u64,
        primary: &DatabaseConfig,
    ) -> Result<Option<Self>, ConfigError> {
        const VARIABLE: &str = "PARTNERGRAPH_DATABASE_REPLICA_URL";
        let Some(url) = url.filter(|url| !url.expose().is_empty()) else {
            return Ok(None);
        };
        if primary.is_sqlite() {
            return Err(ConfigError::new(
                VARIABLE,
                "needs a PostgreSQL primary (PARTNERGRAPH_DATABASE_URL is SQLite, which has no replicas)",
            ));
        }
        if !(url.expose().starts_with("postgres://") || url.expose().starts_with("postgresql://")) {
            return Err(ConfigError::new(
                VARIABLE,
                "must start with postgres:// or postgresql://",
            ));
        }
        // The parser's message may quote the URL, password and all: not repeated.
        if <sea_orm::sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url.expose())
            .is_err()
        {
            return Err(ConfigError::new(VARIABLE, "is not a valid PostgreSQL URL"));
        }
        Ok(Some(Self {
            url: url.clone(),
            check_interval: Duration::from_secs(1),
            check_timeout: Duration::from_secs(1),
            max_lag: (max_lag_secs > 0).then(|| Duration::from_secs(max_lag_secs)),
        }))
    }
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub bind: SocketAddr,
    /// Base of short links, without a trailing slash.
    pub public_url: String,
    pub graphiql: bool,
    pub max_body_bytes: usize,
    /// Largest uploaded file and most files of a multipart request (`POST /graphql`).
    pub max_upload_bytes: usize,
    pub max_upload_files: usize,
    pub request_timeout: Duration,
    /// Requests served at once; more are shed with 503.
    pub max_in_flight: usize,
    pub trusted_proxies: TrustedProxies,
    pub rate_limit: RateLimitConfig,
    /// Browser origins allowed besides this server's own (`PARTNERGRAPH_CORS_ORIGINS`).
    pub cors: CorsOrigins,
}

/// Requests per `window`: per user or API key, and per client IP for anonymous calls.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub per_caller: u32,
    pub per_ip: u32,
    pub window: Duration,
}

/// Bounds of GraphQL subscriptions (`GET /graphql/ws`).
#[derive(Debug, Clone)]
pub struct SubscriptionConfig {
    /// WebSocket connections at once, per process.
    pub max_connections: usize,
    /// Subscriptions at once, per connection.
    pub per_connection: usize,
    /// Events buffered for each subscriber before it is cut off as lagging.
    pub buffer: usize,
    /// How often an open connection's credential is checked again (expiry, sign-out,
    /// revocation close the connection).
    pub credential_recheck: Duration,
}

impl SubscriptionConfig {
    pub fn from_args(args: &SubscriptionArgs) -> Result<Self, ConfigError> {
        for (variable, value) in [
            (
                "PARTNERGRAPH_SUBSCRIPTION_MAX_CONNECTIONS",
                args.subscription_max_connections,
            ),
            (
                "PARTNERGRAPH_SUBSCRIPTIONS_PER_CONNECTION",
                args.subscriptions_per_connection,
            ),
            ("PARTNERGRAPH_SUBSCRIPTION_BUFFER", args.subscription_buffer),
        ] {
            if value == 0 {
                return Err(ConfigError::new(variable, "must be at least 1"));
            }
        }
        Ok(Self {
            max_connections: args.subscription_max_connections,
            per_connection: args.subscriptions_per_connection,
            buffer: args.subscription_buffer,
            credential_recheck: Duration::from_secs(60),
        })
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt_secret: Secret,
    /// Seals signing secrets at rest (`PARTNERGRAPH_SECRET_KEY`).
    pub secret_key: crate::auth::seal::SealingKey,
}

/// Limits every GraphQL document must meet before anything runs (see `graphql::limits`).
#[derive(Debug, Clone)]
pub struct GraphqlConfig {
    pub max_depth: usize,
    /// In cost points: one point per 10 objects the query can return (`graphql::limits`).
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_query_bytes: usize,
    pub max_fields: usize,
    pub introspection: Introspection,
}

impl GraphqlConfig {
    /// No limits and introspection for all: for exporting the schema.
    pub fn unlimited() -> Self {
        Self {
            max_depth: usize::MAX,
            max_complexity: usize::MAX,
            max_aliases: usize::MAX,
            max_directives: usize::MAX,
            max_query_bytes: usize::MAX,
            max_fields: usize::MAX,
            introspection: Introspection::On,
        }
    }

    pub fn from_args(args: &LimitArgs) -> Result<Self, ConfigError> {
        let positive = [
            ("PARTNERGRAPH_GRAPHQL_MAX_DEPTH", args.graphql_max_depth),
            (
                "PARTNERGRAPH_GRAPHQL_MAX_COMPLEXITY",
                args.graphql_max_complexity,
            ),
            (
                "PARTNERGRAPH_GRAPHQL_MAX_QUERY_BYTES",
                args.graphql_max_query_bytes,
            ),
            ("PARTNERGRAPH_GRAPHQL_MAX_FIELDS", args.graphql_max_fields),
        ];
        if let Some((variable, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::new(variable, "must be at least 1"));
        }
        Ok(Self {
            max_depth: args.graphql_max_depth,
            max_complexity: args.graphql_max_complexity,
            max_aliases: args.graphql_max_aliases,
            max_directives: args.graphql_max_directives,
            max_query_bytes: args.graphql_max_query_bytes,
            max_fields: args.graphql_max_fields,
            introspection: args.introspection,
        })
    }
}

/// The redirect hot path (`GET /r/{code}`): see docs/integrators.md, "Redirects and click capture".
#[derive(Debug, Clone)]
pub struct TrackingConfig {
    /// Key of the visitor hash; never the raw IP is stored, only this keyed hash.
    pub visitor_key_secret: Secret,
    pub click_queue_capacity: usize,
    pub click_batch_size: usize,
    pub click_flush_interval: Duration,
    pub link_cache_capacity: usize,
    /// Bounds how long a link changed by another server process may be served stale here.
    pub link_cache_ttl: Duration,
    /// Days raw clicks are kept (PostgreSQL; `None`: for ever); see `service::partitions`.
    pub raw_click_retention_days: Option<u32>,
}

/// The shortest raw click retention: longer than the longest attribution window, so every
/// click a conversion may still be attributed to is kept.
pub const MIN_RAW_CLICK_RETENTION_DAYS: u32 =
    crate::domain::brand::MAX_ATTRIBUTION_WINDOW_DAYS.unsigned_abs() + 1;

/// Largest click batch: 13 bound columns per row stays far below SQLite's 32766 parameters.
pub const MAX_CLICK_BATCH_SIZE: usize = 2_000;

impl TrackingConfig {
    /// `jwt_secret` keys the derived visitor secret when none is given.
    pub fn from_args(args: &TrackingArgs, jwt_secret: &Secret) -> Result<Self, ConfigError> {
        let visitor_key_secret = match &args.visitor_key_secret {
            Some(secret) if secret.expose().len() < MIN_JWT_SECRET_LEN => {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_VISITOR_KEY_SECRET",
                    format!("must be at least {MIN_JWT_SECRET_LEN} bytes"),
                ));
            }
            Some(secret) => secret.clone(),
            None => visitor::derive_secret(jwt_secret),
        };
        if args.click_queue_capacity == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_CLICK_QUEUE_CAPACITY",
                "must be at least 1",
            ));
        }
        if !(1..=MAX_CLICK_BATCH_SIZE).contains(&args.click_batch_size) {
            return Err(ConfigError::new(
                "PARTNERGRAPH_CLICK_BATCH_SIZE",
                format!("must be between 1 and {MAX_CLICK_BATCH_SIZE}"),
            ));
        }
        if args.click_flush_interval_ms == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_CLICK_FLUSH_INTERVAL_MS",
                "must be at least 1",
            ));
        }
        if args.link_cache_capacity == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_LINK_CACHE_CAPACITY",
                "must be at least 1",
            ));
        }
        if args.link_cache_ttl_secs == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_LINK_CACHE_TTL_SECS",
                "must be at least 1",
            ));
        }
        if let Some(days) = args.raw_click_retention_days
            && days < MIN_RAW_CLICK_RETENTION_DAYS
        {
            return Err(ConfigError::new(
                "PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS",
                format!(
                    "must be at least {MIN_RAW_CLICK_RETENTION_DAYS} (longer than the longest \
                     attribution window)"
                ),
            ));
        }
        Ok(Self {
            visitor_key_secret,
            click_queue_capacity: args.click_queue_capacity,
            click_batch_size: args.click_batch_size,
            click_flush_interval: Duration::from_millis(args.click_flush_interval_ms),
            link_cache_capacity: args.link_cache_capacity,
            link_cache_ttl: Duration::from_secs(args.link_cache_ttl_secs),
            raw_click_retention_days: args.raw_click_retention_days,
        })
    }
}

/// The outbound webhook worker: see docs/integrators.md, "Webhooks".
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub poll_interval: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Attempts per delivery before it is FAILED.
    pub max_attempts: u32,
    /// Consecutive failed attempts that disable an endpoint.
    pub disable_after_failures: u32,
    pub request_timeout: Duration,
    /// Deliveries taken per poll.
    pub batch_size: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Deliveries may go to non-public addresses ([`crate::webhooks::targets`]).
    pub allow_private_targets: bool,
}

impl WebhookConfig {
    /// `demo`: a local demo, whose receivers may be on this host.
    pub fn from_args(args: &WebhookArgs, demo: bool) -> Result<Self, ConfigError> {
        let at_least_one = |variable: &'static str, value: u64| {
            if value == 0 {
                Err(ConfigError::new(variable, "must be at least 1"))
            } else {
                Ok(())
            }
        };
        at_least_one(
            "PARTNERGRAPH_WEBHOOK_POLL_INTERVAL_MS",
            args.webhook_poll_interval_ms,
        )?;
        at_least_one(
            "PARTNERGRAPH_WEBHOOK_BACKOFF_BASE_MS",
            args.webhook_backoff_base_ms,
        )?;
        at_least_one(
            "PARTNERGRAPH_WEBHOOK_MAX_ATTEMPTS",
            u64::from(args.webhook_max_attempts),
        )?;
        at_least_one(
            "PARTNERGRAPH_WEBHOOK_DISABLE_AFTER_FAILURES",
            u64::from(args.webhook_disable_after_failures),
        )?;
        at_least_one(
            "PARTNERGRAPH_WEBHOOK_REQUEST_TIMEOUT_MS",
            args.webhook_request_timeout_ms,
        )?;
        if args.webhook_backoff_max_ms < args.webhook_backoff_base_ms {
            return Err(ConfigError::new(
                "PARTNERGRAPH_WEBHOOK_BACKOFF_MAX_MS",
                "must not be below PARTNERGRAPH_WEBHOOK_BACKOFF_BASE_MS",
            ));
        }
        Ok(Self {
            poll_interval: Duration::from_millis(args.webhook_poll_interval_ms),
            backoff_base: Duration::from_millis(args.webhook_backoff_base_ms),
            backoff_max: Duration::from_millis(args.webhook_backoff_max_ms),
            max_attempts: args.webhook_max_attempts,
            disable_after_failures: args.webhook_disable_after_failures,
            request_timeout: Duration::from_millis(args.webhook_request_timeout_ms),
            batch_size: 50,
            concurrency: 8,
            allow_private_targets: args.webhook_allow_private_targets.unwrap_or(demo),
        })
    }
}

/// Bulk exports and their worker: see docs/api.md, "Exports".
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// Where export files are written (created at start if missing).
    pub dir: std::path::PathBuf,
    pub poll_interval: std::time::Duration,
    /// Rows read per statement while an export is written.
    pub chunk_rows: u64,
    /// How long a claimed export is left to its process before another may take it over; the
    /// process renews it while it writes.
    pub lease: std::time::Duration,
}

impl ExportConfig {
    pub fn from_args(args: &ExportArgs) -> Result<Self, ConfigError> {
        if args.export_poll_interval_ms == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_EXPORT_POLL_INTERVAL_MS",
                "must be at least 1",
            ));
        }
        let dir = match &args.export_dir {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_EXPORT_DIR",
                    "must name a directory",
                ));
            }
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join("partnergraph-exports"),
        };
        Ok(Self {
            dir,
            poll_interval: Duration::from_millis(args.export_poll_interval_ms),
            chunk_rows: 2_000,
            lease: Duration::from_secs(300),
        })
    }
}

/// Outgoing email and its outbox worker: see docs/operations.md, "Mail".
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://` or `smtps://`, possibly with a user and password: a secret.
    pub smtp_url: Option<Secret>,
    /// The sender, as written (`Name <address>`); checked at start-up.
    pub from: String,
    /// Base of links in mail, without a trailing slash.
    pub app_url: String,
    /// No SMTP server and --dev/--demo: the worker logs each message instead of sending it.
    pub log_only: bool,
    pub poll_interval: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Attempts per message before it is FAILED.
    pub max_attempts: u32,
    /// Time allowed for one SMTP conversation.
    pub send_timeout: Duration,
    /// Messages taken per poll.
    pub batch_size: u64,
}

/// The sender used in logs when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "PartnerGraph <no-reply@localhost>";

impl MailConfig {
    pub fn from_args(args: &MailArgs, public_url: &str, dev: bool) -> Result<Self, ConfigError> {
        if let Some(smtp) = &args.smtp_url {
            let parsed = url::Url::parse(smtp.expose()).map_err(|e| {
                ConfigError::new("PARTNERGRAPH_SMTP_URL", format!("not a URL: {e}"))
            })?;
            if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_SMTP_URL",
                    "must be smtp://host[:port] or smtps://[user:pass@]host[:port]",
                ));
            }
            if args.mail_from.is_none() {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_MAIL_FROM",
                    "is required with PARTNERGRAPH_SMTP_URL",
                ));
            }
        }
        let from = args
            .mail_from
            .clone()
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "PARTNERGRAPH_MAIL_FROM",
                "must be an address, or a name and an address: PartnerGraph <no-reply@example.com>",
            ));
        }
        let app_url = match &args.app_url {
            Some(raw) => {
                let parsed = url::Url::parse(raw).map_err(|e| {
                    ConfigError::new("PARTNERGRAPH_APP_URL", format!("not a URL: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        "PARTNERGRAPH_APP_URL",
                        "must be an http or https URL",
                    ));
                }
                raw.trim_end_matches('/').to_owned()
            }
            None => public_url.to_owned(),
        };
        for (variable, value) in [
            (
                "PARTNERGRAPH_MAIL_POLL_INTERVAL_MS",
                args.mail_poll_interval_ms,
            ),
            (
                "PARTNERGRAPH_MAIL_BACKOFF_BASE_MS",
                args.mail_backoff_base_ms,
            ),
            (
                "PARTNERGRAPH_MAIL_MAX_ATTEMPTS",
                u64::from(args.mail_max_attempts),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::new(variable, "must be at least 1"));
            }
        }
        if args.mail_backoff_max_ms < args.mail_backoff_base_ms {
            return Err(ConfigError::new(
                "PARTNERGRAPH_MAIL_BACKOFF_MAX_MS",
                "must not be below PARTNERGRAPH_MAIL_BACKOFF_BASE_MS",
            ));
        }
        Ok(Self {
            smtp_url: args.smtp_url.clone(),
            from,
            app_url,
            log_only: args.smtp_url.is_none() && dev,
            poll_interval: Duration::from_millis(args.mail_poll_interval_ms),
            backoff_base: Duration::from_millis(args.mail_backoff_base_ms),
            backoff_max: Duration::from_millis(args.mail_backoff_max_ms),
            max_attempts: args.mail_max_attempts,
            send_timeout: Duration::from_secs(30),
            batch_size: 20,
        })
    }
}

/// Shortest JWT secret accepted: HS256 wants at least 256 bits of key.
pub const MIN_JWT_SECRET_LEN: usize = 32;

impl DatabaseConfig {
    pub fn from_args(args: &DatabaseArgs) -> Result<Self, ConfigError> {
        let url = args.database_url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "PARTNERGRAPH_DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        if args.db_max_connections == 0 {
            return Err(ConfigError::new(
                "PARTNERGRAPH_DB_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            url: args.database_url.clone(),
            max_connections: args.db_max_connections,
            acquire_timeout: Duration::from_millis(args.db_acquire_timeout_ms),
            sqlite_busy_timeout: Duration::from_millis(args.sqlite_busy_timeout_ms),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.expose().starts_with("sqlite:")
    }

    /// The URL with any password replaced, fit for logs.
    pub fn display_url(&self) -> String {
        match url::Url::parse(self.url.expose()) {
            Ok(mut parsed) if parsed.password().is_some() => {
                // Setting a password only fails for URLs that cannot have one.
                let _ = parsed.set_password(Some("redacted"));
                parsed.to_string()
            }
            _ => self.url.expose().to_owned(),
        }
    }
}

impl Config {
    pub fn from_serve_args(args: &ServeArgs) -> Result<Self, ConfigError> {
        let dev = args.dev || args.demo;
        let jwt_secret = match (&args.jwt_secret, dev) {
            (Some(secret), _) => {
                if secret.expose().len() < MIN_JWT_SECRET_LEN {
                    return Err(ConfigError::new(
                        "PARTNERGRAPH_JWT_SECRET",
                        format!("must be at least {MIN_JWT_SECRET_LEN} bytes"),
                    ));
                }
                secret.clone()
            }
            (None, true) => {
                tracing::warn!(
                    "no PARTNERGRAPH_JWT_SECRET: using a random one; sessions end when the server stops"
                );
                random_secret()
            }
            (None, false) => {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_JWT_SECRET",
                    "is required (or run with --dev / --demo)",
                ));
            }
        };
        let secret_key = match (&args.secret_key, dev) {
            (Some(key), _) => crate::auth::seal::SealingKey::parse(key.expose())
                .map_err(|message| ConfigError::new("PARTNERGRAPH_SECRET_KEY", message))?,
            (None, true) => crate::auth::seal::SealingKey::development(),
            (None, false) => {
                return Err(ConfigError::new(
                    "PARTNERGRAPH_SECRET_KEY",
                    "is required (32 bytes, e.g. `openssl rand -hex 32`; or run with --dev / --demo)",
                ));
            }
        };
        let public_url = match &args.public_url {
            Some(raw) => {
                let parsed = url::Url::parse(raw).map_err(|e| {
                    ConfigError::new("PARTNERGRAPH_PUBLIC_URL", format!("not a URL: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        "PARTNERGRAPH_PUBLIC_URL",
                        "must be an http or https URL",
                    ));
                }
                raw.trim_end_matches('/').to_owned()
            }
            None => format!("http://{}", args.bind),
        };
        let graphql = GraphqlConfig::from_args(&args.limits)?;
        let tracking = TrackingConfig::from_args(&args.tracking, &jwt_secret)?;
        let webhooks = WebhookConfig::from_args(&args.webhooks, args.demo)?;
        let subscriptions = SubscriptionConfig::from_args(&args.subscriptions)?;
        let mail = MailConfig::from_args(&args.mail, &public_url, dev)?;
        let exports = ExportConfig::from_args(&args.exports)?;
        let database = DatabaseConfig::from_args(&args.db)?;
        let replica = ReplicaConfig::from_args(
            args.database_replica_url.as_ref(),
            args.database_replica_max_lag_secs,
            &database,
        )?;
        let http = HttpConfig::from_args(args, public_url, dev)?;
        if database.acquire_timeout >= http.request_timeout {
            // An exhausted pool must answer SERVICE_UNAVAILABLE before the request times out.
            return Err(ConfigError::new(
                "PARTNERGRAPH_DB_ACQUIRE_TIMEOUT_MS",
                format!(
                    "must be below PARTNERGRAPH_REQUEST_TIMEOUT_MS ({} ms)",
                    http.request_timeout.as_millis()
                ),
            ));
        }
        Ok(Self {
            database,
            replica,
            http,
            auth: AuthConfig {
                jwt_secret,
                secret_key,
            },
            graphql,
            tracking,
            webhooks,
            subscriptions,
            mail,
            exports,
            log_format: args.log_format,
            dev,
            demo: args.demo,
        })
    }
}

impl HttpConfig {
    fn from_args(args: &ServeArgs, public_url: String, dev: bool) -> Result<Self, ConfigError> {
        let limits: &LimitArgs = &args.limits;
        let positive = |value: u64, variable: &'static str| {
            if value == 0 {
                Err(ConfigError::new(variable, "must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive(limits.max_body_bytes as u64, "PARTNERGRAPH_MAX_BODY_BYTES")?;
        positive(
            limits.max_upload_bytes as u64,
            "PARTNERGRAPH_MAX_UPLOAD_BYTES",
        )?;
        positive(
            limits.max_upload_files as u64,
            "PARTNERGRAPH_MAX_UPLOAD_FILES",
        )?;
        positive(limits.request_timeout_ms, "PARTNERGRAPH_REQUEST_TIMEOUT_MS")?;
        positive(limits.max_in_flight as u64, "PARTNERGRAPH_MAX_IN_FLIGHT")?;
        positive(
            limits.rate_limit_per_caller.into(),
            "PARTNERGRAPH_RATE_LIMIT_PER_CALLER",
        )?;
        positive(
            limits.rate_limit_per_ip.into(),
            "PARTNERGRAPH_RATE_LIMIT_PER_IP",
        )?;
        positive(
            limits.rate_limit_window_secs,
            "PARTNERGRAPH_RATE_LIMIT_WINDOW_SECS",
        )?;
        let trusted_proxies = TrustedProxies::parse(&limits.trusted_proxies)
            .map_err(|e| ConfigError::new("PARTNERGRAPH_TRUSTED_PROXIES", e.to_string()))?;
        let cors = parse_cors_origins(args.cors_origins.as_deref(), dev)
            .map_err(|message| ConfigError::new("PARTNERGRAPH_CORS_ORIGINS", message))?;
        Ok(Self {
            bind: args.bind,
            public_url,
            graphiql: args.graphiql.unwrap_or(dev),
            max_body_bytes: limits.max_body_bytes,
            max_upload_bytes: limits.max_upload_bytes,
            max_upload_files: limits.max_upload_files,
            request_timeout: Duration::from_millis(limits.request_timeout_ms),
            max_in_flight: limits.max_in_flight,
            trusted_proxies,
            rate_limit: RateLimitConfig {
                per_caller: limits.rate_limit_per_caller,
                per_ip: limits.rate_limit_per_ip,
                window: Duration::from_secs(limits.rate_limit_window_secs),
            },
            cors,
        })
    }
}

fn random_secret() -> Secret {
    let value: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    Secret::new(value)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The `serve` options alone, parsed as the command line would.
    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    /// With a valid `--secret-key` unless `extra` names one ([`bare_serve_args`]: without).
    fn serve_args(extra: &[&str]) -> ServeArgs {
        let key = "ab".repeat(32);
        let mut argv = extra.to_vec();
        if !extra.contains(&"--secret-key") {
            argv.extend_from_slice(&["--secret-key", &key]);
        }
        bare_serve_args(&argv)
    }

    fn bare_serve_args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["partnergraph-serve"];
        argv.extend_from_slice(extra);
        Serve::try_parse_from(argv).expect("parses").args
    }

    #[test]
    fn jwt_secret_is_required_outside_dev() {
        let err = Config::from_serve_args(&serve_args(&[])).unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_JWT_SECRET");
    }

    #[test]
    fn the_secret_key_is_required_outside_dev_and_must_be_32_bytes() {
        let jwt = ["--jwt-secret", "0123456789abcdef0123456789abcdef"];
        let err = Config::from_serve_args(&bare_serve_args(&jwt)).unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_SECRET_KEY");
        let short = [jwt[0], jwt[1], "--secret-key", "abcd"];
        let err = Config::from_serve_args(&serve_args(&short)).unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_SECRET_KEY");
        let key = "ab".repeat(32);
        let good = [jwt[0], jwt[1], "--secret-key", key.as_str()];
        assert!(Config::from_serve_args(&serve_args(&good)).is_ok());
        assert!(Config::from_serve_args(&bare_serve_args(&["--dev"])).is_ok());
    }

    #[test]
    fn short_jwt_secrets_are_refused() {
        let err = Config::from_serve_args(&serve_args(&["--jwt-secret", "short"])).unwrap_err();
        assert!(err.message.contains("32"));
    }

    #[test]
    fn the_demo_delivers_webhooks_to_this_host_unless_told_not_to() {
        let private = |extra: &[&str]| {
            Config::from_serve_args(&serve_args(extra))
                .unwrap()
                .webhooks
                .allow_private_targets
        };
        assert!(private(&["--demo"]));
        assert!(!private(&["--dev"]));
        let off = ["--demo", "--webhook-allow-private-targets", "false"];
        assert!(!private(&off));
        assert!(private(&[
            "--dev",
            "--webhook-allow-private-targets",
            "true"
        ]));
    }

    #[test]
    fn dev_generates_a_secret_and_enables_graphiql() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        assert!(config.auth.jwt_secret.expose().len() >= MIN_JWT_SECRET_LEN);
        assert!(config.http.graphiql);
        assert_eq!(config.http.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let config = Config::from_serve_args(&serve_args(&[
            "--jwt-secret",
            secret,
            "--database-url",
            "postgres://app:hunter2@db.internal/pg",
            "--visitor-key-secret",
            "visitor-visitor-visitor-visitor-visitor",
            "--smtp-url",
            "smtps://mailer:smtp-hunter3@smtp.example.com",
            "--mail-from",
            "PartnerGraph <no-reply@example.com>",
        ]))
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(!debug.contains("visitor-visitor"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("smtp-hunter3"), "{debug}");
        assert!(!config.database.display_url().contains("hunter2"));
    }

    #[test]
    fn mail_settings_are_validated() {
        let dev = Config::from_serve_args(&serve_args(&["--dev"]))
            .unwrap()
            .mail;
        assert!(dev.log_only && dev.smtp_url.is_none());
        assert_eq!(dev.app_url, "http://127.0.0.1:8080");
        let jwt = "j".repeat(40);
        let prod = Config::from_serve_args(&serve_args(&["--jwt-secret", &jwt])).unwrap();
        assert!(!prod.mail.log_only, "without --dev mail stays queued");
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--smtp-url", "http://x"])).unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_SMTP_URL");
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--smtp-url", "smtp://127.0.0.1:25"]))
                .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_MAIL_FROM");
        let err = Config::from_serve_args(&serve_args(&["--dev", "--mail-from", "not an address"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_MAIL_FROM");
        let ok = Config::from_serve_args(&serve_args(&[
            "--dev",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-from",
            "no-reply@example.com",
            "--app-url",
            "https://app.example.com/",
        ]))
        .unwrap()
        .mail;
        assert!(!ok.log_only);
        assert_eq!(ok.app_url, "https://app.example.com");
    }

    #[test]
    fn export_settings_have_defaults_and_are_validated() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        assert!(config.exports.dir.ends_with("partnergraph-exports"));
        assert_eq!(config.exports.poll_interval, Duration::from_secs(1));
        let set = Config::from_serve_args(&serve_args(&["--dev", "--export-dir", "/srv/exports"]))
            .unwrap();
        assert_eq!(set.exports.dir, std::path::PathBuf::from("/srv/exports"));
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--export-poll-interval-ms", "0"]))
                .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_EXPORT_POLL_INTERVAL_MS");
    }

    #[test]
    fn public_url_must_be_http() {
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--public-url", "ftp://example.com"]))
                .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_PUBLIC_URL");
    }

    #[test]
    fn visitor_secret_defaults_to_one_derived_from_the_jwt_secret() {
        let jwt = "j".repeat(40);
        let config = Config::from_serve_args(&serve_args(&["--jwt-secret", &jwt])).unwrap();
        let derived = config.tracking.visitor_key_secret.expose().to_owned();
        assert_ne!(derived, jwt);
        assert!(!derived.contains(&jwt));
        let again = Config::from_serve_args(&serve_args(&["--jwt-secret", &jwt])).unwrap();
        assert_eq!(again.tracking.visitor_key_secret.expose(), derived);
        assert_eq!(config.tracking.click_queue_capacity, 10_000);
        assert_eq!(config.tracking.click_batch_size, 500);
        assert_eq!(
            config.tracking.click_flush_interval,
            Duration::from_millis(250)
        );
        assert_eq!(config.tracking.link_cache_ttl, Duration::from_secs(60));
    }

    #[test]
    fn tracking_settings_are_validated() {
        let err = Config::from_serve_args(&serve_args(&["--dev", "--visitor-key-secret", "x"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_VISITOR_KEY_SECRET");
        let err = Config::from_serve_args(&serve_args(&["--dev", "--click-queue-capacity", "0"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_CLICK_QUEUE_CAPACITY");
        let err = Config::from_serve_args(&serve_args(&["--dev", "--click-batch-size", "5000"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_CLICK_BATCH_SIZE");
        let err = Config::from_serve_args(&serve_args(&["--dev", "--link-cache-ttl-secs", "0"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_LINK_CACHE_TTL_SECS");
    }

    #[test]
    fn raw_click_retention_is_off_by_default_and_outlives_the_attribution_window() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        assert_eq!(config.tracking.raw_click_retention_days, None);
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--raw-click-retention-days", "365"]))
                .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS");
        let config =
            Config::from_serve_args(&serve_args(&["--dev", "--raw-click-retention-days", "366"]))
                .unwrap();
        assert_eq!(config.tracking.raw_click_retention_days, Some(366));
    }

    #[test]
    fn webhook_settings_have_defaults_and_are_validated() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        assert_eq!(config.webhooks.backoff_base, Duration::from_secs(30));
        assert_eq!(config.webhooks.backoff_max, Duration::from_secs(3_600));
        assert_eq!(config.webhooks.max_attempts, 10);
        assert_eq!(config.webhooks.disable_after_failures, 20);
        let err = Config::from_serve_args(&serve_args(&["--dev", "--webhook-max-attempts", "0"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_WEBHOOK_MAX_ATTEMPTS");
        let err = Config::from_serve_args(&serve_args(&[
            "--dev",
            "--webhook-backoff-base-ms",
            "5000",
            "--webhook-backoff-max-ms",
            "10",
        ]))
        .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_WEBHOOK_BACKOFF_MAX_MS");
    }

    #[test]
    fn graphql_limits_default_to_the_documented_values_and_are_validated() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        let graphql = &config.graphql;
        assert_eq!(graphql.max_depth, 10);
        assert_eq!(graphql.max_complexity, 1000);
        assert_eq!(graphql.max_aliases, 15);
        assert_eq!(graphql.max_directives, 50);
        assert_eq!(graphql.max_query_bytes, 32_768);
        assert_eq!(graphql.max_fields, 500);
        assert_eq!(graphql.introspection, Introspection::Staff);
        let off = Config::from_serve_args(&serve_args(&["--dev", "--introspection", "off"]));
        assert_eq!(off.unwrap().graphql.introspection, Introspection::Off);
        let err = Config::from_serve_args(&serve_args(&["--dev", "--graphql-max-complexity", "0"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_GRAPHQL_MAX_COMPLEXITY");
        let err =
            Config::from_serve_args(&serve_args(&["--dev", "--graphql-max-query-bytes", "0"]))
                .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_GRAPHQL_MAX_QUERY_BYTES");
    }

    #[test]
    fn http_limits_have_defaults_and_are_validated() {
        let config = Config::from_serve_args(&serve_args(&["--dev"])).unwrap();
        assert_eq!(config.http.max_body_bytes, 1_048_576);
        assert_eq!(config.http.max_in_flight, 256);
        assert!(config.http.trusted_proxies.is_empty());
        assert_eq!(config.http.rate_limit.per_caller, 600);
        assert_eq!(config.http.rate_limit.per_ip, 60);
        assert_eq!(config.http.rate_limit.window, Duration::from_secs(60));
        for (flag, variable) in [
            ("--max-in-flight", "PARTNERGRAPH_MAX_IN_FLIGHT"),
            ("--max-body-bytes", "PARTNERGRAPH_MAX_BODY_BYTES"),
            (
                "--rate-limit-per-caller",
                "PARTNERGRAPH_RATE_LIMIT_PER_CALLER",
            ),
            ("--rate-limit-per-ip", "PARTNERGRAPH_RATE_LIMIT_PER_IP"),
            (
                "--rate-limit-window-secs",
                "PARTNERGRAPH_RATE_LIMIT_WINDOW_SECS",
            ),
        ] {
            let err = Config::from_serve_args(&serve_args(&["--dev", flag, "0"])).unwrap_err();
            assert_eq!(err.variable, variable);
        }
        let err = Config::from_serve_args(&serve_args(&["--dev", "--trusted-proxies", "lb.local"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_TRUSTED_PROXIES");
        let config = Config::from_serve_args(&serve_args(&[
            "--dev",
            "--trusted-proxies",
            "10.0.0.0/8, 127.0.0.1",
        ]))
        .unwrap();
        assert!(!config.http.trusted_proxies.is_empty());
    }

    #[test]
    fn cors_origins_are_validated_at_start_up() {
        let jwt = "j".repeat(40);
        let prod = |origins: &str| {
            Config::from_serve_args(&serve_args(&[
                "--jwt-secret",
                &jwt,
                "--cors-origins",
                origins,
            ]))
        };
        let err = prod("app.example.com").unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_CORS_ORIGINS");
        assert!(err.message.contains("`app.example.com`"), "{err}");
        assert_eq!(prod("*").unwrap_err().variable, "PARTNERGRAPH_CORS_ORIGINS");
        assert_eq!(
            prod("https://app.example.com").unwrap().http.cors,
            CorsOrigins::List(vec!["https://app.example.com".into()])
        );
        let unset = Config::from_serve_args(&serve_args(&["--jwt-secret", &jwt])).unwrap();
        assert_eq!(unset.http.cors, CorsOrigins::SameOriginOnly);
        let dev = Config::from_serve_args(&serve_args(&["--demo"])).unwrap();
        assert_eq!(dev.http.cors, CorsOrigins::Loopback);
        let any = Config::from_serve_args(&serve_args(&["--dev", "--cors-origins", "*"])).unwrap();
        assert_eq!(any.http.cors, CorsOrigins::Any);
    }

    #[test]
    fn pool_acquire_timeout_must_be_below_the_request_timeout() {
        let err = Config::from_serve_args(&serve_args(&[
            "--dev",
            "--db-acquire-timeout-ms",
            "30000",
            "--request-timeout-ms",
            "30000",
        ]))
        .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_DB_ACQUIRE_TIMEOUT_MS");
        assert!(
            err.message.contains("PARTNERGRAPH_REQUEST_TIMEOUT_MS"),
            "{err}"
        );
        let config = Config::from_serve_args(&serve_args(&[
            "--dev",
            "--db-acquire-timeout-ms",
            "500",
            "--request-timeout-ms",
            "1000",
        ]))
        .unwrap();
        assert!(config.database.acquire_timeout < config.http.request_timeout);
    }

    #[test]
    fn unknown_database_schemes_are_refused() {
        let err = Config::from_serve_args(&serve_args(&["--dev", "--database-url", "mysql://x"]))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_DATABASE_URL");
    }

    #[test]
    fn a_replica_is_refused_with_sqlite_and_kept_with_postgres() {
        let replica = ["--database-replica-url", "postgres://reader@replica/pg"];
        let err = Config::from_serve_args(&serve_args(&[&["--dev"][..], &replica[..]].concat()))
            .unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_DATABASE_REPLICA_URL");
        assert!(err.message.contains("SQLite"), "{}", err.message);

        let postgres = ["--dev", "--database-url", "postgres://app@primary/pg"];
        let config = Config::from_serve_args(&serve_args(&[&postgres[..], &replica[..]].concat()))
            .expect("valid");
        let kept = config.replica.expect("a replica");
        assert_eq!(kept.url.expose(), "postgres://reader@replica/pg");
        assert!(
            Config::from_serve_args(&serve_args(&postgres))
                .expect("valid")
                .replica
                .is_none()
        );

        let bad = ["--database-replica-url", "mysql://replica"];
        let err =
            Config::from_serve_args(&serve_args(&[&postgres[..], &bad[..]].concat())).unwrap_err();
        assert_eq!(err.variable, "PARTNERGRAPH_DATABASE_REPLICA_URL");
    }

    #[test]
    fn the_replica_max_lag_defaults_to_10_s_and_0_only_measures_it() {
        let replica = [
            "--dev",
            "--database-url",
            "postgres://app@primary/pg",
            "--database-replica-url",
            "postgres://reader@replica/pg",
        ];
        let max_lag = |extra: &[&str]| {
            Config::from_serve_args(&serve_args(&[&replica[..], extra].concat()))
                .expect("valid")
                .replica
                .expect("a replica")
                .max_lag
        };
        assert_eq!(max_lag(&[]), Some(Duration::from_secs(10)));
        let two = ["--database-replica-max-lag-secs", "2"];
        assert_eq!(max_lag(&two), Some(Duration::from_secs(2)));
        assert_eq!(max_lag(&["--database-replica-max-lag-secs", "0"]), None);

        for nonsense in ["-1", "1.5", "ten", ""] {
            let mut argv = vec!["partnergraph-serve"];
            argv.extend_from_slice(&replica);
            let flag = format!("--database-replica-max-lag-secs={nonsense}");
            argv.push(&flag);
            let err = match Serve::try_parse_from(argv) {
                Err(err) => err.to_string(),
                Ok(_) => panic!("{nonsense:?} was accepted"),
            };
            assert!(err.contains("--database-replica-max-lag-secs"), "{err}");
        }
    }
}
