use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use super::types::{Campaign, Enrollment, Offer};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::enums::{
    CampaignObjective, CampaignSchedule, CampaignStatus, EnrollmentStatus, OfferModel,
};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::money::MoneyInput;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::service::campaigns::{self, Brief, CampaignChange, CampaignInput};
use crate::service::enrollments::{self, EnrollInput};
use crate::service::offers::{self, OfferChange, OfferInput, RatesInput, TierInput};

#[derive(InputObject, Default)]
pub struct BriefInput {
    pub summary: Option<String>,
    #[graphql(default)]
    pub key_messages: Vec<String>,
    pub guardrails: Option<String>,
    #[graphql(default)]
    pub dos: Vec<String>,
    #[graphql(default)]
    pub donts: Vec<String>,
    /// Default true.
    pub disclosure_required: Option<bool>,
    pub usage_rights_days: Option<i32>,
}

impl From<BriefInput> for Brief {
    fn from(value: BriefInput) -> Self {
        Self {
            summary: value.summary,
            key_messages: value.key_messages,
            guardrails: value.guardrails,
            dos: value.dos,
            donts: value.donts,
            disclosure_required: value.disclosure_required,
            usage_rights_days: value.usage_rights_days,
        }
    }
}

/// Amounts are in the brand currency.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub name: String,
    pub objective: CampaignObjective,
    pub schedule: CampaignSchedule,
    /// Required for FLIGHT.
    pub starts_at: Option<DateTime>,
    /// Required for FLIGHT, after `startsAt`; ALWAYS_ON has none.
    pub ends_at: Option<DateTime>,
    pub budget: Option<MoneyInput>,
    pub target_cpa: Option<MoneyInput>,
    pub target_roas: Option<Decimal>,
    pub brief: Option<BriefInput>,
    /// Paid search and social ads are not allowed: with the PAID_TRAFFIC fraud rule on, a
    /// conversion whose click landed with gclid, fbclid, ttclid or msclkid is flagged. Default
    /// false.
    pub forbids_paid_search: Option<bool>,
}

/// Only the fields given change (`null` clears an optional one).
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub id: ID,
    pub name: Option<String>,
    pub objective: Option<CampaignObjective>,
    pub schedule: Option<CampaignSchedule>,
    pub starts_at: MaybeUndefined<DateTime>,
    pub ends_at: MaybeUndefined<DateTime>,
    pub budget: MaybeUndefined<MoneyInput>,
    pub target_cpa: MaybeUndefined<MoneyInput>,
    pub target_roas: MaybeUndefined<Decimal>,
    /// Replaces the whole brief.
    pub brief: Option<BriefInput>,
    /// Paid search and social ads are not allowed: with the PAID_TRAFFIC fraud rule on, a
    /// conversion whose click landed with gclid, fbclid, ttclid or msclkid is flagged.
    pub forbids_paid_search: Option<bool>,
}

#[derive(InputObject)]
pub struct OfferTierInput {
    /// The sale number of the calendar month (per enrollment) from which the tier applies; 2 or
    /// more.
    pub from_sale: i32,
    pub cpa_amount: Option<MoneyInput>,
    pub revenue_share_percent: Option<Decimal>,
}

/// Amounts are in the brand currency; give exactly the ones the model needs.
#[derive(InputObject)]
pub struct CreateOfferInput {
    pub campaign_id: ID,
    pub name: String,
    pub model: OfferModel,
    pub cpa_amount: Option<MoneyInput>,
    pub cpl_amount: Option<MoneyInput>,
    pub cpc_amount: Option<MoneyInput>,
    /// Percent, e.g. "12.5".
    pub revenue_share_percent: Option<Decimal>,
    pub flat_fee: Option<MoneyInput>,
    #[graphql(default)]
    pub new_customers_only: bool,
    /// Overrides the brand's hold period.
    pub hold_period_days: Option<i32>,
    /// Most commission per enrollment and calendar month.
    pub monthly_cap: Option<MoneyInput>,
    #[graphql(default)]
    pub tiers: Vec<OfferTierInput>,
}

/// The model and base amounts of an offer are fixed once created.
#[derive(InputObject)]
pub struct UpdateOfferInput {
    pub id: ID,
    pub name: Option<String>,
    pub new_customers_only: Option<bool>,
    pub hold_period_days: MaybeUndefined<i32>,
    pub monthly_cap: MaybeUndefined<MoneyInput>,
    /// Replaces every tier.
    pub tiers: Option<Vec<OfferTierInput>>,
}

