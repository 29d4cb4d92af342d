//! The body of `POST /graphql`: exactly one GraphQL request in JSON, with the persisted query
//! it names (`extensions.persistedQuery`, [`crate::graphql::persisted_queries`]), if any.

use axum::body::{Body, to_bytes};
use axum::http::StatusCode;
use axum::response::Response;

use super::problem::error_response;
use crate::error::ErrorCode;
use crate::graphql::persisted_queries::{PersistedQuery, PersistedQueryError};

/// A request as sent: its `query` is empty when it names a persisted query without the text.
pub struct GraphqlBody {
    pub request: async_graphql::Request,
    pub persisted: Option<PersistedQuery>,
}

/// Reads the body up to `limit` bytes and parses exactly one GraphQL request. A JSON array
/// (a batch) is refused: each operation is costed and rate limited on its own. `query` is
/// required unless the request names a persisted query.
pub async fn read(body: Body, limit: usize) -> Result<GraphqlBody, Response> {
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        bad_request_with(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body is larger than {limit} bytes"),
        )
    })?;
    let mut value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| bad_request("request body is not valid JSON"))?;
    if value.is_array() {
        return Err(bad_request(
            "batched requests are not supported: send one operation per request",
        ));
    }
    let persisted = take_persisted_query(&mut value).map_err(|err| bad_request(&err.message()))?;
    let query = value.get("query");
    let query_ok = match (&persisted, query) {
        (_, Some(serde_json::Value::String(_))) => true,
        // Apollo clients send a known hash without `query`; some send `null`.
        (Some(_), None | Some(serde_json::Value::Null)) => true,
        _ => false,
    };
    if !query_ok {
        return Err(bad_request(
            "not a GraphQL request: a string member \"query\" is required",
        ));
    }
    if let Some(object) = value.as_object_mut()
        && object.get("query").is_some_and(serde_json::Value::is_null)
    {
        object.remove("query");
    }
    let request = serde_json::from_value(value)
        .map_err(|err| bad_request(&format!("not a GraphQL request: {}", describe(&err))))?;
    Ok(GraphqlBody { request, persisted })
}

/// Removes `extensions.persistedQuery` from the request and reads it.
fn take_persisted_query(
    value: &mut serde_json::Value,
) -> Result<Option<PersistedQuery>, PersistedQueryError> {
    let Some(extension) = value
        .get_mut("extensions")
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|extensions| extensions.remove("persistedQuery"))
    else {
        return Ok(None);
    };
    PersistedQuery::from_extension(&extension).map(Some)
}

fn bad_request(message: &str) -> Response {
    bad_request_with(StatusCode::BAD_REQUEST, message)
}

fn bad_request_with(status: StatusCode, message: &str) -> Response {
    error_response(status, ErrorCode::BadRequest, message)
}

/// serde's message names the missing or mistyped member without echoing input or internals.
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
