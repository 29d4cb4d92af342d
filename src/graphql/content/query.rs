use async_graphql::{Context, ID, InputObject, Object};

use super::types::{Cost, Deliverable};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::enums::DeliverableStatus;
use crate::graphql::id::{self, NodeKind};
use crate::service::costs;
use crate::service::deliverables::{self, DeliverableFilter as Filter};

#[derive(InputObject, Default)]
pub struct DeliverableFilter {
    pub campaign_id: Option<ID>,
    pub enrollment_id: Option<ID>,
    pub status: Option<DeliverableStatus>,
}

fn decode_opt(id: Option<ID>, kind: NodeKind, field: &str) -> Result<Option<i64>, AppError> {
    id.map(|id| id::decode_as(&id, kind, field)).transpose()
}

#[derive(Default)]
pub struct ContentQuery;

#[Object]
impl ContentQuery {
    /// Content deliverables, oldest first (staff: the brand's; CREATOR: its own).
    async fn deliverables(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DeliverableFilter>,
    ) -> Result<Page<Deliverable>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let filter = filter.unwrap_or_default();
        let filter = Filter {
            campaign_id: decode_opt(filter.campaign_id, NodeKind::Campaign, "campaignId")?,
            enrollment_id: decode_opt(filter.enrollment_id, NodeKind::Enrollment, "enrollmentId")?,
            status: filter.status.map(Into::into),
        };
        let rows = deliverables::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            filter,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |d| d.id, Deliverable))
    }

    /// Staff: other costs, oldest first, optionally of one campaign or creator.
    async fn costs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        campaign_id: Option<ID>,
        creator_id: Option<ID>,
    ) -> Result<Page<Cost>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = costs::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            decode_opt(campaign_id, NodeKind::Campaign, "campaignId")?,
            decode_opt(creator_id, NodeKind::Creator, "creatorId")?,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |c| c.id, Cost))
    }
}
