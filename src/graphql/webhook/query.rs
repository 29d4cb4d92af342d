use async_graphql::{Context, ID, Object};

use super::types::{WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::webhooks::{deliveries, endpoints};

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// ADMIN, MANAGER: the brand's webhook endpoints, disabled ones included.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<WebhookEndpoint>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows =
            endpoints::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |e| e.id, WebhookEndpoint))
    }

    /// ADMIN, MANAGER: the delivery log, oldest first; of one endpoint and in one status when
    /// given.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<WebhookDelivery>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let endpoint_id = endpoint_id
            .map(|id| id::decode_as(&id, NodeKind::WebhookEndpoint, "endpointId"))
            .transpose()?;
        let rows = deliveries::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            endpoint_id,
            status.map(Into::into),
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |d| d.id, WebhookDelivery))
    }
}
