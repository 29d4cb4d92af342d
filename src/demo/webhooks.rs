//! The integration step: a webhook endpoint for every event type, pointing at a local receiver,
//! registered disabled (nothing listens there) so the demo shows the capability without queuing
//! failing deliveries. Enable it with `updateWebhookEndpoint` once a receiver listens.

use super::{Demo, LoadError, StepContext};
use crate::auth::seal::SealingKey;
use crate::domain::webhook::EventType;
use crate::service::webhooks::endpoints;
use chrono::Utc;

pub const DEMO_WEBHOOK_URL: &str = "http://127.0.0.1:9000/partnergraph-webhooks";

pub(super) async fn load(demo: &Demo<'_>, key: &SealingKey) -> Result<(), LoadError> {
    let created = endpoints::create(
        demo.db,
        &demo.admin,
        key,
        endpoints::NewEndpoint {
            url: DEMO_WEBHOOK_URL.into(),
            event_types: EventType::ALL.to_vec(),
            description: Some("Demo receiver on this machine (enable it when one listens)".into()),
        },
        Utc::now(),
    )
    .await
    .step(|| "webhook endpoint".into())?;
    endpoints::update(
        demo.db,
        &demo.admin,
        created.endpoint.id,
        endpoints::EndpointChanges {
            enabled: Some(false),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .step(|| "webhook endpoint".into())?;
    Ok(())
}
