//! The rules at ingestion, in the ingesting transaction: conversions ([`check_conversion`]) and
//! clicks ([`mark_click_spam`]). Only enabled rules read anything, and every read is bounded by
//! its rule's window on an index (CLICK_SPAM: `(link_id, visitor_key, occurred_at)`;
//! CODE_LEAK: `(brand_id, discount_code, occurred_at)`; DUPLICATE_CUSTOMER:
//! `(brand_id, customer_email_hash, occurred_at)`), never a scan of the brand's history.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};

use crate::db::entity::{click, conversion, fraud_flag, fraud_rule};
use crate::domain::attribution::Method;
use crate::domain::fraud::{
    self, CLICK_SPAM_WINDOW, CODE_LEAK_WINDOW, ClickFacts, CodeWindow, ConversionFacts,
    DUPLICATE_CUSTOMER_WINDOW, FlagStatus, Parameters, Rule, Settings,
};
use crate::error::AppError;
use crate::service::ingest::BrandContext;
use crate::service::webhooks;

/// Runs the brand's enabled rules over a stored, attributed conversion `row` (an unattributed
/// one credits nobody: nothing to review). `email_domain` is the customer email's domain, known
/// only while the item is ingested (the email itself is never stored). Stores and returns the
/// flag when a rule matched.
pub(crate) async fn check_conversion(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
    email_domain: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<fraud_flag::Model>, AppError> {
    let Some(enrollment_id) = row.enrollment_id else {
        return Ok(None);
    };
    if brand.fraud.is_none() {
        brand.fraud = Some(super::settings(txn, brand.brand.id).await?);
    }
    let settings = brand.fraud.clone().unwrap_or_default();
    if !settings.any_on() {
        return Ok(None);
    }
    let brand_id = brand.brand.id;
    let mut facts = ConversionFacts {
        occurred_at: row.occurred_at,
        self_referral: row.self_referral,
        email_domain: email_domain.map(str::to_owned),
        email_hash: row.customer_email_hash.clone(),
        discount_code: row.discount_code.clone(),
        ..Default::default()
    };
    let reads_click = [
        Rule::TooFast,
        Rule::ClickSpam,
        Rule::BannedReferrer,
        Rule::PaidTraffic,
        Rule::CodeLeak,
    ]
    .into_iter()
    .any(|r| settings.is_on(r));
    if reads_click && let Some(click_id) = &row.click_id {
        facts.click = click_facts(txn, brand, &settings, click_id).await?;
    }
    if settings.is_on(Rule::CodeLeak)
        && row.attribution_method == Method::Code.as_str()
        && let Some(code) = &row.discount_code
    {
        facts.code_window =
            Some(code_window(txn, brand_id, code, enrollment_id, row.occurred_at).await?);
    }
    if settings.is_on(Rule::DuplicateCustomer)
        && let Some(hash) = &row.customer_email_hash
    {
        facts.customer_keys_30d = Some(customer_keys(txn, brand_id, hash, row).await?);
    }
    let hits = fraud::evaluate(&settings, &facts);
    let Some(first) = hits.first() else {
        return Ok(None);
    };
    let flag = fraud_flag::ActiveModel {
        brand_id: Set(brand_id),
        conversion_id: Set(row.id),
        rule: Set(first.rule.as_str().to_owned()),
        evidence: Set(fraud::evidence_of(&hits).to_string()),
        status: Set(FlagStatus::Open.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Some(flag))
}

/// The named click of this brand, as the rules see it.
async fn click_facts(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    settings: &Settings,
    click_id: &str,
) -> Result<Option<ClickFacts>, AppError> {
    // The batch read the click for attribution already (`Lookups::click`): no second read.
    let Some(stored) = brand.lookups.click(txn, brand.brand.id, click_id).await? else {
        return Ok(None);
    };
    let mut forbids = false;
    if settings.is_on(Rule::PaidTraffic)
        && stored.paid_click_param.is_some()
        && let Some(enrollment_id) = stored.enrollment_id
        && let Some(enrollment) = brand.lookups.enrollment(txn, enrollment_id).await?
    {
        // Read with the enrollment, in this batch's transaction.
        forbids = brand
            .lookups
            .campaign(enrollment.campaign_id)
            .is_some_and(|c| c.forbids_paid_search);
    }
    Ok(Some(ClickFacts {
        clicked_at: Some(stored.occurred_at),
        referrer_host: stored.referrer_host,
        paid_click_param: stored.paid_click_param,
        is_bot: stored.is_bot,
        campaign_forbids_paid_search: forbids,
    }))
}

/// The code's conversions in the 7 days up to `at` (this one included), and how many of them
/// named no click of the code's enrollment: one aggregate statement (the conversions through
/// the `(brand_id, discount_code, occurred_at)` index, each one's click by its unique
/// `(brand_id, click_id)`), whatever the code's volume.
async fn code_window(
    txn: &DatabaseTransaction,
    brand_id: i64,
    code: &str,
    enrollment_id: i64,
    at: DateTime<Utc>,
) -> Result<CodeWindow, AppError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};
    let (c, cl) = (Alias::new("c"), Alias::new("cl"));
    let statement = Query::select()
        .expr_as(Func::count(Expr::val(1)), Alias::new("total"))
        .expr_as(
            Func::count(Expr::col((cl.clone(), click::Column::Id))),
            Alias::new("with_click"),
        )
        .from_as(conversion::Entity, c.clone())
        .join_as(
            JoinType::LeftJoin,
            click::Entity,
            cl.clone(),
            Expr::col((cl.clone(), click::Column::BrandId))
                .equals((c.clone(), conversion::Column::BrandId))
                .and(
                    Expr::col((cl.clone(), click::Column::ClickId))
                        .equals((c.clone(), conversion::Column::ClickId)),
                )
                .and(Expr::col((cl.clone(), click::Column::EnrollmentId)).eq(enrollment_id)),
        )
        .and_where(Expr::col((c.clone(), conversion::Column::BrandId)).eq(brand_id))
        .and_where(Expr::col((c.clone(), conversion::Column::DiscountCode)).eq(code))
        .and_where(Expr::col((c.clone(), conversion::Column::OccurredAt)).gt(at - CODE_LEAK_WINDOW))
        .and_where(Expr::col((c, conversion::Column::OccurredAt)).lte(at))
        .to_owned();
    let row = txn
        .query_one(&statement)
        .await?
        .ok_or_else(|| AppError::internal("an aggregate without a row"))?;
    let total: i64 = row.try_get("", "total")?;
    let with_click: i64 = row.try_get("", "with_click")?;
    let (total, with_click) = (
        u64::try_from(total).unwrap_or(0),
        u64::try_from(with_click).unwrap_or(0),
    );
    Ok(CodeWindow {
        total,
        without_creator_click: total.saturating_sub(with_click),
    })
}

