//! Outbound webhooks: endpoints a brand ADMIN registers ([`endpoints`]), the outbox rows written
//! with the change that causes them ([`enqueue`]), and the delivery log ([`deliveries`]). The
//! worker that sends them is [`crate::webhooks`].

pub mod approvals;
pub mod deliveries;
pub mod endpoints;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use crate::db::entity::{
    commission, conversion, export, fraud_flag, payout, refund, webhook_delivery, webhook_endpoint,
};
use crate::domain::money::{Currency, Money};
use crate::domain::webhook::{DeliveryStatus, EventType};
use crate::error::AppError;
use crate::global_id::{NodeKind, encode};

/// Something an integrator can subscribe to, with the rows that describe it.
pub enum Event<'a> {
    /// A conversion was stored and attributed to an enrollment (at ingestion).
    ConversionAttributed(&'a conversion::Model),
    /// A refund was applied to a conversion (`conversion` as it is after the refund).
    ConversionRefunded {
        conversion: &'a conversion::Model,
        refund: &'a refund::Model,
    },
    /// A commission line's hold ended: it counts as APPROVED.
    CommissionApproved(&'a commission::Model),
    /// A payout was marked paid.
    PayoutPaid(&'a payout::Model),
    /// A brand export finished; its file can be downloaded until `expiresAt`.
    ExportCompleted(&'a export::Model),
    /// A fraud rule flagged a conversion (at ingestion); its commission is ON_HOLD.
    FraudFlagged {
        flag: &'a fraud_flag::Model,
        conversion: &'a conversion::Model,
    },
}

impl Event<'_> {
    pub fn event_type(&self) -> EventType {
        match self {
            Self::ConversionAttributed(_) => EventType::ConversionAttributed,
            Self::ConversionRefunded { .. } => EventType::ConversionRefunded,
            Self::CommissionApproved(_) => EventType::CommissionApproved,
            Self::PayoutPaid(_) => EventType::PayoutPaid,
            Self::ExportCompleted(_) => EventType::ExportCompleted,
            Self::FraudFlagged { .. } => EventType::FraudFlagged,
        }
    }

    /// The `data` object: the same IDs and field names the GraphQL API exposes; money as
    /// `{"amount": "12.50", "currencyCode": "USD"}` (a decimal string, never a float).
    fn data(&self) -> Result<Value, AppError> {
        Ok(match self {
            Self::ConversionAttributed(row) => json!({ "conversion": conversion_json(row)? }),
            Self::ConversionRefunded { conversion, refund } => json!({
                "conversion": conversion_json(conversion)?,
                "refund": {
                    "refundId": refund.refund_external_id,
                    "amount": money(refund.amount_minor, &refund.currency_code)?,
                    "occurredAt": timestamp(refund.occurred_at),
                },
            }),
            Self::CommissionApproved(line) => json!({
                "commission": {
                    "id": encode(NodeKind::Commission, line.id),
                    "kind": line.kind,
                    "status": "APPROVED",
                    "amount": money(line.amount_minor, &line.currency_code)?,
                    "occurredAt": timestamp(line.occurred_at),
                    "holdUntil": timestamp(line.hold_until),
                    "conversionId": line.conversion_id.map(|id| encode(NodeKind::Conversion, id)),
                    "enrollmentId": encode(NodeKind::Enrollment, line.enrollment_id),
                    "creatorId": encode(NodeKind::Creator, line.creator_id),
                    "campaignId": encode(NodeKind::Campaign, line.campaign_id),
                },
            }),
            Self::PayoutPaid(row) => json!({
                "payout": {
                    "id": encode(NodeKind::Payout, row.id),
                    "status": row.status,
                    "amount": money(row.amount_minor, &row.currency_code)?,
                    "commissionCount": row.commission_count,
                    "periodEnd": timestamp(row.period_end),
                    "creatorId": encode(NodeKind::Creator, row.creator_id),
                    "reference": row.reference,
                    "paidAt": row.paid_at.map(timestamp),
                },
            }),
            // The download link is not sent: it is a credential, read with `export(id:)`.
            Self::ExportCompleted(row) => json!({
                "export": {
                    "id": encode(NodeKind::Export, row.id),
                    "kind": row.kind,
                    "format": row.format,
                    "status": row.status,
                    "rowCount": row.row_count,
                    "fileSize": row.file_size,
                    "createdAt": timestamp(row.created_at),
                    "completedAt": row.completed_at.map(timestamp),
                    "expiresAt": row.expires_at.map(timestamp),
                },
            }),
            // The evidence stays in the API (`fraudFlags`): it is for reviewers.
            Self::FraudFlagged { flag, conversion } => json!({
                "fraudFlag": {
                    "id": encode(NodeKind::FraudFlag, flag.id),
                    "rule": flag.rule,
                    "status": flag.status,
                    "createdAt": timestamp(flag.created_at),
                },
                "conversion": conversion_json(conversion)?,
            }),
        })
    }
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

fn conversion_json(row: &conversion::Model) -> Result<Value, AppError> {
    let id = |kind, id: Option<i64>| id.map(|id| encode(kind, id));
    Ok(json!({
        "id": encode(NodeKind::Conversion, row.id),
        "externalId": row.external_id,
        "kind": row.kind,
        "status": row.status,
        "occurredAt": timestamp(row.occurred_at),
        "amount": money(row.amount_minor, &row.currency_code)?,
        "refundedAmount": money(row.refunded_minor, &row.currency_code)?,
        "newCustomer": row.new_customer,
        "region": row.region,
        "clickId": row.click_id,
        "discountCode": row.discount_code,
        "attribution": {
            "method": row.attribution_method,
            "enrollmentId": id(NodeKind::Enrollment, row.enrollment_id),
            "campaignId": id(NodeKind::Campaign, row.campaign_id),
            "creatorId": id(NodeKind::Creator, row.creator_id),
            "offerId": id(NodeKind::Offer, row.offer_id),
        },
    }))
}

/// Writes one PENDING delivery of `event` for each enabled endpoint of the brand subscribed to
/// its type, on `db` (the transaction of the change, so the outbox commits or rolls back with
/// it), queued at `now`. Returns how many were written.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    enqueue_registered_by(db, brand_id, event, None, now).await
}

/// [`enqueue`] for an event that happened at `happened_at`: only endpoints registered by then
/// receive it.
async fn enqueue_registered_by<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    event: Event<'_>,
    happened_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let endpoints = enabled_endpoints(db, brand_id, happened_at).await?;
    enqueue_to(db, brand_id, &endpoints, event, now).await
}

/// The brand's enabled endpoints (registered by `happened_at` when given), by id: read once by a
/// batch that enqueues many events, then passed to [`enqueue_to`].
pub async fn enabled_endpoints<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    happened_at: Option<DateTime<Utc>>,
) -> Result<Vec<webhook_endpoint::Model>, AppError> {
    let mut select = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::BrandId.eq(brand_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true));
    if let Some(at) = happened_at {
        select = select.filter(webhook_endpoint::Column::CreatedAt.lte(at));
    }
    Ok(select
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?)
}

/// Queues `event`, at `now`, for those of `endpoints` (the brand's enabled ones) subscribed to
/// it.
pub async fn enqueue_to<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    endpoints: &[webhook_endpoint::Model],
    event: Event<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let event_type = event.event_type();
    let endpoints: Vec<&webhook_endpoint::Model> = endpoints
        .iter()
        .filter(|e| endpoints::subscribed(e, event_type))
        .collect();
    if endpoints.is_empty() {
        return Ok(0);
    }
    let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = json!({
        "id": event_id,
        "type": event_type.wire_name(),
        "createdAt": timestamp(now),
        "brandId": encode(NodeKind::Brand, brand_id),
        "data": event.data()?,
    })
    .to_string();
    let rows = endpoints
        .iter()
        .map(|endpoint| webhook_delivery::ActiveModel {
            brand_id: Set(brand_id),
            endpoint_id: Set(endpoint.id),
            event_id: Set(event_id.clone()),
            event_type: Set(event_type.as_str().to_owned()),
            payload: Set(payload.clone()),
            status: Set(DeliveryStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        });
    webhook_delivery::Entity::insert_many(rows).exec(db).await?;
    Ok(endpoints.len())
}
