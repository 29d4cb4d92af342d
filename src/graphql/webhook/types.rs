use async_graphql::{Enum, ID, InputObject, Object};

use crate::db::entity::{webhook_delivery, webhook_endpoint};
use crate::domain::webhook as rules;
use crate::error::AppError;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::webhooks::endpoints;

/// What an endpoint can subscribe to. The payload's `type` and the `PartnerGraph-Event` header
/// carry the wire name given with each value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::EventType")]
pub enum WebhookEventType {
    /// `conversion.attributed`: a conversion was recorded and attributed to an enrollment.
    ConversionAttributed,
    /// `conversion.refunded`: a refund was applied to a conversion.
    ConversionRefunded,
    /// `commission.approved`: a commission line's hold ended.
    CommissionApproved,
    /// `payout.paid`: a payout was marked paid.
    PayoutPaid,
    /// `export.completed`: a brand export (`startExport`) finished and its file can be
    /// downloaded; the payload names it (read its `url` with `export(id:)`).
    ExportCompleted,
    /// `fraud.flagged`: a conversion was flagged by a fraud rule and its commission is held
    /// for review (`fraudFlags`).
    FraudFlagged,
}

/// PENDING until a 2xx answer (DELIVERED) or the last attempt failed (FAILED).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// A URL the brand's events are POSTed to, signed with the endpoint's secret.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::WebhookEndpoint, self.0.id)
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn event_types(&self) -> Vec<WebhookEventType> {
        endpoints::event_types(&self.0)
            .into_iter()
            .map(WebhookEventType::from)
            .collect()
    }

    /// The first characters of the signing secret, to tell secrets apart (the secret itself
    /// is shown only on creation).
    async fn secret_prefix(&self) -> &str {
        &self.0.secret_prefix
    }

    /// False after too many consecutive failed deliveries (see `disabledReason`) or when an
    /// ADMIN turned it off; `updateWebhookEndpoint(enabled: true)` turns it on again.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    async fn disabled_at(&self) -> Option<DateTime> {
        self.0.disabled_at.map(DateTime)
    }

    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// Failed attempts since the last successful one.
    async fn consecutive_failures(&self) -> i32 {
        self.0.consecutive_failures
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

/// One event for one endpoint, with the outcome of its attempts.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    /// Also sent as the `PartnerGraph-Delivery` header.
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::WebhookDelivery, self.0.id)
    }

    async fn endpoint_id(&self) -> ID {
        id::encode(NodeKind::WebhookEndpoint, self.0.endpoint_id)
    }

    /// The payload's `id` (`evt_...`): the same for every endpoint the event went to, and
    /// across retries; receivers deduplicate by it.
    async fn event_id(&self) -> &str {
        &self.0.event_id
    }

    async fn event_type(&self) -> Result<WebhookEventType, AppError> {
        rules::EventType::parse(&self.0.event_type)
            .map(WebhookEventType::from)
            .ok_or_else(|| AppError::internal("stored webhook event type"))
    }

    /// The JSON body sent, exactly.
    async fn payload(&self) -> &str {
        &self.0.payload
    }

    async fn status(&self) -> Result<WebhookDeliveryStatus, AppError> {
        rules::DeliveryStatus::parse(&self.0.status)
            .map(WebhookDeliveryStatus::from)
            .ok_or_else(|| AppError::internal("stored webhook delivery status"))
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When the next attempt is due; null unless PENDING.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.0.status == rules::DeliveryStatus::Pending.as_str())
            .then_some(DateTime(self.0.next_attempt_at))
    }

    /// The HTTP status of the last answer; null when there was none (timeout, no connection).
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// Why the last attempt failed: "HTTP 500", "timeout", "connection failed", ...
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn last_attempt_at(&self) -> Option<DateTime> {
        self.0.last_attempt_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(DateTime)
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// An absolute http or https URL.
    pub url: String,
    pub event_types: Vec<WebhookEventType>,
    pub description: Option<String>,
}

pub struct CreateWebhookEndpointPayload {
    pub secret: String,
    pub endpoint: webhook_endpoint::Model,
}

#[Object]
impl CreateWebhookEndpointPayload {
    /// The signing secret (`whsec_...`). Shown only here: store it now.
    async fn secret(&self) -> &str {
        &self.secret
    }

    async fn webhook_endpoint(&self) -> WebhookEndpoint {
        WebhookEndpoint(self.endpoint.clone())
    }
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub id: ID,
    pub url: Option<String>,
    pub event_types: Option<Vec<WebhookEventType>>,
    /// An empty string removes the description.
    pub description: Option<String>,
    /// `true` enables a disabled endpoint again and resets its failure count; `false`
    /// disables it.
    pub enabled: Option<bool>,
}
