//! Campaigns: schedule, status lifecycle, budget and targets, and the creative brief.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use tracing::instrument;

use super::audit;
use super::page::{self, KeysetPage};
use super::scoped;
use crate::auth::{Actor, Permission};
use crate::db::entity::{brand, campaign};
use crate::domain::campaign::{
    CampaignStatus, Objective, Schedule, status_transition_allowed, validate_schedule,
};
use crate::domain::money::Money;
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

#[derive(Default)]
pub struct Brief {
    pub summary: Option<String>,
    pub key_messages: Vec<String>,
    pub guardrails: Option<String>,
    pub dos: Vec<String>,
    pub donts: Vec<String>,
    pub disclosure_required: Option<bool>,
    pub usage_rights_days: Option<i32>,
}

pub struct CampaignInput {
    pub name: String,
    pub objective: Objective,
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub budget: Option<Money>,
    pub target_cpa: Option<Money>,
    pub target_roas: Option<Decimal>,
    pub brief: Option<Brief>,
    pub forbids_paid_search: bool,
}

/// A partial change; `None` keeps a field. Dates and schedule are validated together.
#[derive(Default)]
pub struct CampaignChange {
    pub name: Option<String>,
    pub objective: Option<Objective>,
    pub schedule: Option<Schedule>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub budget: Option<Option<Money>>,
    pub target_cpa: Option<Option<Money>>,
    pub target_roas: Option<Option<Decimal>>,
    pub brief: Option<Brief>,
    /// PAID_TRAFFIC (fraud rule): clicks from paid ads are flagged on this campaign.
    pub forbids_paid_search: Option<bool>,
}

/// The brand's currency: every campaign amount is in it.
pub async fn brand_currency(db: &DatabaseConnection, brand_id: i64) -> Result<String, AppError> {
    Ok(brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?
        .currency_code)
}

/// Money input must be in the brand currency and not negative.
pub fn brand_amount(field: &str, money: Money, currency: &str) -> Result<i64, AppError> {
    if money.currency.code() != currency {
        return Err(AppError::bad_input(
            field,
            format!("must be in the brand currency {currency}"),
        ));
    }
    if money.minor < 0 {
        return Err(AppError::bad_input(field, "must not be negative"));
    }
    Ok(money.minor)
}

fn validate_roas(roas: Decimal) -> Result<String, AppError> {
    if roas <= Decimal::ZERO || roas > Decimal::from(10_000) {
        return Err(AppError::bad_input("targetRoas", "must be more than 0"));
    }
    Ok(roas.normalize().to_string())
}

fn apply_brief(active: &mut campaign::ActiveModel, brief: Brief) -> Result<(), AppError> {
    let json = |field, values: &[String]| -> Result<String, AppError> {
        let lines = text::lines(field, values, 30, 500).map_err(AppError::invalid)?;
        serde_json::to_string(&lines).map_err(AppError::internal)
    };
    active.brief_summary = Set(
        text::optional("brief.summary", brief.summary.as_deref(), 4000)
            .map_err(AppError::invalid)?,
    );
    active.brief_key_messages = Set(json("brief.keyMessages", &brief.key_messages)?);
    active.brief_guardrails =
        Set(
            text::optional("brief.guardrails", brief.guardrails.as_deref(), 4000)
                .map_err(AppError::invalid)?,
        );
    active.brief_dos = Set(json("brief.dos", &brief.dos)?);
    active.brief_donts = Set(json("brief.donts", &brief.donts)?);
    if let Some(required) = brief.disclosure_required {
        active.disclosure_required = Set(required);
    }
    if brief
        .usage_rights_days
        .is_some_and(|days| !(0..=3650).contains(&days))
    {
        return Err(AppError::bad_input(
            "brief.usageRightsDays",
            "must be 0 to 3650",
        ));
    }
    active.usage_rights_days = Set(brief.usage_rights_days);
    Ok(())
}

