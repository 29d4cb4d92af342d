//! The rules at ingestion, in the ingesting transaction: conversions ([`check_conversion`]) and
//! clicks ([`mark_click_spam`]). Only enabled rules read anything, and every read is bounded by
//! its rule's window on an index (CLICK_SPAM: `(link_id, visitor_key, occurred_at)`, the
//! batch's visitors in a few statements; CODE_LEAK: the code's hourly counts
//! ([`super::code_leak`]); DUPLICATE_CUSTOMER: `(brand_id, customer_email_hash, occurred_at)`),
//! never a scan of the brand's history.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};

use super::code_leak;
use crate::db::entity::{click, conversion, fraud_flag, fraud_rule};
use crate::domain::attribution::Method;
use crate::domain::fraud::{
    self, CLICK_SPAM_WINDOW, ClickFacts, ConversionFacts, DUPLICATE_CUSTOMER_WINDOW, FlagStatus,
    Parameters, Rule, Settings,
};
use crate::error::AppError;
use crate::service::ingest::{BrandContext, ClickRow};
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
    if row.enrollment_id.is_none() && row.discount_code.is_none() {
        return Ok(None);
    }
    if brand.fraud.is_none() {
        brand.fraud = Some(super::brand_rules(txn, brand.brand.id).await?);
    }
    let rules = brand.fraud.clone().unwrap_or_default();
    let settings = &rules.settings;
    if !settings.any_on() {
        return Ok(None);
    }
    let brand_id = brand.brand.id;
    let code_leak = settings.is_on(Rule::CodeLeak);
    let mut counted_from = rules.code_leak_counted_from;
    // Built from the stored conversions, this one included: not to be counted again.
    let mut counted = false;
    if code_leak && counted_from.is_none() {
        // On with no counts (as after the migration that added them): built once, here, in
        // the batch's lock.
        let from = code_leak::rebuild(txn, brand_id, now).await?;
        counted_from = Some(from);
        counted = true;
        if let Some(rules) = brand.fraud.as_mut() {
            rules.code_leak_counted_from = counted_from;
        }
    }
    let stored_click = match &row.click_id {
        Some(click_id) => brand.lookups.click(txn, brand_id, click_id).await?,
        None => None,
    };
    if code_leak
        && !counted
        && let Some(code) = &row.discount_code
    {
        // Every conversion naming a live code counts toward the code's share, whoever it
        // credits.
        if let Some(owner) = brand.lookups.code(txn, brand_id, code).await? {
            let creator_click = stored_click
                .as_ref()
                .is_some_and(|c| c.enrollment_id == Some(owner));
            brand
                .code_counts
                .add(code, creator_click, row.occurred_at, now);
        }
    }
    let Some(enrollment_id) = row.enrollment_id else {
        return Ok(None);
    };
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
    if reads_click && let Some(stored) = stored_click {
        facts.click = Some(click_facts(txn, brand, settings, stored).await?);
    }
    if code_leak
        && row.attribution_method == Method::Code.as_str()
        && let Some(code) = &row.discount_code
    {
        let at = row.occurred_at;
        let pending = &brand.code_counts;
        facts.code_window = Some(
            code_leak::window(
                txn,
                pending,
                brand_id,
                code,
                enrollment_id,
                at,
                counted_from,
                now,
            )
            .await?,
        );
    }
    if settings.is_on(Rule::DuplicateCustomer)
        && let Some(hash) = &row.customer_email_hash
    {
        facts.customer_keys_30d = Some(customer_keys(txn, brand_id, hash, row).await?);
    }
    let hits = fraud::evaluate(settings, &facts);
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

/// The named click of this brand, as the rules see it (the batch read it for attribution
/// already: `Lookups::click`).
async fn click_facts(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    settings: &Settings,
    stored: ClickRow,
) -> Result<ClickFacts, AppError> {
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
    Ok(ClickFacts {
        clicked_at: Some(stored.occurred_at),
        referrer_host: stored.referrer_host,
        paid_click_param: stored.paid_click_param,
        is_bot: stored.is_bot,
        campaign_forbids_paid_search: forbids,
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
/// every report and earns no CPC. A few indexed reads per batch ([`stored_visits`]) for a
/// brand with the rule on; nothing for the others.
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
    let stored = stored_visits(db, clicks, &groups).await?;
    for (key, mut members) in groups {
        members.sort_by_key(|i| clicks[*i].occurred_at);
        let Some(first) = members.first() else {
            continue;
        };
        let max = limits
            .get(&clicks[*first].brand_id)
            .copied()
            .unwrap_or(i64::MAX);
        let stored = stored.get(&key).map(Vec::as_slice).unwrap_or_default();
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

/// (link, visitor) groups per CLICK_SPAM read: four bound values each.
const SPAM_GROUPS_PER_READ: usize = 200;

/// The stored clicks of each (link, visitor) group in the hour before its first click of the
/// batch up to its last: one statement per [`SPAM_GROUPS_PER_READ`] groups, the groups as a
/// `VALUES` list joined to clicks on the `(link_id, visitor_key, occurred_at)` index (a list
/// of `OR`ed ranges costs PostgreSQL milliseconds of planning per statement).
async fn stored_visits<C: ConnectionTrait>(
    db: &C,
    clicks: &[NewClick],
    groups: &BTreeMap<(i64, String), Vec<usize>>,
) -> Result<HashMap<(i64, String), Vec<DateTime<Utc>>>, AppError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, ValueTuple};
    let mut stored: HashMap<(i64, String), Vec<DateTime<Utc>>> = HashMap::new();
    let ranges: Vec<ValueTuple> = groups
        .iter()
        .filter_map(|(key, members)| {
            let times = members.iter().map(|i| clicks[*i].occurred_at);
            let (from, to) = (times.clone().min()?, times.max()?);
            Some(ValueTuple::Many(vec![
                key.0.into(),
                key.1.clone().into(),
                (from - CLICK_SPAM_WINDOW).into(),
                to.into(),
            ]))
        })
        .collect();
    let (v, c) = (Alias::new("v"), Alias::new("c"));
    let column = |n: &str| Expr::col((v.clone(), Alias::new(n)));
    for chunk in ranges.chunks(SPAM_GROUPS_PER_READ) {
        let statement = Query::select()
            .column((c.clone(), click::Column::LinkId))
            .column((c.clone(), click::Column::VisitorKey))
            .column((c.clone(), click::Column::OccurredAt))
            .from_values(chunk.to_vec(), v.clone())
            .join_as(
                JoinType::InnerJoin,
                click::Entity,
                c.clone(),
                Expr::col((c.clone(), click::Column::LinkId))
                    .eq(column("column1"))
                    .and(Expr::col((c.clone(), click::Column::VisitorKey)).eq(column("column2")))
                    .and(Expr::col((c.clone(), click::Column::OccurredAt)).gt(column("column3")))
                    .and(Expr::col((c.clone(), click::Column::OccurredAt)).lte(column("column4"))),
            )
            .to_owned();
        for row in db.query_all(&statement).await? {
            let link_id: i64 = row.try_get("", "link_id")?;
            let visitor_key: String = row.try_get("", "visitor_key")?;
            let at: DateTime<Utc> = row.try_get("", "occurred_at")?;
            stored.entry((link_id, visitor_key)).or_default().push(at);
        }
    }
    Ok(stored)
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
