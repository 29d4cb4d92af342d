//! Rows a conversion batch reads for many of its items (clicks and discount codes it names, their
//! enrollments, campaigns, creators and offers, the webhook endpoints, orders with held refunds,
//! each customer's latest order), read once per batch with one `IN` per kind instead of once per
//! item.
//!
//! A snapshot taken inside the batch's transaction, after it locked the brand: ingestion does not
//! change any of these rows, and the brand's other writers wait for the lock, so reading them
//! once gives the answers reading them per item would. Whatever was not prefetched (a refund
//! batch, a name prefetching skipped) is read on demand and kept.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::parse;
use crate::db::entity::{
    campaign, click, conversion, creator, discount_code, enrollment, offer, offer_tier, refund,
    webhook_endpoint,
};
use crate::domain::attribution::EnrollmentFacts;
use crate::domain::campaign::{CampaignStatus, Schedule};
use crate::domain::enrollment::EnrollmentStatus;
use crate::error::AppError;
use crate::service::webhooks;

/// Ids per `IN` list (well under SQLite's and PostgreSQL's bound-parameter limits).
const CHUNK: usize = 500;

/// A click a conversion names: when it happened and its enrollment for attribution, and what
/// the fraud rules read of it (one read serves both).
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub(crate) struct ClickRow {
    pub occurred_at: DateTime<Utc>,
    pub enrollment_id: Option<i64>,
    pub referrer_host: Option<String>,
    pub paid_click_param: Option<String>,
    pub is_bot: bool,
}

/// A stored click's columns as a [`ClickRow`] (with its id, to key the batch's map).
#[derive(FromQueryResult)]
struct KeyedClick {
    click_id: String,
    occurred_at: DateTime<Utc>,
    enrollment_id: Option<i64>,
    referrer_host: Option<String>,
    paid_click_param: Option<String>,
    is_bot: bool,
}

const CLICK_COLUMNS: [click::Column; 6] = [
    click::Column::ClickId,
    click::Column::OccurredAt,
    click::Column::EnrollmentId,
    click::Column::ReferrerHost,
    click::Column::PaidClickParam,
    click::Column::IsBot,
];

impl From<KeyedClick> for (String, ClickRow) {
    fn from(c: KeyedClick) -> Self {
        (
            c.click_id,
            ClickRow {
                occurred_at: c.occurred_at,
                enrollment_id: c.enrollment_id,
                referrer_host: c.referrer_host,
                paid_click_param: c.paid_click_param,
                is_bot: c.is_bot,
            },
        )
    }
}

/// What a batch's items name, normalized as ingestion normalizes them.
#[derive(Debug, Default)]
pub(crate) struct BatchNames {
    pub click_ids: Vec<String>,
    pub codes: Vec<String>,
    pub external_ids: Vec<String>,
    pub customer_keys: Vec<String>,
}

/// An offer and its volume tiers.
pub(crate) type OfferRow = (offer::Model, Vec<offer_tier::Model>);

#[derive(Default)]
pub(crate) struct Lookups {
    /// By click id; `None`: the brand has no such click.
    clicks: HashMap<String, Option<ClickRow>>,
    /// Enrollment of a live discount code, by normalized code; `None`: no such live code.
    codes: HashMap<String, Option<i64>>,
    enrollments: HashMap<i64, Option<enrollment::Model>>,
    campaigns: HashMap<i64, Option<campaign::Model>>,
    creator_email_hashes: HashMap<i64, Option<String>>,
    offers: HashMap<i64, Option<OfferRow>>,
    endpoints: Option<Vec<webhook_endpoint::Model>>,
    /// External ids of the batch's orders that have refunds waiting for them (`None`: not
    /// prefetched, every order may).
    held_refunds: Option<HashSet<String>>,
    /// The latest order time of each customer key, kept current as the batch stores orders;
    /// `None`: the customer has no order.
    customers: HashMap<String, Option<DateTime<Utc>>>,
}

