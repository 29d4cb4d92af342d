//! Per-request data the HTTP layer puts into every GraphQL request.

use async_graphql::Context;

use crate::auth::Actor;
use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub actor: Option<Actor>,
}

/// The authenticated caller, or UNAUTHENTICATED.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, AppError> {
    ctx.data_opt::<RequestContext>()
        .and_then(|request| request.actor.as_ref())
        .ok_or(AppError::Unauthenticated)
}

pub fn db<'a>(ctx: &Context<'a>) -> Result<&'a sea_orm::DatabaseConnection, AppError> {
    ctx.data::<sea_orm::DatabaseConnection>()
        .map_err(|_| AppError::internal("database missing from schema data"))
}
