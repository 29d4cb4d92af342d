//! Geo-holdout experiments: a campaign's treatment and control regions over a window, and their
//! result (DOMAIN.md, Metrics, `experiment`).
//!
//! Decisions:
//! - The result counts every SALE conversion of the brand in `[startsAt, endsAt)` whose `region`
//!   is one of the experiment's, attributed or not: a geo holdout measures what the campaign
//!   changed in a region, which includes sales no link or code captured. Fully refunded sales
//!   still count as conversions (the purchase happened); revenue is net of refunds, whatever the
//!   refund's date (DOMAIN: refunds count against their conversion).
//! - Spend is the campaign's commission lines dated in the window (all statuses, reversals
//!   included) plus its costs incurred in the window, as the `spend` metric defines it.
//! - Everything is counted by SQL aggregates, never by loading conversions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Target};
use super::page::{self, KeysetPage};
use super::{campaigns, ledger, scoped};
use crate::auth::{Actor, Permission};
use crate::db::entity::{commission, conversion, cost, experiment, experiment_region};
use crate::domain::conversion::Kind;
use crate::domain::experiment::{self as rules, RegionInput};
use crate::domain::lift::{Arm, ArmObservation, Lift, geo_holdout};
use crate::domain::money::Currency;
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

pub struct ExperimentInput {
    pub campaign_id: i64,
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub treatment: Vec<RegionInput>,
    pub control: Vec<RegionInput>,
}

/// What an experiment observed and what it means.
#[derive(Clone, Debug)]
pub struct ExperimentResult {
    pub treatment: ArmObservation,
    pub control: ArmObservation,
    /// Campaign spend in the window, brand minor units.
    pub spend_minor: i64,
    /// The brand currency, which every amount is in.
    pub currency: Currency,
    pub lift: Lift,
}

fn invalid((field, message): rules::Invalid) -> AppError {
    AppError::bad_input(field, message)
}

/// MANAGER, ADMIN: a new experiment on a campaign of the brand, with its regions, in one
/// transaction. A campaign of another brand is BAD_USER_INPUT on `campaignId`, like one that
/// does not exist.
#[instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: ExperimentInput,
    now: DateTime<Utc>,
) -> Result<experiment::Model, AppError> {
    let campaign = campaigns::named_in_input(db, actor, input.campaign_id).await?;
    let name = text::required("name", &input.name, 200).map_err(AppError::invalid)?;
    rules::validate_window(input.starts_at, input.ends_at).map_err(invalid)?;
    let regions = rules::regions(&input.treatment, &input.control).map_err(invalid)?;
    let txn = db.begin().await?;
    let created = experiment::ActiveModel {
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign.id),
        name: Set(name),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut changes = audit::diff(None, Some(&created));
    for (arm, field) in [(Arm::Treatment, "treatment"), (Arm::Control, "control")] {
        let of_arm: serde_json::Value = regions
            .iter()
            .filter(|r| r.arm == arm)
            .map(|r| serde_json::json!({ "region": r.region, "population": r.population }))
            .collect();
        changes = changes.set(field, serde_json::Value::Null, of_arm);
    }
    audit::record(&txn, Target::new(NodeKind::Experiment, created.id), changes).await?;
    let rows = regions.into_iter().map(|r| experiment_region::ActiveModel {
        brand_id: Set(campaign.brand_id),
        experiment_id: Set(created.id),
        arm: Set(r.arm.as_str().to_owned()),
        region: Set(r.region),
        population: Set(r.population),
        created_at: Set(now),
        ..Default::default()
    });
    experiment_region::Entity::insert_many(rows)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// Staff (ADMIN, MANAGER, ANALYST): an experiment of the brand. Another brand's, a missing one,
/// and any experiment asked for by a role that does not read them are NOT_FOUND
/// ([`scoped::get`]).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<experiment::Model, AppError> {
    scoped::get::<experiment::Entity, _>(db, actor, Permission::ReadBrand, id).await
}

/// Staff: the brand's experiments, oldest first, optionally of one campaign.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    campaign_id: Option<i64>,
    page: KeysetPage,
) -> Result<(Vec<experiment::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select = experiment::Entity::find().filter(experiment::Column::BrandId.eq(brand_id));
    if let Some(id) = campaign_id {
        select = select.filter(experiment::Column::CampaignId.eq(id));
    }
    page::by_id(db, select, experiment::Column::Id, page).await
}

/// The regions of many experiments (for the loader), in the order given. The ids come from
/// experiments the caller was allowed to read.
pub async fn regions_of(
    db: &DatabaseConnection,
    experiment_ids: &[i64],
) -> Result<Vec<experiment_region::Model>, DbErr> {
    experiment_region::Entity::find()
        .filter(experiment_region::Column::ExperimentId.is_in(experiment_ids.iter().copied()))
        .order_by_asc(experiment_region::Column::ExperimentId)
        .order_by_asc(experiment_region::Column::Id)
        .all(db)
        .await
}