impl Lookups {
    /// Reads, for a batch of `brand_id`, what its items name: `click_ids` and normalized
    /// `codes`, the enrollments, campaigns, creators and offers behind them, which of
    /// `external_ids` have refunds waiting, and the latest order of each of `customer_keys`.
    pub async fn prefetch(
        txn: &DatabaseTransaction,
        brand_id: i64,
        names: BatchNames,
    ) -> Result<Self, AppError> {
        let BatchNames {
            click_ids,
            codes,
            external_ids,
            customer_keys,
        } = names;
        let mut lookups = Self::default();
        for chunk in click_ids.chunks(CHUNK) {
            let rows: Vec<KeyedClick> = click::Entity::find()
                .select_only()
                .columns(CLICK_COLUMNS)
                .filter(click::Column::BrandId.eq(brand_id))
                .filter(click::Column::ClickId.is_in(chunk.iter().map(String::as_str)))
                .into_model()
                .all(txn)
                .await?;
            lookups
                .clicks
                .extend(chunk.iter().map(|id| (id.clone(), None)));
            for row in rows {
                let (id, click) = row.into();
                lookups.clicks.insert(id, Some(click));
            }
        }
        for chunk in codes.chunks(CHUNK) {
            let rows: Vec<(String, i64)> = discount_code::Entity::find()
                .select_only()
                .columns([
                    discount_code::Column::Code,
                    discount_code::Column::EnrollmentId,
                ])
                .filter(discount_code::Column::BrandId.eq(brand_id))
                .filter(discount_code::Column::Code.is_in(chunk.iter().map(String::as_str)))
                .filter(discount_code::Column::ArchivedAt.is_null())
                .into_tuple()
                .all(txn)
                .await?;
            lookups
                .codes
                .extend(chunk.iter().map(|code| (code.clone(), None)));
            for (code, enrollment_id) in rows {
                lookups.codes.insert(code, Some(enrollment_id));
            }
        }
        let enrollment_ids: HashSet<i64> = lookups
            .clicks
            .values()
            .filter_map(|c| c.as_ref().and_then(|c| c.enrollment_id))
            .chain(lookups.codes.values().filter_map(|e| *e))
            .collect();
        lookups.load_enrollments(txn, enrollment_ids).await?;
        let mut held = HashSet::new();
        for chunk in external_ids.chunks(CHUNK) {
            let rows: Vec<String> = refund::Entity::find()
                .select_only()
                .column(refund::Column::OrderExternalId)
                .filter(refund::Column::BrandId.eq(brand_id))
                .filter(refund::Column::OrderExternalId.is_in(chunk.iter().map(String::as_str)))
                .filter(refund::Column::ConversionId.is_null())
                .into_tuple()
                .all(txn)
                .await?;
            held.extend(rows);
        }
        lookups.held_refunds = Some(held);
        for chunk in customer_keys.chunks(CHUNK) {
            let rows: Vec<(String, Option<DateTime<Utc>>)> = conversion::Entity::find()
                .select_only()
                .column(conversion::Column::CustomerKey)
                .column_as(conversion::Column::OccurredAt.max(), "latest")
                .filter(conversion::Column::BrandId.eq(brand_id))
                .filter(conversion::Column::CustomerKey.is_in(chunk.iter().map(String::as_str)))
                .group_by(conversion::Column::CustomerKey)
                .into_tuple()
                .all(txn)
                .await?;
            lookups
                .customers
                .extend(chunk.iter().map(|key| (key.clone(), None)));
            lookups.customers.extend(rows);
        }
        Ok(lookups)
    }

