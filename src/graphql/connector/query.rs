use async_graphql::{Context, Object};

use super::types::Connector;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::service::connectors::setup;

#[derive(Default)]
pub struct ConnectorQuery;

#[Object]
impl ConnectorQuery {
    /// ADMIN, MANAGER, ANALYST: the brand's store connectors, disabled ones included.
    async fn connectors(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Connector>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = setup::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |c| c.id, Connector))
    }
}
