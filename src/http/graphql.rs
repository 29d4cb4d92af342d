//! `POST /graphql`: one operation per request, JSON in and out, or a `multipart/form-data`
//! request with files (the GraphQL multipart request spec, for imports); the body is read by
//! [`super::graphql_body`] (with automatic persisted queries), the answer is shaped by
//! [`super::graphql_response`] (media type, status, `extensions.cost`).
//!
//! A multipart request must carry the `Apollo-Require-Preflight` header (any value): a browser
//! can send a simple `multipart/form-data` POST cross-origin without a CORS preflight (a CSRF
//! with the victim's cookies), but not with a custom header. Apollo Server refuses such
//! requests the same way, and Apollo's upload clients send the header.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;

use async_graphql::Executor;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures_util::FutureExt;
use sea_orm::DatabaseConnection;

use super::auth::Caller;
use super::graphql_body::{self, GraphqlBody, UploadLimits};
use super::graphql_response::{CostExtension, ResponseFormat};
use super::problem::{error_response, internal_error};
use super::rate_limit::Budget;
use super::{AppState, client_ip, rate_limit};
use crate::error::ErrorCode;
use crate::graphql::account::refresh_cookie;
use crate::graphql::batches::{self, Batches};
use crate::graphql::context::{BrowserRequest, RequestContext};
use crate::graphql::limits::{CostReport, introspection_allowed};
use crate::graphql::loaders::Loaders;
use crate::graphql::persisted_queries::{PersistedQueryError, Registration, Resolution};
use crate::graphql::reads::ReplicaReads;

pub async fn execute(
    State(state): State<AppState>,
    content_type: GraphqlContentType,
    caller: Option<Caller>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let format = ResponseFormat::negotiate(&parts.headers);
    let request_id = super::request_id(&parts);
    let client_ip = client_ip::of(&parts, &state.config.http.trusted_proxies);
    let http = &state.config.http;
    let body = match content_type {
        GraphqlContentType::Json => graphql_body::read(body, http.max_body_bytes).await,
        GraphqlContentType::Multipart { boundary } => {
            let limits = UploadLimits {
                max_json_bytes: http.max_body_bytes,
                max_file_bytes: http.max_upload_bytes,
                max_files: http.max_upload_files,
            };
            graphql_body::read_multipart(body, boundary, limits).await
        }
    };
    let body = match body {
        Ok(body) => body,
        Err(response) => return format.refusal(response),
    };
    let actor = caller.as_ref().map(|caller| &caller.actor);
    let label = CallerLabel(actor.map(|a| (a.principal, a.role)));
    let operation = body.request.operation_name.clone();
    let mut cost = CostReport::default();
    let started = std::time::Instant::now();
    let (mut response, registration) = match persisted_query(&state, body) {
        Ok((mut gql_request, registration)) => {
            // `limits` refuses introspection with a code first; this keeps the executor from
            // serving it should a document ever slip past that check.
            if !introspection_allowed(state.config.graphql.introspection, actor) {
                gql_request = gql_request.disable_introspection();
            }
            // A query may read the replica (`graphql::reads`); kept to be run again on the
            // primary should reading there fail.
            let replica = state
                .databases
                .replica()
                .filter(|_| gql_request.uploads.is_empty());
            let again = replica.map(|_| (copy_of(&gql_request), caller.clone()));
            let run = Run {
                state: &state,
                request_id: &request_id,
                client_ip,
                headers: &parts.headers,
            };
            // Boxed, here and below: inline, the execution's future would sit twice in this
            // handler's, which the router's layers move onto the heap whole (12 KB a request).
            let (mut response, read_replica) =
                match Box::pin(run.execute(gql_request, caller, replica, &cost)).await {
                    Ok(outcome) => outcome,
                    Err(answer) => return answer,
                };
            if let Some((again, caller)) = again
                && read_replica
                && failed_internally(&response)
            {
                // The outage itself is warned of once, by the replica's check.
                tracing::info!(request_id = %request_id, "a query failed on the read replica: running it on the primary");
                state.databases.replica_failed();
                cost = CostReport::default();
                response = match Box::pin(run.execute(again, caller, None, &cost)).await {
                    Ok((response, _)) => response,
                    Err(answer) => return answer,
                };
            }
            (response, registration)
        }
        Err(refused) => (refusal(&refused), None),
    };
    let codes: Vec<String> = response.errors.iter().map(code_of).collect();
    for code in &codes {
        state.metrics.graphql_error(code);
    }
    if let Some(registration) = registration
        && parsed_and_valid(&codes)
    {
        state.persisted_queries.register(registration);
    }
    tracing::info!(
        request_id = %request_id,
        caller = %label,
        operation = operation.as_deref().unwrap_or("-"),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        errors = %codes.join(","),
        "graphql request"
    );
    let budget = parts.extensions.get::<Budget>().copied();
    let cost = CostExtension::new(cost.points(), budget);
    // Headers resolvers set (the refresh cookie's `Set-Cookie`).
    let set_by_resolvers = std::mem::take(&mut response.http_headers);
    let mut answer = format.answer(&response, &cost);
    if let Some(retry_after_secs) = refused_for_rate(&response) {
        answer = rate_limit::too_many(answer, retry_after_secs);
    }
    for (name, value) in set_by_resolvers.iter() {
        answer.headers_mut().append(name, value.clone());
    }
    answer
}

