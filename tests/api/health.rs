use axum::http::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn health_and_readiness_answer(app: TestApp) {
    let live = app.get("/healthz").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["status"], "ok");

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
}

async fn readiness_fails_when_the_database_is_gone(app: TestApp) {
    app.db.clone().close().await.expect("close pool");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["status"], "unavailable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

async fn unknown_routes_answer_not_found_with_a_code(app: TestApp) {
    let answer = app.get("/nope").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.json()["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
}

async fn responses_carry_a_request_id(app: TestApp) {
    let answer = app.get("/healthz").await;
    let id = answer
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(id.len(), 36, "uuid request id, got {id:?}");
}

on_both_backends!(
    health_and_readiness_answer,
    readiness_fails_when_the_database_is_gone,
    unknown_routes_answer_not_found_with_a_code,
    responses_carry_a_request_id,
);
