//! HTTP surface: `POST /graphql`, `GET /graphiql` (when enabled), `GET /r/{code}` (short-link
//! redirects), `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus).

mod graphql;
mod health;
mod observe;
mod postback;
mod problem;
mod redirect;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, StatusCode};
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::config::Config;
use crate::graphql::AppSchema;
use crate::metrics::Metrics;
use crate::tracking::Tracking;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    /// Link cache and click queue of `GET /r/{code}`.
    pub tracking: Arc<Tracking>,
    pub metrics: Arc<Metrics>,
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route(
            "/graphql",
            post(graphql::execute).get(graphql::get_not_allowed),
        )
        .route("/postback/conversions", post(postback::conversions))
        .route("/r/{code}", get(redirect::redirect))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics));
    if state.config.http.graphiql {
        router = router.route("/graphiql", get(graphql::graphiql));
    }
    let timeout = state.config.http.request_timeout;
    let metrics = state.metrics.clone();
    router
        .fallback(problem::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            observe::record,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            clamp_timeout(timeout),
        ))
        .layer(CatchPanicLayer::custom(problem::panic_response))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
}

fn clamp_timeout(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}
