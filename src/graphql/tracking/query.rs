use async_graphql::{Context, ID, Object};

use super::types::{DiscountCode, TrackingLink};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::links;

#[derive(Default)]
pub struct TrackingQuery;

#[Object]
impl TrackingQuery {
    /// Links of the brand (staff, READ_LINKS keys) or of the caller's own enrollments (CREATOR).
    async fn tracking_links(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        enrollment_id: Option<ID>,
    ) -> Result<Page<TrackingLink>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let enrollment_id = enrollment_id
            .map(|id| id::decode_as(&id, NodeKind::Enrollment, "enrollmentId"))
            .transpose()?;
        let rows = links::list_links(
            context::db(ctx)?,
            context::actor(ctx)?,
            enrollment_id,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |l| l.id, TrackingLink))
    }

    /// Discount codes, scoped like `trackingLinks`.
    async fn discount_codes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        enrollment_id: Option<ID>,
    ) -> Result<Page<DiscountCode>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let enrollment_id = enrollment_id
            .map(|id| id::decode_as(&id, NodeKind::Enrollment, "enrollmentId"))
            .transpose()?;
        let rows = links::list_discount_codes(
            context::db(ctx)?,
            context::actor(ctx)?,
            enrollment_id,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |d| d.id, DiscountCode))
    }
}
