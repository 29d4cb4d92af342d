use async_graphql::{Context, ID, InputObject, Object};

use super::types::{AttributionMethod, Conversion};
use crate::error::AppError;
use crate::graphql::connection::{Cursor, Page, PageRequest, id_page, page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::conversion_reads::{self, ConversionFilter as Filter};
use crate::service::ingest::changes;

#[derive(InputObject, Default)]
pub struct ConversionFilter {
    pub campaign_id: Option<ID>,
    pub creator_id: Option<ID>,
    pub method: Option<AttributionMethod>,
    /// occurredAt >= from.
    pub from: Option<DateTime>,
    /// occurredAt < to.
    pub to: Option<DateTime>,
}

#[derive(Default)]
pub struct IngestQuery;

#[Object]
impl IngestQuery {
    /// Staff: the brand's conversions, oldest recorded first.
    async fn conversions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ConversionFilter>,
    ) -> Result<Page<Conversion>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let filter = filter.unwrap_or_default();
        let decode =
            |id: Option<ID>, kind, field| id.map(|id| id::decode_as(&id, kind, field)).transpose();
        let filter = Filter {
            campaign_id: decode(filter.campaign_id, NodeKind::Campaign, "campaignId")?,
            creator_id: decode(filter.creator_id, NodeKind::Creator, "creatorId")?,
            method: filter.method.map(Into::into),
            from: filter.from.map(|d| d.0),
            to: filter.to.map(|d| d.0),
        };
        let rows = conversion_reads::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            filter,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |c| c.id, Conversion))
    }

    /// READ_CHANGES keys: every conversion created or changed, oldest change first. Keep the last
    /// `endCursor` and pass it as `after` next time: the cursor is stable across calls, and a
    /// conversion that changes again comes back at its new position. `totalCount` is the number
    /// of changes after `after`.
    async fn conversion_changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> Result<Page<Conversion>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let after = request.after.as_ref().map(Cursor::as_id).transpose()?;
        let (rows, total) = changes::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            after,
            request.fetch_limit(),
        )
        .await?;
        Ok(page(
            &request,
            rows,
            total,
            |row| Cursor::from_id(row.change_seq),
            Conversion,
        ))
    }
}
