//! Per-request data the HTTP layer puts into every GraphQL request, and accessors for resolvers.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::Context;

use super::loaders::Loaders;
use super::reads::ReplicaReads;
use crate::auth::{Actor, Auth};
use crate::db::entity::user;
use crate::error::AppError;

pub struct RequestContext {
    pub request_id: String,
    pub actor: Option<Actor>,
    /// The caller's account as authentication read it (a session's, from the credential
    /// cache), so that `viewer` needs no second look-up; `None` for API keys and over WebSocket.
    pub account: Option<Arc<user::Model>>,
    pub client_ip: Option<IpAddr>,
    /// Loaders over the primary.
    pub loaders: Loaders,
    pub browser: BrowserRequest,
    /// The read replica a query may read (none: everything reads the primary).
    pub replica: Option<ReplicaReads>,
}

/// What the refresh-token cookie flow needs from the HTTP request
/// ([`super::account::refresh_cookie`]); empty over WebSocket.
#[derive(Debug, Default)]
pub struct BrowserRequest {
    /// The refresh token of the request's cookie.
    pub refresh_cookie: Option<String>,
    /// Whether the request's `Origin` may use the cookie (the CSRF check, made by the HTTP
    /// layer against this server's origin and `PARTNERGRAPH_CORS_ORIGINS`); false without one.
    pub may_use_cookie: bool,
}

fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext, AppError> {
    ctx.data::<RequestContext>()
        .map_err(|_| AppError::internal("request context missing"))
}

/// The authenticated caller, or UNAUTHENTICATED.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, AppError> {
    request(ctx)?
        .actor
        .as_ref()
        .ok_or(AppError::Unauthenticated)
}

/// The caller's account as authentication read it, if it did ([`RequestContext::account`]).
pub fn account<'a>(ctx: &Context<'a>) -> Option<&'a Arc<user::Model>> {
    request(ctx).ok().and_then(|r| r.account.as_ref())
}

pub fn browser<'a>(ctx: &Context<'a>) -> Result<&'a BrowserRequest, AppError> {
    Ok(&request(ctx)?.browser)
}

pub fn client_ip(ctx: &Context<'_>) -> Option<IpAddr> {
    request(ctx).ok().and_then(|r| r.client_ip)
}

/// The request's loaders: over the replica in a query that may read it ([`super::reads`]),
/// else over the primary.
pub fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, AppError> {
    let request = request(ctx)?;
    match replica(ctx, request) {
        Some((_, loaders)) => Ok(loaders),
        None => Ok(&request.loaders),
    }
}

/// The database to read and write: the replica in a query that may read it
/// ([`super::reads`]), else the primary.
pub fn db<'a>(ctx: &Context<'a>) -> Result<&'a sea_orm::DatabaseConnection, AppError> {
    if let Ok(request) = request(ctx)
        && let Some((pool, _)) = replica(ctx, request)
    {
        return Ok(pool);
    }
    ctx.data::<sea_orm::DatabaseConnection>()
        .map_err(|_| AppError::internal("database missing from schema data"))
}

/// The replica's pool and loaders, if the request has them and its operation may read them.
/// The operation is async-graphql's (hidden but public) `query_env`, as `limits` reads the
/// registry from `schema_env`.
fn replica<'a>(
    ctx: &Context<'a>,
    request: &'a RequestContext,
) -> Option<(&'a sea_orm::DatabaseConnection, &'a Loaders)> {
    let reads = request.replica.as_ref()?;
    reads.for_operation(&ctx.query_env.operation.node, &ctx.query_env.fragments)
}

/// The process's cache of computed reports for their next pages (none in a schema built
/// without one: every page is computed).
pub fn report_cache<'a>(ctx: &Context<'a>) -> Option<&'a crate::service::performance::ReportCache> {
    ctx.data::<Arc<crate::service::performance::ReportCache>>()
        .ok()
        .map(Arc::as_ref)
}

/// Where links in mail point (the configured app URL).
pub fn links<'a>(ctx: &Context<'a>) -> Result<&'a crate::service::mail::Links, AppError> {
    ctx.data::<crate::service::mail::Links>()
        .map_err(|_| AppError::internal("mail links missing from schema data"))
}

/// The key that seals stored signing secrets (`PARTNERGRAPH_SECRET_KEY`).
pub fn sealing_key<'a>(ctx: &Context<'a>) -> Result<&'a crate::auth::seal::SealingKey, AppError> {
    ctx.data::<crate::auth::seal::SealingKey>()
        .map_err(|_| AppError::internal("sealing key missing from schema data"))
}

pub fn auth<'a>(ctx: &Context<'a>) -> Result<&'a Arc<Auth>, AppError> {
    ctx.data::<Arc<Auth>>()
        .map_err(|_| AppError::internal("auth missing from schema data"))
}

/// Drops a new or changed link from this process's redirect cache (a cached "unknown code" for a
/// new link included) at once. Other processes are told by the write itself on PostgreSQL
/// ([`crate::events::caches`]); on SQLite there is no other process.
pub fn invalidate_link(ctx: &Context<'_>, code: &str) {
    if let Ok(tracking) = ctx.data::<Arc<crate::tracking::Tracking>>() {
        tracking.links.invalidate(code);
    }
}

/// The current time, from the schema's clock (the system clock in a schema built without one).
/// The one source of `now` for the services resolvers call (see [`crate::clock`]).
pub fn now(ctx: &Context<'_>) -> chrono::DateTime<chrono::Utc> {
    use crate::clock::{Clock, SystemClock};
    ctx.data::<Arc<dyn Clock>>()
        .map(|clock| clock.now())
        .unwrap_or_else(|_| SystemClock.now())
}

/// The schema's clock, for work that outlives the request (imports read it per chunk).
pub fn clock(ctx: &Context<'_>) -> Arc<dyn crate::clock::Clock> {
    ctx.data::<Arc<dyn crate::clock::Clock>>()
        .cloned()
        .unwrap_or_else(|_| Arc::new(crate::clock::SystemClock))
}

/// Counts events that ingestion stored (duplicates and rejections excluded) for `/metrics`.
pub fn count_ingested(ctx: &Context<'_>, kind: &str, stored: usize) {
    if let Ok(metrics) = ctx.data::<Arc<crate::prometheus::Metrics>>() {
        metrics.ingested(kind, stored as u64);
    }
}
