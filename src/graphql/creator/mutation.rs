use async_graphql::{Context, ID, InputObject, Object};

use super::types::{ChannelInput, Creator};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::enums::{PartnershipStage, VettingStatus};
use crate::graphql::id::{self, NodeKind};
use crate::service::creators::{self, CreatorChange, CreatorInput};

#[derive(InputObject)]
pub struct CreateCreatorInput {
    pub display_name: String,
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    #[graphql(default)]
    pub niches: Vec<String>,
    #[graphql(default)]
    pub channels: Vec<ChannelInput>,
}

/// Only the fields given change; `channels` replaces every channel.
#[derive(InputObject)]
pub struct UpdateCreatorInput {
    pub id: ID,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub niches: Option<Vec<String>>,
    pub channels: Option<Vec<ChannelInput>>,
}

#[derive(InputObject)]
pub struct VetCreatorInput {
    pub creator_id: ID,
    pub status: VettingStatus,
    /// 0..100.
    pub brand_safety_score: Option<i32>,
    pub notes: Option<String>,
}

#[derive(Default)]
pub struct CreatorMutation;

#[Object]
impl CreatorMutation {
    /// MANAGER, ADMIN: adds a creator to the roster (stage PROSPECT, vetting PENDING).
    async fn create_creator(
        &self,
        ctx: &Context<'_>,
        input: CreateCreatorInput,
    ) -> Result<Creator, AppError> {
        let created = creators::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            CreatorInput {
                display_name: input.display_name,
                email: input.email,
                country: input.country,
                niches: input.niches,
                channels: input.channels.into_iter().map(Into::into).collect(),
            },
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(created))
    }

    async fn update_creator(
        &self,
        ctx: &Context<'_>,
        input: UpdateCreatorInput,
    ) -> Result<Creator, AppError> {
        let creator_id = id::decode_as(&input.id, NodeKind::Creator, "id")?;
        let change = CreatorChange {
            display_name: input.display_name,
            email: input.email,
            country: input.country,
            niches: input.niches,
            channels: input
                .channels
                .map(|channels| channels.into_iter().map(Into::into).collect()),
        };
        let updated = creators::update(
            context::db(ctx)?,
            context::actor(ctx)?,
            creator_id,
            change,
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(updated))
    }

    /// Moves a creator along the pipeline. Leaving ENDED needs `reactivate: true`.
    async fn set_creator_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stage: PartnershipStage,
        #[graphql(default)] reactivate: bool,
    ) -> Result<Creator, AppError> {
        let creator_id = id::decode_as(&id, NodeKind::Creator, "id")?;
        let updated = creators::set_stage(
            context::db(ctx)?,
            context::actor(ctx)?,
            creator_id,
            stage.into(),
            reactivate,
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(updated))
    }

    /// Records the vetting decision, brand-safety score and notes.
    async fn vet_creator(
        &self,
        ctx: &Context<'_>,
        input: VetCreatorInput,
    ) -> Result<Creator, AppError> {
        let creator_id = id::decode_as(&input.creator_id, NodeKind::Creator, "creatorId")?;
        let updated = creators::vet(
            context::db(ctx)?,
            context::actor(ctx)?,
            creator_id,
            input.status.into(),
            input.brand_safety_score,
            input.notes,
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(updated))
    }

    /// MANAGER, ADMIN: deletes a creator with its channels, enrollments, links, codes and
    /// content. Only while it has no commission or payout lines and no tracked clicks or
    /// conversions; otherwise CONFLICT (erase the creator instead). Returns the deleted ID.
    async fn delete_creator(&self, ctx: &Context<'_>, id: ID) -> Result<ID, AppError> {
        let creator_id = id::decode_as(&id, NodeKind::Creator, "id")?;
        let deleted = creators::delete(context::db(ctx)?, context::actor(ctx)?, creator_id).await?;
        for code in &deleted.link_codes {
            context::invalidate_link(ctx, code);
        }
        Ok(id)
    }

    /// MANAGER, ADMIN: removes one channel; the creator's tier and primary platform follow
    /// from the channels left.
    async fn remove_channel(&self, ctx: &Context<'_>, id: ID) -> Result<Creator, AppError> {
        let channel_id = id::decode_as(&id, NodeKind::Channel, "id")?;
        let updated = creators::remove_channel(
            context::db(ctx)?,
            context::actor(ctx)?,
            channel_id,
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(updated))
    }
}
