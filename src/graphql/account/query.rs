use async_graphql::{Context, Object};

use super::types::{ApiKey, Invite, User, UserSession};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::service::{api_keys, invites, sessions, users};

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User, AppError> {
        let (db, auth, actor) = (context::db(ctx)?, context::auth(ctx)?, context::actor(ctx)?);
        Ok(User(
            users::viewer(db, auth, actor, context::account(ctx)).await?,
        ))
    }

    /// ADMIN: the brand's staff.
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<User>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = users::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |u| u.id, User::from))
    }

    /// ADMIN: the brand's API keys, revoked ones included.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ApiKey>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows =
            api_keys::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |k| k.id, ApiKey))
    }

    /// The caller's own live sessions, oldest first.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<UserSession>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let now = context::auth(ctx)?.now();
        let rows = sessions::list_own(
            context::db(ctx)?,
            context::actor(ctx)?,
            request.by_id()?,
            now,
        )
        .await?;
        Ok(id_page(&request, rows, |s| s.id, UserSession))
    }

    /// ADMIN: the brand's invites, whatever their status.
    async fn invites(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Invite>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = invites::list(context::db(ctx)?, context::actor(ctx)?, request.by_id()?).await?;
        Ok(id_page(&request, rows, |i| i.id, Invite))
    }
}
