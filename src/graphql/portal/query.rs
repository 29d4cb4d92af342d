use async_graphql::{Context, Object};

use super::types::{Commission, Earnings, NotificationSettings};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::payout::types::Payout;
use crate::graphql::tracking::types::TrackingLink;
use crate::service::{notifications, payouts, portal};

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
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows =
            portal::commissions(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |c| c.id, Commission))
    }

    /// CREATOR: which mail the caller's account gets.
    async fn my_notification_settings(
        &self,
        ctx: &Context<'_>,
    ) -> Result<NotificationSettings, AppError> {
        let settings = notifications::get(context::db(ctx)?, context::actor(ctx)?).await?;
        Ok(NotificationSettings(settings))
    }

    /// CREATOR: the caller's live links across brands (at most 500).
    async fn my_links(&self, ctx: &Context<'_>) -> Result<Vec<TrackingLink>, AppError> {
        let rows = portal::links(context::db(ctx)?, context::actor(ctx)?).await?;
        Ok(rows.into_iter().map(TrackingLink).collect())
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
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = payouts::list(context::db(ctx)?, actor, None, request.by_id()?).await?;
        Ok(id_page(&request, rows, |p| p.id, Payout))
    }
}