/// Distinct customer keys behind `hash` in the 30 days up to the conversion (its own included).
async fn customer_keys(
    txn: &DatabaseTransaction,
    brand_id: i64,
    hash: &str,
    row: &conversion::Model,
) -> Result<u64, AppError> {
    let keys: Vec<Option<String>> = conversion::Entity::find()
        .select_only()
        .column(conversion::Column::CustomerKey)
        .distinct()
        .filter(conversion::Column::BrandId.eq(brand_id))
        .filter(conversion::Column::CustomerEmailHash.eq(hash))
        .filter(conversion::Column::OccurredAt.gt(row.occurred_at - DUPLICATE_CUSTOMER_WINDOW))
        .filter(conversion::Column::OccurredAt.lte(row.occurred_at))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(keys.into_iter().flatten().collect::<HashSet<_>>().len() as u64)
}

/// A click about to be stored, as CLICK_SPAM sees it.
#[derive(Clone, Debug)]
pub struct NewClick {
    pub brand_id: i64,
    pub link_id: i64,
    pub visitor_key: String,
    pub occurred_at: DateTime<Utc>,
    /// Set to true for a click over the brand's CLICK_SPAM limit.
    pub is_bot: bool,
}

/// CLICK_SPAM, before `clicks` are inserted (in the inserting transaction): a click whose
/// visitor already made `maxClicksPerHour` clicks on its link in the hour before it (stored
/// ones and earlier ones of the batch, bots included) is marked a bot, so it counts as one in
/// every report and earns no CPC. One indexed read per (link, visitor) of a brand with the rule
/// on; nothing for the others.
pub async fn mark_click_spam<C: ConnectionTrait>(
    db: &C,
    clicks: &mut [NewClick],
) -> Result<(), AppError> {
    if clicks.is_empty() {
        return Ok(());
    }
    let brand_ids: HashSet<i64> = clicks.iter().map(|c| c.brand_id).collect();
    let mut limits: HashMap<i64, i64> = HashMap::new();
    for row in fraud_rule::Entity::find()
        .filter(fraud_rule::Column::BrandId.is_in(brand_ids))
        .filter(fraud_rule::Column::Rule.eq(Rule::ClickSpam.as_str()))
        .filter(fraud_rule::Column::Enabled.eq(true))
        .all(db)
        .await?
    {
        let parameters: Parameters =
            serde_json::from_str(&row.parameters).map_err(AppError::internal)?;
        limits.insert(row.brand_id, parameters.effective().max_clicks_per_hour);
    }
    if limits.is_empty() {
        return Ok(());
    }
    // Indexes of the batch's clicks per (link, visitor), in time order.
    let mut groups: BTreeMap<(i64, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in clicks.iter().enumerate() {
        if limits.contains_key(&c.brand_id) {
            groups
                .entry((c.link_id, c.visitor_key.clone()))
                .or_default()
                .push(i);
        }
    }
    for ((link_id, visitor_key), mut members) in groups {
        members.sort_by_key(|i| clicks[*i].occurred_at);
        let (Some(first), Some(last)) = (members.first(), members.last()) else {
            continue;
        };
        let from = clicks[*first].occurred_at - CLICK_SPAM_WINDOW;
        let to = clicks[*last].occurred_at;
        let max = limits
            .get(&clicks[*first].brand_id)
            .copied()
            .unwrap_or(i64::MAX);
        let stored: Vec<DateTime<Utc>> = click::Entity::find()
            .select_only()
            .column(click::Column::OccurredAt)
            .filter(click::Column::LinkId.eq(link_id))
            .filter(click::Column::VisitorKey.eq(visitor_key.as_str()))
            .filter(click::Column::OccurredAt.gt(from))
            .filter(click::Column::OccurredAt.lte(to))
            .into_tuple()
            .all(db)
            .await?;
        let mut seen: Vec<DateTime<Utc>> = Vec::with_capacity(members.len());
        for i in members {
            let at = clicks[i].occurred_at;
            let in_window = |t: &&DateTime<Utc>| **t > at - CLICK_SPAM_WINDOW && **t <= at;
            let earlier =
                stored.iter().filter(in_window).count() + seen.iter().filter(in_window).count();
            if fraud::click_spam(earlier as u64, max) {
                clicks[i].is_bot = true;
            }
            seen.push(at);
        }
    }
    Ok(())
}

/// A new flag, announced in the batch's transaction: the `fraud.flagged` webhook, and the
/// `fraudFlagged` subscription once the batch commits.
pub(crate) async fn announce_flagged(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    flag: &fraud_flag::Model,
    row: &conversion::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    brand.events.push(crate::events::Event::FraudFlagged {
        brand_id: flag.brand_id,
        flag_id: flag.id,
    });
    let endpoints = brand.lookups.endpoints(txn, row.brand_id).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let event = webhooks::Event::FraudFlagged {
        flag,
        conversion: row,
    };
    webhooks::enqueue_to(txn, row.brand_id, endpoints, event, now).await?;
    Ok(())
}