/// `CAST(SUM(expr) AS BIGINT)`: `SUM(bigint)` is NUMERIC on PostgreSQL.
fn sum_as_bigint(expr: Expr) -> Expr {
    Expr::expr(Func::cast_as(Func::sum(expr), Alias::new("BIGINT")))
}

/// Staff: the experiment's result (see the module documentation for what is counted).
#[instrument(skip_all, fields(experiment = experiment.id))]
pub async fn result(
    db: &DatabaseConnection,
    actor: &Actor,
    experiment: &experiment::Model,
) -> Result<ExperimentResult, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    if experiment.brand_id != brand_id {
        return Err(AppError::NotFound);
    }
    let currency = Currency::parse(&campaigns::brand_currency(db, brand_id).await?)
        .map_err(AppError::internal)?;
    let regions = regions_of(db, &[experiment.id]).await?;
    let rows = sales_by_region(db, experiment, &regions).await?;
    let by_region: HashMap<&str, (i64, i64)> = rows
        .iter()
        .map(|(region, n, revenue)| (region.as_str(), (*n, revenue.unwrap_or(0))))
        .collect();
    let observe = |arm: Arm| -> Result<ArmObservation, AppError> {
        let mut observed = ArmObservation {
            conversions: 0,
            population: 0,
            revenue_minor: 0,
        };
        for region in regions.iter().filter(|r| r.arm == arm.as_str()) {
            let (conversions, revenue) = by_region
                .get(region.region.as_str())
                .copied()
                .unwrap_or((0, 0));
            let overflow = || AppError::internal("experiment totals overflow");
            observed.conversions = observed
                .conversions
                .checked_add(conversions)
                .ok_or_else(overflow)?;
            observed.population = observed
                .population
                .checked_add(region.population)
                .ok_or_else(overflow)?;
            observed.revenue_minor = observed
                .revenue_minor
                .checked_add(revenue)
                .ok_or_else(overflow)?;
        }
        Ok(observed)
    };
    let treatment = observe(Arm::Treatment)?;
    let control = observe(Arm::Control)?;
    let spend_minor = campaign_spend(db, experiment).await?;
    let lift = geo_holdout(treatment, control, spend_minor).map_err(AppError::internal)?;
    Ok(ExperimentResult {
        treatment,
        control,
        spend_minor,
        currency,
        lift,
    })
}

/// `(region, SALE conversions, net revenue)` of the brand in the window, for the experiment's
/// regions: one `GROUP BY region` statement.
async fn sales_by_region(
    db: &impl ConnectionTrait,
    experiment: &experiment::Model,
    regions: &[experiment_region::Model],
) -> Result<Vec<(String, i64, Option<i64>)>, AppError> {
    let net = Expr::col(conversion::Column::BrandAmountMinor)
        .sub(Expr::col(conversion::Column::RefundedBrandMinor));
    Ok(conversion::Entity::find()
        .select_only()
        .column(conversion::Column::Region)
        .column_as(Expr::col(conversion::Column::Id).count(), "conversions")
        .column_as(sum_as_bigint(net), "revenue")
        .filter(conversion::Column::BrandId.eq(experiment.brand_id))
        .filter(conversion::Column::Kind.eq(Kind::Sale.as_str()))
        .filter(conversion::Column::OccurredAt.gte(experiment.starts_at))
        .filter(conversion::Column::OccurredAt.lt(experiment.ends_at))
        .filter(conversion::Column::Region.is_in(regions.iter().map(|r| r.region.clone())))
        .group_by(conversion::Column::Region)
        .into_tuple()
        .all(db)
        .await?)
}

/// The campaign's commission lines dated in the window plus its costs incurred in the window.
async fn campaign_spend(
    db: &impl ConnectionTrait,
    experiment: &experiment::Model,
) -> Result<i64, AppError> {
    let commissions: Option<i64> = commission::Entity::find()
        .select_only()
        .column_as(ledger::sum_of_amounts(), "total")
        .filter(commission::Column::BrandId.eq(experiment.brand_id))
        .filter(commission::Column::CampaignId.eq(experiment.campaign_id))
        .filter(commission::Column::OccurredAt.gte(experiment.starts_at))
        .filter(commission::Column::OccurredAt.lt(experiment.ends_at))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    let costs: Option<i64> = cost::Entity::find()
        .select_only()
        .column_as(
            sum_as_bigint(Expr::col(cost::Column::BrandAmountMinor)),
            "total",
        )
        .filter(cost::Column::BrandId.eq(experiment.brand_id))
        .filter(cost::Column::CampaignId.eq(experiment.campaign_id))
        .filter(cost::Column::IncurredAt.gte(experiment.starts_at))
        .filter(cost::Column::IncurredAt.lt(experiment.ends_at))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    commissions
        .unwrap_or(0)
        .checked_add(costs.unwrap_or(0))
        .ok_or_else(|| AppError::internal("campaign spend overflow"))
}
