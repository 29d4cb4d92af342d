//! WooCommerce webhooks: the signature and the order payloads of `order.created` and
//! `order.updated` (REST API v3 order shape, JSON).
//!
//! - Signature: `X-WC-Webhook-Signature` is the base64 HMAC-SHA256 of the raw body keyed with
//!   the webhook's secret (typed by the store owner in WooCommerce > Settings > Advanced >
//!   Webhooks; the connector can generate one to paste there).
//! - Topic: `X-WC-Webhook-Topic`.
//! - A sale is an order that was paid: status `processing`, `completed` or `refunded`; an order
//!   still `pending`, `on-hold`, `failed`, `cancelled` or a draft is acknowledged and ignored, and
//!   becomes a sale on the `order.updated` that marks it paid.
//! - Order amount: `total`, what the customer paid (with shipping and taxes), because the order
//!   states its refunds only as totals (`refunds[].total`), on that same base (as for Stripe).
//! - Refunds: each of the order's `refunds` (its id and the absolute value of its negative
//!   `total`), dated with the order's last modification (the order payload gives refunds no
//!   date of their own). Idempotent by refund id: every `order.updated` repeats them all.
//! - Time: `date_paid_gmt`, else `date_created_gmt` (UTC without an offset).
//! - Click id: the order's `pg_click` meta (`meta_data`, key `pg_click` or `_pg_click`, set by a
//!   storefront snippet from the landing URL). Discount code: the first of `coupon_lines`.
//!   Customer key: `customer_id` (0 for a guest: then the ingestion hashes the billing email).
//!   Region: the shipping country, else the billing one.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Event, Malformed, Refund, Sale, decimal, id_text, malformed, non_empty};

pub const SIGNATURE_HEADER: &str = "x-wc-webhook-signature";
pub const TOPIC_HEADER: &str = "x-wc-webhook-topic";

/// Statuses of an order that was paid.
const PAID: [&str; 3] = ["processing", "completed", "refunded"];

/// The signature check and what a sender computes: the base64 HMAC-SHA256 of the raw body.
pub use super::{base64_hmac as signature, base64_hmac_valid as signature_valid};

/// What a delivery of `topic` with `body` asks for.
pub fn event(topic: &str, body: &[u8]) -> Result<Event, Malformed> {
    match topic.trim() {
        "order.created" | "order.updated" => order(body),
        other => Ok(Event::Ignored(format!("topic `{other}` is not ingested"))),
    }
}

#[derive(Deserialize)]
struct Order {
    id: Value,
    status: Option<String>,
    currency: Option<String>,
    total: Option<Value>,
    date_created_gmt: Option<String>,
    date_paid_gmt: Option<String>,
    date_modified_gmt: Option<String>,
    customer_id: Option<Value>,
    billing: Option<Address>,
    shipping: Option<Address>,
    #[serde(default)]
    coupon_lines: Vec<CouponLine>,
    #[serde(default)]
    meta_data: Vec<Meta>,
    #[serde(default)]
    refunds: Vec<OrderRefund>,
}

