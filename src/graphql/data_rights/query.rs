use async_graphql::{Context, ID, Json, Object};
use serde_json::Value;

use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::data_rights;

#[derive(Default)]
pub struct DataRightsQuery;

#[Object]
impl DataRightsQuery {
    /// Everything held about a creator, as one JSON document (docs/api.md, "Data rights"). A
    /// creator calls it without `creatorId` for all its records (or with one of its own); an
    /// ADMIN names a creator of its brand. Commission lines and payouts are capped at 10,000
    /// per record (`truncated` says when more exist).
    async fn export_creator_data(
        &self,
        ctx: &Context<'_>,
        creator_id: Option<ID>,
    ) -> Result<Json<Value>, AppError> {
        let creator_id = creator_id
            .map(|id| id::decode_as(&id, NodeKind::Creator, "creatorId"))
            .transpose()?;
        let export = data_rights::export_creator_data(
            context::db(ctx)?,
            context::actor(ctx)?,
            creator_id,
            context::now(ctx),
        )
        .await?;
        Ok(Json(export))
    }
}
