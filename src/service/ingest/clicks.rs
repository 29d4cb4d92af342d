//! `recordClicks`: clicks an integrator saw (e.g. on its own links or landing pages), by link
//! code, idempotent on `(brand, clickId)`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use tracing::instrument;

use super::batch::{
    self, Counts, FUTURE_TOLERANCE, ItemResult, ItemStatus, check_batch_size, external_id, rejected,
};
use super::lock_brand;
use crate::auth::secrets::sha256_hex;
use crate::auth::{Actor, Permission};
use crate::db::entity::{click, tracking_link};
use crate::domain::codes::normalize_link_code;
use crate::domain::text;
use crate::error::AppError;
use crate::service::fraud::checks as fraud;
use crate::service::rollups::RollupDelta;

pub struct ClickItem {
    pub link_code: String,
    /// Generated when left out.
    pub click_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The integrator's visitor identifier; stored only as a hash.
    pub visitor_key: Option<String>,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub country: Option<String>,
    /// The landing URL: only its paid-ad click parameter's name is kept (PAID_TRAFFIC).
    pub landing_url: Option<String>,
}

#[instrument(skip_all, fields(items = items.len()))]
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    items: Vec<ClickItem>,
    now: DateTime<Utc>,
) -> Result<Vec<ItemResult<click::Model>>, AppError> {
    let brand_id = actor.require(Permission::Ingest)?;
    check_batch_size("clicks", items.len())?;
    if items.is_empty() {
        batch::audit_call(db, brand_id, Counts::default().changes()).await?;
        return Ok(Vec::new());
    }
    let txn = db.begin().await?;
    let brand = lock_brand(&txn, brand_id).await?;
    let timezone: chrono_tz::Tz = brand.timezone.parse().map_err(AppError::internal)?;
    let mut rollup = RollupDelta::default();
    let codes: HashSet<String> = items
        .iter()
        .filter_map(|i| normalize_link_code(&i.link_code))
        .collect();
    let links: HashMap<String, tracking_link::Model> = tracking_link::Entity::find()
        .filter(tracking_link::Column::BrandId.eq(brand_id))
        .filter(tracking_link::Column::Code.is_in(codes))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| (l.code.clone(), l))
        .collect();
    let given_ids: Vec<String> = items
        .iter()
        .filter_map(|i| external_id("clickId", i.click_id.as_deref()?).ok())
        .collect();
    let mut known: HashMap<String, click::Model> = click::Entity::find()
        .filter(click::Column::BrandId.eq(brand_id))
        .filter(click::Column::ClickId.is_in(given_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.click_id.clone(), c))
        .collect();
    // First pass: validate, and build the rows to store; second: store them in multi-row
    // statements; third: answer each item in order.
    let mut slots = Vec::with_capacity(items.len());
    let mut new_rows = Vec::new();
    let mut new_ids = HashSet::new();
    let mut spam_checks = Vec::new();
    for item in items {
        let click_id = match item.click_id.as_deref() {
            Some(id) => match external_id("clickId", id) {
                Ok(id) => id,
                Err(err) => {
                    slots.push(Slot::done(rejected(id.to_owned(), err)));
                    continue;
                }
            },
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        if known.contains_key(&click_id) || new_ids.contains(&click_id) {
            slots.push(Slot::Duplicate(click_id));
            continue;
        }
        let link = normalize_link_code(&item.link_code).and_then(|code| links.get(&code));
        let Some(link) = link else {
            let err = AppError::bad_input("linkCode", "no such link");
            slots.push(Slot::done(rejected(click_id, err)));
            continue;
        };
        match validate(&item, now) {
            Ok((is_bot, class, referrer, country)) => {
                let visitor_key = sha256_hex(item.visitor_key.as_deref().unwrap_or(""));
                spam_checks.push(fraud::NewClick {
                    brand_id,
                    link_id: link.id,
                    visitor_key: visitor_key.clone(),
                    occurred_at: item.occurred_at,
                    is_bot,
                });
                new_rows.push(click::ActiveModel {
                    brand_id: Set(brand_id),
                    link_id: Set(link.id),
                    enrollment_id: Set(Some(link.enrollment_id)),
                    click_id: Set(click_id.clone()),
                    occurred_at: Set(item.occurred_at),
                    visitor_key: Set(visitor_key),
                    user_agent_class: Set(Some(class.to_owned())),
                    referrer_host: Set(referrer),
                    country: Set(country),
                    is_bot: Set(is_bot),
                    source: Set("API".into()),
                    paid_click_param: Set(paid_click_param(item.landing_url.as_deref())),
                    created_at: Set(now),
                    ..Default::default()
                });
                new_ids.insert(click_id.clone());
                slots.push(Slot::Accepted(click_id));
            }
            Err(err) => slots.push(Slot::done(rejected(click_id, err))),
        }
    }
    fraud::mark_click_spam(&txn, &mut spam_checks).await?;
    for (row, checked) in new_rows.iter_mut().zip(&spam_checks) {
        if checked.is_bot {
            row.is_bot = Set(true);
        }
    }
    for chunk in new_rows.chunks(INSERT_CHUNK) {
        for stored in click::Entity::insert_many(chunk.to_vec())
            .exec_with_returning(&txn)
            .await?
        {
            rollup.click(
                timezone,
                stored.enrollment_id,
                stored.occurred_at,
                stored.is_bot,
                &stored.visitor_key,
            );
            known.insert(stored.click_id.clone(), stored);
        }
    }
    rollup.apply(&txn, brand_id).await?;
    let mut counts = Counts::default();
    for slot in &slots {
        counts.add(match slot {
            Slot::Done(_) => ItemStatus::Rejected,
            Slot::Accepted(_) => ItemStatus::Accepted,
            Slot::Duplicate(_) => ItemStatus::Duplicate,
        });
    }
    batch::audit_call(&txn, brand_id, counts.changes()).await?;
    txn.commit().await?;
    let answer = |click_id: String, status: ItemStatus| {
        let stored = known
            .get(&click_id)
            .cloned()
            .ok_or_else(|| AppError::internal("a stored click was not returned"))?;
        Ok(ItemResult {
            external_id: click_id,
            status,
            error: None,
            value: Some(stored),
        })
    };
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Done(result) => Ok(*result),
            Slot::Accepted(click_id) => answer(click_id, ItemStatus::Accepted),
            Slot::Duplicate(click_id) => answer(click_id, ItemStatus::Duplicate),
        })
        .collect()
}

