//! Gives every GraphQL error an `extensions.code` and masks what must not leak.
//!
//! - parse errors: GRAPHQL_PARSE_FAILED ([`parse_failed`], raised by `super::limits`);
//! - errors raised before any field runs (they have no path: validation, an unknown operation
//!   name): GRAPHQL_VALIDATION_FAILED, except argument values of the wrong type (from variables
//!   or literals): BAD_USER_INPUT, with the argument in `field`;
//! - a resolver's [`AppError`]: its own code (and `field` for BAD_USER_INPUT);
//! - an error the framework raised without a source (argument or variable coercion):
//!   BAD_USER_INPUT;
//! - any other error with a source (a foreign error type that slipped through): INTERNAL, with the
//!   message replaced and the detail logged.
//!
//! INTERNAL errors carry `extensions.requestId` so that support can find the log line. Errors
//! that already have a code (the limits', a persisted query's) keep it. [`super::executor`]
//! classifies every answer, on POST and on the WebSocket.

use async_graphql::{ErrorExtensionValues, Response, ServerError};

use crate::error::{AppError, ErrorCode};

/// A text that does not parse: GRAPHQL_PARSE_FAILED, with the parser's message and position.
pub fn parse_failed(err: async_graphql::parser::Error) -> ServerError {
    with_code(err.into(), ErrorCode::GraphqlParseFailed)
}

/// Gives every error of `response` its code (see the module's documentation); `request_id` goes
/// with INTERNAL errors.
pub fn classify_all(response: &mut Response, request_id: &str) {
    for err in &mut response.errors {
        classify(err, request_id);
    }
}

/// A value that does not fit its argument's type (an unknown enum value, a malformed scalar, a
/// missing required input field) is the caller's input, not a broken document.
fn validation_code(message: &str) -> ErrorCode {
    if message.starts_with("Invalid value for argument") {
        ErrorCode::BadUserInput
    } else {
        ErrorCode::GraphqlValidationFailed
    }
}

/// The argument a value error names, as its path (`orderBy.metric`, `filter.from`): the
/// `extensions.field` of the error, like a resolver's input errors.
fn invalid_argument(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    rest.split_once('"').map(|(path, _)| path)
}

pub fn code_of(err: &ServerError) -> Option<String> {
    err.extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .map(|value| value.to_string().trim_matches('"').to_owned())
}

fn with_code(mut err: ServerError, code: ErrorCode) -> ServerError {
    err.extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code.as_str());
    err
}

fn classify(err: &mut ServerError, request_id: &str) {
    if code_of(err).is_some() {
        return;
    }
    let extensions = err
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    let code = if let Some(app) = err
        .source
        .as_ref()
        .and_then(|s| s.downcast_ref::<AppError>())
    {
        if let Some(field) = app.field() {
            extensions.set("field", field);
        }
        if let AppError::RateLimited { retry_after_secs } = app {
            extensions.set("retryAfter", *retry_after_secs);
        }
        if let AppError::Unavailable = app {
            extensions.set("retryAfter", crate::error::RETRY_AFTER_BUSY_SECS);
        }
        if let AppError::Internal(detail) = app {
            tracing::error!(request_id, path = ?err.path, %detail, "internal error");
        }
        app.code()
    } else if err.source.is_some() {
        tracing::error!(request_id, path = ?err.path, detail = %err.message, "unclassified error");
        err.message = "internal error".into();
        ErrorCode::Internal
    } else if err.path.is_empty() {
        // Raised before any field ran: validation (or the choice of the operation to run).
        if let Some(field) = invalid_argument(&err.message) {
            extensions.set("field", field);
        }
        validation_code(&err.message)
    } else {
        ErrorCode::BadUserInput
    };
    extensions.set("code", code.as_str());
    if code == ErrorCode::Internal {
        extensions.set("requestId", request_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_errors_are_the_callers_and_name_their_argument() {
        let message = "Invalid value for argument \"orderBy.metric\", enumeration type \
                       \"PerformanceMetric\" does not contain the value \"PROFIT\"";
        assert_eq!(validation_code(message), ErrorCode::BadUserInput);
        assert_eq!(invalid_argument(message), Some("orderBy.metric"));
        let unknown = "Unknown field \"nope\" on type \"Query\".";
        assert_eq!(validation_code(unknown), ErrorCode::GraphqlValidationFailed);
        assert_eq!(invalid_argument(unknown), None);
    }
}
