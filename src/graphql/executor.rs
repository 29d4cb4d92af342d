//! Runs operations. Every one, on `POST /graphql` and on the WebSocket, passes the document
//! limits and the introspection policy ([`super::limits`]) before the schema executes it; its
//! answer then gets its error codes ([`super::errors`]) and the query's field order
//! ([`super::ordering`]). On `POST /graphql`, a request that passed validation before (the same
//! text, operation and variables) runs on a copy of the schema that skips the rules it passed
//! ([`super::validated`]).
//!
//! That copy also has async-graphql's federation flag set, for what the flag skips, not for
//! federation: with it unset, async-graphql scans every type of the schema for entity keys
//! before each root field it resolves (`Registry::has_entities`), 7.5% of the instructions of
//! `{ viewer { email } }` (BENCHMARKS.md, session 24); with it set, it compares the field's name
//! with `_entities` and `_service` instead. The flag adds those two fields and their types to
//! the copy's registry, and nothing of them reaches a caller: a request reaches the copy only
//! after passing validation on the schema that has no such fields, and a request that
//! introspects (which would read the copy's registry) is never kept ([`Api::execute`]).
//!
//! These steps wrap the schema rather than being async-graphql extensions. With any extension
//! installed, async-graphql runs every field of an answer through the extensions' `resolve`
//! hooks: a boxed future per extension, a registry look-up per field and a type name allocated
//! per list item. With none, it resolves fields directly. The steps here are per operation, so
//! they cost nothing per field (BENCHMARKS.md, session 16).

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::futures_util::FutureExt;
use async_graphql::{Data, Executor, Request, Response, SchemaEnv, ServerResult, ValidationMode};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::context::RequestContext;
use super::limits::{self, Limits};
use super::validated::{self, ValidatedRequests};
use super::{AppSchema, AppSchemaBuilder, errors, ordering, schema_builder};
use crate::config::GraphqlConfig;

/// The API: the schema with the steps around it. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    schema: AppSchema,
    /// The same schema validating only what execution needs, for requests that passed the
    /// full validation before ([`validated`]), with the federation flag set (module docs).
    revalidated: AppSchema,
    validated: Arc<ValidatedRequests>,
    limits: Arc<Limits>,
}

impl Api {
    /// The schema of the builder `build` makes ([`schema_builder`] for `config`, with its
    /// runtime data); it is called twice.
    pub fn new(build: impl Fn() -> AppSchemaBuilder, config: &GraphqlConfig) -> Self {
        Self {
            schema: build().validation_mode(ValidationMode::Strict).finish(),
            revalidated: build()
                .validation_mode(ValidationMode::Fast)
                .enable_federation()
                .finish(),
            validated: Arc::new(ValidatedRequests::new(validated::CAPACITY)),
            limits: Arc::new(Limits::new(config, schema_env(config))),
        }
    }

    /// The caller's id and whether it may introspect, from the request context in `data`.
    fn caller(&self, data: &Data) -> (String, bool) {
        let context = data
            .get(&TypeId::of::<RequestContext>())
            .and_then(|data| data.downcast_ref::<RequestContext>());
        let actor = context.and_then(|context| context.actor.as_ref());
        let request_id = context.map(|context| context.request_id.clone());
        (
            request_id.unwrap_or_default(),
            self.limits.may_introspect(actor),
        )
    }
}

impl Executor for Api {
    /// The request carries its [`RequestContext`] in its data (`POST /graphql`).
    async fn execute(&self, mut request: Request) -> Response {
        let (request_id, may_introspect) = self.caller(&request.data);
        let key = validated::Key::of(&request);
        let passed = key.as_ref().and_then(|key| self.validated.passed(key));
        let (document, points) = match self.limits.check(&mut request, may_introspect, passed) {
            Ok(checked) => checked,
            Err(err) => return refused(err, &request_id),
        };
        let operation_name = request.operation_name.clone();
        let mut response = match key {
            Some(_) if passed.is_some() => self.revalidated.execute(request).await,
            Some(key) => {
                let response = self.schema.execute(request).await;
                // A request refused by validation answers without data. One that introspects
                // would read the other copy's registry (module docs).
                if !matches!(response.data, async_graphql::Value::Null)
                    && !limits::introspects(&document)
                {
                    self.validated.keep(key, points);
                }
                response
            }
            None => self.schema.execute(request).await,
        };
        errors::classify_all(&mut response, &request_id);
        ordering::in_query_order(&mut response, &document, operation_name.as_deref());
        response
    }

    /// The connection's data carries the [`RequestContext`] (the WebSocket's `connection_init`).
    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session_data = session_data.unwrap_or_default();
        let (request_id, may_introspect) = self.caller(&session_data);
        let document = match self.limits.check(&mut request, may_introspect, None) {
            Ok((document, _)) => document,
            Err(err) => {
                return futures_util::stream::once(async move { refused(err, &request_id) })
                    .boxed();
            }
        };
        let operation_name = request.operation_name.clone();
        self.schema
            .execute_stream_with_session_data(request, session_data)
            .map(move |mut response| {
                errors::classify_all(&mut response, &request_id);
                ordering::in_query_order(&mut response, &document, operation_name.as_deref());
                response
            })
            .boxed()
    }
}

/// The answer to a request the limits refused: the error alone, no data.
fn refused(err: async_graphql::ServerError, request_id: &str) -> Response {
    let mut response = Response::from_errors(vec![err]);
    errors::classify_all(&mut response, request_id);
    response
}

/// The schema's types, for costing documents. async-graphql hands its registry to extensions
/// only: a copy of the schema with one extension that keeps it runs `{ __typename }` once, at
/// start-up, and only that copy's environment (types and directives) is kept.
fn schema_env(config: &GraphqlConfig) -> SchemaEnv {
    let kept = Arc::new(OnceLock::new());
    let copy = schema_builder(config)
        .extension(KeepEnv(kept.clone()))
        .finish();
    // Nothing in `{ __typename }` waits: it completes on its first poll.
    let _ = copy
        .execute("{ __typename }")
        .now_or_never()
        .expect("`{ __typename }` completes at once");
    kept.get()
        .cloned()
        .expect("the schema's extension saw the request")
}

struct KeepEnv(Arc<OnceLock<SchemaEnv>>);

impl ExtensionFactory for KeepEnv {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(KeepEnv(self.0.clone()))
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for KeepEnv {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let _ = self.0.set(ctx.schema_env.clone());
        next.run(ctx, request).await
    }
}
