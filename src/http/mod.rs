//! HTTP surface: `POST /graphql`, `GET /graphiql` and its assets (when enabled, [`graphiql`]),
//! `GET /r/{code}` (short-link redirects), `GET /graphql/ws` (subscriptions), `GET /healthz`,
//! `GET /readyz`, `GET /metrics` (Prometheus), `POST /postback/conversions` and
//! `POST /connect/{kind}/{id}` (store connectors' webhooks, [`connect`]) and
//! `GET /exports/{id}/download` (an export's file by its signed link, [`exports`]).
//!
//! Browser front ends on other origins: CORS on `/graphql` ([`cors`]), `Origin` checked on the
//! WebSocket upgrade and for the refresh cookie ([`origins`]).
//!
//! Limits, outermost first: request id, trace, panic catcher, body size (413; larger for a
//! multipart upload to `/graphql`, [`limits::BodyLimits`]), request timeout
//! (408), then, except for the health and metrics routes, load shedding past `max_in_flight`
//! (503). Rate limits run with authentication, before a handler reads the body ([`auth`],
//! [`rate_limit`]).

mod auth;
pub mod client_ip;
mod connect;
pub mod cors;
mod exports;
mod graphiql;
mod graphql;
mod graphql_body;
mod graphql_response;
mod health;
mod limits;
mod observe;
pub mod origins;
mod postback;
mod problem;
pub mod rate_limit;
mod redirect;
mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::HeaderName;
use axum::middleware;
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::config::Config;
use crate::events::EventBus;
use crate::graphql::executor::Api;
use crate::prometheus::Metrics;
use crate::tracking::Tracking;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id (set by the request-id layer before any handler runs), for log lines and
/// INTERNAL answers.
pub fn request_id(parts: &axum::http::request::Parts) -> String {
    parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What every handler can reach; cloned for every request, so one shared allocation (a clone
/// of the fields was 4% of a redirect's CPU time).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// The primary: writes, authentication, and reads that must see the latest writes.
    pub db: DatabaseConnection,
    /// The primary and the read replica, if any: GraphQL queries read `databases.reads()`.
    pub databases: crate::db::Db,
    /// The GraphQL schema with the steps around every operation.
    pub api: Api,
    /// Which browser origins may call, open sockets and use the refresh cookie.
    pub origins: Arc<origins::BrowserOrigins>,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    /// Link cache and click queue of `GET /r/{code}`.
    pub tracking: Arc<Tracking>,
    /// The outbound webhook worker.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// The mail worker.
    pub mail: Arc<crate::mail::Mail>,
    /// The export worker.
    pub exports: Arc<crate::exports::Exports>,
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// Automatic persisted queries of `POST /graphql`, by hash.
    pub persisted_queries: Arc<crate::graphql::persisted_queries::PersistedQueries>,
    pub metrics: Arc<Metrics>,
    /// Conversion and commission events for subscriptions.
    pub events: Arc<EventBus>,
    /// Free WebSocket connections of this process (`GET /graphql/ws`).
    pub ws_connections: Arc<Semaphore>,
    /// The app's clock (the GraphQL schema's): what handlers outside GraphQL read as now.
    pub clock: Arc<dyn crate::clock::Clock>,
}

pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route(
            "/graphql",
            post(graphql::execute).get(graphql::get_not_allowed),
        )
        .route("/graphql/ws", get(subscriptions::subscriptions))
        .route("/postback/conversions", post(postback::conversions))
        .route("/connect/{kind}/{connector_id}", post(connect::receive))
        .route("/exports/{export_id}/download", get(exports::download))
        .route("/r/{code}", get(redirect::redirect));
    if state.config.http.graphiql {
        api = api
            .route("/graphiql", get(graphiql::page))
            .route("/graphiql/assets/{version}/{file}", get(graphiql::asset));
    }
    let http = &state.config.http;
    let (max_in_flight, timeout, body_limits) = (
        http.max_in_flight,
        http.request_timeout,
        limits::BodyLimits::new(http),
    );
    let metrics = state.metrics.clone();
    // One semaphore for all routes: `Router::layer` wraps each route on its own. The health and
    // metrics routes stay outside it, so a saturated server still reports that it is alive.
    let api = api.fallback(problem::not_found).layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(limits::handle_error))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(max_in_flight.max(1))),
    );
    let origins = state.origins.clone();
    let router = api
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            observe::record,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::handle_error))
                .timeout(clamp_timeout(timeout)),
        )
        .layer(middleware::from_fn(move |request, next| {
            limits::limit_body(body_limits, request, next)
        }))
        .layer(CatchPanicLayer::custom(problem::panic_response));
    // Outside the limits, so that their answers reach an allowed page readable; not at all
    // without CORS (the redirect path pays nothing for it).
    let router = if origins.cors_enabled() {
        router.layer(cors::BrowserCorsLayer::new(origins))
    } else {
        router
    };
    router
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
}

fn clamp_timeout(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}
