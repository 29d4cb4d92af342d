use async_graphql::{Context, ID, Object};

use super::types::Experiment;
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::experiments;

#[derive(Default)]
pub struct ExperimentQuery;

#[Object]
impl ExperimentQuery {
    /// Staff: the brand's geo-holdout experiments, oldest first, optionally of one campaign.
    async fn experiments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last experiment seen.")] after: Option<String>,
        #[graphql(desc = "Only this campaign's experiments.")] campaign_id: Option<ID>,
    ) -> Result<Page<Experiment>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let campaign_id = campaign_id
            .map(|id| id::decode_as(&id, NodeKind::Campaign, "campaignId"))
            .transpose()?;
        let rows = experiments::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            campaign_id,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |e| e.id, Experiment))
    }
}
