//! Resolvers that read the database box that read (`Box::pin`): async-graphql moves each
//! field's future of an object onto the heap, and that future is as large as the type's largest
//! field, so a read held inline would be copied for every field of every row of a list
//! (docs/architecture.md, "Future sizes").

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::db::entity::{campaign, enrollment, offer, offer_tier};
use crate::domain::{campaign as rules, enrollment as enrollment_rules, offer as offer_rules};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::content::types::Deliverable;
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::enums::{
    CampaignObjective, CampaignSchedule, CampaignStatus, EnrollmentStatus, OfferModel, stored,
};
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::{EnrollmentPageKey, failed};
use crate::graphql::money::{MoneyObject, stored_opt};
use crate::graphql::performance::types::{CampaignPerformance, PerformanceMetrics};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::service::creators::stored_decimal;
use crate::service::deliverables::{self, DeliverableFilter};
use crate::service::enrollments::{self, EnrollmentParent};
use crate::service::offers;
use crate::service::performance;

fn decimal_opt(value: Option<&str>) -> Result<Option<Decimal>, AppError> {
    value.map(|v| stored_decimal(v).map(Decimal)).transpose()
}

/// A brand's campaign: schedule, status, budget, targets and brief.
pub struct Campaign(pub campaign::Model);

#[derive(SimpleObject)]
pub struct Brief {
    pub summary: Option<String>,
    pub key_messages: Vec<String>,
    pub guardrails: Option<String>,
    pub dos: Vec<String>,
    pub donts: Vec<String>,
    pub disclosure_required: bool,
    /// How long the brand may reuse the content, in days.
    pub usage_rights_days: Option<i32>,
}

#[Object]
impl Campaign {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Campaign, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn objective(&self) -> Result<CampaignObjective, AppError> {
        stored(&self.0.objective, rules::Objective::parse)
    }

    async fn schedule(&self) -> Result<CampaignSchedule, AppError> {
        stored(&self.0.schedule, rules::Schedule::parse)
    }

    async fn status(&self) -> Result<CampaignStatus, AppError> {
        stored(&self.0.status, rules::CampaignStatus::parse)
    }

    async fn starts_at(&self) -> Option<DateTime> {
        self.0.starts_at.map(DateTime)
    }

    async fn ends_at(&self) -> Option<DateTime> {
        self.0.ends_at.map(DateTime)
    }

    async fn budget(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.budget_minor, &self.0.currency_code)
    }

    async fn target_cpa(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.target_cpa_minor, &self.0.currency_code)
    }

    /// Paid search and social ads are not allowed (PAID_TRAFFIC fraud rule; default false).
    async fn forbids_paid_search(&self) -> bool {
        self.0.forbids_paid_search
    }

    async fn target_roas(&self) -> Result<Option<Decimal>, AppError> {
        decimal_opt(self.0.target_roas.as_deref())
    }

    /// Staff: the campaign's scorecard over `[from, to)`: its metrics against its targets.
    async fn performance(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
    ) -> Result<CampaignPerformance, AppError> {
        let scorecard = Box::pin(performance::campaign_scorecard(
            context::db(ctx)?,
            context::actor(ctx)?,
            self.0.id,
            from.0,
            to.0,
        ))
        .await?;
        Ok(CampaignPerformance {
            cpa_vs_target: scorecard.cpa_vs_target,
            roas_vs_target: scorecard.roas_vs_target,
            metrics: PerformanceMetrics {
                metrics: scorecard.report.totals,
                currency_code: scorecard.report.currency_code,
            },
        })
    }

    async fn brief(&self) -> Brief {
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        Brief {
            summary: self.0.brief_summary.clone(),
            key_messages: list(&self.0.brief_key_messages),
            guardrails: self.0.brief_guardrails.clone(),
            dos: list(&self.0.brief_dos),
            donts: list(&self.0.brief_donts),
            disclosure_required: self.0.disclosure_required,
            usage_rights_days: self.0.usage_rights_days,
        }
    }

    async fn offers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Offer>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = Box::pin(offers::list_for_campaign(
            context::db(ctx)?,
            context::actor(ctx)?,
            self.0.id,
            request.by_id()?,
        ))
        .await?;
        Ok(id_page(&request, rows, |o| o.id, Offer))
    }

    /// Creators enrolled in the campaign, oldest first.
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<EnrollmentStatus>,
    ) -> Result<Page<Enrollment>, AppError> {
        enrollments_of(
            ctx,
            EnrollmentParent::Campaign(self.0.id),
            first,
            after,
            status,
        )
        .await
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

/// A page of enrollments of a parent the caller may read. A plain first page goes through the
/// batching loader (constant statements for a list of parents); `after` or `status` query directly.
pub async fn enrollments_of(
    ctx: &Context<'_>,
    parent: EnrollmentParent,
    first: Option<i32>,
    after: Option<String>,
    status: Option<EnrollmentStatus>,
) -> Result<Page<Enrollment>, AppError> {
    let request = PageRequest::new(first, after)?.counting(ctx);
    let rows = if request.after.is_none() && status.is_none() {
        let key = EnrollmentPageKey {
            parent,
            first: request.fetch_limit(),
        };
        let page = Box::pin(context::loaders(ctx)?.enrollment_pages().load_one(key))
            .await
            .map_err(failed)?
            .ok_or_else(|| AppError::internal("enrollment page missing"))?;
        (page.rows, page.total)
    } else {
        Box::pin(enrollments::list_for(
            context::db(ctx)?,
            parent,
            status.map(Into::into),
            request.by_id()?,
        ))
        .await?
    };
    Ok(id_page(&request, rows, |e| e.id, Enrollment))
}

/// What a creator earns in a campaign, by model.
pub struct Offer(pub offer::Model);

#[Object]
impl Offer {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Offer, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn model(&self) -> Result<OfferModel, AppError> {
        stored(&self.0.model, offer_rules::OfferModel::parse)
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        load_campaign(ctx, self.0.campaign_id).await
    }

    /// Per sale (CPA, HYBRID).
    async fn cpa_amount(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.cpa_amount_minor, &self.0.currency_code)
    }

    /// Per lead (CPL).
    async fn cpl_amount(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.cpl_amount_minor, &self.0.currency_code)
    }

    /// Per unique non-bot click (CPC).
    async fn cpc_amount(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.cpc_amount_minor, &self.0.currency_code)
    }

    /// Percent of the sale amount net of refunds (REVENUE_SHARE, HYBRID), e.g. "12.5".
    async fn revenue_share_percent(&self) -> Result<Option<Decimal>, AppError> {
        decimal_opt(self.0.revenue_share_percent.as_deref())
    }

    /// Paid once when the enrollment becomes ACTIVE (FLAT_FEE, HYBRID).
    async fn flat_fee(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.flat_fee_minor, &self.0.currency_code)
    }

    /// Only sales to new customers earn a commission.
    async fn new_customers_only(&self) -> bool {
        self.0.new_customers_only
    }

    /// Overrides the brand's hold period when set.
    async fn hold_period_days(&self) -> Option<i32> {
        self.0.hold_period_days
    }

    /// Most commission per enrollment and calendar month.
    async fn monthly_cap(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.monthly_cap_minor, &self.0.currency_code)
    }

    /// Monthly volume tiers, by `fromSale`.
    async fn tiers(&self, ctx: &Context<'_>) -> Result<Vec<OfferTier>, AppError> {
        let rows = context::loaders(ctx)?
            .tiers()
            .load_one(self.0.id)
            .await
            .map_err(failed)?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| OfferTier(row, self.0.currency_code.clone()))
            .collect())
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// From the `fromSale`-th sale of a calendar month (per enrollment), this rate applies.
pub struct OfferTier(pub offer_tier::Model, pub String);