/// What one execution of a request needs besides the request itself.
struct Run<'a> {
    state: &'a AppState,
    request_id: &'a str,
    client_ip: Option<std::net::IpAddr>,
    headers: &'a HeaderMap,
}

impl Run<'_> {
    /// Executes `request` for `caller` (reading `replica` if it is a query, see
    /// `graphql::reads`): the response and whether it read the replica, or the answer to a
    /// panic.
    async fn execute(
        &self,
        request: async_graphql::Request,
        caller: Option<Caller>,
        replica: Option<&DatabaseConnection>,
        cost: &CostReport,
    ) -> Result<(async_graphql::Response, bool), Response> {
        let batches = Batches::default();
        let replica = replica.map(|pool| ReplicaReads::new(pool, &batches));
        let read_replica = replica.as_ref().map(ReplicaReads::used);
        let (actor, account) =
            caller.map_or((None, None), |caller| (Some(caller.actor), caller.account));
        let context = RequestContext {
            request_id: self.request_id.to_owned(),
            actor,
            account,
            client_ip: self.client_ip,
            loaders: Loaders::batched(&self.state.db, &batches),
            browser: browser_request(self.state, self.headers),
            replica,
        };
        let request = request.data(context).data(cost.clone());
        let execution = AssertUnwindSafe(batches::drive(batches, self.state.api.execute(request)));
        match execution.catch_unwind().await {
            Ok(response) => Ok((
                response,
                read_replica.is_some_and(|used| used.load(Ordering::Relaxed)),
            )),
            Err(payload) => {
                self.state
                    .metrics
                    .graphql_error(ErrorCode::Internal.as_str());
                Err(panicked(self.request_id, payload.as_ref()))
            }
        }
    }
}

/// The same request, to run again (it has no uploads, which cannot be read twice).
fn copy_of(request: &async_graphql::Request) -> async_graphql::Request {
    let mut copy =
        async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
    copy.operation_name = request.operation_name.clone();
    copy.extensions = request.extensions.clone();
    copy.introspection_mode = request.introspection_mode;
    copy
}

/// Whether an error in `response` may come from the database rather than the request:
/// INTERNAL (a lost connection) or SERVICE_UNAVAILABLE (no connection to be had).
fn failed_internally(response: &async_graphql::Response) -> bool {
    let codes = [
        ErrorCode::Internal.as_str(),
        ErrorCode::ServiceUnavailable.as_str(),
    ];
    response
        .errors
        .iter()
        .any(|error| codes.contains(&code_of(error).as_str()))
}

/// The request to run: as sent, or with the text of the persisted query it names (and the
/// text to register once it has run).
fn persisted_query(
    state: &AppState,
    body: GraphqlBody,
) -> Result<(async_graphql::Request, Option<Registration>), PersistedQueryError> {
    let GraphqlBody {
        mut request,
        persisted,
    } = body;
    let Some(persisted) = persisted else {
        return Ok((request, None));
    };
    match state
        .persisted_queries
        .resolve(&request.query, &persisted)?
    {
        Resolution::Stored(text) => {
            request.query = text.to_string();
            Ok((request, None))
        }
        Resolution::Register(registration) => Ok((request, Some(registration))),
    }
}

/// A persisted query that was not run, as a GraphQL response (a request error: no data).
fn refusal(refused: &PersistedQueryError) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(refused.message(), None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", refused.code().as_str());
    async_graphql::Response::from_errors(vec![error])
}

/// Whether a document that ran with these error codes parsed and passed validation and every
/// limit: only such a text is stored as a persisted query.
fn parsed_and_valid(codes: &[String]) -> bool {
    let broken = [
        ErrorCode::GraphqlParseFailed.as_str(),
        ErrorCode::GraphqlValidationFailed.as_str(),
    ];
    !codes.iter().any(|code| broken.contains(&code.as_str()))
}

