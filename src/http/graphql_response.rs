//! How `POST /graphql` answers: the media type the client accepts, the status that goes with
//! it (the GraphQL-over-HTTP spec), and `extensions.cost`.
//!
//! - `Accept` naming `application/graphql-response+json` (with a quality at least that of
//!   `application/json`): that media type; a response with data (partial, or null after a
//!   field error) is 200, a request error (the document did not parse or validate, was over a
//!   limit, or named an unknown persisted query: nothing ran) has no `data` member and a 4xx
//!   status ([`request_error_status`]).
//! - Otherwise (`application/json`, `*/*`, none): `application/json` and 200, as always.
//!
//! Either way a response refused by a rate limit inside the API is 429 (see `super::graphql`).

use std::collections::BTreeMap;
use std::ops::Bound;

use async_graphql::{ServerError, Value};
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::rate_limit::Budget;
use crate::error::ErrorCode;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const GRAPHQL_RESPONSE_JSON_UTF8: &str = "application/graphql-response+json; charset=utf-8";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/json`, every GraphQL answer 200: what clients have always had.
    Json,
    /// `application/graphql-response+json`, request errors 4xx.
    GraphqlResponseJson,
}

impl ResponseFormat {
    /// The format the request's `Accept` headers ask for.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut accepts = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .peekable();
        if accepts.peek().is_none() {
            return Self::Json;
        }
        Self::from_accept(accepts)
    }

    /// `application/graphql-response+json` when it is named (not only matched by a wildcard)
    /// with a quality above 0 and at least that of `application/json`.
    fn from_accept<'a>(values: impl Iterator<Item = &'a str>) -> Self {
        // (specificity, quality) of the most specific range matching each type.
        let mut graphql: Option<(u8, f32)> = None;
        let mut json: Option<(u8, f32)> = None;
        for range in values.flat_map(|value| value.split(',')) {
            let mut params = range.split(';');
            let media = params.next().unwrap_or("").trim();
            let quality = params
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let specificity_for = |media_type: &str| -> Option<u8> {
                if media.eq_ignore_ascii_case(media_type) {
                    Some(2)
                } else if media.eq_ignore_ascii_case("application/*") {
                    Some(1)
                } else if media == "*/*" {
                    Some(0)
                } else {
                    None
                }
            };
            for (slot, media_type) in [
                (&mut graphql, GRAPHQL_RESPONSE_JSON),
                (&mut json, "application/json"),
            ] {
                if let Some(specificity) = specificity_for(media_type)
                    && slot.is_none_or(|(best, _)| specificity > best)
                {
                    *slot = Some((specificity, quality));
                }
            }
        }
        match graphql {
            Some((2, quality)) if quality > 0.0 && quality >= json.map_or(0.0, |(_, q)| q) => {
                Self::GraphqlResponseJson
            }
            _ => Self::Json,
        }
    }

    /// The GraphQL response in this format, with its status and `cost` among its extensions.
    pub fn answer(self, response: &async_graphql::Response, cost: &CostExtension) -> Response {
        let mut body = Answer {
            data: Some(&response.data),
            extensions: Extensions {
                others: &response.extensions,
                cost,
            },
            errors: &response.errors,
        };
        match self {
            Self::Json => Json(body).into_response(),
            Self::GraphqlResponseJson if is_request_error(response) => {
                body.data = None;
                graphql_response_json(request_error_status(&response.errors), &body)
            }
            Self::GraphqlResponseJson => graphql_response_json(StatusCode::OK, &body),
        }
    }

    /// A refusal of the HTTP layer (not one GraphQL request: 400, 413) in this format: same
    /// status and body, this media type.
    pub fn refusal(self, mut response: Response) -> Response {
        if self == Self::GraphqlResponseJson {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(GRAPHQL_RESPONSE_JSON_UTF8),
            );
        }
        response
    }
}

/// A response without data whose errors all come from before execution (no error has a path):
/// parse, validation, limits, an unknown persisted query.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    matches!(response.data, Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The status of a request error, by its first error's code: 401, 403, 404 (an unknown
/// persisted query, not 400, which some Apollo clients take for "persisted queries
/// unsupported"),
/// 429, 500, 503, else 400.
pub fn request_error_status(errors: &[ServerError]) -> StatusCode {
    let code = errors.first().map(super::graphql::code_of);
    let is = |expected: ErrorCode| code.as_deref() == Some(expected.as_str());
    if is(ErrorCode::Unauthenticated) {
        StatusCode::UNAUTHORIZED
    } else if is(ErrorCode::Forbidden) {
        StatusCode::FORBIDDEN
    } else if is(ErrorCode::PersistedQueryNotFound) {
        StatusCode::NOT_FOUND
    } else if is(ErrorCode::RateLimited) {
        StatusCode::TOO_MANY_REQUESTS
    } else if is(ErrorCode::Internal) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if is(ErrorCode::ServiceUnavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// The body: async-graphql's response (`data`, `extensions`, `errors`, in its order), with
/// `cost` written among the extensions as it is serialized; no `data` member for a request
/// error under `application/graphql-response+json`.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    extensions: Extensions<'a>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
}

/// The response's extensions and `cost`, by name as a `BTreeMap` would order them.
struct Extensions<'a> {
    others: &'a BTreeMap<String, Value>,
    cost: &'a CostExtension,
}

impl Serialize for Extensions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let before = self
            .others
            .range::<str, _>((Bound::Unbounded, Bound::Excluded(COST)));
        let after = self
            .others
            .range::<str, _>((Bound::Excluded(COST), Bound::Unbounded));
        // Every other extension, and `cost` in place of one already named so.
        let len = self.others.len() + usize::from(!self.others.contains_key(COST));
        let mut map = serializer.serialize_map(Some(len))?;
        for (name, value) in before {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry(COST, self.cost)?;
        for (name, value) in after {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

const COST: &str = "cost";

fn graphql_response_json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, Body::from(bytes)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(GRAPHQL_RESPONSE_JSON_UTF8),
            );
            response
        }
        // As `axum::Json` does: a response that does not serialize is a fault of ours.
        Err(err) => {
            tracing::error!(error = %err, "GraphQL response did not serialize");
            super::problem::error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}

/// `extensions.cost`: the document's cost in points (null when it was refused before it was
/// costed) and what is left of the caller's request budget, which counts requests, not points.
/// A plain struct, serialized as the answer is written: no map is built for it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostExtension {
    requested_query_cost: Option<u64>,
    throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ThrottleStatus {
    maximum_available: u64,
    currently_available: u64,
    /// Null when not finite, as JSON has no such number.
    restore_rate: Option<f64>,
}

impl CostExtension {
    pub fn new(points: Option<u64>, budget: Option<Budget>) -> Self {
        Self {
            requested_query_cost: points,
            // Whole requests: a fraction of a token is not a request. f64 to u64 saturates.
            throttle_status: budget.map(|budget| ThrottleStatus {
                maximum_available: budget.capacity.floor() as u64,
                currently_available: budget.remaining.max(0.0).floor() as u64,
                restore_rate: Some(budget.per_second).filter(|rate| rate.is_finite()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(accept: &str) -> ResponseFormat {
        ResponseFormat::from_accept(std::iter::once(accept))
    }

    #[test]
    fn graphql_response_json_only_when_named_and_preferred() {
        use ResponseFormat::*;
        assert_eq!(negotiated(GRAPHQL_RESPONSE_JSON), GraphqlResponseJson);
        assert_eq!(
            negotiated("application/graphql-response+json, application/json;q=0.9"),
            GraphqlResponseJson
        );
        // graphql-http's client default, with a wildcard after it.
        assert_eq!(
            negotiated("application/graphql-response+json,application/json;q=0.9,*/*;q=0.8"),
            GraphqlResponseJson
        );
        assert_eq!(
            negotiated("Application/GraphQL-Response+JSON"),
            GraphqlResponseJson
        );
        assert_eq!(negotiated("application/json"), Json);
        assert_eq!(negotiated("*/*"), Json);
        assert_eq!(negotiated("application/*"), Json);
        assert_eq!(negotiated("text/html"), Json);
        assert_eq!(negotiated(""), Json);
        assert_eq!(
            negotiated("application/json, application/graphql-response+json;q=0.5"),
            Json
        );
        assert_eq!(negotiated("application/graphql-response+json;q=0"), Json);
        assert_eq!(
            negotiated("application/graphql-response+json;q=0.5, */*;q=0.1"),
            GraphqlResponseJson
        );
        assert_eq!(
            ResponseFormat::from_accept(
                ["application/json;q=0.2", GRAPHQL_RESPONSE_JSON].into_iter()
            ),
            GraphqlResponseJson
        );
    }

    fn error(code: ErrorCode, path: bool) -> ServerError {
        let mut error = ServerError::new("x", None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
        if path {
            error.path = vec![async_graphql::PathSegment::Field("viewer".into())];
        }
        error
    }

    #[test]
    fn request_errors_have_no_data_and_no_path() {
        let request = async_graphql::Response::from_errors(vec![error(
            ErrorCode::GraphqlValidationFailed,
            false,
        )]);
        assert!(is_request_error(&request));
        // A field error nulled the whole data: it ran, so data is present (null).
        let field = async_graphql::Response::from_errors(vec![error(ErrorCode::NotFound, true)]);
        assert!(!is_request_error(&field));
        let partial = async_graphql::Response::new(async_graphql::value!({ "viewer": null }));
        assert!(!is_request_error(&partial));
    }

    #[test]
    fn request_error_statuses_follow_the_first_code() {
        let status = |code| request_error_status(&[error(code, false)]);
        assert_eq!(
            status(ErrorCode::GraphqlParseFailed),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(ErrorCode::GraphqlValidationFailed),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(ErrorCode::BadUserInput), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(ErrorCode::PersistedQueryHashMismatch),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(ErrorCode::PersistedQueryNotFound),
            StatusCode::NOT_FOUND
        );
        assert_eq!(status(ErrorCode::Forbidden), StatusCode::FORBIDDEN);
        assert_eq!(status(ErrorCode::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(ErrorCode::Internal),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn the_cost_extension_reports_points_and_whole_requests_left() {
        let budget = Budget {
            capacity: 600.0,
            remaining: 597.9,
            per_second: 10.0,
        };
        let value = serde_json::to_value(CostExtension::new(Some(13), Some(budget))).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "requestedQueryCost": 13,
                "throttleStatus": {
                    "maximumAvailable": 600,
                    "currentlyAvailable": 597,
                    "restoreRate": 10.0,
                },
            })
        );
        let value = serde_json::to_value(CostExtension::new(None, None)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "requestedQueryCost": null, "throttleStatus": null })
        );
    }

    async fn body_of(answer: Response) -> String {
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_answer_writes_cost_among_the_extensions_in_name_order() {
        let mut response =
            async_graphql::Response::new(Value::from_json(serde_json::json!({ "a": 1 })).unwrap());
        response.extensions.insert("apq".into(), Value::from(1));
        response.extensions.insert("zeta".into(), Value::from(2));
        // A `cost` already there is replaced, as inserting into the map did.
        response.extensions.insert("cost".into(), Value::from(3));
        let cost = CostExtension::new(Some(1), None);
        let answer = ResponseFormat::Json.answer(&response, &cost);
        assert_eq!(
            body_of(answer).await,
            r#"{"data":{"a":1},"extensions":{"apq":1,"cost":{"requestedQueryCost":1,"throttleStatus":null},"zeta":2}}"#
        );
    }

    #[tokio::test]
    async fn a_request_error_has_no_data_under_graphql_response_json() {
        let mut response =
            async_graphql::Response::from_errors(vec![error(ErrorCode::GraphqlParseFailed, false)]);
        let cost = CostExtension::new(None, None);
        let expected = r#"{"extensions":{"cost":{"requestedQueryCost":null,"throttleStatus":null}},"errors":[{"message":"x","extensions":{"code":"GRAPHQL_PARSE_FAILED"}}]}"#;
        let answer = ResponseFormat::GraphqlResponseJson.answer(&response, &cost);
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body_of(answer).await, expected);
        // Under application/json the same response keeps its null data.
        let answer = ResponseFormat::Json.answer(&response, &cost);
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(
            body_of(answer).await,
            format!(r#"{{"data":null,{}"#, &expected[1..])
        );
        response.data = Value::from(1);
        let answer = ResponseFormat::GraphqlResponseJson.answer(&response, &cost);
        assert_eq!(answer.status(), StatusCode::OK);
    }
}
