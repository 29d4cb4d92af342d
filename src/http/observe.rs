//! Observability at the HTTP edge: every request is counted and timed by route for `/metrics`,
//! which serves the Prometheus text.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::db::ReplicaState;
use crate::prometheus::{Metrics, ReplicaGauges};

/// Counts and times a request under its matched route (bounded label values: `/r/{code}`, not
/// the code), `other` for unmatched paths.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: OpenMetrics text (counts and latencies only; no tenant data).
pub async fn metrics(State(state): State<AppState>) -> Response {
    let replica = state.databases.replica_lag().map(|lag| ReplicaGauges {
        lag_seconds: lag.as_secs_f64(),
        up: state.databases.replica_state() == Some(ReplicaState::Up),
    });
    let body = state.metrics.render(state.tracking.clicks.stats(), replica);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