/// Per-creator overrides of the offer's rates (brand currency).
#[derive(InputObject, Default)]
pub struct RateOverridesInput {
    pub cpa_amount: Option<MoneyInput>,
    pub cpl_amount: Option<MoneyInput>,
    pub cpc_amount: Option<MoneyInput>,
    pub revenue_share_percent: Option<Decimal>,
    pub flat_fee: Option<MoneyInput>,
}

#[derive(InputObject)]
pub struct EnrollCreatorInput {
    pub campaign_id: ID,
    pub creator_id: ID,
    /// An offer of the same campaign.
    pub offer_id: ID,
    pub overrides: Option<RateOverridesInput>,
    /// Start ACTIVE rather than INVITED.
    #[graphql(default)]
    pub active: bool,
}

#[derive(InputObject)]
pub struct UpdateEnrollmentInput {
    pub id: ID,
    /// Another offer of the same campaign.
    pub offer_id: Option<ID>,
    /// Replaces every override.
    pub overrides: Option<RateOverridesInput>,
}

impl RateOverridesInput {
    fn into_service(self) -> Result<RatesInput, AppError> {
        Ok(RatesInput {
            cpa: optional_money("cpaAmount", self.cpa_amount)?,
            cpl: optional_money("cplAmount", self.cpl_amount)?,
            cpc: optional_money("cpcAmount", self.cpc_amount)?,
            revenue_share_percent: self.revenue_share_percent.map(|d| d.0),
            flat_fee: optional_money("flatFee", self.flat_fee)?,
        })
    }
}

fn tiers(input: Vec<OfferTierInput>) -> Result<Vec<TierInput>, AppError> {
    input
        .into_iter()
        .map(|tier| {
            Ok(TierInput {
                from_sale: tier.from_sale,
                cpa: optional_money("tiers.cpaAmount", tier.cpa_amount)?,
                revenue_share_percent: tier.revenue_share_percent.map(|d| d.0),
            })
        })
        .collect()
}

fn optional_money(
    field: &str,
    value: Option<MoneyInput>,
) -> Result<Option<crate::domain::money::Money>, AppError> {
    value.map(|m| m.to_money(field)).transpose()
}

