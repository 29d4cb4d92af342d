use async_graphql::{Context, Object};

use super::types::Campaign;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::enums::CampaignStatus;
use crate::service::campaigns;

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Staff: the brand's campaigns, oldest first, optionally of one status.
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<CampaignStatus>,
    ) -> Result<Page<Campaign>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = campaigns::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            status.map(Into::into),
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |c| c.id, Campaign))
    }
}