#[Object]
impl OfferTier {
    async fn from_sale(&self) -> i32 {
        self.0.from_sale
    }

    async fn cpa_amount(&self) -> Result<Option<MoneyObject>, AppError> {
        stored_opt(self.0.cpa_amount_minor, &self.1)
    }

    async fn revenue_share_percent(&self) -> Result<Option<Decimal>, AppError> {
        decimal_opt(self.0.revenue_share_percent.as_deref())
    }
}

async fn load_campaign(ctx: &Context<'_>, id: i64) -> Result<Campaign, AppError> {
    context::loaders(ctx)?
        .campaigns()
        .load_one(id)
        .await
        .map_err(failed)?
        .map(Campaign)
        .ok_or(AppError::NotFound)
}

/// A creator in a campaign under an offer, with per-creator overrides of the offer's rates.
pub struct Enrollment(pub enrollment::Model);

#[Object]
impl Enrollment {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Enrollment, self.0.id)
    }

    async fn status(&self) -> Result<EnrollmentStatus, AppError> {
        stored(&self.0.status, enrollment_rules::EnrollmentStatus::parse)
    }

    async fn creator(&self, ctx: &Context<'_>) -> Result<Creator, AppError> {
        context::loaders(ctx)?
            .creators()
            .load_one(self.0.creator_id)
            .await
            .map_err(failed)?
            .map(Creator::from)
            .ok_or(AppError::NotFound)
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        load_campaign(ctx, self.0.campaign_id).await
    }

    async fn offer(&self, ctx: &Context<'_>) -> Result<Offer, AppError> {
        context::loaders(ctx)?
            .offers()
            .load_one(self.0.offer_id)
            .await
            .map_err(failed)?
            .map(Offer)
            .ok_or(AppError::NotFound)
    }

    /// Overrides of the offer for this creator (null: the offer's rate applies).
    async fn overrides(&self, ctx: &Context<'_>) -> Result<RateOverrides, AppError> {
        let offer = self.offer(ctx).await?;
        let currency = offer.0.currency_code;
        Ok(RateOverrides {
            cpa_amount: stored_opt(self.0.cpa_amount_minor, &currency)?,
            cpl_amount: stored_opt(self.0.cpl_amount_minor, &currency)?,
            cpc_amount: stored_opt(self.0.cpc_amount_minor, &currency)?,
            revenue_share_percent: decimal_opt(self.0.revenue_share_percent.as_deref())?,
            flat_fee: stored_opt(self.0.flat_fee_minor, &currency)?,
        })
    }

    /// When it first became ACTIVE.
    async fn activated_at(&self) -> Option<DateTime> {
        self.0.activated_at.map(DateTime)
    }

    async fn deliverables(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Deliverable>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let filter = DeliverableFilter {
            enrollment_id: Some(self.0.id),
            ..DeliverableFilter::default()
        };
        let rows = Box::pin(deliverables::list(
            context::db(ctx)?,
            context::actor(ctx)?,
            filter,
            request.by_id()?,
        ))
        .await?;
        Ok(id_page(&request, rows, |d| d.id, Deliverable))
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(SimpleObject)]
pub struct RateOverrides {
    pub cpa_amount: Option<MoneyObject>,
    pub cpl_amount: Option<MoneyObject>,
    pub cpc_amount: Option<MoneyObject>,
    pub revenue_share_percent: Option<Decimal>,
    pub flat_fee: Option<MoneyObject>,
}
