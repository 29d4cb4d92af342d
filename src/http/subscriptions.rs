//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket, protocol `graphql-transport-ws`
//! (the `graphql-ws` library; the older `graphql-ws` subprotocol of subscriptions-transport-ws is
//! accepted too).
//!
//! The caller authenticates in `connection_init` with the credential the HTTP path takes from
//! the `Authorization` header: `{"Authorization": "Bearer <access token or API key>"}` (also
//! `authorization`, or `token` with or without `Bearer `). A missing, expired, forged or
//! revoked credential closes the connection before any subscription runs. The credential is
//! checked again every `SubscriptionConfig::credential_recheck` (60 s): once the access token
//! has expired, its session is signed out, or the API key is revoked or expired, the server
//! closes the connection with 4403 and `UNAUTHENTICATED: ...` (the client signs in again and
//! reconnects). Connections per process and subscriptions per connection are bounded
//! (`config::SubscriptionConfig`).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::oneshot;

use super::problem::error_response;
use super::{AppState, auth, client_ip, limits};
use crate::auth::Actor;
use crate::error::{AppError, ErrorCode};
use crate::graphql::context::RequestContext;
use crate::graphql::loaders::Loaders;
use crate::graphql::subscription::SubscriptionSlots;
use crate::service::actors;

/// How long a new connection may take to send `connection_init`; then it is closed with 4408
/// (graphql-transport-ws), so idle sockets do not hold connection slots.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn subscriptions(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    // Browsers do not preflight a WebSocket: a page of any site could open one, so its Origin
    // is checked here (docs/browser.md).
    if !state.origins.may_open_socket(&parts.headers) {
        return error_response(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "WebSocket connections from this page's origin are not allowed",
        );
    }
    let Ok(protocol) = GraphQLProtocol::from_request_parts(&mut parts, &state).await else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "open a WebSocket with the graphql-transport-ws subprotocol",
        );
    };
    let Ok(upgrade) = WebSocketUpgrade::from_request_parts(&mut parts, &state).await else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "this endpoint takes WebSocket upgrades (graphql-transport-ws)",
        );
    };
    let Ok(connection) = state.ws_connections.clone().try_acquire_owned() else {
        return limits::service_unavailable("too many subscription connections, retry shortly");
    };
    let client_ip = client_ip::of(&parts, &state.config.http.trusted_proxies);
    let request_id = super::request_id(&parts);
    let api = state.api.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            // Held for as long as the connection lives.
            let _connection = connection;
            let (mut sink, mut stream) = socket.split();
            let first = match tokio::time::timeout(INIT_TIMEOUT, stream.next()).await {
                Ok(Some(first)) => first,
                Ok(None) => return,
                Err(_) => {
                    let close = CloseFrame {
                        code: 4408,
                        reason: "Connection initialisation timeout".into(),
                    };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    return;
                }
            };
            let (credential_tx, credential_rx) = oneshot::channel();
            let lapsed = Arc::new(AtomicBool::new(false));
            let watch = credential_lapsed(state.clone(), credential_rx, lapsed.clone());
            let stream = futures_util::stream::iter([first])
                .chain(stream)
                .take_until(watch);
            GraphQLWebSocket::new_with_pair(&mut sink, stream, api, protocol)
                .on_connection_init(move |payload| {
                    connection_init(state, payload, client_ip, request_id, credential_tx)
                })
                .serve()
                .await;
            if lapsed.load(Ordering::Acquire) {
                let close = CloseFrame {
                    code: 4403,
                    reason: "UNAUTHENTICATED: the credential has expired or was revoked".into(),
                };
                let _ = sink.send(Message::Close(Some(close))).await;
            }
        })
}

/// Completes (setting `lapsed`) once the credential accepted by `connection_init` no longer
/// authenticates, checked every `credential_recheck`; never, when the connection was refused.
/// A database that is briefly unavailable is not a lapse: the check runs again later.
async fn credential_lapsed(
    state: AppState,
    credential: oneshot::Receiver<String>,
    lapsed: Arc<AtomicBool>,
) {
    let Ok(token) = credential.await else {
        return std::future::pending().await;
    };
    let every = state.config.subscriptions.credential_recheck;
    loop {
        tokio::time::sleep(every).await;
        if let Err(AppError::Unauthenticated | AppError::InvalidCredentials) =
            actors::from_bearer(&state.db, &state.auth, &token, state.auth.now()).await
        {
            lapsed.store(true, Ordering::Release);
            return;
        }
    }
}

