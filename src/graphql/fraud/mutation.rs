use async_graphql::{Context, ID, Object};

use super::types::{FraudDecision, FraudFlag, FraudRule, UpdateFraudRuleInput};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::fraud;

#[derive(Default)]
pub struct FraudMutation;

#[Object]
impl FraudMutation {
    /// ADMIN: turns a fraud rule on or off and sets its parameters.
    async fn update_fraud_rule(
        &self,
        ctx: &Context<'_>,
        input: UpdateFraudRuleInput,
    ) -> Result<FraudRule, AppError> {
        let updated = fraud::update_rule(
            context::db(ctx)?,
            context::actor(ctx)?,
            input.rule.into(),
            input.enabled,
            input.parameters(),
            context::now(ctx),
        )
        .await?;
        Ok(FraudRule(updated))
    }

    /// ADMIN, MANAGER: decides an OPEN flag, with an optional note. APPROVE: the conversion's
    /// held lines follow the normal hold. REJECT: REVERSAL lines net them to zero and its
    /// attribution becomes NONE (`attribution.rejectedRule`). A flag is decided once: again is
    /// CONFLICT.
    async fn resolve_fraud_flag(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: FraudDecision,
        note: Option<String>,
    ) -> Result<FraudFlag, AppError> {
        let flag_id = id::decode_as(&id, NodeKind::FraudFlag, "id")?;
        let resolved = fraud::resolve(
            context::db(ctx)?,
            context::actor(ctx)?,
            flag_id,
            decision.into(),
            note.as_deref(),
            context::now(ctx),
        )
        .await?;
        Ok(FraudFlag(resolved))
    }
}
