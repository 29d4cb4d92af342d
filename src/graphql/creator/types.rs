//! Resolvers that read the database box that read (`Box::pin`): async-graphql moves each
//! field's future of an object onto the heap, and that future is as large as the type's largest
//! field, so a read held inline would be copied for every field of every row of a list
//! (docs/architecture.md, "Future sizes").

use async_graphql::{Context, ID, InputObject, Object};
use rust_decimal::Decimal as RustDecimal;

use crate::auth::Role;
use crate::db::entity::{channel, creator};
use crate::domain::roster::{self, tier_for};
use crate::error::AppError;
use crate::graphql::brand::types::Brand;
use crate::graphql::campaign::types::{Enrollment, enrollments_of};
use crate::graphql::connection::Page;
use crate::graphql::context;
use crate::graphql::creator::columns;
use crate::graphql::enums::{
    CreatorTier, EnrollmentStatus, PartnershipStage, Platform, VettingStatus, stored,
};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::{ChannelsOf, failed};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::service::creator_page::Listed;
use crate::service::creators::{NewChannel, stored_decimal};
use crate::service::enrollments::EnrollmentParent;

/// A brand's partner record for a creator. Read by a list, it holds only the columns the query
/// selects ([`columns`]): a field's resolver reads the columns its entry there names.
pub struct Creator {
    pub row: creator::Model,
    /// Its channels, when the list that read it read them too (`creator_page`).
    channels: Option<Vec<channel::Model>>,
}

impl From<creator::Model> for Creator {
    fn from(row: creator::Model) -> Self {
        Self {
            row,
            channels: None,
        }
    }
}

impl From<Listed> for Creator {
    fn from(listed: Listed) -> Self {
        Self {
            row: listed.creator,
            channels: listed.channels,
        }
    }
}

fn json_list(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

#[Object]
impl Creator {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Creator, self.row.id)
    }

    async fn display_name(&self) -> &str {
        &self.row.display_name
    }

    async fn email(&self) -> Option<&str> {
        self.row.email.as_deref()
    }

    /// ISO 3166-1 alpha-2.
    async fn country(&self) -> Option<&str> {
        self.row.country.as_deref()
    }

    async fn niches(&self) -> Vec<String> {
        json_list(&self.row.niches)
    }

    /// From the largest channel's followers.
    async fn tier(&self) -> CreatorTier {
        tier_for(self.row.followers).into()
    }

    /// Followers of the largest channel.
    async fn followers(&self) -> i64 {
        self.row.followers
    }

    /// The platform of the largest channel.
    async fn primary_platform(&self) -> Result<Option<Platform>, AppError> {
        self.row
            .primary_platform
            .as_deref()
            .map(|p| stored(p, roster::Platform::parse))
            .transpose()
    }

    async fn stage(&self) -> Result<PartnershipStage, AppError> {
        stored(&self.row.stage, roster::Stage::parse)
    }

    async fn vetting_status(&self) -> Result<VettingStatus, AppError> {
        stored(&self.row.vetting_status, roster::VettingStatus::parse)
    }

    /// 0..100; the brand's assessment, not shown to the creator.
    async fn brand_safety_score(&self, ctx: &Context<'_>) -> Result<Option<i32>, AppError> {
        Ok(staff_only(ctx)?
            .then_some(self.row.brand_safety_score)
            .flatten())
    }

    /// The brand's vetting notes, not shown to the creator.
    async fn vetting_notes(&self, ctx: &Context<'_>) -> Result<Option<&str>, AppError> {
        Ok(staff_only(ctx)?
            .then_some(self.row.vetting_notes.as_deref())
            .flatten())
    }

    /// Largest first.
    async fn channels(&self, ctx: &Context<'_>) -> Result<Vec<Channel>, AppError> {
        if let Some(read) = &self.channels {
            return Ok(read.iter().cloned().map(Channel).collect());
        }
        let key = ChannelsOf {
            creator_id: self.row.id,
            columns: columns::of_channels(&ctx.field()),
        };
        let rows = Box::pin(context::loaders(ctx)?.channels().load_one(key))
            .await
            .map_err(failed)?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Channel).collect())
    }

    /// The creator's enrollments in the brand's campaigns, oldest first.
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<EnrollmentStatus>,
    ) -> Result<Page<Enrollment>, AppError> {
        enrollments_of(
            ctx,
            EnrollmentParent::Creator(self.row.id),
            first,
            after,
            status,
        )
        .await
    }

    /// The brand this record belongs to.
    async fn brand(&self, ctx: &Context<'_>) -> Result<Brand, AppError> {
        Box::pin(crate::graphql::brand::types::load(ctx, self.row.brand_id)).await
    }

    /// When the creator's personal data was erased (`eraseCreator`); null while it is held.
    async fn erased_at(&self) -> Option<DateTime> {
        self.row.erased_at.map(Into::into)
    }

    async fn created_at(&self) -> DateTime {
        self.row.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.row.updated_at.into()
    }
}

fn staff_only(ctx: &Context<'_>) -> Result<bool, AppError> {
    Ok(context::actor(ctx)?.role != Role::Creator)
}

/// One of a creator's social or publishing channels. It holds only the columns the query
/// selects ([`columns`]).
pub struct Channel(pub channel::Model);

#[Object]
impl Channel {
    /// Changes when `updateCreator` replaces the creator's channels.
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Channel, self.0.id)
    }

    async fn platform(&self) -> Result<Platform, AppError> {
        stored(&self.0.platform, roster::Platform::parse)
    }

    async fn handle(&self) -> &str {
        &self.0.handle
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    async fn followers(&self) -> i64 {
        self.0.followers
    }

    async fn avg_views(&self) -> Option<i64> {
        self.0.avg_views
    }

    /// Engaged share of the audience, 0..1.
    async fn engagement_rate(&self) -> Result<Option<Decimal>, AppError> {
        self.0
            .engagement_rate
            .as_deref()
            .map(|r| stored_decimal(r).map(Decimal))
            .transpose()
    }

    /// ISO 3166-1 alpha-2 codes of the main audience countries.
    async fn audience_countries(&self) -> Vec<String> {
        json_list(&self.0.audience_countries)
    }
}

#[derive(InputObject)]
pub struct ChannelInput {
    pub platform: Platform,
    pub handle: String,
    pub url: Option<String>,
    #[graphql(default)]
    pub followers: i64,
    pub avg_views: Option<i64>,
    /// Engaged share of the audience, 0..1 (e.g. "0.045").
    pub engagement_rate: Option<Decimal>,
    #[graphql(default)]
    pub audience_countries: Vec<String>,
}

impl From<ChannelInput> for NewChannel {
    fn from(value: ChannelInput) -> Self {
        Self {
            platform: value.platform.into(),
            handle: value.handle,
            url: value.url,
            followers: value.followers,
            avg_views: value.avg_views,
            engagement_rate: value.engagement_rate.map(|d| -> RustDecimal { d.0 }),
            audience_countries: value.audience_countries,
        }
    }
}
