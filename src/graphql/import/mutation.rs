use async_graphql::{Context, Object, Upload};

use super::types::Import;
use crate::error::AppError;
use crate::graphql::context;
use crate::service::imports::{self, ImportKind};

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// MANAGER, ADMIN: creators with their channels from a CSV file (columns `displayName`,
    /// `email`, `country`, `niches`, `channels`; see docs/integrators.md). Answers at once; the
    /// rows are imported in the background (poll `import(id:)`).
    async fn import_creators(&self, ctx: &Context<'_>, file: Upload) -> Result<Import, AppError> {
        start(ctx, ImportKind::Creators, file).await
    }

    /// INGEST keys: conversions from a CSV file, each row as an item of `recordConversions`
    /// (columns are its fields: `externalId`, `occurredAt`, `amount`, ...). Answers at once; the
    /// rows are imported in the background (poll `import(id:)`).
    async fn import_conversions(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> Result<Import, AppError> {
        start(ctx, ImportKind::Conversions, file).await
    }
}

async fn start(ctx: &Context<'_>, kind: ImportKind, file: Upload) -> Result<Import, AppError> {
    let actor = context::actor(ctx)?;
    let upload = file
        .value(ctx)
        .map_err(|err| AppError::internal(format!("reading an upload: {err}")))?;
    let record = imports::start(
        context::db(ctx)?,
        actor,
        kind,
        imports::Upload {
            file_name: upload.filename,
            content: upload.content,
        },
        context::clock(ctx),
    )
    .await?;
    Ok(Import(record))
}