    /// Enrollments by id, with their campaigns, creators' email hashes, offers and tiers.
    async fn load_enrollments(
        &mut self,
        txn: &DatabaseTransaction,
        ids: HashSet<i64>,
    ) -> Result<(), AppError> {
        let ids: Vec<i64> = ids
            .into_iter()
            .filter(|id| !self.enrollments.contains_key(id))
            .collect();
        let mut campaign_ids = HashSet::new();
        let mut creator_ids = HashSet::new();
        let mut offer_ids = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = enrollment::Entity::find()
                .filter(enrollment::Column::Id.is_in(chunk.to_vec()))
                .all(txn)
                .await?;
            self.enrollments.extend(chunk.iter().map(|id| (*id, None)));
            for row in rows {
                campaign_ids.insert(row.campaign_id);
                creator_ids.insert(row.creator_id);
                offer_ids.insert(row.offer_id);
                self.enrollments.insert(row.id, Some(row));
            }
        }
        let campaign_ids: Vec<i64> = campaign_ids.into_iter().collect();
        for chunk in campaign_ids.chunks(CHUNK) {
            let rows = campaign::Entity::find()
                .filter(campaign::Column::Id.is_in(chunk.to_vec()))
                .all(txn)
                .await?;
            self.campaigns.extend(chunk.iter().map(|id| (*id, None)));
            self.campaigns
                .extend(rows.into_iter().map(|row| (row.id, Some(row))));
        }
        let creator_ids: Vec<i64> = creator_ids.into_iter().collect();
        for chunk in creator_ids.chunks(CHUNK) {
            let rows: Vec<(i64, Option<String>)> = creator::Entity::find()
                .select_only()
                .columns([creator::Column::Id, creator::Column::EmailHash])
                .filter(creator::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(txn)
                .await?;
            self.creator_email_hashes.extend(rows);
        }
        let offer_ids: Vec<i64> = offer_ids.into_iter().collect();
        for chunk in offer_ids.chunks(CHUNK) {
            self.load_offers(txn, chunk).await?;
        }
        Ok(())
    }

    async fn load_offers(
        &mut self,
        txn: &DatabaseTransaction,
        ids: &[i64],
    ) -> Result<(), AppError> {
        let offers = offer::Entity::find()
            .filter(offer::Column::Id.is_in(ids.to_vec()))
            .all(txn)
            .await?;
        let mut tiers: HashMap<i64, Vec<offer_tier::Model>> = HashMap::new();
        for tier in offer_tier::Entity::find()
            .filter(offer_tier::Column::OfferId.is_in(ids.to_vec()))
            .all(txn)
            .await?
        {
            tiers.entry(tier.offer_id).or_default().push(tier);
        }
        self.offers.extend(ids.iter().map(|id| (*id, None)));
        for offer in offers {
            let offer_tiers = tiers.remove(&offer.id).unwrap_or_default();
            self.offers.insert(offer.id, Some((offer, offer_tiers)));
        }
        Ok(())
    }

    /// The brand's click with this id.
    pub async fn click(
        &mut self,
        txn: &DatabaseTransaction,
        brand_id: i64,
        click_id: &str,
    ) -> Result<Option<ClickRow>, AppError> {
        if let Some(known) = self.clicks.get(click_id) {
            return Ok(known.clone());
        }
        let row = click::Entity::find()
            .select_only()
            .columns(CLICK_COLUMNS)
            .filter(click::Column::BrandId.eq(brand_id))
            .filter(click::Column::ClickId.eq(click_id))
            .into_model::<KeyedClick>()
            .one(txn)
            .await?
            .map(|c| <(String, ClickRow)>::from(c).1);
        self.clicks.insert(click_id.to_owned(), row.clone());
        Ok(row)
    }

    /// The enrollment of the brand's live discount code `code` (normalized).
    pub async fn code(
        &mut self,
        txn: &DatabaseTransaction,
        brand_id: i64,
        code: &str,
    ) -> Result<Option<i64>, AppError> {
        if let Some(known) = self.codes.get(code) {
            return Ok(*known);
        }
        let row = discount_code::Entity::find()
            .filter(discount_code::Column::BrandId.eq(brand_id))
            .filter(discount_code::Column::Code.eq(code))
            .filter(discount_code::Column::ArchivedAt.is_null())
            .one(txn)
            .await?
            .map(|c| c.enrollment_id);
        self.codes.insert(code.to_owned(), row);
        Ok(row)
    }

