//! Shopify webhooks: the signature and the payloads of `orders/create`, `orders/updated` and
//! `refunds/create` (Admin REST API webhook shapes, JSON).
//!
//! - Signature: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed with
//!   the connector's secret (the app's client secret, or the store's webhook key).
//! - Topic: `X-Shopify-Topic`.
//! - Order amount: `subtotal_price`, the merchandise after discounts, before shipping, taxes,
//!   duties and tips, the base creators are commonly paid on (and what `total_price` minus
//!   `total_tax` minus shipping would leave).
//! - Refund amount: the refunded merchandise, `refund_line_items[].subtotal` summed, on the same
//!   base as the order amount; a refund without line items (an amount typed in the admin) counts
//!   its successful `refund` transactions. A refund of shipping only counts nothing and is
//!   acknowledged and ignored.
//! - Click id: `pg_click` of `landing_site`'s query, else the `pg_click` note attribute (set by
//!   a storefront script from the landing URL). Discount code: the first of `discount_codes`.
//!   Customer key: `customer.id`, else the ingestion hashes the order's email.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::{
    Event, Malformed, Refund, Sale, click_from_landing, decimal, id_text, malformed, non_empty,
};

pub const SIGNATURE_HEADER: &str = "x-shopify-hmac-sha256";
pub const TOPIC_HEADER: &str = "x-shopify-topic";

/// The signature check and what a sender computes: the base64 HMAC-SHA256 of the raw body.
pub use super::{base64_hmac as signature, base64_hmac_valid as signature_valid};

/// What a delivery of `topic` with `body` asks for.
pub fn event(topic: &str, body: &[u8]) -> Result<Event, Malformed> {
    match topic.trim() {
        "orders/create" | "orders/updated" => order(body).map(Event::Sale),
        "refunds/create" => refund(body),
        other => Ok(Event::Ignored(format!("topic `{other}` is not ingested"))),
    }
}

#[derive(Deserialize)]
struct Order {
    id: Value,
    created_at: Option<String>,
    processed_at: Option<String>,
    currency: Option<String>,
    subtotal_price: Option<String>,
    email: Option<String>,
    contact_email: Option<String>,
    customer: Option<Customer>,
    #[serde(default)]
    discount_codes: Vec<DiscountCode>,
    landing_site: Option<String>,
    #[serde(default)]
    note_attributes: Vec<NoteAttribute>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
}

#[derive(Deserialize)]
struct Customer {
    id: Option<Value>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct DiscountCode {
    code: Option<String>,
}

#[derive(Deserialize)]
struct NoteAttribute {
    name: Option<String>,
    value: Option<Value>,
}

#[derive(Deserialize)]
struct Address {
    country_code: Option<String>,
}

#[derive(Deserialize)]
struct RefundBody {
    id: Value,
    order_id: Value,
    created_at: Option<String>,
    processed_at: Option<String>,
    #[serde(default)]
    refund_line_items: Vec<RefundLineItem>,
    #[serde(default)]
    transactions: Vec<Transaction>,
}

#[derive(Deserialize)]
struct RefundLineItem {
    /// A JSON number in REST payloads; `subtotal_set.shop_money.amount` (a decimal string) is
    /// read first, so no amount ever passes through a float.
    subtotal: Option<Value>,
    subtotal_set: Option<MoneySet>,
}

#[derive(Deserialize)]
struct MoneySet {
    shop_money: Option<MoneyAmount>,
}

#[derive(Deserialize)]
struct MoneyAmount {
    amount: Option<Value>,
}

impl RefundLineItem {
    fn subtotal(&self) -> Option<&Value> {
        self.subtotal_set
            .as_ref()
            .and_then(|set| set.shop_money.as_ref())
            .and_then(|money| money.amount.as_ref())
            .or(self.subtotal.as_ref())
    }
}

#[derive(Deserialize)]
struct Transaction {
    amount: Option<Value>,
    kind: Option<String>,
    status: Option<String>,
    currency: Option<String>,
}

fn time(processed_at: Option<&str>, created_at: Option<&str>) -> Result<DateTime<Utc>, Malformed> {
    let raw = processed_at
        .or(created_at)
        .ok_or_else(|| malformed("`created_at` is missing"))?;
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| malformed("`created_at` must be an RFC 3339 time"))
}

