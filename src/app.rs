//! Wiring: connect, migrate, build the schema and the router, serve until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use tokio::net::TcpListener;

use crate::auth::Auth;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::events::{EventBus, SharedCache};
use crate::exports::Exports;
use crate::graphql::tracking::types::PublicUrl;
use crate::http::{self, AppState};
use crate::mail::Mail;
use crate::prometheus::Metrics;
use crate::tracking::Tracking;
use crate::webhooks::Webhooks;
use crate::{db, demo, graphql};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("demo data: {0}")]
    Demo(#[from] demo::LoadError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[from] std::io::Error),
    #[error("click partitions: {0}")]
    Partitions(String),
}

/// Connects to the configured database and applies pending migrations.
pub async fn connect_and_migrate(config: &Config) -> Result<DatabaseConnection, StartError> {
    let db = db::connect(&config.database).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Arbitrary, fixed: the advisory lock that serializes the migrations of instances starting at
/// once on one PostgreSQL database.
const MIGRATION_LOCK: i64 = 0x5047_6d69_6772_6174;

/// Applies pending migrations. On PostgreSQL they run in one transaction holding an advisory
/// lock, so a second instance starting at the same time waits, then finds nothing to do (rather
/// than failing on "relation already exists").
async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// The application over an open, migrated database. Starts the click writer, the webhook
/// worker, the mail worker and the export worker, so it needs a tokio runtime; `serve` shuts them down (see [`serve`]).
pub fn build(config: Config, db: DatabaseConnection) -> (AppState, Router) {
    build_with_clock(config, db, Arc::new(SystemClock))
}

/// [`build`] with another clock (tests move a manual clock to let holds pass). The GraphQL
/// schema, the click writer and the webhook worker all read `clock`; credentials do not (see
/// [`crate::clock`]).
pub fn build_with_clock(
    config: Config,
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
) -> (AppState, Router) {
    let databases = match &config.replica {
        Some(replica) => db::Db::with_replica(
            db.clone(),
            replica,
            config.database.max_connections,
            config.database.acquire_timeout,
        ),
        None => db::Db::primary_only(db.clone()),
    };
    let auth = Arc::new(Auth::new(&config.auth.jwt_secret));
    let tracking = Arc::new(Tracking::start(&config.tracking, db.clone(), clock.clone()));
    let webhooks = Arc::new(Webhooks::start(
        &config.webhooks,
        db.clone(),
        clock.clone(),
        config.auth.secret_key.clone(),
    ));
    let mail = Arc::new(Mail::start(&config.mail, db.clone(), clock.clone()));
    let exports = Arc::new(Exports::start(
        &config.exports,
        databases.clone(),
        clock.clone(),
    ));
    let metrics = Arc::new(Metrics::new());
    let reports = Arc::new(crate::service::performance::ReportCache::default());
    // Told of other processes' changes, and cleared when their notices may have been missed.
    let shared: Vec<Arc<dyn SharedCache>> = vec![tracking.clone(), reports.clone()];
    let events = EventBus::start(
        &db,
        config.subscriptions.buffer,
        auth.credentials.clone(),
        shared,
    );
    let build = || {
        graphql::schema_builder(&config.graphql)
            .data(db.clone())
            .data(auth.clone())
            .data(PublicUrl(config.http.public_url.clone()))
            .data(config.auth.secret_key.clone())
            .data(crate::service::mail::Links::new(
                config.mail.app_url.clone(),
            ))
            .data(tracking.clone())
            .data(clock.clone())
            .data(metrics.clone())
            .data(events.clone())
            .data(reports.clone())
    };
    let api = graphql::executor::Api::new(build, &config.graphql);
    let rate_limits = Arc::new(http::rate_limit::RateLimits::new(&config.http.rate_limit));
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        rate_limits.share(config.database.clone(), metrics.clone());
    }
    let ws_connections = Arc::new(tokio::sync::Semaphore::new(
        config.subscriptions.max_connections,
    ));
    let origins = Arc::new(http::origins::BrowserOrigins::new(&config.http));
    let state = AppState::new(http::Shared {
        db,
        databases,
        api,
        origins,
        config: Arc::new(config),
        auth,
        tracking,
        webhooks,
        mail,
        exports,
        rate_limits,
        persisted_queries: Arc::default(),
        metrics,
        events,
        ws_connections,
        clock,
    });
    let router = http::router(state.clone());
    (state, router)
}

/// `partnergraph serve`.
pub async fn serve(config: Config) -> Result<(), StartError> {
    tracing::info!(database = %config.database.display_url(), "connecting");
    let db = connect_and_migrate(&config).await?;
    if config.demo {
        demo::load(
            &db,
            &crate::service::mail::Links::new(config.mail.app_url.clone()),
            &config.auth.secret_key,
            &config.exports,
        )
        .await?;
    }
    maintain_click_partitions(&db, &config).await?;
    let bind = config.http.bind;
    let graphiql = config.http.graphiql;
    let (state, router) = build(config, db.clone());
    if state.databases.replica_state().is_some() {
        // Settles where the first queries read (a replica that does not answer is logged).
        state.databases.check_replica().await;
    }
    if !state.events.ready(std::time::Duration::from_secs(5)).await {
        tracing::warn!(
            "not listening for events yet: subscriptions miss other processes' events until it does"
        );
    }
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| StartError::Bind { bind, source })?;
    tracing::info!(%bind, graphiql, "serving");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // In-flight redirects have finished: store every click they queued, then close the pool.
    state.tracking.clicks.shutdown().await;
    state.tracking.partitions.shutdown().await;
    // Attempts in flight finish; whatever is still due is sent after the next start.
    state.webhooks.shutdown().await;
    state.mail.shutdown().await;
    // The export being written finishes; queued ones are written after the next start.
    state.exports.shutdown().await;
    state.events.shutdown();
    db.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// The start-up run of the click partitions' upkeep (PostgreSQL; `tracking::partitions` runs
/// the next ones): this month's and the next two months' partitions exist before the first
/// click. A raw click retention has no effect on SQLite, which keeps every click: a warning.
async fn maintain_click_partitions(
    db: &DatabaseConnection,
    config: &Config,
) -> Result<(), StartError> {
    let retention = config.tracking.raw_click_retention_days;
    if db.get_database_backend() != DbBackend::Postgres {
        if retention.is_some() {
            tracing::warn!(
                "PARTNERGRAPH_RAW_CLICK_RETENTION_DAYS has no effect on SQLite: raw clicks are kept"
            );
        }
        return Ok(());
    }
    crate::service::partitions::maintain(db, SystemClock.now(), retention)
        .await
        .map_err(|err| StartError::Partitions(err.to_string()))?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish before the server stops.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, draining");
}
