use async_graphql::{Context, ID, Object};

use crate::db::entity::creator;
use crate::error::AppError;
use crate::graphql::brand::types::Brand;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;

/// A brand's partner record for a creator.
pub struct Creator(pub creator::Model);

#[Object]
impl Creator {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Creator, self.0.id)
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// The brand this record belongs to.
    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        context::loaders(ctx)?
            .brands
            .load_one(self.0.brand_id)
            .await
            .map_err(AppError::internal)?
            .map(Brand)
            .ok_or(AppError::NotFound)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}
