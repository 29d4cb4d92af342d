//! Answers of the HTTP limits, in the GraphQL error shape: a shed request (503
//! SERVICE_UNAVAILABLE, `Retry-After`), a request past the timeout (408 TIMEOUT) and a body over
//! the limit (413 BAD_REQUEST).

use axum::BoxError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tower::load_shed::error::Overloaded;
use tower::timeout::error::Elapsed;

use super::problem::error_response;
use crate::error::{ErrorCode, RETRY_AFTER_BUSY_SECS};

/// The errors of the load-shed and timeout layers as responses (the router is infallible).
pub async fn handle_error(err: BoxError) -> Response {
    if err.is::<Overloaded>() {
        tracing::warn!("request shed: too many requests in flight");
        return service_unavailable("too many requests in flight, retry shortly");
    }
    if err.is::<Elapsed>() {
        return error_response(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::Timeout,
            "the request took longer than the server allows",
        );
    }
    tracing::error!(error = %err, "unhandled middleware error");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "internal error",
    )
}

/// 503 SERVICE_UNAVAILABLE with `Retry-After`.
pub fn service_unavailable(message: &str) -> Response {
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServiceUnavailable,
        message,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(RETRY_AFTER_BUSY_SECS),
    );
    response
}

/// tower-http's body limit answers 413 in plain text (on `Content-Length`, before any handler
/// runs); give it the JSON error shape. Handlers that hit the limit while streaming answer JSON
/// themselves.
pub async fn body_limit_as_json(limit: usize, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            &format!("request body is larger than {limit} bytes"),
        );
    }
    response
}
