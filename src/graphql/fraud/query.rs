use async_graphql::{Context, Object};

use super::types::{FraudFlag, FraudFlagStatus, FraudRule, FraudRuleKind};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::service::fraud;

#[derive(Default)]
pub struct FraudQuery;

#[Object]
impl FraudQuery {
    /// Staff: every fraud rule of the brand, in DOMAIN rule 8's order, with its defaults when
    /// never set (all off by default).
    async fn fraud_rules(&self, ctx: &Context<'_>) -> Result<Vec<FraudRule>, AppError> {
        let rules = fraud::rules(context::db(ctx)?, context::actor(ctx)?).await?;
        Ok(rules.into_iter().map(FraudRule).collect())
    }

    /// Staff: the review queue, oldest first; by `status` (OPEN: what is left to review) and
    /// `rule`.
    async fn fraud_flags(
        &self,
        ctx: &Context<'_>,
        status: Option<FraudFlagStatus>,
        rule: Option<FraudRuleKind>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<FraudFlag>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = fraud::flags(
            context::db(ctx)?,
            context::actor(ctx)?,
            status.map(Into::into),
            rule.map(Into::into),
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |f| f.id, FraudFlag))
    }
}
