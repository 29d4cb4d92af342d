//! HTTP-level failures, answered in the GraphQL error shape so clients parse one format.

use std::any::Any;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ErrorCode;

pub fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    (status, Json(body)).into_response()
}

/// INTERNAL with nothing but the request id, which finds the log line.
pub fn internal_error(request_id: &str) -> Response {
    let body = json!({ "errors": [{
        "message": "internal error",
        "extensions": { "code": ErrorCode::Internal.as_str(), "requestId": request_id },
    }] });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

pub async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

/// A panic never reaches the client as anything but INTERNAL; the payload goes to the log.
pub fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(detail, "handler panicked");
    let mut response = error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "internal error",
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
