//! One error type for the whole server, mapped to GraphQL `extensions.code`.
//!
//! Services return [`AppError`]; resolvers let it flow into `async_graphql::Error` with `?` (the
//! blanket conversion keeps the value as the error's source), and the [`crate::graphql::errors`]
//! extension reads it back to set the code. Internal detail is logged, never sent.

use std::fmt;

use sea_orm::{ConnAcquireErr, DbErr, SqlErr};

/// Seconds a shed or pool-starved client is told to wait (`Retry-After`, `extensions.retryAfter`).
pub const RETRY_AFTER_BUSY_SECS: u64 = 1;

/// The codes a client can branch on. Document-level failures use the codes clients already know
/// from Apollo (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`); `BAD_REQUEST` is an HTTP
/// body that is not a single GraphQL request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    /// Saturated (too many requests in flight, no database connection free in time): retry.
    ServiceUnavailable,
    /// The request took longer than the request timeout.
    Timeout,
    Internal,
    BadRequest,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    /// A persisted query's hash that this process does not know: send the query with it.
    PersistedQueryNotFound,
    /// A persisted query's hash that is not the SHA-256 of the query sent with it.
    PersistedQueryHashMismatch,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::Timeout => "TIMEOUT",
            Self::Internal => "INTERNAL",
            Self::BadRequest => "BAD_REQUEST",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong email or password, or a bad refresh token: one answer, whatever was wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    /// Missing and foreign (another brand's) objects answer the same.
    #[error("not found")]
    NotFound,
    #[error("{field}: {message}")]
    BadUserInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests, retry in {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// No database connection became free within the acquire timeout: the pool is exhausted.
    #[error("the service is busy, retry shortly")]
    Unavailable,
    /// The detail is for the log only; clients see "internal error".
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A broken domain rule, `(field, message)`, as BAD_USER_INPUT.
    pub fn invalid((field, message): (&str, String)) -> Self {
        Self::bad_input(field, message)
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::BadUserInput { .. } => ErrorCode::BadUserInput,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The input field the error is about, for `extensions.field`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadUserInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if matches!(err, DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)) {
            tracing::warn!("database pool exhausted: no connection within the acquire timeout");
            return Self::Unavailable;
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                tracing::debug!(error = %err, "unique constraint violation");
                Self::Conflict("already exists".into())
            }
            _ => {
                tracing::error!(error = %err, "database error");
                Self::Internal("database error".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_nothing_about_their_cause() {
        let err = AppError::internal("SELECT * FROM users failed at /srv/db.rs:10");
        assert_eq!(err.to_string(), "internal error");
        assert_eq!(err.code().as_str(), "INTERNAL");
    }

    #[test]
    fn bad_input_names_the_field() {
        let err = AppError::bad_input("currencyCode", "unknown currency");
        assert_eq!(err.to_string(), "currencyCode: unknown currency");
        assert_eq!(err.field(), Some("currencyCode"));
        assert_eq!(err.code(), ErrorCode::BadUserInput);
    }

    #[test]
    fn an_exhausted_pool_is_unavailable_not_internal() {
        let err = AppError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
        let err = AppError::from(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
        assert_eq!(err.code(), ErrorCode::Internal);
    }

    #[test]
    fn database_errors_become_internal() {
        let err = AppError::from(DbErr::Custom("relation \"users\" does not exist".into()));
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(!err.to_string().contains("users"));
    }
}
