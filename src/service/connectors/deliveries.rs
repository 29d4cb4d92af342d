//! A platform's delivery to `POST /connect/{kind}/{id}`: find the connector, verify the
//! platform's signature over the raw body, map the payload ([`crate::domain::connector`]) and
//! ingest it with the services `recordConversions` and `recordRefund` use, as the connector's
//! brand. Idempotent through the order's and the refund's external ids (platforms retry); a
//! refund that arrives before its order is held by the refund service until the order arrives.
//!
//! Answers, for the route to turn into statuses: NOT_FOUND (no such enabled connector of this
//! kind), UNAUTHENTICATED (missing or wrong signature: nothing stored, counters untouched, so
//! an unsigned caller can change nothing), BAD_USER_INPUT (a signed body that is not what its
//! topic says: nothing stored, counted as an error), or a [`Receipt`]. A delivery the ingestion
//! rules reject (no exchange rate for its day, a refund larger than what is left) is a
//! [`Receipt::Rejected`]: acknowledged, so the platform stops retrying something a retry cannot
//! fix, and shown as the connector's `lastError`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tracing::instrument;

use crate::auth::Actor;
use crate::auth::seal::SealingKey;
use crate::db::entity::connector;
use crate::domain::connector::{Event, Kind, Refund, Sale, shopify, stripe, woocommerce};
use crate::domain::conversion::Kind as ConversionKind;
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::service::ingest::batch::ItemStatus;
use crate::service::ingest::conversions::{self, ConversionItem};
use crate::service::ingest::refunds::{self, RefundItem};

/// Longest reason kept in `last_error`.
const MAX_REASON_LEN: usize = 200;

/// The parts of a request a platform signs and labels.
pub struct Delivery<'a> {
    /// The platform's signature header, as sent (Shopify `X-Shopify-Hmac-Sha256`; Stripe
    /// `Stripe-Signature`, checked against `now` with a 5-minute tolerance).
    pub signature: Option<&'a str>,
    /// What the delivery is about (Shopify: `X-Shopify-Topic`; Stripe names it in the body).
    pub topic: Option<&'a str>,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}

/// What a verified delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// A new conversion (its id) or refund (the conversion's, when the order is known).
    Accepted {
        conversion_id: Option<i64>,
        refund: bool,
    },
    /// Already stored: nothing written.
    Duplicate { conversion_id: Option<i64> },
    /// Acknowledged, not ingested (an unknown topic), with the reason.
    Ignored(String),
    /// Refused by the ingestion rules, with the reason.
    Rejected(String),
}

#[instrument(skip(db, key, delivery), fields(kind = %kind))]
pub async fn receive(
    db: &DatabaseConnection,
    key: &SealingKey,
    kind: Kind,
    connector_id: i64,
    delivery: Delivery<'_>,
    now: DateTime<Utc>,
) -> Result<Receipt, AppError> {
    let connector = connector::Entity::find_by_id(connector_id)
        .filter(connector::Column::Kind.eq(kind.as_str()))
        .filter(connector::Column::Enabled.eq(true))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let secret = key
        .open(&connector.secret)
        .map_err(|err| AppError::internal(format!("connector {}: {err}", connector.id)))?;
    let verified = delivery.signature.is_some_and(|sig| match kind {
        Kind::Shopify => shopify::signature_valid(secret.as_bytes(), delivery.body, sig),
        Kind::Stripe => {
            stripe::signature_valid(secret.as_bytes(), delivery.body, sig, now.timestamp())
        }
        Kind::WooCommerce => woocommerce::signature_valid(secret.as_bytes(), delivery.body, sig),
    });
    if !verified {
        tracing::warn!(
            connector = connector.id,
            "connector delivery with a bad signature"
        );
        return Err(AppError::Unauthenticated);
    }
    let event = match (
        kind,
        delivery.topic.map(str::trim).filter(|t| !t.is_empty()),
    ) {
        (Kind::Stripe, _) => {
            stripe::event(delivery.body).map_err(|err| AppError::bad_input("body", err.0))
        }
        (_, None) => Err(AppError::bad_input("topic", "the topic header is missing")),
        (Kind::WooCommerce, Some(topic)) => woocommerce::event(topic, delivery.body)
            .map_err(|err| AppError::bad_input("body", err.0)),
        (Kind::Shopify, Some(topic)) => {
            shopify::event(topic, delivery.body).map_err(|err| AppError::bad_input("body", err.0))
        }
    };
    let event = match event {
        Ok(event) => event,
        Err(err) => {
            count(db, connector.id, Err(&err.to_string()), now).await?;
            return Err(err);
        }
    };
    let actor = Actor::connector(connector.id, connector.brand_id);
    let receipt = match event {
        Event::Sale(sale) => record_sale(db, &actor, sale, now).await?,
        Event::Refund(refund) => record_refund(db, &actor, refund, now).await?,
        Event::Order { sale, refunds } => {
            let mut receipt = record_sale(db, &actor, sale, now).await?;
            for refund in refunds {
                receipt = receipt.then(record_refund(db, &actor, refund, now).await?);
            }
            receipt
        }
        Event::Ignored(reason) => {
            tracing::info!(connector = connector.id, reason = %reason, "connector delivery ignored");
            Receipt::Ignored(reason)
        }
    };
    let outcome = match &receipt {
        Receipt::Rejected(reason) => Err(reason.as_str()),
        _ => Ok(()),
    };
    count(db, connector.id, outcome, now).await?;
    Ok(receipt)
}

