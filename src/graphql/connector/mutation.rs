use async_graphql::{Context, ID, Object};

use super::types::{Connector, ConnectorWithSecret, CreateConnectorInput};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::connectors::setup;

#[derive(Default)]
pub struct ConnectorMutation;

#[Object]
impl ConnectorMutation {
    /// ADMIN: connects a store. The answer carries the signing secret, never shown again.
    async fn create_connector(
        &self,
        ctx: &Context<'_>,
        input: CreateConnectorInput,
    ) -> Result<ConnectorWithSecret, AppError> {
        let created = setup::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            context::sealing_key(ctx)?,
            setup::NewConnector {
                kind: input.kind.into(),
                name: input.name,
                signing_secret: input.signing_secret,
            },
            context::now(ctx),
        )
        .await?;
        Ok(ConnectorWithSecret {
            secret: created.secret,
            connector: created.connector,
        })
    }

    /// ADMIN: replaces the signing secret with the platform's new one (or a generated one when
    /// left out); deliveries signed with the old one are refused from now on.
    async fn rotate_connector_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        signing_secret: Option<String>,
    ) -> Result<ConnectorWithSecret, AppError> {
        let connector_id = id::decode_as(&id, NodeKind::Connector, "id")?;
        let rotated = setup::rotate_secret(
            context::db(ctx)?,
            context::actor(ctx)?,
            context::sealing_key(ctx)?,
            connector_id,
            signing_secret,
            context::now(ctx),
        )
        .await?;
        Ok(ConnectorWithSecret {
            secret: rotated.secret,
            connector: rotated.connector,
        })
    }

    /// ADMIN: stops taking the connector's deliveries (answered 404 from now on).
    async fn disable_connector(&self, ctx: &Context<'_>, id: ID) -> Result<Connector, AppError> {
        let connector_id = id::decode_as(&id, NodeKind::Connector, "id")?;
        let connector = setup::disable(
            context::db(ctx)?,
            context::actor(ctx)?,
            connector_id,
            context::now(ctx),
        )
        .await?;
        Ok(Connector(connector))
    }
}