fn order(body: &[u8]) -> Result<Sale, Malformed> {
    let order: Order = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("not an order: {}", short(&e))))?;
    let external_id = id_text(&order.id, "id")?;
    let subtotal = order
        .subtotal_price
        .as_deref()
        .ok_or_else(|| malformed("`subtotal_price` is missing"))?;
    let amount = decimal(Some(&Value::String(subtotal.to_owned())), "subtotal_price")?;
    let currency =
        non_empty(order.currency.as_deref()).ok_or_else(|| malformed("`currency` is missing"))?;
    let customer_key = order
        .customer
        .as_ref()
        .and_then(|c| c.id.as_ref())
        .and_then(|id| id_text(id, "customer.id").ok());
    let customer_email = non_empty(order.email.as_deref())
        .or_else(|| non_empty(order.contact_email.as_deref()))
        .or_else(|| non_empty(order.customer.as_ref().and_then(|c| c.email.as_deref())));
    let click_id = order
        .landing_site
        .as_deref()
        .and_then(click_from_landing)
        .or_else(|| {
            order
                .note_attributes
                .iter()
                .find(|a| a.name.as_deref().map(str::trim) == Some("pg_click"))
                .and_then(|a| match &a.value {
                    Some(Value::String(s)) => non_empty(Some(s)),
                    _ => None,
                })
        });
    let discount_code = order
        .discount_codes
        .iter()
        .find_map(|c| non_empty(c.code.as_deref()));
    let region = [&order.shipping_address, &order.billing_address]
        .into_iter()
        .flatten()
        .find_map(|a| non_empty(a.country_code.as_deref()));
    Ok(Sale {
        external_id,
        occurred_at: time(order.processed_at.as_deref(), order.created_at.as_deref())?,
        amount,
        currency,
        customer_key,
        customer_email,
        click_id,
        discount_code,
        region,
    })
}

fn refund(body: &[u8]) -> Result<Event, Malformed> {
    let refund: RefundBody = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("not a refund: {}", short(&e))))?;
    let refund_id = id_text(&refund.id, "id")?;
    let order_external_id = id_text(&refund.order_id, "order_id")?;
    let occurred_at = time(refund.processed_at.as_deref(), refund.created_at.as_deref())?;
    let refunds: Vec<&Transaction> = refund
        .transactions
        .iter()
        .filter(|t| t.kind.as_deref() == Some("refund") && t.status.as_deref() == Some("success"))
        .collect();
    let currency = refunds
        .iter()
        .find_map(|t| non_empty(t.currency.as_deref()));
    let total = if refund.refund_line_items.is_empty() {
        sum(
            refunds.iter().map(|t| t.amount.as_ref()),
            "transactions[].amount",
        )?
    } else {
        sum(
            refund
                .refund_line_items
                .iter()
                .map(RefundLineItem::subtotal),
            "refund_line_items[].subtotal",
        )?
    };
    if total <= Decimal::ZERO {
        return Ok(Event::Ignored(format!(
            "refund {refund_id} returns no merchandise"
        )));
    }
    Ok(Event::Refund(Refund {
        order_external_id,
        refund_id,
        amount: total,
        currency,
        occurred_at,
    }))
}

fn sum<'a>(
    mut values: impl Iterator<Item = Option<&'a Value>>,
    field: &str,
) -> Result<Decimal, Malformed> {
    values.try_fold(Decimal::ZERO, |total, value| match value {
        None | Some(Value::Null) => Ok(total),
        Some(value) => Ok(total + decimal(Some(value), field)?),
    })
}

