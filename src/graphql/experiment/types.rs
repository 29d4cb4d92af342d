use async_graphql::{Context, ID, Object, SimpleObject};

use crate::db::entity::{experiment, experiment_region};
use crate::domain::lift::Arm;
use crate::domain::money::Money;
use crate::error::AppError;
use crate::graphql::campaign::types::Campaign;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::loaders::failed;
use crate::graphql::money::MoneyObject;
use crate::graphql::scalars::DateTime;
use crate::service::experiments;

/// A geo-holdout experiment (see its `#[Object]` description).
pub struct Experiment(pub experiment::Model);

impl Experiment {
    async fn regions(
        &self,
        ctx: &Context<'_>,
        arm: Arm,
    ) -> Result<Vec<ExperimentRegion>, AppError> {
        let rows = context::loaders(ctx)?
            .experiment_regions()
            .load_one(self.0.id)
            .await
            .map_err(failed)?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|row| row.arm == arm.as_str())
            .map(ExperimentRegion::from)
            .collect())
    }
}

/// A geo-holdout experiment: the campaign runs in the treatment regions and is held out of the
/// control regions over a window; the difference in conversions per capita is its effect.
#[Object]
impl Experiment {
    /// The experiment's global ID.
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Experiment, self.0.id)
    }

    /// A name for people.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The campaign whose effect is measured.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign, AppError> {
        context::loaders(ctx)?
            .campaigns()
            .load_one(self.0.campaign_id)
            .await
            .map_err(failed)?
            .map(Campaign)
            .ok_or(AppError::NotFound)
    }

    /// Start of the window (included).
    async fn starts_at(&self) -> DateTime {
        self.0.starts_at.into()
    }

    /// End of the window (excluded).
    async fn ends_at(&self) -> DateTime {
        self.0.ends_at.into()
    }

    /// Regions where the campaign runs, in the order given.
    async fn treatment(&self, ctx: &Context<'_>) -> Result<Vec<ExperimentRegion>, AppError> {
        self.regions(ctx, Arm::Treatment).await
    }

    /// Regions held out of the campaign, in the order given.
    async fn control(&self, ctx: &Context<'_>) -> Result<Vec<ExperimentRegion>, AppError> {
        self.regions(ctx, Arm::Control).await
    }

    /// When the experiment was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// The result over the window, computed when asked from all SALE conversions of the brand
    /// in the experiment's regions (attributed or not) and the campaign's spend in the window.
    /// A few aggregate queries per experiment: ask for it on one experiment at a time.
    async fn result(&self, ctx: &Context<'_>) -> Result<ExperimentResult, AppError> {
        let result = experiments::result(context::db(ctx)?, context::actor(ctx)?, &self.0).await?;
        Ok(result.into())
    }
}

/// A region in one arm of an experiment.
#[derive(SimpleObject)]
pub struct ExperimentRegion {
    /// The region code as conversions carry it (trimmed, upper-cased), e.g. "US-CA".
    pub region: String,
    /// People in the region, the denominator of its conversion rate.
    pub population: i64,
}

impl From<experiment_region::Model> for ExperimentRegion {
    fn from(row: experiment_region::Model) -> Self {
        Self {
            region: row.region,
            population: row.population,
        }
    }
}

/// What a geo-holdout experiment observed and what it means. Rates are conversions per capita;
/// a figure whose denominator is zero is null, never 0 or infinity. Amounts are in the brand
/// currency.
#[derive(SimpleObject)]
pub struct ExperimentResult {
    /// SALE conversions in the treatment regions in the window (attributed or not; refunded
    /// ones included).
    pub treatment_conversions: i64,
    /// SALE conversions in the control regions in the window.
    pub control_conversions: i64,
    /// Total population of the treatment regions.
    pub treatment_population: i64,
    /// Total population of the control regions.
    pub control_population: i64,
    /// Net revenue (after refunds) of the treatment conversions.
    pub treatment_revenue: MoneyObject,
    /// Net revenue (after refunds) of the control conversions.
    pub control_revenue: MoneyObject,
    /// Treatment conversions per capita.
    pub treatment_rate: Option<f64>,
    /// Control conversions per capita.
    pub control_rate: Option<f64>,
    /// (treatmentRate - controlRate) / controlRate; null when the control has no conversions.
    pub lift: Option<f64>,
    /// Lower bound of the 95% interval of `lift` (two-proportion normal approximation on the
    /// difference of rates, divided by the control rate).
    pub lift_low: Option<f64>,
    /// Upper bound of the 95% interval of `lift`.
    pub lift_high: Option<f64>,
    /// (treatmentRate - controlRate) x treatmentPopulation.
    pub incremental_conversions: Option<f64>,
    /// The difference in net revenue per capita times the treatment population, rounded half
    /// to even once.
    pub incremental_revenue: Option<MoneyObject>,
    /// The campaign's spend in the window: commission lines dated in it plus costs incurred in
    /// it.
    pub spend: MoneyObject,
    /// Incremental return on ad spend: incrementalRevenue / spend; null without spend.
    pub iroas: Option<f64>,
}

impl From<experiments::ExperimentResult> for ExperimentResult {
    fn from(result: experiments::ExperimentResult) -> Self {
        let money = |minor| MoneyObject::from(Money::new(minor, result.currency));
        let lift = result.lift;
        Self {
            treatment_conversions: result.treatment.conversions,
            control_conversions: result.control.conversions,
            treatment_population: result.treatment.population,
            control_population: result.control.population,
            treatment_revenue: money(result.treatment.revenue_minor),
            control_revenue: money(result.control.revenue_minor),
            treatment_rate: lift.treatment_rate,
            control_rate: lift.control_rate,
            lift: lift.lift,
            lift_low: lift.lift_low,
            lift_high: lift.lift_high,
            incremental_conversions: lift.incremental_conversions,
            incremental_revenue: lift.incremental_revenue_minor.map(money),
            spend: money(result.spend_minor),
            iroas: lift.iroas,
        }
    }
}
