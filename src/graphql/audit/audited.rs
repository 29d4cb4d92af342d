//! Every top-level mutation field runs inside an audit [`Scope`] (see
//! [`crate::service::audit::scope`]), and a successful mutation by staff or an API key that
//! recorded no entry is caught here: a new mutation cannot forget rule 9.
//!
//! The wrapper sits on the mutation root itself rather than in a schema extension, so queries
//! pay nothing for it (an extension's `resolve` hook would run for every field of every
//! query). What a forgotten entry does:
//! - debug builds (every test) answer the mutation with an INTERNAL error, so any test that
//!   runs it fails;
//! - release builds log an error with the operation and request id, and answer as usual (the
//!   change is committed by then; failing the answer would only make the caller retry it).

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_container_serial;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, ObjectType, OutputType, Positioned, ServerResult,
    Value,
};

use crate::error::AppError;
use crate::graphql::context::{self, RequestContext};
use crate::service::audit::{self, Scope};

/// Mutations that never write an entry, whoever calls them: sign-up and sign-in, the password
/// reset by mail link (all anonymous, even when a token comes along), and a creator's own
/// settings. Rule 9 names staff and keys acting on the brand.
pub const NOT_AUDITED: &[&str] = &[
    "registerBrand",
    "login",
    "refreshSession",
    "acceptInvite",
    "requestPasswordReset",
    "resetPassword",
    "updateNotificationSettings",
];

/// The mutation root `M`, audited.
#[derive(Default)]
pub struct Audited<M>(pub M);

impl<M: ObjectType> OutputType for Audited<M> {
    fn type_name() -> Cow<'static, str> {
        M::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        M::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_container_serial(ctx, self).await
    }
}

impl<M: ObjectType> ContainerType for Audited<M> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        let operation = ctx.item.node.name.node.as_str();
        let request = ctx.data_opt::<RequestContext>();
        let request_id = request.map_or("", |request| request.request_id.as_str());
        let actor = request
            .and_then(|request| request.actor.as_ref())
            .filter(|_| !NOT_AUDITED.contains(&operation));
        let scope = Scope::new(actor, request_id, operation, context::now(ctx));
        let result = audit::within(scope.clone(), self.0.resolve_field(ctx)).await;
        if matches!(result, Ok(Some(_))) && scope.is_audited() && scope.recorded() == 0 {
            tracing::error!(operation, request_id, "mutation recorded no audit entry");
            if cfg!(debug_assertions) {
                let err = async_graphql::Error::new_with_source(AppError::internal(format!(
                    "{operation} recorded no audit entry"
                )));
                return Err(ctx.set_error_path(err.into_server_error(ctx.item.pos)));
            }
        }
        result
    }
}

impl<M: ObjectType> ObjectType for Audited<M> {}