#[derive(Deserialize)]
struct Address {
    email: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
struct CouponLine {
    code: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    key: Option<String>,
    value: Option<Value>,
}

#[derive(Deserialize)]
struct OrderRefund {
    id: Value,
    total: Option<Value>,
}

/// A `*_gmt` time: `2026-12-01T10:15:00` (UTC, no offset), or RFC 3339.
fn gmt(raw: &str, field: &str) -> Result<DateTime<Utc>, Malformed> {
    let raw = raw.trim();
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .map(|t| t.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| malformed(format!("`{field}` must be a time")))
}

fn order(body: &[u8]) -> Result<Event, Malformed> {
    let order: Order =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not an order: {e}")))?;
    let external_id = id_text(&order.id, "id")?;
    let status = non_empty(order.status.as_deref()).unwrap_or_default();
    if !PAID.contains(&status.as_str()) {
        return Ok(Event::Ignored(format!(
            "order {external_id} is `{status}`, not paid"
        )));
    }
    let currency =
        non_empty(order.currency.as_deref()).ok_or_else(|| malformed("`currency` is missing"))?;
    let paid_at = match (&order.date_paid_gmt, &order.date_created_gmt) {
        (Some(paid), _) if !paid.trim().is_empty() => gmt(paid, "date_paid_gmt")?,
        (_, Some(created)) => gmt(created, "date_created_gmt")?,
        _ => return Err(malformed("`date_created_gmt` is missing")),
    };
    let customer_key = order
        .customer_id
        .as_ref()
        .and_then(|id| id_text(id, "customer_id").ok())
        .filter(|id| id != "0");
    let click_id = order
        .meta_data
        .iter()
        .find(|m| {
            matches!(
                m.key.as_deref().map(str::trim),
                Some("pg_click" | "_pg_click")
            )
        })
        .and_then(|m| match &m.value {
            Some(Value::String(s)) => non_empty(Some(s)),
            _ => None,
        });
    let addresses = [&order.shipping, &order.billing];
    let sale = Sale {
        external_id: external_id.clone(),
        occurred_at: paid_at,
        amount: decimal(order.total.as_ref(), "total")?,
        currency: currency.clone(),
        customer_key,
        customer_email: non_empty(order.billing.as_ref().and_then(|b| b.email.as_deref())),
        click_id,
        discount_code: order
            .coupon_lines
            .iter()
            .find_map(|c| non_empty(c.code.as_deref())),
        region: addresses
            .into_iter()
            .flatten()
            .find_map(|a| non_empty(a.country.as_deref())),
    };
    let refunded_at = match &order.date_modified_gmt {
        Some(modified) if !modified.trim().is_empty() => gmt(modified, "date_modified_gmt")?,
        _ => paid_at,
    };
    let refunds = order
        .refunds
        .iter()
        .map(|refund| {
            Ok(Refund {
                order_external_id: external_id.clone(),
                refund_id: id_text(&refund.id, "refunds[].id")?,
                amount: decimal(refund.total.as_ref(), "refunds[].total")?.abs(),
                currency: Some(currency.clone()),
                occurred_at: refunded_at,
            })
        })
        .collect::<Result<Vec<_>, Malformed>>()?;
    Ok(Event::Order { sale, refunds })
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::*;

    fn paid_order() -> Value {
        json!({
            "id": 4750, "status": "processing", "currency": "USD", "total": "59.90",
            "date_created_gmt": "2026-12-01T10:15:00", "date_paid_gmt": "2026-12-01T10:16:30",
            "date_modified_gmt": "2026-12-02T08:00:00", "customer_id": 0,
            "billing": { "email": "ana@example.com", "country": "US" },
            "shipping": { "country": "CA" },
            "coupon_lines": [{ "code": "CORA10" }],
            "meta_data": [{ "id": 1, "key": "_pg_click", "value": "clk_9" }],
            "refunds": []
        })
    }

    fn event_of(order: &Value, topic: &str) -> Event {
        event(topic, order.to_string().as_bytes()).expect("maps")
    }

    #[test]
    fn signatures_are_base64_hmacs_of_the_raw_body() {
        let body = br#"{"id":1}"#;
        let header = signature(b"wc-secret", body);
        assert!(signature_valid(b"wc-secret", body, &header));
        assert!(!signature_valid(b"other", body, &header));
        assert!(!signature_valid(b"wc-secret", br#"{"id":2}"#, &header));
        assert!(!signature_valid(b"wc-secret", body, ""));
    }

    #[test]
    fn a_paid_order_is_a_sale_with_its_click_code_and_region() {
        let Event::Order { sale, refunds } = event_of(&paid_order(), "order.created") else {
            panic!("an order");
        };
        assert_eq!(sale.external_id, "4750");
        assert_eq!(sale.amount, Decimal::new(5990, 2));
        assert_eq!(sale.currency, "USD");
        assert_eq!(sale.occurred_at.to_rfc3339(), "2026-12-01T10:16:30+00:00");
        assert_eq!(sale.customer_key, None, "a guest: the email is hashed");
        assert_eq!(sale.customer_email.as_deref(), Some("ana@example.com"));
        assert_eq!(sale.click_id.as_deref(), Some("clk_9"));
        assert_eq!(sale.discount_code.as_deref(), Some("CORA10"));
        assert_eq!(sale.region.as_deref(), Some("CA"), "shipping first");
        assert!(refunds.is_empty());
    }

    #[test]
    fn refunds_come_with_the_order_as_positive_amounts() {
        let mut order = paid_order();
        order["status"] = json!("refunded");
        order["customer_id"] = json!(17);
        order["refunds"] = json!([
            { "id": 801, "reason": "", "total": "-10.00" },
            { "id": 802, "reason": "damaged", "total": "-49.90" }
        ]);
        let Event::Order { sale, refunds } = event_of(&order, "order.updated") else {
            panic!("an order");
        };
        assert_eq!(sale.customer_key.as_deref(), Some("17"));
        let amounts: Vec<(String, Decimal)> = refunds
            .iter()
            .map(|r| (r.refund_id.clone(), r.amount))
            .collect();
        assert_eq!(
            amounts,
            [
                ("801".to_owned(), Decimal::new(1000, 2)),
                ("802".to_owned(), Decimal::new(4990, 2))
            ]
        );
        assert!(refunds.iter().all(|r| r.order_external_id == "4750"));
        assert_eq!(
            refunds[0].occurred_at.to_rfc3339(),
            "2026-12-02T08:00:00+00:00"
        );
    }

    #[test]
    fn unpaid_orders_and_other_topics_are_ignored() {
        for status in [
            "pending",
            "on-hold",
            "failed",
            "cancelled",
            "checkout-draft",
        ] {
            let mut order = paid_order();
            order["status"] = json!(status);
            assert!(
                matches!(event_of(&order, "order.updated"), Event::Ignored(_)),
                "{status}"
            );
        }
        assert!(matches!(
            event_of(&paid_order(), "product.updated"),
            Event::Ignored(_)
        ));
    }

    #[test]
    fn malformed_orders_are_refused() {
        assert!(event("order.created", b"webhook_id=3").is_err());
        let mut order = paid_order();
        order["total"] = json!("lots");
        assert!(event("order.created", order.to_string().as_bytes()).is_err());
        let mut order = paid_order();
        order["refunds"] = json!([{ "id": 1, "total": 5.5e300 }]);
        assert!(event("order.created", order.to_string().as_bytes()).is_err());
    }
}
