//! Fraud rules and the review queue (issue #23, DOMAIN rule 8): a brand's rule settings
//! (`fraudRules`, `updateFraudRule`), the flags (`fraudFlags`, `node`) and their resolution
//! (`resolveFraudFlag`). The rules run at ingestion ([`checks`]); a flagged conversion's lines
//! are ON_HOLD until staff decide.
//!
//! Permissions: staff read (ANALYST too); only an ADMIN changes rules (`ManageSettings`, like
//! the brand's other settings); ADMIN and MANAGER resolve flags (`ManagePartnerships`: they run
//! the program and decide for it). A decision is final: resolving a flag twice is CONFLICT.

pub mod checks;
mod code_leak;

pub(crate) use code_leak::CodeCounts;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::ingest::{BrandContext, lock_brand, save_change_seq};
use super::page::{self, KeysetPage};
use crate::auth::{Actor, Permission};
use crate::db::entity::{conversion, fraud_flag, fraud_rule};
use crate::domain::attribution::Method;
use crate::domain::fraud::{Decision, FlagStatus, Parameters, Rule, Settings};
use crate::domain::text;
use crate::error::AppError;
use crate::global_id::NodeKind;

/// A rule as a brand has it: its stored setting, or its defaults (off) when never set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSetting {
    pub rule: Rule,
    pub enabled: bool,
    pub parameters: Parameters,
    pub updated_at: Option<DateTime<Utc>>,
}

impl RuleSetting {
    fn default_for(rule: Rule) -> Self {
        Self {
            rule,
            enabled: false,
            parameters: Parameters::defaults_for(rule),
            updated_at: None,
        }
    }

    fn of(row: &fraud_rule::Model) -> Result<Self, AppError> {
        let rule = Rule::parse(&row.rule).ok_or_else(|| AppError::internal("stored fraud rule"))?;
        let stored: Parameters =
            serde_json::from_str(&row.parameters).map_err(AppError::internal)?;
        // Defaults for parameters never set; a stored value wins.
        let parameters = Parameters::default()
            .merge(rule, &stored)
            .unwrap_or_else(|_| Parameters::defaults_for(rule));
        Ok(Self {
            rule,
            enabled: row.enabled,
            parameters,
            updated_at: Some(row.updated_at),
        })
    }
}

async fn stored_rules<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
) -> Result<Vec<RuleSetting>, AppError> {
    let rows = fraud_rule::Entity::find()
        .filter(fraud_rule::Column::BrandId.eq(brand_id))
        .all(db)
        .await?;
    let stored = rows
        .iter()
        .map(RuleSetting::of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule::ALL
        .iter()
        .map(|rule| {
            stored
                .iter()
                .find(|s| s.rule == *rule)
                .cloned()
                .unwrap_or_else(|| RuleSetting::default_for(*rule))
        })
        .collect())
}

/// The brand's enabled rules, for evaluation.
pub(crate) async fn settings<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
) -> Result<Settings, AppError> {
    let rules = stored_rules(db, brand_id).await?;
    Ok(Settings::new(
        rules.into_iter().map(|s| (s.rule, s.enabled, s.parameters)),
    ))
}

/// What ingestion reads of the brand's rules, once per batch.
#[derive(Clone, Debug, Default)]
pub(crate) struct BrandRules {
    pub settings: Settings,
    /// CODE_LEAK's counts are whole from this hour (`None`: not built).
    pub code_leak_counted_from: Option<DateTime<Utc>>,
}

pub(crate) async fn brand_rules<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
) -> Result<BrandRules, AppError> {
    let counted_from = fraud_rule::Entity::find()
        .filter(fraud_rule::Column::BrandId.eq(brand_id))
        .filter(fraud_rule::Column::Rule.eq(Rule::CodeLeak.as_str()))
        .one(db)
        .await?
        .and_then(|row| row.counted_from);
    Ok(BrandRules {
        settings: settings(db, brand_id).await?,
        code_leak_counted_from: counted_from,
    })
}

/// Staff: every rule, in DOMAIN rule 8's order, with its defaults when never set.
pub async fn rules(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<RuleSetting>, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    stored_rules(db, brand_id).await
}

