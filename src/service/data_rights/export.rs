//! `exportCreatorData`: everything the product holds about a creator, as one JSON document:
//! profile, channels, enrollments, links, discount codes, content, costs, commission lines,
//! payouts and the linked account (never a password hash or a token hash).
//!
//! Bounded: each creator record's commission lines and payouts are capped at
//! [`MAX_EXPORT_LINES`] (oldest first, with `truncated` saying whether more exist); the rest of
//! a creator's sections are small by construction (at most 20 channels, one enrollment per
//! campaign). The complete ledger stays readable page by page (`myCommissions`, `payouts`).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use tracing::instrument;

use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{
    brand, campaign, channel, commission, cost, creator, deliverable, discount_code, enrollment,
    payout, tracking_link, user,
};
use crate::domain::money::{Currency, Money};
use crate::error::AppError;
use crate::global_id::{NodeKind, encode};
use crate::service::scoped;

/// Commission lines and payouts exported per creator record, at most.
pub const MAX_EXPORT_LINES: u64 = 10_000;

/// The export for `creator_id`: a creator account for itself (no id: every record of the account,
/// one per brand; an id: that record, if it is the caller's), an ADMIN for any creator record of
/// its brand (the id is required).
#[instrument(skip(db, actor))]
pub async fn export_creator_data(
    db: &DatabaseConnection,
    actor: &Actor,
    creator_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let (records, account_id) = if actor.role == Role::Creator {
        let ids = match creator_id {
            Some(id) if actor.creator_ids.contains(&id) => vec![id],
            Some(_) => return Err(AppError::NotFound),
            None => actor.creator_ids.clone(),
        };
        let records = creator::Entity::find()
            .filter(creator::Column::Id.is_in(ids))
            .order_by_asc(creator::Column::Id)
            .all(db)
            .await?;
        (records, actor.user_id())
    } else {
        let brand_id = actor.require(Permission::ManageDataRights)?;
        let id = creator_id.ok_or_else(|| {
            AppError::bad_input("creatorId", "is required unless a creator exports its own")
        })?;
        let record = scoped::find_in_brand::<creator::Entity, _>(db, brand_id, id).await?;
        let account_id = record.user_id;
        (vec![record], account_id)
    };
    let account = match account_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let mut creators = Vec::with_capacity(records.len());
    for record in records {
        creators.push(creator_section(db, record).await?);
    }
    Ok(json!({
        "format": "partnergraph.creator-data.v1",
        "exportedAt": timestamp(now),
        "limits": { "commissions": MAX_EXPORT_LINES, "payouts": MAX_EXPORT_LINES },
        "account": account.map(account_json),
        "creators": creators,
    }))
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn money(minor: i64, currency_code: &str) -> Result<Value, AppError> {
    let currency = Currency::parse(currency_code).map_err(AppError::internal)?;
    Ok(json!({
        "amount": Money::new(minor, currency).to_decimal().to_string(),
        "currencyCode": currency.code(),
    }))
}

fn optional_money(minor: Option<i64>, currency_code: &str) -> Result<Value, AppError> {
    minor.map_or(Ok(Value::Null), |minor| money(minor, currency_code))
}

fn json_list(stored: &str) -> Value {
    serde_json::from_str(stored).unwrap_or(Value::Array(Vec::new()))
}

/// The account, without its password hash (and no token: those are stored apart, as hashes).
fn account_json(account: user::Model) -> Value {
    json!({
        "id": encode(NodeKind::User, account.id),
        "email": account.email,
        "role": account.role,
        "createdAt": timestamp(account.created_at),
        "lastLoginAt": account.last_login_at.map(timestamp),
        "erasedAt": account.erased_at.map(timestamp),
    })
}

async fn creator_section(
    db: &DatabaseConnection,
    record: creator::Model,
) -> Result<Value, AppError> {
    let brand = brand::Entity::find_by_id(record.brand_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("creator without its brand"))?;
    let channels = channel::Entity::find()
        .filter(channel::Column::CreatorId.eq(record.id))
        .order_by_asc(channel::Column::Id)
        .all(db)
        .await?;
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::BrandId.eq(record.brand_id))
        .filter(enrollment::Column::CreatorId.eq(record.id))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    let enrollment_ids: Vec<i64> = enrollments.iter().map(|e| e.id).collect();
    let campaigns: BTreeMap<i64, String> = campaign::Entity::find()
        .filter(campaign::Column::BrandId.eq(record.brand_id))
        .filter(campaign::Column::Id.is_in(enrollments.iter().map(|e| e.campaign_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let links = tracking_link::Entity::find()
        .filter(tracking_link::Column::BrandId.eq(record.brand_id))
        .filter(tracking_link::Column::EnrollmentId.is_in(enrollment_ids.clone()))
        .order_by_asc(tracking_link::Column::Id)
        .all(db)
        .await?;
    let codes = discount_code::Entity::find()
        .filter(discount_code::Column::BrandId.eq(record.brand_id))
        .filter(discount_code::Column::EnrollmentId.is_in(enrollment_ids.clone()))
        .order_by_asc(discount_code::Column::Id)
        .all(db)
        .await?;
    let deliverables = deliverable::Entity::find()
        .filter(deliverable::Column::BrandId.eq(record.brand_id))
        .filter(deliverable::Column::EnrollmentId.is_in(enrollment_ids))
        .order_by_asc(deliverable::Column::Id)
        .all(db)
        .await?;
    let costs = cost::Entity::find()
        .filter(cost::Column::BrandId.eq(record.brand_id))
        .filter(cost::Column::CreatorId.eq(record.id))
        .order_by_asc(cost::Column::Id)
        .all(db)
        .await?;
    let mut commissions = commission::Entity::find()
        .filter(commission::Column::BrandId.eq(record.brand_id))
        .filter(commission::Column::CreatorId.eq(record.id))
        .order_by_asc(commission::Column::Id)
        .limit(MAX_EXPORT_LINES + 1)
        .all(db)
        .await?;
    let commissions_truncated = commissions.len() as u64 > MAX_EXPORT_LINES;
    commissions.truncate(MAX_EXPORT_LINES as usize);
    let mut payouts = payout::Entity::find()
        .filter(payout::Column::BrandId.eq(record.brand_id))
        .filter(payout::Column::CreatorId.eq(record.id))
        .order_by_asc(payout::Column::Id)
        .limit(MAX_EXPORT_LINES + 1)
        .all(db)
        .await?;
    let payouts_truncated = payouts.len() as u64 > MAX_EXPORT_LINES;
    payouts.truncate(MAX_EXPORT_LINES as usize);

    let enrollment_id = |id: i64| encode(NodeKind::Enrollment, id);
    Ok(json!({
        "profile": {
            "id": encode(NodeKind::Creator, record.id),
            "brand": { "id": encode(NodeKind::Brand, brand.id), "name": brand.name },
            "displayName": record.display_name,
            "email": record.email,
            "country": record.country,
            "niches": json_list(&record.niches),
            "stage": record.stage,
            "vettingStatus": record.vetting_status,
            "brandSafetyScore": record.brand_safety_score,
            "vettingNotes": record.vetting_notes,
            "followers": record.followers,
            "primaryPlatform": record.primary_platform,
            "createdAt": timestamp(record.created_at),
            "updatedAt": timestamp(record.updated_at),
            "erasedAt": record.erased_at.map(timestamp),
        },
        "channels": channels.into_iter().map(|c| json!({
            "platform": c.platform,
            "handle": c.handle,
            "url": c.url,
            "followers": c.followers,
            "avgViews": c.avg_views,
            "engagementRate": c.engagement_rate,
            "audienceCountries": json_list(&c.audience_countries),
            "createdAt": timestamp(c.created_at),
        })).collect::<Vec<_>>(),
        "enrollments": enrollments.iter().map(|e| Ok(json!({
            "id": enrollment_id(e.id),
            "campaign": {
                "id": encode(NodeKind::Campaign, e.campaign_id),
                "name": campaigns.get(&e.campaign_id),
            },
            "offerId": encode(NodeKind::Offer, e.offer_id),
            "status": e.status,
            "cpaAmount": optional_money(e.cpa_amount_minor, &brand.currency_code)?,
            "cplAmount": optional_money(e.cpl_amount_minor, &brand.currency_code)?,
            "cpcAmount": optional_money(e.cpc_amount_minor, &brand.currency_code)?,
            "revenueSharePercent": e.revenue_share_percent,
            "flatFee": optional_money(e.flat_fee_minor, &brand.currency_code)?,
            "activatedAt": e.activated_at.map(timestamp),
            "createdAt": timestamp(e.created_at),
        }))).collect::<Result<Vec<_>, AppError>>()?,
        "links": links.into_iter().map(|l| json!({
            "id": encode(NodeKind::TrackingLink, l.id),
            "enrollmentId": enrollment_id(l.enrollment_id),
            "code": l.code,
            "destinationUrl": l.destination_url,
            "utmSource": l.utm_source,
            "utmMedium": l.utm_medium,
            "utmCampaign": l.utm_campaign,
            "utmContent": l.utm_content,
            "deepLink": l.deep_link,
            "archivedAt": l.archived_at.map(timestamp),
            "createdAt": timestamp(l.created_at),
        })).collect::<Vec<_>>(),
        "discountCodes": codes.into_iter().map(|d| Ok(json!({
            "id": encode(NodeKind::DiscountCode, d.id),
            "enrollmentId": enrollment_id(d.enrollment_id),
            "code": d.code,
            "percentOff": d.percent_off,
            "amountOff": optional_money(d.amount_off_minor, &d.currency_code)?,
            "archivedAt": d.archived_at.map(timestamp),
            "createdAt": timestamp(d.created_at),
        }))).collect::<Result<Vec<_>, AppError>>()?,
        "deliverables": deliverables.into_iter().map(|d| json!({
            "id": encode(NodeKind::Deliverable, d.id),
            "enrollmentId": enrollment_id(d.enrollment_id),
            "platform": d.platform,
            "format": d.format,
            "status": d.status,
            "dueAt": d.due_at.map(timestamp),
            "postUrl": d.post_url,
            "publishedAt": d.published_at.map(timestamp),
            "disclosureConfirmed": d.disclosure_confirmed,
            "usageRightsUntil": d.usage_rights_until.map(timestamp),
            "whitelistingCode": d.whitelisting_code,
            "impressions": d.impressions,
            "views": d.views,
            "engagements": d.engagements,
        })).collect::<Vec<_>>(),
        "costs": costs.into_iter().map(|c| Ok(json!({
            "id": encode(NodeKind::Cost, c.id),
            "campaignId": encode(NodeKind::Campaign, c.campaign_id),
            "kind": c.kind,
            "amount": money(c.amount_minor, &c.currency_code)?,
            "incurredAt": timestamp(c.incurred_at),
            "note": c.note,
        }))).collect::<Result<Vec<_>, AppError>>()?,
        "commissions": {
            "truncated": commissions_truncated,
            "items": commissions.into_iter().map(|c| Ok(json!({
                "id": encode(NodeKind::Commission, c.id),
                "enrollmentId": enrollment_id(c.enrollment_id),
                "conversionId": c.conversion_id.map(|id| encode(NodeKind::Conversion, id)),
                "payoutId": c.payout_id.map(|id| encode(NodeKind::Payout, id)),
                "kind": c.kind,
                "amount": money(c.amount_minor, &c.currency_code)?,
                "status": c.status,
                "occurredAt": timestamp(c.occurred_at),
                "holdUntil": timestamp(c.hold_until),
                "reason": c.reason,
                "ratePercent": c.rate_percent,
                "reverses": c.reverses,
                "paidAt": c.paid_at.map(timestamp),
            }))).collect::<Result<Vec<_>, AppError>>()?,
        },
        "payouts": {
            "truncated": payouts_truncated,
            "items": payouts.into_iter().map(|p| Ok(json!({
                "id": encode(NodeKind::Payout, p.id),
                "amount": money(p.amount_minor, &p.currency_code)?,
                "commissionCount": p.commission_count,
                "periodEnd": timestamp(p.period_end),
                "status": p.status,
                "reference": p.reference,
                "paidAt": p.paid_at.map(timestamp),
                "failureReason": p.failure_reason,
                "createdAt": timestamp(p.created_at),
            }))).collect::<Result<Vec<_>, AppError>>()?,
        },
    }))
}