#[instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CampaignInput,
    now: DateTime<Utc>,
) -> Result<campaign::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let currency = brand_currency(db, brand_id).await?;
    let name = text::required("name", &input.name, 200).map_err(AppError::invalid)?;
    validate_schedule(input.schedule, input.starts_at, input.ends_at).map_err(AppError::invalid)?;
    let budget = input
        .budget
        .map(|m| brand_amount("budget", m, &currency))
        .transpose()?;
    let target_cpa = input
        .target_cpa
        .map(|m| brand_amount("targetCpa", m, &currency))
        .transpose()?;
    let target_roas = input.target_roas.map(validate_roas).transpose()?;
    let mut active = campaign::ActiveModel {
        brand_id: Set(brand_id),
        name: Set(name),
        objective: Set(input.objective.as_str().to_owned()),
        schedule: Set(input.schedule.as_str().to_owned()),
        status: Set(CampaignStatus::Draft.as_str().to_owned()),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        currency_code: Set(currency),
        budget_minor: Set(budget),
        target_cpa_minor: Set(target_cpa),
        target_roas: Set(target_roas),
        disclosure_required: Set(true),
        forbids_paid_search: Set(input.forbids_paid_search),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_brief(&mut active, input.brief.unwrap_or_default())?;
    audit::insert(db, NodeKind::Campaign, active).await
}

/// A campaign of the caller's brand, for staff.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<campaign::Model, AppError> {
    scoped::get::<campaign::Entity, _>(db, actor, Permission::ReadBrand, id).await
}

/// A campaign to change (MANAGER, ADMIN).
pub async fn get_for_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<campaign::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    scoped::find_in_brand::<campaign::Entity, _>(db, brand_id, id).await
}

/// The campaign an input names (`campaignId`), to add something to (MANAGER, ADMIN): one that
/// does not exist or belongs to another brand is BAD_USER_INPUT on `campaignId`.
pub async fn named_in_input(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<campaign::Model, AppError> {
    get_for_change(db, actor, id)
        .await
        .map_err(|err| match err {
            AppError::NotFound => AppError::bad_input("campaignId", "no such campaign"),
            other => other,
        })
}

pub fn parse_status(stored: &str) -> Result<CampaignStatus, AppError> {
    CampaignStatus::parse(stored).ok_or_else(|| AppError::internal("stored campaign status"))
}

#[instrument(skip(db, actor, change))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: CampaignChange,
    now: DateTime<Utc>,
) -> Result<campaign::Model, AppError> {
    let current = get_for_change(db, actor, id).await?;
    let schedule = change
        .schedule
        .or_else(|| Schedule::parse(&current.schedule))
        .ok_or_else(|| AppError::internal("stored schedule"))?;
    let starts_at = change.starts_at.unwrap_or(current.starts_at);
    let ends_at = change.ends_at.unwrap_or(current.ends_at);
    validate_schedule(schedule, starts_at, ends_at).map_err(AppError::invalid)?;
    let currency = current.currency_code.clone();
    let before = current.clone();
    let mut active = current.into_active_model();
    if let Some(name) = change.name {
        active.name = Set(text::required("name", &name, 200).map_err(AppError::invalid)?);
    }
    if let Some(objective) = change.objective {
        active.objective = Set(objective.as_str().to_owned());
    }
    active.schedule = Set(schedule.as_str().to_owned());
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    if let Some(budget) = change.budget {
        active.budget_minor = Set(budget
            .map(|m| brand_amount("budget", m, &currency))
            .transpose()?);
    }
    if let Some(target) = change.target_cpa {
        active.target_cpa_minor = Set(target
            .map(|m| brand_amount("targetCpa", m, &currency))
            .transpose()?);
    }
    if let Some(roas) = change.target_roas {
        active.target_roas = Set(roas.map(validate_roas).transpose()?);
    }
    if let Some(brief) = change.brief {
        apply_brief(&mut active, brief)?;
    }
    if let Some(forbids) = change.forbids_paid_search {
        active.forbids_paid_search = Set(forbids);
    }
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Campaign, &before, active).await
}

#[instrument(skip(db, actor))]
pub async fn set_status(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    status: CampaignStatus,
    now: DateTime<Utc>,
) -> Result<campaign::Model, AppError> {
    let current = get_for_change(db, actor, id).await?;
    let from = parse_status(&current.status)?;
    if !status_transition_allowed(from, status) {
        return Err(AppError::bad_input(
            "status",
            format!("cannot move a campaign from {from} to {status}"),
        ));
    }
    let before = current.clone();
    let mut active = current.into_active_model();
    active.status = Set(status.as_str().to_owned());
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Campaign, &before, active).await
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<CampaignStatus>,
    page: KeysetPage,
) -> Result<(Vec<campaign::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select = campaign::Entity::find().filter(campaign::Column::BrandId.eq(brand_id));
    if let Some(status) = status {
        select = select.filter(campaign::Column::Status.eq(status.as_str()));
    }
    page::by_id(db, select, campaign::Column::Id, page).await
}
