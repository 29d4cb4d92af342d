use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use crate::db;

/// Liveness: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers too. With a read replica, its state as last checked
/// (`up`, `down`, `lagging` or `unknown`) is listed; a replica that is down or lagging does not
/// make the server unready (queries read the primary meanwhile).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match db::ping(&state.db).await {
        Ok(()) => {
            let mut answer = json!({ "status": "ready" });
            if let Some(replica) = state.databases.replica_state() {
                answer["replica"] = json!(replica.as_str());
            }
            (StatusCode::OK, Json(answer))
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}