/// serde's message without its position (which says nothing to a platform's log reader).
fn short(err: &serde_json::Error) -> String {
    err.to_string()
        .split(" at line")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &[u8] = include_bytes!("../../../tests/fixtures/shopify/orders-create.json");
    const REFUND: &[u8] = include_bytes!("../../../tests/fixtures/shopify/refunds-create.json");

    #[test]
    fn the_signature_is_base64_hmac_of_the_raw_body() {
        // RFC 4231 test case 2, in base64.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
        let header = signature(b"secret", ORDER);
        assert!(signature_valid(b"secret", ORDER, &header));
        assert!(signature_valid(b"secret", ORDER, &format!(" {header}\n")));
        assert!(!signature_valid(b"other", ORDER, &header));
        assert!(!signature_valid(b"secret", b"{}", &header));
        assert!(!signature_valid(b"secret", ORDER, ""));
    }

    #[test]
    fn an_order_maps_to_a_sale() {
        let Event::Sale(sale) = event("orders/create", ORDER).unwrap() else {
            panic!("a sale");
        };
        assert_eq!(sale.external_id, "820982911946154508");
        assert_eq!(sale.amount, "89.10".parse::<Decimal>().unwrap());
        assert_eq!(sale.currency, "USD");
        assert_eq!(
            sale.occurred_at,
            DateTime::parse_from_rfc3339("2026-11-30T15:20:00Z").unwrap()
        );
        assert_eq!(sale.customer_key.as_deref(), Some("115310627314723954"));
        assert_eq!(sale.customer_email.as_deref(), Some("jon@example.com"));
        assert_eq!(sale.click_id.as_deref(), Some("CLICK_ID"));
        assert_eq!(sale.discount_code.as_deref(), Some("TENOFF"));
        assert_eq!(sale.region.as_deref(), Some("US"));
        assert_eq!(event("orders/updated", ORDER).unwrap(), Event::Sale(sale));
    }

    #[test]
    fn the_click_id_falls_back_to_note_attributes_and_the_customer_to_the_email() {
        let body = br#"{"id": 1, "created_at": "2026-11-30T10:20:00-05:00", "currency": "EUR",
            "subtotal_price": "10.00", "email": "a@example.com", "landing_site": "/",
            "note_attributes": [{"name": "gift", "value": "yes"}, {"name": "pg_click", "value": "clk_9"}],
            "discount_codes": []}"#;
        let Event::Sale(sale) = event("orders/create", body).unwrap() else {
            panic!("a sale");
        };
        assert_eq!(sale.click_id.as_deref(), Some("clk_9"));
        assert_eq!(sale.customer_key, None);
        assert_eq!(sale.customer_email.as_deref(), Some("a@example.com"));
        assert_eq!(sale.discount_code, None);
        assert_eq!(sale.region, None);
        assert_eq!(sale.occurred_at.to_rfc3339(), "2026-11-30T15:20:00+00:00");
    }

    #[test]
    fn a_refund_counts_its_line_items_else_its_refund_transactions() {
        let Event::Refund(refund) = event("refunds/create", REFUND).unwrap() else {
            panic!("a refund");
        };
        assert_eq!(refund.refund_id, "509562969");
        assert_eq!(refund.order_external_id, "820982911946154508");
        assert_eq!(refund.amount, "29.70".parse::<Decimal>().unwrap());
        assert_eq!(refund.currency.as_deref(), Some("USD"));

        let typed = br#"{"id": 7, "order_id": 1, "created_at": "2026-12-01T00:00:00Z",
            "refund_line_items": [], "transactions": [
              {"amount": "5.00", "kind": "refund", "status": "success", "currency": "USD"},
              {"amount": "9.00", "kind": "refund", "status": "failure", "currency": "USD"}]}"#;
        let Event::Refund(refund) = event("refunds/create", typed).unwrap() else {
            panic!("a refund");
        };
        assert_eq!(refund.amount, Decimal::new(500, 2));

        let shipping_only = br#"{"id": 8, "order_id": 1, "created_at": "2026-12-01T00:00:00Z",
            "refund_line_items": [], "transactions": []}"#;
        assert!(matches!(
            event("refunds/create", shipping_only).unwrap(),
            Event::Ignored(_)
        ));
    }

    #[test]
    fn unknown_topics_are_ignored_and_bad_bodies_are_malformed() {
        assert!(matches!(
            event("customers/create", b"{}").unwrap(),
            Event::Ignored(_)
        ));
        for (topic, body) in [
            ("orders/create", &b"not json"[..]),
            ("orders/create", br#"{"id": 1}"#),
            ("orders/create", br#"{"id": {}, "created_at": "2026-11-30T10:20:00Z", "currency": "USD", "subtotal_price": "1.00"}"#),
            ("orders/create", br#"{"id": 1, "created_at": "yesterday", "currency": "USD", "subtotal_price": "1.00"}"#),
            ("orders/create", br#"{"id": 1, "created_at": "2026-11-30T10:20:00Z", "currency": "USD", "subtotal_price": "a lot"}"#),
            ("refunds/create", br#"{"id": 1}"#),
            ("refunds/create", &b"[]"[..]),
        ] {
            assert!(event(topic, body).is_err(), "{topic} {}", String::from_utf8_lossy(body));
        }
    }
}
