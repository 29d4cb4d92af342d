use async_graphql::{Context, ID, InputObject, Object};

use super::types::{Cost, Deliverable};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::enums::{CostKind, DeliverableFormat, DeliverableStatus, Platform};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::money::MoneyInput;
use crate::graphql::scalars::DateTime;
use crate::service::costs::{self, CostInput};
use crate::service::deliverables::{self, DeliverableChange, DeliverableInput};

#[derive(InputObject)]
pub struct CreateDeliverableInput {
    pub enrollment_id: ID,
    pub platform: Platform,
    pub format: DeliverableFormat,
    pub due_at: Option<DateTime>,
}

/// Only the fields given change.
#[derive(InputObject)]
pub struct UpdateDeliverableInput {
    pub id: ID,
    pub status: Option<DeliverableStatus>,
    /// Required (here or before) to publish.
    pub post_url: Option<String>,
    /// Defaults to now when publishing.
    pub published_at: Option<DateTime>,
    pub disclosure_confirmed: Option<bool>,
    pub usage_rights_until: Option<DateTime>,
    pub whitelisting_code: Option<String>,
    pub due_at: Option<DateTime>,
    pub impressions: Option<i64>,
    pub views: Option<i64>,
    pub engagements: Option<i64>,
}

#[derive(InputObject)]
pub struct RecordCostInput {
    pub campaign_id: ID,
    /// When the cost is for one creator.
    pub creator_id: Option<ID>,
    pub kind: CostKind,
    /// Any currency with a rate for the day; converted to the brand currency.
    pub amount: MoneyInput,
    pub incurred_at: DateTime,
    pub note: Option<String>,
}

#[derive(Default)]
pub struct ContentMutation;

#[Object]
impl ContentMutation {
    /// MANAGER, ADMIN: a deliverable owed under an enrollment (PLANNED).
    async fn create_deliverable(
        &self,
        ctx: &Context<'_>,
        input: CreateDeliverableInput,
    ) -> Result<Deliverable, AppError> {
        let enrollment_id =
            id::decode_as(&input.enrollment_id, NodeKind::Enrollment, "enrollmentId")
                .map_err(|_| AppError::bad_input("enrollmentId", "no such enrollment"))?;
        let created = deliverables::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            DeliverableInput {
                enrollment_id,
                platform: input.platform.into(),
                format: input.format.into(),
                due_at: input.due_at.map(|d| d.0),
            },
            context::now(ctx),
        )
        .await?;
        Ok(Deliverable(created))
    }

    async fn update_deliverable(
        &self,
        ctx: &Context<'_>,
        input: UpdateDeliverableInput,
    ) -> Result<Deliverable, AppError> {
        let deliverable_id = id::decode_as(&input.id, NodeKind::Deliverable, "id")?;
        let change = DeliverableChange {
            status: input.status.map(Into::into),
            post_url: input.post_url,
            published_at: input.published_at.map(|d| d.0),
            disclosure_confirmed: input.disclosure_confirmed,
            usage_rights_until: input.usage_rights_until.map(|d| d.0),
            whitelisting_code: input.whitelisting_code,
            due_at: input.due_at.map(|d| d.0),
            impressions: input.impressions,
            views: input.views,
            engagements: input.engagements,
        };
        let updated = deliverables::update(
            context::db(ctx)?,
            context::actor(ctx)?,
            deliverable_id,
            change,
            context::now(ctx),
        )
        .await?;
        Ok(Deliverable(updated))
    }

    /// MANAGER, ADMIN: spend other than commissions.
    async fn record_cost(
        &self,
        ctx: &Context<'_>,
        input: RecordCostInput,
    ) -> Result<Cost, AppError> {
        let campaign_id = id::decode_as(&input.campaign_id, NodeKind::Campaign, "campaignId")
            .map_err(|_| AppError::bad_input("campaignId", "no such campaign"))?;
        let creator_id = input
            .creator_id
            .map(|id| {
                id::decode_as(&id, NodeKind::Creator, "creatorId")
                    .map_err(|_| AppError::bad_input("creatorId", "no such creator"))
            })
            .transpose()?;
        let created = costs::record(
            context::db(ctx)?,
            context::actor(ctx)?,
            CostInput {
                campaign_id,
                creator_id,
                kind: input.kind.into(),
                amount: input.amount.to_money("amount")?,
                incurred_at: input.incurred_at.0,
                note: input.note,
            },
            context::now(ctx),
        )
        .await?;
        Ok(Cost(created))
    }

    /// MANAGER, ADMIN: deletes a cost; reports leave it out from then on. Returns the deleted
    /// ID.
    async fn delete_cost(&self, ctx: &Context<'_>, id: ID) -> Result<ID, AppError> {
        let cost_id = id::decode_as(&id, NodeKind::Cost, "id")?;
        costs::delete(context::db(ctx)?, context::actor(ctx)?, cost_id).await?;
        Ok(id)
    }
}