impl Receipt {
    /// The receipt of a delivery that did `self` then `next` (an order, then each of its
    /// refunds): the first rejection; else accepted when either wrote something, with the
    /// order's conversion; else a duplicate.
    fn then(self, next: Receipt) -> Receipt {
        let conversion = |r: &Receipt| match r {
            Receipt::Accepted { conversion_id, .. } | Receipt::Duplicate { conversion_id } => {
                *conversion_id
            }
            _ => None,
        };
        match (&self, &next) {
            (Receipt::Rejected(_), _) => self,
            (_, Receipt::Rejected(_)) => next,
            (Receipt::Accepted { .. }, _) => self,
            (_, Receipt::Accepted { refund, .. }) => Receipt::Accepted {
                conversion_id: conversion(&self).or(conversion(&next)),
                refund: *refund,
            },
            _ => Receipt::Duplicate {
                conversion_id: conversion(&self).or(conversion(&next)),
            },
        }
    }
}

/// An ingestion error that a retry cannot fix becomes a rejection; anything else propagates.
fn rejection(err: AppError) -> Result<Receipt, AppError> {
    match err {
        AppError::BadUserInput { .. } | AppError::NotFound => {
            Ok(Receipt::Rejected(err.to_string()))
        }
        err => Err(err),
    }
}

async fn record_sale(
    db: &DatabaseConnection,
    actor: &Actor,
    sale: Sale,
    now: DateTime<Utc>,
) -> Result<Receipt, AppError> {
    let currency = match Currency::parse(&sale.currency) {
        Ok(currency) => currency,
        Err(err) => return rejection(AppError::bad_input("currency", err.to_string())),
    };
    let item = ConversionItem {
        external_id: sale.external_id,
        kind: ConversionKind::Sale,
        occurred_at: sale.occurred_at,
        amount: Some(sale.amount),
        currency: Some(currency),
        customer_key: sale.customer_key,
        customer_email: sale.customer_email,
        new_customer: None,
        click_id: sale.click_id,
        discount_code: sale.discount_code,
        region: sale.region,
    };
    let mut results = conversions::record(db, actor, vec![item], now).await?;
    let Some(result) = results.pop() else {
        return Err(AppError::internal("no result for the connector's order"));
    };
    let conversion_id = result.value.as_ref().map(|c| c.id);
    match (result.status, result.error) {
        (ItemStatus::Accepted, _) => Ok(Receipt::Accepted {
            conversion_id,
            refund: false,
        }),
        (ItemStatus::Duplicate, _) => Ok(Receipt::Duplicate { conversion_id }),
        (ItemStatus::Rejected, Some(err)) => rejection(err),
        (ItemStatus::Rejected, None) => Ok(Receipt::Rejected("rejected".into())),
    }
}

async fn record_refund(
    db: &DatabaseConnection,
    actor: &Actor,
    refund: Refund,
    now: DateTime<Utc>,
) -> Result<Receipt, AppError> {
    let currency = match refund.currency.as_deref().map(Currency::parse).transpose() {
        Ok(currency) => currency,
        Err(err) => return rejection(AppError::bad_input("currency", err.to_string())),
    };
    let item = RefundItem {
        order_external_id: refund.order_external_id,
        refund_id: refund.refund_id,
        amount: refund.amount,
        currency,
        occurred_at: refund.occurred_at,
    };
    match refunds::record(db, actor, item, now).await {
        Ok(outcome) => {
            let conversion_id = outcome.conversion.as_ref().map(|c| c.id);
            Ok(if outcome.duplicate {
                Receipt::Duplicate { conversion_id }
            } else {
                Receipt::Accepted {
                    conversion_id,
                    refund: true,
                }
            })
        }
        Err(err) => rejection(err),
    }
}

/// Counts a signed delivery: delivered (`Ok`) or an error with its reason.
async fn count(
    db: &DatabaseConnection,
    connector_id: i64,
    outcome: Result<(), &str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut update = connector::Entity::update_many()
        .col_expr(connector::Column::LastDeliveryAt, Expr::value(now))
        .filter(connector::Column::Id.eq(connector_id));
    update = match outcome {
        Ok(()) => update.col_expr(
            connector::Column::DeliveredCount,
            Expr::col(connector::Column::DeliveredCount).add(1),
        ),
        Err(reason) => update
            .col_expr(
                connector::Column::ErrorCount,
                Expr::col(connector::Column::ErrorCount).add(1),
            )
            .col_expr(
                connector::Column::LastError,
                Expr::value(Some(
                    reason.chars().take(MAX_REASON_LEN).collect::<String>(),
                )),
            ),
    };
    update.exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Receipt;

    fn accepted(refund: bool) -> Receipt {
        Receipt::Accepted {
            conversion_id: Some(7),
            refund,
        }
    }

    #[test]
    fn an_order_and_its_refunds_answer_as_one_delivery() {
        let duplicate = Receipt::Duplicate {
            conversion_id: Some(7),
        };
        assert_eq!(accepted(false).then(duplicate.clone()), accepted(false));
        assert_eq!(duplicate.clone().then(accepted(true)), accepted(true));
        assert_eq!(duplicate.clone().then(duplicate.clone()), duplicate);
        let rejected = Receipt::Rejected("too much".into());
        assert_eq!(accepted(false).then(rejected.clone()), rejected);
        assert_eq!(rejected.clone().then(accepted(true)), rejected);
    }
}