    pub async fn enrollment(
        &mut self,
        txn: &DatabaseTransaction,
        id: i64,
    ) -> Result<Option<enrollment::Model>, AppError> {
        if !self.enrollments.contains_key(&id) {
            self.load_enrollments(txn, HashSet::from([id])).await?;
        }
        Ok(self.enrollments.get(&id).cloned().flatten())
    }

    /// A campaign of an enrollment this batch has read (see [`Lookups::enrollment`]).
    pub fn campaign(&self, id: i64) -> Option<&campaign::Model> {
        self.campaigns.get(&id).and_then(Option::as_ref)
    }

    /// What attribution needs about an enrollment (none when it or its campaign is gone).
    pub async fn facts(
        &mut self,
        txn: &DatabaseTransaction,
        enrollment_id: i64,
    ) -> Result<Option<EnrollmentFacts>, AppError> {
        let Some(enrollment) = self.enrollment(txn, enrollment_id).await? else {
            return Ok(None);
        };
        let Some(Some(campaign)) = self.campaigns.get(&enrollment.campaign_id) else {
            return Ok(None);
        };
        Ok(Some(EnrollmentFacts {
            enrollment_id,
            enrollment_status: parse(EnrollmentStatus::parse(&enrollment.status))?,
            campaign_status: parse(CampaignStatus::parse(&campaign.status))?,
            schedule: parse(Schedule::parse(&campaign.schedule))?,
            starts_at: campaign.starts_at,
            ends_at: campaign.ends_at,
            creator_email_hash: self
                .creator_email_hashes
                .get(&enrollment.creator_id)
                .cloned()
                .flatten(),
        }))
    }

    /// An offer and its tiers.
    pub async fn offer(
        &mut self,
        txn: &DatabaseTransaction,
        id: i64,
    ) -> Result<Option<&OfferRow>, AppError> {
        if !self.offers.contains_key(&id) {
            self.load_offers(txn, &[id]).await?;
        }
        Ok(self.offers.get(&id).and_then(Option::as_ref))
    }

    /// The brand's enabled webhook endpoints.
    pub async fn endpoints(
        &mut self,
        txn: &DatabaseTransaction,
        brand_id: i64,
    ) -> Result<&[webhook_endpoint::Model], AppError> {
        if self.endpoints.is_none() {
            self.endpoints = Some(webhooks::enabled_endpoints(txn, brand_id, None).await?);
        }
        Ok(self.endpoints.as_deref().unwrap_or_default())
    }

    /// When the customer's latest stored order happened (`None`: it has none).
    pub async fn latest_order(
        &mut self,
        txn: &DatabaseTransaction,
        brand_id: i64,
        customer_key: &str,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        if let Some(known) = self.customers.get(customer_key) {
            return Ok(*known);
        }
        let latest: Option<DateTime<Utc>> = conversion::Entity::find()
            .select_only()
            .column(conversion::Column::OccurredAt)
            .filter(conversion::Column::BrandId.eq(brand_id))
            .filter(conversion::Column::CustomerKey.eq(customer_key))
            .order_by_desc(conversion::Column::OccurredAt)
            .into_tuple()
            .one(txn)
            .await?;
        self.customers.insert(customer_key.to_owned(), latest);
        Ok(latest)
    }

    /// The batch stored an order of `customer_key` at `at`.
    pub fn stored_order(&mut self, customer_key: &str, at: DateTime<Utc>) {
        if let Some(latest) = self.customers.get_mut(customer_key) {
            *latest = Some(latest.map_or(at, |latest| latest.max(at)));
        }
    }

    /// Whether refunds may be waiting for the order `external_id` (false only when prefetching
    /// found none).
    pub fn may_have_held_refunds(&self, external_id: &str) -> bool {
        self.held_refunds
            .as_ref()
            .is_none_or(|held| held.contains(external_id))
    }
}
