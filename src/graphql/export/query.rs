use async_graphql::{Context, ID, Object};

use super::types::Export;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::exports;

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// An export the caller may see: staff their brand's, a key or a creator its own.
    async fn export(&self, ctx: &Context<'_>, id: ID) -> Result<Export, AppError> {
        let export_id = id::decode_as(&id, NodeKind::Export, "id")?;
        let row = exports::get(context::db(ctx)?, context::actor(ctx)?, export_id).await?;
        Ok(Export(row))
    }

    /// The exports the caller may see, oldest first.
    async fn exports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Export>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = exports::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |e| e.id, Export))
    }
}
