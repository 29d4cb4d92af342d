use async_graphql::{Context, ID, InputObject, Object};

use super::types::{DiscountCode, TrackingLink, TrackingLinkState};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::money::MoneyInput;
use crate::graphql::scalars::Decimal;
use crate::service::links::{self, DiscountInput, LinkChange, LinkInput};

#[derive(InputObject)]
pub struct CreateTrackingLinkInput {
    pub enrollment_id: ID,
    /// http or https.
    pub destination_url: String,
    /// 3-64 of `[a-z0-9_-]` (lower-cased); generated when left out.
    pub code: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub deep_link: Option<String>,
}

/// Give `percentOff` or `amountOff` (brand currency).
#[derive(InputObject)]
pub struct CreateDiscountCodeInput {
    pub enrollment_id: ID,
    /// 2-40 of `[A-Za-z0-9_-]`, stored upper-case, unique in the brand.
    pub code: String,
    pub percent_off: Option<Decimal>,
    pub amount_off: Option<MoneyInput>,
}

/// Fields left out stay as they are; an empty UTM value or deep link clears it.
#[derive(InputObject)]
pub struct UpdateTrackingLinkInput {
    pub id: ID,
    /// http or https.
    pub destination_url: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub deep_link: Option<String>,
    /// PAUSED: the redirect answers a "paused" page and records no click; ACTIVE resumes it.
    pub state: Option<TrackingLinkState>,
}

fn enrollment_id(id: &ID) -> Result<i64, AppError> {
    id::decode_as(id, NodeKind::Enrollment, "enrollmentId")
        .map_err(|_| AppError::bad_input("enrollmentId", "no such enrollment"))
}

#[derive(Default)]
pub struct TrackingMutation;

#[Object]
impl TrackingMutation {
    /// MANAGER, ADMIN: a short link for an enrollment.
    async fn create_tracking_link(
        &self,
        ctx: &Context<'_>,
        input: CreateTrackingLinkInput,
    ) -> Result<TrackingLink, AppError> {
        let created = links::create_link(
            context::db(ctx)?,
            context::actor(ctx)?,
            LinkInput {
                enrollment_id: enrollment_id(&input.enrollment_id)?,
                destination_url: input.destination_url,
                code: input.code,
                utm_source: input.utm_source,
                utm_medium: input.utm_medium,
                utm_campaign: input.utm_campaign,
                utm_content: input.utm_content,
                deep_link: input.deep_link,
            },
            context::now(ctx),
        )
        .await?;
        context::invalidate_link(ctx, &created.code);
        Ok(TrackingLink(created))
    }

    /// MANAGER, ADMIN: retires a link; its redirect answers 404 from then on.
    async fn archive_tracking_link(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<TrackingLink, AppError> {
        let link_id = id::decode_as(&id, NodeKind::TrackingLink, "id")?;
        let archived = links::archive_link(
            context::db(ctx)?,
            context::actor(ctx)?,
            link_id,
            context::now(ctx),
        )
        .await?;
        context::invalidate_link(ctx, &archived.code);
        Ok(TrackingLink(archived))
    }

    /// MANAGER, ADMIN: a discount code for an enrollment.
    async fn create_discount_code(
        &self,
        ctx: &Context<'_>,
        input: CreateDiscountCodeInput,
    ) -> Result<DiscountCode, AppError> {
        let created = links::create_discount_code(
            context::db(ctx)?,
            context::actor(ctx)?,
            DiscountInput {
                enrollment_id: enrollment_id(&input.enrollment_id)?,
                code: input.code,
                percent_off: input.percent_off.map(|d| d.0),
                amount_off: input
                    .amount_off
                    .map(|m| m.to_money("amountOff"))
                    .transpose()?,
            },
            context::now(ctx),
        )
        .await?;
        Ok(DiscountCode(created))
    }

    /// MANAGER, ADMIN: changes a link's destination, UTM values, deep link or state; the
    /// redirect follows at once. An archived link is CONFLICT.
    async fn update_tracking_link(
        &self,
        ctx: &Context<'_>,
        input: UpdateTrackingLinkInput,
    ) -> Result<TrackingLink, AppError> {
        let link_id = id::decode_as(&input.id, NodeKind::TrackingLink, "id")?;
        let updated = links::update_link(
            context::db(ctx)?,
            context::actor(ctx)?,
            link_id,
            LinkChange {
                destination_url: input.destination_url,
                utm_source: input.utm_source,
                utm_medium: input.utm_medium,
                utm_campaign: input.utm_campaign,
                utm_content: input.utm_content,
                deep_link: input.deep_link,
                state: input.state.map(Into::into),
            },
            context::now(ctx),
        )
        .await?;
        context::invalidate_link(ctx, &updated.code);
        Ok(TrackingLink(updated))
    }

    /// MANAGER, ADMIN: orders ingested from now on no longer match this code (orders already
    /// attributed keep their attribution).
    async fn deactivate_discount_code(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<DiscountCode, AppError> {
        let code_id = id::decode_as(&id, NodeKind::DiscountCode, "id")?;
        let code = links::deactivate_discount_code(
            context::db(ctx)?,
            context::actor(ctx)?,
            code_id,
            context::now(ctx),
        )
        .await?;
        Ok(DiscountCode(code))
    }

    /// MANAGER, ADMIN: orders ingested from now on match this code again.
    async fn reactivate_discount_code(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<DiscountCode, AppError> {
        let code_id = id::decode_as(&id, NodeKind::DiscountCode, "id")?;
        let code = links::reactivate_discount_code(
            context::db(ctx)?,
            context::actor(ctx)?,
            code_id,
            context::now(ctx),
        )
        .await?;
        Ok(DiscountCode(code))
    }
}
