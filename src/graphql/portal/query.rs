use async_graphql::{Context, ID, Object};

use super::types::{Commission, Earnings, MyPerformance};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::payout::types::Payout;
use crate::graphql::scalars::DateTime;
use crate::graphql::tracking::types::TrackingLink;
use crate::service::{payouts, portal};

#[derive(Default)]
pub struct PortalQuery;

#[Object]
impl PortalQuery {
    /// CREATOR: pending, approved and paid earnings, per currency and per brand.
    async fn my_earnings(&self, ctx: &Context<'_>) -> Result<Earnings, AppError> {
        let rows =
            portal::earnings(context::db(ctx)?, context::actor(ctx)?, context::now(ctx)).await?;
        Ok(Earnings(rows))
    }

    /// CREATOR: the caller's commission lines, oldest first.
    async fn my_commissions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Commission>, AppError> {
        let request = PageRequest::new(first, after)?;
        let rows =
            portal::commissions(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |c| c.id, Commission))
    }

    /// CREATOR: the caller's live links across brands (at most 500).
    async fn my_links(&self, ctx: &Context<'_>) -> Result<Vec<TrackingLink>, AppError> {
        let rows = portal::links(context::db(ctx)?, context::actor(ctx)?).await?;
        Ok(rows.into_iter().map(TrackingLink).collect())
    }

    /// CREATOR: clicks, sales, revenue and commissions over `[from, to)`. With brands in several
    /// currencies, pass `brandId`.
    async fn my_performance(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        brand_id: Option<ID>,
    ) -> Result<MyPerformance, AppError> {
        let brand_id = brand_id
            .map(|id| id::decode_as(&id, NodeKind::Brand, "brandId"))
            .transpose()?;
        let result = portal::performance(
            context::db(ctx)?,
            context::actor(ctx)?,
            brand_id,
            from.0,
            to.0,
        )
        .await?;
        Ok(MyPerformance(result))
    }

    /// CREATOR: the caller's payouts across brands, oldest first.
    async fn my_payouts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Payout>, AppError> {
        let actor = context::actor(ctx)?;
        if actor.role != crate::auth::Role::Creator {
            return Err(AppError::Forbidden(
                "the creator portal is for creator accounts".into(),
            ));
        }
        let request = PageRequest::new(first, after)?;
        let rows = payouts::list(context::db(ctx)?, actor, None, request.by_id()?).await?;
        Ok(id_page(&request, rows, |p| p.id, Payout))
    }
}
