use async_graphql::{Context, Enum, ID, Object};

use crate::db::entity::{discount_code, tracking_link};
use crate::domain::lifecycle::LinkState;
use crate::error::AppError;
use crate::graphql::campaign::types::{Campaign, Enrollment};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyObject, stored_opt};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::service::creators::stored_decimal;

/// Whether a link redirects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum TrackingLinkState {
    /// Redirects to its destination and records the click.
    Active,
    /// Answers a "this link is paused" page (HTTP 410) and records no click.
    Paused,
}

impl From<LinkState> for TrackingLinkState {
    fn from(value: LinkState) -> Self {
        match value {
            LinkState::Active => Self::Active,
            LinkState::Paused => Self::Paused,
        }
    }
}

impl From<TrackingLinkState> for LinkState {
    fn from(value: TrackingLinkState) -> Self {
        match value {
            TrackingLinkState::Active => Self::Active,
            TrackingLinkState::Paused => Self::Paused,
        }
    }
}

/// The base of short links (`{public url}/r/{code}`), from configuration.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub String);

/// A creator's short link to a destination, with UTM parameters.
pub struct TrackingLink(pub tracking_link::Model);

#[Object]
impl TrackingLink {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::TrackingLink, self.0.id)
    }

    /// Lower-case; `/r/{code}` matches it case-insensitively.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// `{public url}/r/{code}`.
    async fn short_url(&self, ctx: &Context<'_>) -> Result<String, AppError> {
        let base = ctx
            .data::<PublicUrl>()
            .map_err(|_| AppError::internal("public url missing"))?;
        Ok(format!("{}/r/{}", base.0, self.0.code))
    }

    async fn destination_url(&self) -> &str {
        &self.0.destination_url
    }

    async fn utm_source(&self) -> Option<&str> {
        self.0.utm_source.as_deref()
    }

    async fn utm_medium(&self) -> Option<&str> {
        self.0.utm_medium.as_deref()
    }

    async fn utm_campaign(&self) -> Option<&str> {
        self.0.utm_campaign.as_deref()
    }

    async fn utm_content(&self) -> Option<&str> {
        self.0.utm_content.as_deref()
    }

    /// An app link (e.g. `myshop://product/42`) for clients that open apps.
    async fn deep_link(&self) -> Option<&str> {
        self.0.deep_link.as_deref()
    }

    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
    }

    /// ACTIVE or PAUSED (`updateTrackingLink` changes it).
    async fn state(&self) -> TrackingLinkState {
        LinkState::of(self.0.paused_at).into()
    }

    async fn paused_at(&self) -> Option<DateTime> {
        self.0.paused_at.map(DateTime)
    }

    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Enrollment, AppError> {
        enrollment_of(ctx, self.0.enrollment_id).await
    }

    /// The campaign of the link's enrollment.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        let enrollment = enrollment_of(ctx, self.0.enrollment_id).await?;
        context::loaders(ctx)?
            .campaigns()
            .load_one(enrollment.0.campaign_id)
            .await
            .map_err(failed)?
            .map(Campaign)
            .ok_or(AppError::NotFound)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

async fn enrollment_of(ctx: &Context<'_>, id: i64) -> Result<Enrollment, AppError> {
    context::loaders(ctx)?
        .enrollments()
        .load_one(id)
        .await
        .map_err(failed)?
        .map(Enrollment)
        .ok_or(AppError::NotFound)
}

/// A creator's discount code; orders using it are attributed to its enrollment.
pub struct DiscountCode(pub discount_code::Model);

#[Object]
impl DiscountCode {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::DiscountCode, self.0.id)
    }

    /// Upper-case; matched case-insensitively.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn percent_off(&self) -> Result<Option<Decimal>, AppError> {
        self.0
            .percent_off
            .as_deref()
            .map(|p| stored_decimal(p).map(Decimal))
            .transpose()
    }

    async fn amount_off(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.amount_off_minor, &self.0.currency_code)
    }

    /// False while deactivated: orders ingested then do not match it.
    async fn active(&self) -> bool {
        self.0.archived_at.is_none()
    }

    async fn deactivated_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
    }

    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Enrollment, AppError> {
        enrollment_of(ctx, self.0.enrollment_id).await
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}
