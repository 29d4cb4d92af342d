use async_graphql::{Context, ID, Object};

use crate::db::entity::{cost, deliverable};
use crate::domain::{content, roster};
use crate::error::AppError;
use crate::graphql::campaign::types::{Campaign, Enrollment};
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::enums::{CostKind, DeliverableFormat, DeliverableStatus, Platform, stored};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::{MoneyObject, stored as money};
use crate::graphql::scalars::DateTime;
use crate::service::enrollments;

/// A piece of content a creator owes under an enrollment.
pub struct Deliverable(pub deliverable::Model);

#[Object]
impl Deliverable {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Deliverable, self.0.id)
    }

    async fn enrollment(&self, ctx: &Context<'_>) -> Result<Enrollment, AppError> {
        let row = enrollments::get(
            context::db(ctx)?,
            context::actor(ctx)?,
            self.0.enrollment_id,
        )
        .await?;
        Ok(Enrollment(row))
    }

    async fn platform(&self) -> Result<Platform, AppError> {
        stored(&self.0.platform, roster::Platform::parse)
    }

    async fn format(&self) -> Result<DeliverableFormat, AppError> {
        stored(&self.0.format, content::DeliverableFormat::parse)
    }

    async fn status(&self) -> Result<DeliverableStatus, AppError> {
        stored(&self.0.status, content::DeliverableStatus::parse)
    }

    async fn due_at(&self) -> Option<DateTime> {
        self.0.due_at.map(DateTime)
    }

    async fn post_url(&self) -> Option<&str> {
        self.0.post_url.as_deref()
    }

    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(DateTime)
    }

    /// The creator confirmed the ad disclosure (#ad, paid partnership label).
    async fn disclosure_confirmed(&self) -> bool {
        self.0.disclosure_confirmed
    }

    /// Until when the brand may reuse the content.
    async fn usage_rights_until(&self) -> Option<DateTime> {
        self.0.usage_rights_until.map(DateTime)
    }

    /// Whitelisting / Spark Ads code for paid amplification.
    async fn whitelisting_code(&self) -> Option<&str> {
        self.0.whitelisting_code.as_deref()
    }

    async fn impressions(&self) -> i64 {
        self.0.impressions
    }

    async fn views(&self) -> i64 {
        self.0.views
    }

    async fn engagements(&self) -> i64 {
        self.0.engagements
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

/// Spend other than commissions.
pub struct Cost(pub cost::Model);

#[Object]
impl Cost {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Cost, self.0.id)
    }

    async fn kind(&self) -> Result<CostKind, AppError> {
        stored(&self.0.kind, content::CostKind::parse)
    }

    /// As recorded.
    async fn amount(&self) -> Result<MoneyObject, AppError> {
        money(self.0.amount_minor, &self.0.currency_code)
    }

    /// In the brand currency (converted with the rate of the day it was incurred).
    async fn brand_amount(&self, ctx: &Context<'_>) -> Result<MoneyObject, AppError> {
        let campaign = self.campaign(ctx).await?;
        money(self.0.brand_amount_minor, &campaign.0.currency_code)
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        context::loaders(ctx)?
            .campaigns()
            .load_one(self.0.campaign_id)
            .await
            .map_err(failed)?
            .map(Campaign)
            .ok_or(AppError::NotFound)
    }

    async fn creator(&self, ctx: &Context<'_>) -> Result<Option<Creator>, AppError> {
        let Some(creator_id) = self.0.creator_id else {
            return Ok(None);
        };
        Ok(context::loaders(ctx)?
            .creators()
            .load_one(creator_id)
            .await
            .map_err(failed)?
            .map(Creator::from))
    }

    async fn incurred_at(&self) -> DateTime {
        self.0.incurred_at.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}