fn maybe<T, U>(
    value: MaybeUndefined<T>,
    f: impl FnOnce(T) -> Result<U, AppError>,
) -> Result<Option<Option<U>>, AppError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(v) => Ok(Some(Some(f(v)?))),
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// MANAGER, ADMIN: a new campaign, in DRAFT.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> Result<Campaign, AppError> {
        let created = campaigns::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            CampaignInput {
                name: input.name,
                objective: input.objective.into(),
                schedule: input.schedule.into(),
                starts_at: input.starts_at.map(|d| d.0),
                ends_at: input.ends_at.map(|d| d.0),
                budget: optional_money("budget", input.budget)?,
                target_cpa: optional_money("targetCpa", input.target_cpa)?,
                target_roas: input.target_roas.map(|d| d.0),
                brief: input.brief.map(Into::into),
                forbids_paid_search: input.forbids_paid_search.unwrap_or(false),
            },
            context::now(ctx),
        )
        .await?;
        Ok(Campaign(created))
    }

    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        input: UpdateCampaignInput,
    ) -> Result<Campaign, AppError> {
        let campaign_id = id::decode_as(&input.id, NodeKind::Campaign, "id")?;
        let change = CampaignChange {
            name: input.name,
            objective: input.objective.map(Into::into),
            schedule: input.schedule.map(Into::into),
            starts_at: maybe(input.starts_at, |d| Ok(d.0))?,
            ends_at: maybe(input.ends_at, |d| Ok(d.0))?,
            budget: maybe(input.budget, |m| m.to_money("budget"))?,
            target_cpa: maybe(input.target_cpa, |m| m.to_money("targetCpa"))?,
            target_roas: maybe(input.target_roas, |d| Ok(d.0))?,
            brief: input.brief.map(Into::into),
            forbids_paid_search: input.forbids_paid_search,
        };
        let updated = campaigns::update(
            context::db(ctx)?,
            context::actor(ctx)?,
            campaign_id,
            change,
            context::now(ctx),
        )
        .await?;
        Ok(Campaign(updated))
    }

    /// DRAFT -> ACTIVE <-> PAUSED -> COMPLETED; -> ARCHIVED.
    async fn set_campaign_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: CampaignStatus,
    ) -> Result<Campaign, AppError> {
        let campaign_id = id::decode_as(&id, NodeKind::Campaign, "id")?;
        let updated = campaigns::set_status(
            context::db(ctx)?,
            context::actor(ctx)?,
            campaign_id,
            status.into(),
            context::now(ctx),
        )
        .await?;
        Ok(Campaign(updated))
    }

    async fn create_offer(
        &self,
        ctx: &Context<'_>,
        input: CreateOfferInput,
    ) -> Result<Offer, AppError> {
        let campaign_id = id::decode_as(&input.campaign_id, NodeKind::Campaign, "campaignId")?;
        let actor = context::actor(ctx)?;
        let rates = RateOverridesInput {
            cpa_amount: input.cpa_amount,
            cpl_amount: input.cpl_amount,
            cpc_amount: input.cpc_amount,
            revenue_share_percent: input.revenue_share_percent,
            flat_fee: input.flat_fee,
        }
        .into_service()?;
        let offer = OfferInput {
            campaign_id,
            name: input.name,
            model: input.model.into(),
            rates,
            new_customers_only: input.new_customers_only,
            hold_period_days: input.hold_period_days,
            monthly_cap: optional_money("monthlyCap", input.monthly_cap)?,
            tiers: tiers(input.tiers)?,
        };
        let created = offers::create(context::db(ctx)?, actor, offer, context::now(ctx)).await?;
        Ok(Offer(created))
    }

    async fn update_offer(
        &self,
        ctx: &Context<'_>,
        input: UpdateOfferInput,
    ) -> Result<Offer, AppError> {
        let offer_id = id::decode_as(&input.id, NodeKind::Offer, "id")?;
        let actor = context::actor(ctx)?;
        let change = OfferChange {
            name: input.name,
            new_customers_only: input.new_customers_only,
            hold_period_days: maybe(input.hold_period_days, Ok)?,
            monthly_cap: maybe(input.monthly_cap, |m| m.to_money("monthlyCap"))?,
            tiers: input.tiers.map(tiers).transpose()?,
        };
        let updated = offers::update(
            context::db(ctx)?,
            actor,
            offer_id,
            change,
            context::now(ctx),
        )
        .await?;
        Ok(Offer(updated))
    }

    /// Enrolls a creator of the brand in a campaign under one of its offers (INVITED unless
    /// `active`). One live enrollment per creator and campaign.
    async fn enroll_creator(
        &self,
        ctx: &Context<'_>,
        input: EnrollCreatorInput,
    ) -> Result<Enrollment, AppError> {
        let campaign_id = id::decode_as(&input.campaign_id, NodeKind::Campaign, "campaignId")
            .map_err(|_| AppError::bad_input("campaignId", "no such campaign"))?;
        let creator_id = id::decode_as(&input.creator_id, NodeKind::Creator, "creatorId")
            .map_err(|_| AppError::bad_input("creatorId", "no such creator"))?;
        let offer_id = id::decode_as(&input.offer_id, NodeKind::Offer, "offerId")
            .map_err(|_| AppError::bad_input("offerId", "no such offer"))?;
        let actor = context::actor(ctx)?;
        let enroll = EnrollInput {
            campaign_id,
            creator_id,
            offer_id,
            overrides: input.overrides.unwrap_or_default().into_service()?,
            active: input.active,
        };
        let created =
            enrollments::enroll(context::db(ctx)?, actor, enroll, context::now(ctx)).await?;
        Ok(Enrollment(created))
    }

    /// INVITED -> ACTIVE <-> PAUSED; -> REMOVED (final).
    async fn set_enrollment_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: EnrollmentStatus,
    ) -> Result<Enrollment, AppError> {
        let enrollment_id = id::decode_as(&id, NodeKind::Enrollment, "id")?;
        let updated = enrollments::set_status(
            context::db(ctx)?,
            context::actor(ctx)?,
            enrollment_id,
            status.into(),
            context::now(ctx),
        )
        .await?;
        Ok(Enrollment(updated))
    }

    async fn update_enrollment(
        &self,
        ctx: &Context<'_>,
        input: UpdateEnrollmentInput,
    ) -> Result<Enrollment, AppError> {
        let enrollment_id = id::decode_as(&input.id, NodeKind::Enrollment, "id")?;
        let offer_id = input
            .offer_id
            .map(|id| {
                id::decode_as(&id, NodeKind::Offer, "offerId")
                    .map_err(|_| AppError::bad_input("offerId", "no such offer"))
            })
            .transpose()?;
        let actor = context::actor(ctx)?;
        let overrides = input
            .overrides
            .map(RateOverridesInput::into_service)
            .transpose()?;
        let updated = enrollments::update_terms(
            context::db(ctx)?,
            actor,
            enrollment_id,
            offer_id,
            overrides,
            context::now(ctx),
        )
        .await?;
        Ok(Enrollment(updated))
    }
}
