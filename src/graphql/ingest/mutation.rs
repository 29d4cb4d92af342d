use async_graphql::{Context, Object};

use super::types::{
    ClickInput, Conversion, ConversionInput, RecordClicksPayload, RecordConversionsPayload,
    RecordRefundInput,
};
use crate::error::AppError;
use crate::graphql::context;
use crate::service::ingest::batch::{ItemResult, ItemStatus};
use crate::service::ingest::{clicks, conversions, refunds};

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// INGEST keys: up to 500 clicks seen by the integrator, idempotent on `clickId`.
    async fn record_clicks(
        &self,
        ctx: &Context<'_>,
        clicks: Vec<ClickInput>,
    ) -> Result<RecordClicksPayload, AppError> {
        let items = clicks
            .into_iter()
            .map(|c| clicks::ClickItem {
                link_code: c.link_code,
                click_id: c.click_id,
                occurred_at: c.occurred_at.0,
                visitor_key: c.visitor_key,
                user_agent: c.user_agent,
                referrer: c.referrer,
                country: c.country,
                landing_url: c.landing_url,
            })
            .collect();
        let (db, actor) = (context::db(ctx)?, context::actor(ctx)?);
        let results = clicks::record(db, actor, items, context::now(ctx)).await?;
        context::count_ingested(ctx, "click", accepted(&results));
        Ok(RecordClicksPayload::new(results))
    }

    /// INGEST keys: up to 500 conversions; each is reported on its own (ACCEPTED, DUPLICATE with
    /// the stored result, or REJECTED with a code). Durable before the answer.
    async fn record_conversions(
        &self,
        ctx: &Context<'_>,
        conversions: Vec<ConversionInput>,
    ) -> Result<RecordConversionsPayload, AppError> {
        let items = conversions
            .into_iter()
            .map(|c| conversions::ConversionItem {
                external_id: c.external_id,
                kind: c.kind.into(),
                occurred_at: c.occurred_at.0,
                amount: c.amount.map(|d| d.0),
                currency: c.currency_code.map(|c| c.0),
                customer_key: c.customer_key,
                customer_email: c.customer_email,
                new_customer: c.new_customer,
                click_id: c.click_id,
                discount_code: c.discount_code,
                region: c.region,
            })
            .collect();
        let (db, actor) = (context::db(ctx)?, context::actor(ctx)?);
        let results = conversions::record(db, actor, items, context::now(ctx)).await?;
        context::count_ingested(ctx, "conversion", accepted(&results));
        Ok(RecordConversionsPayload::new(results))
    }

    /// INGEST keys: a full or partial refund of an order, idempotent on `refundId`. Answers the
    /// refunded order; null when the order has not arrived yet (the refund is held and applied
    /// when it does).
    async fn record_refund(
        &self,
        ctx: &Context<'_>,
        input: RecordRefundInput,
    ) -> Result<Option<Conversion>, AppError> {
        let outcome = refunds::record(
            context::db(ctx)?,
            context::actor(ctx)?,
            refunds::RefundItem {
                order_external_id: input.external_id,
                refund_id: input.refund_id,
                amount: input.amount.0,
                currency: input.currency_code.map(|c| c.0),
                occurred_at: input.occurred_at.0,
            },
            context::now(ctx),
        )
        .await?;
        context::count_ingested(ctx, "refund", usize::from(!outcome.duplicate));
        Ok(outcome.conversion.map(Conversion))
    }
}

fn accepted<T>(results: &[ItemResult<T>]) -> usize {
    results
        .iter()
        .filter(|r| r.status == ItemStatus::Accepted)
        .count()
}
