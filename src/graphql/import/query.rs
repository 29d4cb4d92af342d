use async_graphql::{Context, ID, Object};

use super::types::Import;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::imports;

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// Staff and INGEST keys: an import of the brand, with its progress and rejected rows.
    async fn import(&self, ctx: &Context<'_>, id: ID) -> Result<Import, AppError> {
        let raw = id::decode_as(&id, NodeKind::Import, "id")?;
        let record = imports::get(context::db(ctx)?, context::actor(ctx)?, raw).await?;
        Ok(Import(record))
    }

    /// Staff and INGEST keys: the brand's imports, oldest first.
    async fn imports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Import>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = imports::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |i| i.id, Import))
    }
}
