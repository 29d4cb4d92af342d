//! Answers of the HTTP limits, in the GraphQL error shape: a shed request (503
//! SERVICE_UNAVAILABLE, `Retry-After`), a request past the timeout (408 TIMEOUT) and a body over
//! the limit (413 BAD_REQUEST).

use axum::BoxError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
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

/// The body limits: `json` for every request but a multipart `POST /graphql` (an upload),
/// which may carry its files besides the JSON parts (each part is bounded again when read,
/// `super::graphql_body::read_multipart`).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub json: usize,
    pub multipart: usize,
}

impl BodyLimits {
    pub fn new(http: &crate::config::HttpConfig) -> Self {
        // The operations and map parts, the files, and room for the part headers.
        let multipart = http
            .max_body_bytes
            .saturating_mul(2)
            .saturating_add(http.max_upload_bytes.saturating_mul(http.max_upload_files))
            .saturating_add(64 * 1024);
        Self {
            json: http.max_body_bytes,
            multipart,
        }
    }
}

/// Refuses (413, JSON) a body whose `Content-Length` is over its limit before any handler runs,
/// and bounds a streamed one: a handler that reads past the limit gets an error and answers
/// 413 itself.
pub async fn limit_body(limits: BodyLimits, request: Request, next: Next) -> Response {
    let upload = request.uri().path() == "/graphql"
        && super::graphql::multipart_boundary(request.headers()).is_some();
    let limit = if upload {
        limits.multipart
    } else {
        limits.json
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            &format!("request body is larger than {limit} bytes"),
        );
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}
