use async_graphql::{Context, ID, Object};

use super::types::{
    CreateWebhookEndpointInput, CreateWebhookEndpointPayload, UpdateWebhookEndpointInput,
    WebhookDelivery, WebhookEndpoint,
};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::webhooks::{deliveries, endpoints};

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// ADMIN: registers an endpoint for some event types. The answer carries the signing
    /// secret, which is never shown again.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<CreateWebhookEndpointPayload, AppError> {
        let created = endpoints::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            context::sealing_key(ctx)?,
            endpoints::NewEndpoint {
                url: input.url,
                event_types: input.event_types.into_iter().map(Into::into).collect(),
                description: input.description,
            },
            context::now(ctx),
        )
        .await?;
        Ok(CreateWebhookEndpointPayload {
            secret: created.secret,
            endpoint: created.endpoint,
        })
    }

    /// ADMIN: changes an endpoint's URL, event types or description, or enables it again.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpoint, AppError> {
        let endpoint_id = id::decode_as(&input.id, NodeKind::WebhookEndpoint, "id")?;
        let updated = endpoints::update(
            context::db(ctx)?,
            context::actor(ctx)?,
            endpoint_id,
            endpoints::EndpointChanges {
                url: input.url,
                event_types: input
                    .event_types
                    .map(|types| types.into_iter().map(Into::into).collect()),
                description: input.description,
                enabled: input.enabled,
            },
            context::now(ctx),
        )
        .await?;
        Ok(WebhookEndpoint(updated))
    }

    /// ADMIN: deletes an endpoint and its delivery log; returns its ID.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<ID, AppError> {
        let endpoint_id = id::decode_as(&id, NodeKind::WebhookEndpoint, "id")?;
        endpoints::delete(context::db(ctx)?, context::actor(ctx)?, endpoint_id).await?;
        Ok(id)
    }

    /// ADMIN: sends a delivery again at the worker's next poll.
    async fn retry_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<WebhookDelivery, AppError> {
        let delivery_id = id::decode_as(&id, NodeKind::WebhookDelivery, "id")?;
        let delivery = deliveries::retry(
            context::db(ctx)?,
            context::actor(ctx)?,
            delivery_id,
            context::now(ctx),
        )
        .await?;
        Ok(WebhookDelivery(delivery))
    }
}
