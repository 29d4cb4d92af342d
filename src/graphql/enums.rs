//! API enumerations, mirrors of the domain's (`remote`), so that resolvers convert with `into()`.

use async_graphql::Enum;

use crate::domain::{campaign, content, enrollment, offer, roster};

/// Where a creator publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "roster::Platform")]
pub enum Platform {
    Tiktok,
    Instagram,
    Youtube,
    Twitch,
    Podcast,
    Blog,
    X,
    Other,
}

/// Size class from the largest channel: NANO < 10k <= MICRO < 100k <= MID < 500k <= MACRO < 1M
/// <= MEGA followers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "roster::Tier")]
pub enum CreatorTier {
    Nano,
    Micro,
    Mid,
    Macro,
    Mega,
}

/// Where a creator is in the brand's pipeline. Leaving ENDED needs `reactivate: true`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "roster::Stage")]
pub enum PartnershipStage {
    Prospect,
    Contacted,
    Negotiating,
    Active,
    Paused,
    Ended,
    Ambassador,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "roster::VettingStatus")]
pub enum VettingStatus {
    Pending,
    Approved,
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "campaign::Objective")]
pub enum CampaignObjective {
    Sales,
    Leads,
    Traffic,
    Awareness,
}

/// ALWAYS_ON runs from its start (if any) on; FLIGHT runs `[startsAt, endsAt)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "campaign::Schedule")]
pub enum CampaignSchedule {
    AlwaysOn,
    Flight,
}

/// DRAFT -> ACTIVE <-> PAUSED -> COMPLETED (-> ACTIVE to reopen); anything but ARCHIVED ->
/// ARCHIVED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "campaign::CampaignStatus")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Completed,
    Archived,
}

/// How a creator is paid: per sale (CPA), per lead (CPL), per unique click (CPC), a share of
/// revenue, a flat fee, or a flat fee plus CPA or revenue share (HYBRID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "offer::OfferModel")]
pub enum OfferModel {
    Cpa,
    Cpl,
    Cpc,
    RevenueShare,
    FlatFee,
    Hybrid,
}

/// INVITED -> ACTIVE <-> PAUSED; REMOVED is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "enrollment::EnrollmentStatus")]
pub enum EnrollmentStatus {
    Invited,
    Active,
    Paused,
    Removed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "content::DeliverableFormat")]
pub enum DeliverableFormat {
    Post,
    Story,
    ShortVideo,
    Video,
    Live,
    PodcastRead,
}

/// PLANNED -> SUBMITTED -> APPROVED -> PUBLISHED; SUBMITTED or APPROVED may go back to PLANNED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "content::DeliverableStatus")]
pub enum DeliverableStatus {
    Planned,
    Submitted,
    Approved,
    Published,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "content::CostKind")]
pub enum CostKind {
    ProductSeeding,
    Gifting,
    PaidAmplification,
    Agency,
    Other,
}

/// Reads a stored enum name into its API enum; a name the code never writes is INTERNAL.
pub fn stored<D, A>(value: &str, parse: fn(&str) -> Option<D>) -> Result<A, crate::error::AppError>
where
    A: From<D>,
{
    parse(value)
        .map(A::from)
        .ok_or_else(|| crate::error::AppError::internal(format!("stored value {value:?}")))
}

/// The direction of a list's or a report's order.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "crate::domain::ranking::Direction")]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}