/// The refresh cookie and whether the request's origin may use it (the CSRF check).
fn browser_request(state: &AppState, headers: &HeaderMap) -> BrowserRequest {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok());
    BrowserRequest {
        refresh_cookie: refresh_cookie::read(cookies),
        may_use_cookie: state.origins.may_use_cookie(headers),
    }
}

/// A response with no data refused by a rate limit inside the API (failed logins per account
/// or IP) is answered like the HTTP-level limits: 429 with `Retry-After`.
fn refused_for_rate(response: &async_graphql::Response) -> Option<u64> {
    if !matches!(response.data, async_graphql::Value::Null) {
        return None;
    }
    response.errors.iter().find_map(|error| {
        let extensions = error.extensions.as_ref()?;
        if code_of(error) != ErrorCode::RateLimited.as_str() {
            return None;
        }
        match extensions.get("retryAfter") {
            Some(async_graphql::Value::Number(secs)) => secs.as_u64(),
            _ => None,
        }
    })
}

/// A resolver that panicked: INTERNAL with the request id; the payload goes to the log only.
fn panicked(request_id: &str, payload: &(dyn Any + Send)) -> Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(request_id, detail, "GraphQL execution panicked");
    internal_error(request_id)
}

/// Queries over GET are not served: every operation is a POST with a JSON (or multipart) body.
pub async fn get_not_allowed() -> Response {
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadRequest,
        "use POST with a JSON body",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    response
}

/// The header a multipart request must carry (any non-empty value): the CSRF check.
pub const PREFLIGHT_HEADER: &str = "apollo-require-preflight";

/// The body's kind: JSON, or `multipart/form-data` with its boundary. Refuses (415) anything
/// else, and (400) a multipart request without [`PREFLIGHT_HEADER`]; runs before [`Caller`], so
/// such a request is neither authenticated nor counted against a rate limit.
pub enum GraphqlContentType {
    Json,
    Multipart { boundary: String },
}

impl<S: Send + Sync> FromRequestParts<S> for GraphqlContentType {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        if is_json(&parts.headers) {
            return Ok(Self::Json);
        }
        if let Some(boundary) = multipart_boundary(&parts.headers) {
            let preflighted = parts
                .headers
                .get(PREFLIGHT_HEADER)
                .is_some_and(|value| !value.as_bytes().is_empty());
            if !preflighted {
                return Err(error_response(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    "a multipart request must carry the Apollo-Require-Preflight header \
                     (any value): it protects uploads from cross-site request forgery",
                ));
            }
            return Ok(Self::Multipart { boundary });
        }
        Err(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send the request as JSON with Content-Type: application/json \
             (or files as multipart/form-data, the GraphQL multipart request spec)",
        ))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || mime.eq_ignore_ascii_case("application/graphql-response+json")
        })
}

/// The boundary of a `multipart/form-data` content type.
pub(super) fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    multer::parse_boundary(value).ok().filter(|_| {
        value
            .split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("multipart/form-data"))
    })
}

/// Who called, for the request log: `user:<id>:<ROLE>`, `key:<id>`, `connector:<id>` or
/// `anonymous`; written only when the line is logged.
struct CallerLabel(Option<(crate::auth::Principal, crate::auth::Role)>);

impl std::fmt::Display for CallerLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::auth::Principal;
        match self.0 {
            Some((Principal::User(id), role)) => write!(f, "user:{id}:{}", role.as_str()),
            Some((Principal::ApiKey(id), _)) => write!(f, "key:{id}"),
            Some((Principal::Connector(id), _)) => write!(f, "connector:{id}"),
            None => f.write_str("anonymous"),
        }
    }
}

/// An error's `extensions.code` (every error has one, see `graphql::errors`).
pub(super) fn code_of(error: &async_graphql::ServerError) -> String {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(async_graphql::Value::String(code)) => code.clone(),
        Some(async_graphql::Value::Enum(code)) => code.to_string(),
        _ => "INTERNAL".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::CallerLabel;
    use crate::auth::{Principal, Role};

    #[test]
    fn the_log_names_the_caller_by_kind_and_id() {
        let label = |caller| CallerLabel(caller).to_string();
        assert_eq!(
            label(Some((Principal::User(7), Role::Admin))),
            "user:7:ADMIN"
        );
        assert_eq!(
            label(Some((Principal::ApiKey(3), Role::Integrator))),
            "key:3"
        );
        assert_eq!(
            label(Some((Principal::Connector(5), Role::Integrator))),
            "connector:5"
        );
        assert_eq!(label(None), "anonymous");
    }
}
