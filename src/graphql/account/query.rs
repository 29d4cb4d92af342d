use async_graphql::{Context, Object};

use super::types::{ApiKey, User};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::service::{api_keys, users};

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User, AppError> {
        Ok(User(
            users::viewer(context::db(ctx)?, context::actor(ctx)?).await?,
        ))
    }

    /// ADMIN: the brand's staff.
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<User>, AppError> {
        let request = PageRequest::new(first, after)?;
        let rows = users::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |u| u.id, User))
    }

    /// ADMIN: the brand's API keys, revoked ones included.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ApiKey>, AppError> {
        let request = PageRequest::new(first, after)?;
        let rows =
            api_keys::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |k| k.id, ApiKey))
    }
}