/// Rows per multi-row `INSERT` (13 columns each: well under the bound-parameter limits).
const INSERT_CHUNK: usize = 500;

/// An item's answer, or the click id whose stored row answers it.
enum Slot {
    Done(Box<ItemResult<click::Model>>),
    Accepted(String),
    /// A click id stored before, or earlier in this batch.
    Duplicate(String),
}

impl Slot {
    fn done(result: ItemResult<click::Model>) -> Self {
        Self::Done(Box::new(result))
    }
}

type Valid = (bool, &'static str, Option<String>, Option<String>);

fn validate(item: &ClickItem, now: DateTime<Utc>) -> Result<Valid, AppError> {
    if item.occurred_at > now + FUTURE_TOLERANCE {
        return Err(AppError::bad_input("occurredAt", "is in the future"));
    }
    let user_agent = item.user_agent.as_deref().unwrap_or("");
    let (is_bot, class) = classify_user_agent(user_agent);
    let referrer = match item.referrer.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => url::Url::parse(raw)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .or_else(|| text::optional("referrer", Some(raw), 255).ok().flatten()),
    };
    let country = item
        .country
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| text::country("country", c))
        .transpose()
        .map_err(AppError::invalid)?;
    Ok((is_bot, class, referrer, country))
}

/// The name of the paid-ad click parameter a landing URL carries (never its value).
fn paid_click_param(landing_url: Option<&str>) -> Option<String> {
    let url = url::Url::parse(landing_url?.trim()).ok()?;
    let pairs: Vec<_> = url.query_pairs().collect();
    crate::domain::fraud::paid_click_param(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
        .map(str::to_owned)
}

/// Bot flag and class of a user agent, by the same rules as redirects.
pub fn classify_user_agent(user_agent: &str) -> (bool, &'static str) {
    (
        crate::domain::bots::is_bot(user_agent),
        crate::domain::bots::user_agent_class(user_agent),
    )
}