/// ADMIN: turns a rule on or off and sets its parameters (those not given keep their value).
#[instrument(skip_all, fields(rule = %rule))]
pub async fn update_rule(
    db: &DatabaseConnection,
    actor: &Actor,
    rule: Rule,
    enabled: Option<bool>,
    change: Parameters,
    now: DateTime<Utc>,
) -> Result<RuleSetting, AppError> {
    let brand_id = actor.require(Permission::ManageSettings)?;
    let txn = db.begin().await?;
    let existing = fraud_rule::Entity::find()
        .filter(fraud_rule::Column::BrandId.eq(brand_id))
        .filter(fraud_rule::Column::Rule.eq(rule.as_str()))
        .one(&txn)
        .await?;
    let current = match &existing {
        Some(row) => RuleSetting::of(row)?,
        None => RuleSetting::default_for(rule),
    };
    let parameters = current
        .parameters
        .merge(rule, &change)
        .map_err(AppError::invalid)?;
    let json = serde_json::to_string(&parameters).map_err(AppError::internal)?;
    let enabled = enabled.unwrap_or(current.enabled);
    let saved = match existing {
        Some(row) => {
            let mut active: fraud_rule::ActiveModel = row.into();
            active.enabled = Set(enabled);
            active.parameters = Set(json);
            active.updated_by_user_id = Set(actor.user_id());
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            fraud_rule::ActiveModel {
                brand_id: Set(brand_id),
                rule: Set(rule.as_str().to_owned()),
                enabled: Set(enabled),
                parameters: Set(json),
                updated_by_user_id: Set(actor.user_id()),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let after = RuleSetting::of(&saved)?;
    if rule == Rule::CodeLeak && after.enabled != current.enabled {
        // CODE_LEAK's counts are kept while it is on: built when it is turned on, in the
        // brand's ingestion lock so that no batch stores a conversion between the build and
        // the switch.
        lock_brand(&txn, brand_id).await?;
        if after.enabled {
            code_leak::rebuild(&txn, brand_id, now).await?;
        } else {
            code_leak::clear(&txn, brand_id).await?;
        }
    }
    audit::record(
        &txn,
        Target::new(NodeKind::Brand, brand_id),
        rule_changes(&current, &after)?,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A rule setting is a setting of the brand (not an object of the API): its entry is the
/// brand's, with the rule in the field names, e.g. `fraudRules.tooFast.enabled` and
/// `fraudRules.tooFast.parameters` (every parameter, defaults filled, as JSON).
fn rule_changes(before: &RuleSetting, after: &RuleSetting) -> Result<Changes, AppError> {
    let prefix = format!("fraudRules.{}", rule_key(after.rule));
    let parameters = |setting: &RuleSetting| {
        serde_json::to_value(&setting.parameters).map_err(AppError::internal)
    };
    Ok(Changes::new()
        .set(&format!("{prefix}.enabled"), before.enabled, after.enabled)
        .set(
            &format!("{prefix}.parameters"),
            parameters(before)?,
            parameters(after)?,
        ))
}

/// `TOO_FAST` -> `tooFast` (field names of entries are camelCase).
fn rule_key(rule: Rule) -> String {
    crate::domain::audit::camel_case(&rule.as_str().to_lowercase())
}

/// Staff: the review queue, oldest first, by status and rule.
pub async fn flags(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<FlagStatus>,
    rule: Option<Rule>,
    page: KeysetPage,
) -> Result<(Vec<fraud_flag::Model>, u64), AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    let mut select = fraud_flag::Entity::find().filter(fraud_flag::Column::BrandId.eq(brand_id));
    if let Some(status) = status {
        select = select.filter(fraud_flag::Column::Status.eq(status.as_str()));
    }
    if let Some(rule) = rule {
        select = select.filter(fraud_flag::Column::Rule.eq(rule.as_str()));
    }
    page::by_id(db, select, fraud_flag::Column::Id, page).await
}

/// Staff: one flag of the brand (another brand's is NOT_FOUND).
pub async fn flag(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<fraud_flag::Model, AppError> {
    let brand_id = actor.require(Permission::ReadBrand)?;
    find_flag(db, brand_id, id).await
}

async fn find_flag<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    id: i64,
) -> Result<fraud_flag::Model, AppError> {
    fraud_flag::Entity::find_by_id(id)
        .filter(fraud_flag::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The flags of these conversions (at most one each), for a loader: the caller has already
/// read the conversions through a tenant-scoped service, and a flag has its conversion's brand.
pub async fn flags_by_conversion(
    db: &DatabaseConnection,
    conversion_ids: &[i64],
) -> Result<Vec<fraud_flag::Model>, sea_orm::DbErr> {
    fraud_flag::Entity::find()
        .filter(fraud_flag::Column::ConversionId.is_in(conversion_ids.iter().copied()))
        .all(db)
        .await
}

/// ADMIN, MANAGER: decides an OPEN flag, once. APPROVE: the conversion's ON_HOLD lines are
/// PENDING again (the normal hold applies). REJECT: REVERSAL lines net its commission to zero,
/// and its attribution becomes NONE with the rule recorded (out of the creator's sales and
/// revenue: the rollups move with it; the conversion stays stored and enters the change feed).
#[instrument(skip_all, fields(flag = id))]
pub async fn resolve(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    decision: Decision,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<fraud_flag::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let note = text::optional("note", note, 2000).map_err(AppError::invalid)?;
    let txn = db.begin().await?;
    // Serializes with ingestion and other decisions of the brand (change-feed positions).
    let mut brand = BrandContext::new(lock_brand(&txn, brand_id).await?)?;
    let flag = find_flag(&txn, brand_id, id).await?;
    if flag.status != FlagStatus::Open.as_str() {
        return Err(AppError::Conflict(format!(
            "the flag was already resolved ({})",
            flag.status
        )));
    }
    let before = flag.clone();
    let status = decision.status();
    let updated = fraud_flag::Entity::update_many()
        .col_expr(fraud_flag::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            fraud_flag::Column::ResolvedByUserId,
            Expr::value(actor.user_id()),
        )
        .col_expr(fraud_flag::Column::ResolvedAt, Expr::value(now))
        .col_expr(fraud_flag::Column::Note, Expr::value(note))
        .filter(fraud_flag::Column::Id.eq(flag.id))
        .filter(fraud_flag::Column::Status.eq(FlagStatus::Open.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict("the flag was already resolved".into()));
    }
    let row = conversion::Entity::find_by_id(flag.conversion_id)
        .filter(conversion::Column::BrandId.eq(brand_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("flag without conversion"))?;
    let mut entries = Vec::new();
    match decision {
        Decision::Approve => super::ledger::release_hold(&txn, row.id).await?,
        Decision::Reject => {
            super::ledger::reverse_rejected(&txn, &mut brand, &row, now).await?;
            let seq = brand.bump();
            let mut active: conversion::ActiveModel = row.clone().into();
            active.attribution_method = Set(Method::None.as_str().to_owned());
            active.enrollment_id = Set(None);
            active.campaign_id = Set(None);
            active.creator_id = Set(None);
            active.offer_id = Set(None);
            active.rejected_rule = Set(Some(flag.rule.clone()));
            active.change_seq = Set(seq);
            active.updated_at = Set(now);
            let after = active.update(&txn).await?;
            brand
                .rollup
                .conversion(brand.timezone, Some(&row), &after)?;
            save_change_seq(&txn, brand_id, brand.next_seq).await?;
            entries.push((
                Target::new(NodeKind::Conversion, row.id),
                audit::diff(Some(&row), Some(&after)),
            ));
        }
    }
    brand.save_rollups(&txn).await?;
    let resolved = find_flag(&txn, brand_id, id).await?;
    entries.insert(
        0,
        (
            Target::new(NodeKind::FraudFlag, resolved.id),
            audit::diff(Some(&before), Some(&resolved)),
        ),
    );
    audit::record_all(&txn, entries).await?;
    brand.events.commit(db, txn).await?;
    Ok(resolved)
}
