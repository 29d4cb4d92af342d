//! Gives every GraphQL error an `extensions.code` and masks what must not leak.
//!
//! - parse errors: GRAPHQL_PARSE_FAILED; validation errors: GRAPHQL_VALIDATION_FAILED, except
//!   argument values of the wrong type (from variables or literals): BAD_USER_INPUT;
//! - a resolver's [`AppError`]: its own code (and `field` for BAD_USER_INPUT);
//! - an error the framework raised without a source (argument or variable coercion):
//!   BAD_USER_INPUT;
//! - any other error with a source (a foreign error type that slipped through): INTERNAL, with the
//!   message replaced and the detail logged.
//!
//! INTERNAL errors carry `extensions.requestId` so that support can find the log line.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensionValues, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::context::RequestContext;
use crate::error::{AppError, ErrorCode};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Limits checked after parsing (`super::limits`) bring their own code.
        next.run(ctx, query, variables).await.map_err(|err| {
            if code_of(&err).is_some() {
                err
            } else {
                with_code(err, ErrorCode::GraphqlParseFailed)
            }
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|err| {
                    let code = validation_code(&err.message);
                    let field = invalid_argument(&err.message).map(str::to_owned);
                    let mut err = with_code(err, code);
                    if let Some(field) = field {
                        err.extensions
                            .get_or_insert_with(ErrorExtensionValues::default)
                            .set("field", field);
                    }
                    err
                })
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let request_id = ctx
            .data_opt::<RequestContext>()
            .map(|request| request.request_id.as_str())
            .unwrap_or("");
        for err in &mut response.errors {
            classify(err, request_id);
        }
        response
    }

    /// Subscriptions do not pass through `execute`: each response of the stream is classified.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let request_id = ctx
            .data_opt::<RequestContext>()
            .map(|request| request.request_id.clone())
            .unwrap_or_default();
        next.run(ctx, stream)
            .map(move |mut response| {
                for err in &mut response.errors {
                    classify(err, &request_id);
                }
                response
            })
            .boxed()
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
