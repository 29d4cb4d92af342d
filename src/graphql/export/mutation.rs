use async_graphql::{Context, Object};

use super::types::{Export, ExportFilter, ExportFormat, ExportKind};
use crate::error::AppError;
use crate::graphql::context;
use crate::service::exports;

#[derive(Default)]
pub struct ExportMutation;

#[Object]
impl ExportMutation {
    /// Starts a bulk export, written in the background: follow it with `export(id:)` until
    /// COMPLETED, then download `url` (valid 24 hours); brands also get an `export.completed`
    /// webhook. ADMIN, MANAGER, ANALYST: any kind; an API key with READ_CHANGES: CONVERSIONS;
    /// a CREATOR: COMMISSIONS (its own lines, across its brands). At most 5 exports of a brand
    /// (or creator account) wait or run at once (CONFLICT past it).
    async fn start_export(
        &self,
        ctx: &Context<'_>,
        kind: ExportKind,
        format: ExportFormat,
        filter: Option<ExportFilter>,
    ) -> Result<Export, AppError> {
        let filter = filter.unwrap_or_default().into_rules()?;
        let row = exports::start(
            context::db(ctx)?,
            context::actor(ctx)?,
            exports::NewExport {
                kind: kind.into(),
                format: format.into(),
                filter,
            },
            context::now(ctx),
        )
        .await?;
        Ok(Export(row))
    }
}