/// The connection's data: the caller (as `POST /graphql` builds it) and its subscription slots.
/// An error closes the connection with the error's message as the close reason.
async fn connection_init(
    state: AppState,
    payload: serde_json::Value,
    client_ip: Option<IpAddr>,
    request_id: String,
    accepted: oneshot::Sender<String>,
) -> async_graphql::Result<Data> {
    let actor = match authenticate(&state, &payload).await {
        Ok(actor) => actor,
        Err(err) => {
            // Failed credentials count against the client IP, as on POST /graphql.
            if let Err(limited) = state.rate_limits.anonymous(client_ip) {
                return Err(refused(
                    ErrorCode::RateLimited,
                    &format!("too many requests, retry in {}s", limited.retry_after_secs),
                ));
            }
            return Err(err);
        }
    };
    if let Err(limited) = state.rate_limits.caller(actor.principal) {
        return Err(refused(
            ErrorCode::RateLimited,
            &format!("too many requests, retry in {}s", limited.retry_after_secs),
        ));
    }
    if let Some(token) = credential(&payload) {
        // Fails only when the connection is already gone.
        let _ = accepted.send(token.to_owned());
    }
    tracing::info!(request_id = %request_id, role = actor.role.as_str(), "subscription connection");
    let mut data = Data::default();
    data.insert(RequestContext {
        request_id,
        actor: Some(actor),
        // A connection lives for hours: `viewer` looks its account up on each use.
        account: None,
        client_ip,
        loaders: Loaders::new(&state.db),
        browser: Default::default(),
        // Subscriptions read the primary (their events follow its commits).
        replica: None,
    });
    data.insert(SubscriptionSlots::new(
        state.config.subscriptions.per_connection,
    ));
    Ok(data)
}

async fn authenticate(
    state: &AppState,
    payload: &serde_json::Value,
) -> async_graphql::Result<Actor> {
    let token = credential(payload).ok_or_else(|| {
        refused(
            ErrorCode::Unauthenticated,
            "send {\"Authorization\": \"Bearer <token>\"} in connection_init",
        )
    })?;
    match actors::from_bearer(&state.db, &state.auth, token, state.auth.now()).await {
        Ok(authenticated) => Ok(authenticated.actor),
        Err(AppError::Unauthenticated | AppError::InvalidCredentials) => Err(refused(
            ErrorCode::Unauthenticated,
            "the token or API key is invalid, expired or revoked",
        )),
        Err(AppError::Unavailable) => Err(refused(
            ErrorCode::ServiceUnavailable,
            "no database connection is free, retry shortly",
        )),
        Err(err) => {
            tracing::error!(error = %err, "subscription authentication failed");
            Err(refused(ErrorCode::Internal, "internal error"))
        }
    }
}

/// The credential of a `connection_init` payload: `Authorization`, `authorization` or `token`,
/// with or without the `Bearer ` prefix (parsed as the `Authorization` header is).
fn credential(payload: &serde_json::Value) -> Option<&str> {
    let object = payload.as_object()?;
    let raw = ["Authorization", "authorization", "token"]
        .iter()
        .find_map(|key| object.get(*key)?.as_str())?
        .trim();
    let token = auth::parse_bearer(raw).unwrap_or(raw);
    (!token.is_empty()).then_some(token)
}

/// A refusal of the connection; graphql-transport-ws sends the message as the close reason
/// (code 1002), so it starts with the code: `UNAUTHENTICATED: ...`.
fn refused(code: ErrorCode, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("{code}: {message}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::credential;

    #[test]
    fn credentials_come_from_the_documented_keys() {
        assert_eq!(
            credential(&json!({"Authorization": "Bearer abc"})),
            Some("abc")
        );
        assert_eq!(
            credential(&json!({"authorization": "bearer abc "})),
            Some("abc")
        );
        assert_eq!(credential(&json!({"token": "pg_key"})), Some("pg_key"));
        assert_eq!(credential(&json!({"token": "Bearer  "})), None);
        assert_eq!(credential(&json!({"other": "abc"})), None);
        assert_eq!(credential(&json!(null)), None);
    }
}
