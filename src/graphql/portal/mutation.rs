use async_graphql::{Context, Object};

use super::types::{NotificationSettings, UpdateNotificationSettingsInput};
use crate::error::AppError;
use crate::graphql::context;
use crate::service::notifications;

#[derive(Default)]
pub struct PortalMutation;

#[Object]
impl PortalMutation {
    /// CREATOR: which mail the caller's account gets. A field left out stays as it is.
    async fn update_notification_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationSettingsInput,
    ) -> Result<NotificationSettings, AppError> {
        let settings = notifications::update(
            context::db(ctx)?,
            context::actor(ctx)?,
            input.commission_approved_emails,
            context::now(ctx),
        )
        .await?;
        Ok(NotificationSettings(settings))
    }
}
