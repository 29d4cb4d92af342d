//! The caller of an HTTP endpoint, from `Authorization: Bearer <access token | pg_ API key>`.
//!
//! Every endpoint that takes the header (`POST /graphql`, `POST /postback/conversions`, and any
//! later one) extracts [`Caller`] (credential required) or `Option<Caller>` (anonymous calls
//! allowed), so that all of them parse, resolve, rate limit and refuse the same way:
//!
//! - The scheme is matched in any case (RFC 9110 §11.1) and whitespace around and after it is
//!   ignored: `bearer  <token>` works like `Bearer <token>`.
//! - The token resolves through [`actors::from_bearer`] (an API key or a live session's access
//!   token).
//! - Rate limits ([`super::rate_limit`]) run here, before the body is read: a caller by its own
//!   bucket; no credential, or one that does not verify, by the client IP's (so guessing keys is
//!   limited like logging in).
//! - A refusal is 401 `UNAUTHENTICATED` in the GraphQL error shape with
//!   `WWW-Authenticate: Bearer` (RFC 6750 §3; `error="invalid_token"` when a credential was
//!   sent but is not a valid bearer token), 429 past a limit, 503 without a free database
//!   connection.
//!
//! The WebSocket endpoint takes the same text from `connection_init` and parses it with
//! [`parse_bearer`].

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use std::sync::Arc;

use super::problem::{error_response, internal_error};
use super::rate_limit::Limited;
use super::{AppState, client_ip, limits};
use crate::auth::Actor;
use crate::db::entity::user;
use crate::error::{AppError, ErrorCode};
use crate::service::actors::{self, Authenticated};

/// The authenticated caller of a request. Extract `Option<Caller>` where anonymous calls are
/// allowed: no `Authorization` header is then `None`, while a header that does not authenticate
/// is still refused (never downgraded to anonymous).
#[derive(Clone)]
pub struct Caller {
    pub actor: Actor,
    /// A session's account, read with it ([`actors::Authenticated`]); `None` for an API key.
    pub account: Option<Arc<user::Model>>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        resolve(parts, state).await?.ok_or(Refusal::Missing)
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Refusal> {
        resolve(parts, state).await
    }
}

/// Why a request has no caller; answered the same way by every endpoint.
#[derive(Debug)]
pub enum Refusal {
    /// No `Authorization` header where a caller is required.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
    /// A token or key that is invalid, expired or revoked.
    Invalid,
    /// Over the rate limit of the caller or, without a valid credential, of the client IP.
    Limited(Limited),
    /// No database connection was free to resolve the credential.
    Unavailable,
    /// Resolving the credential failed; the detail is logged under the request id.
    Internal { request_id: String },
}

impl From<Limited> for Refusal {
    fn from(limited: Limited) -> Self {
        Self::Limited(limited)
    }
}

/// `WWW-Authenticate` when no credential was sent (RFC 6750 §3.1: no error code).
const CHALLENGE: &str = "Bearer";
/// `WWW-Authenticate` when the credential sent is not a valid bearer token.
const INVALID_TOKEN_CHALLENGE: &str = "Bearer error=\"invalid_token\"";

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Missing => unauthenticated(
                "authentication required: send Authorization: Bearer <token>",
                CHALLENGE,
            ),
            Self::Malformed => {
                unauthenticated("use Authorization: Bearer <token>", INVALID_TOKEN_CHALLENGE)
            }
            Self::Invalid => unauthenticated(
                "the token or API key is invalid, expired or revoked",
                INVALID_TOKEN_CHALLENGE,
            ),
            Self::Limited(limited) => limited.into_response(),
            Self::Unavailable => {
                limits::service_unavailable("no database connection is free, retry shortly")
            }
            Self::Internal { request_id } => internal_error(&request_id),
        }
    }
}

fn unauthenticated(message: &str, challenge: &'static str) -> Response {
    let mut response = error_response(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        message,
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// The token of credentials text of the Bearer scheme (`Bearer <token>`, the scheme in any
/// case, whitespace around and after it ignored); `None` for text of another scheme. The token
/// may be empty (`"Bearer "`): callers refuse that.
pub fn parse_bearer(text: &str) -> Option<&str> {
    let text = text.trim();
    let (scheme, token) = text
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((text, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller, within its rate limit; `None` without an `Authorization` header (counted
/// against the client IP). The budget left in the bucket that was charged goes into the
/// request's extensions (a [`super::rate_limit::Budget`], read by `POST /graphql`).
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Caller>, Refusal> {
    let client_ip = client_ip::of(parts, &state.config.http.trusted_proxies);
    let limits = &state.rate_limits;
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        let budget = limits.anonymous(client_ip)?;
        parts.extensions.insert(budget);
        return Ok(None);
    };
    match authenticate(parts, state, value).await {
        Ok(Authenticated { actor, account }) => {
            let budget = limits.caller(actor.principal)?;
            parts.extensions.insert(budget);
            Ok(Some(Caller { actor, account }))
        }
        Err(refusal @ (Refusal::Malformed | Refusal::Invalid)) => {
            limits.anonymous(client_ip)?;
            Err(refusal)
        }
        Err(other) => Err(other),
    }
}

async fn authenticate(
    parts: &Parts,
    state: &AppState,
    value: &HeaderValue,
) -> Result<Authenticated, Refusal> {
    let token = value
        .to_str()
        .ok()
        .and_then(parse_bearer)
        .filter(|token| !token.is_empty())
        .ok_or(Refusal::Malformed)?;
    match actors::from_bearer(&state.db, &state.auth, token, state.auth.now()).await {
        Ok(authenticated) => Ok(authenticated),
        Err(AppError::Unauthenticated | AppError::InvalidCredentials) => Err(Refusal::Invalid),
        Err(AppError::Unavailable) => Err(Refusal::Unavailable),
        Err(err) => {
            let request_id = super::request_id(parts);
            tracing::error!(request_id = %request_id, error = %err, "authentication failed");
            Err(Refusal::Internal { request_id })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bearer;

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case_and_spacing() {
        for text in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR abc",
            "Bearer   abc",
            "  Bearer abc  ",
            "Bearer\tabc",
        ] {
            assert_eq!(parse_bearer(text), Some("abc"), "{text:?}");
        }
    }

    #[test]
    fn other_schemes_and_missing_tokens_are_told_apart() {
        assert_eq!(parse_bearer("Bearer"), Some(""));
        assert_eq!(parse_bearer("Bearer    "), Some(""));
        assert_eq!(parse_bearer("Basic abc"), None);
        assert_eq!(parse_bearer("Bearerabc"), None);
        assert_eq!(parse_bearer("token"), None);
        assert_eq!(parse_bearer("pg_key"), None);
        assert_eq!(parse_bearer(""), None);
    }
}
