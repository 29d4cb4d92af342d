use async_graphql::{Context, Object};

use super::types::{AuditEntry, AuditLogFilter};
use crate::error::AppError;
use crate::graphql::connection::{Cursor, Page, PageRequest, page};
use crate::graphql::context;
use crate::service::audit;

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// ADMIN: who changed what in the brand, newest first (DOMAIN rule 9). MANAGER and ANALYST
    /// are FORBIDDEN.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<AuditEntry>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let filter = filter.unwrap_or_default().into_service()?;
        let after = request.after.as_ref().map(Cursor::as_id).transpose()?;
        let (rows, total) = audit::entries(
            context::db(ctx)?,
            context::actor(ctx)?,
            filter,
            after,
            request.fetch_limit(),
            request.count,
        )
        .await?;
        Ok(page(
            &request,
            rows,
            total,
            |row| Cursor::from_id(row.id),
            AuditEntry,
        ))
    }
}
