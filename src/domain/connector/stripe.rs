//! Stripe events: the `Stripe-Signature` check and the payloads of
//! `checkout.session.completed`, `invoice.paid` and `charge.refunded`.
//!
//! - Signature: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//!   (several `v1` while a secret rolls), keyed with the endpoint's `whsec_...` secret as text,
//!   refused when `t` is more than 5 minutes from now (replays).
//! - Type: the event's `type` in the body (Stripe sends no topic header).
//! - Amounts are integers in minor units; an order counts what the customer paid
//!   (`amount_total` of a checkout session, `amount_paid` of an invoice: after discounts, with tax
//!   and shipping), because Stripe states refunds on that base.
//! - Order id (the conversion's `externalId`): the payment intent (`pi_...`), which refunds name
//!   too; else the session's or invoice's own id.
//! - A checkout session in subscription mode is ignored (its first `invoice.paid` is the order),
//!   and so is an unpaid one (delayed payment methods).
//! - `charge.refunded` carries the charge's running `amount_refunded`; the refund is the growth
//!   since `data.previous_attributes.amount_refunded`, with the id `<charge id>:<running total>`,
//!   so a retried event is the same refund and a second partial refund a new one.
//! - Click id: `client_reference_id`, else `metadata.pg_click` (an invoice: its metadata, else its
//!   subscription's). Discount codes are not read: Stripe names promotion codes by id.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Event, Malformed, Refund, Sale, constant_time_eq, malformed};
use crate::domain::money::{Currency, Money};
use crate::domain::webhook::hmac_sha256_hex;

pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// How far a signature's time may be from now.
pub const TOLERANCE_SECS: i64 = 300;

/// Whether `header` signs `body` with `secret` at a time within [`TOLERANCE_SECS`] of `now`.
pub fn signature_valid(secret: &[u8], body: &[u8], header: &str, now: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return false;
    }
    let expected = signature(secret, timestamp, body);
    signatures
        .iter()
        .any(|sig| constant_time_eq(sig.as_bytes(), expected.as_bytes()))
}

/// The hex `v1` of `body` at `timestamp` (what Stripe computes; tests and docs).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    hmac_sha256_hex(secret, &signed)
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: Value,
    previous_attributes: Option<Value>,
}

/// What a verified event asks for.
pub fn event(body: &[u8]) -> Result<Event, Malformed> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|_| malformed("not a Stripe event (type, created, data.object)"))?;
    let created = DateTime::<Utc>::from_timestamp(envelope.created, 0)
        .ok_or_else(|| malformed("`created` is not a time"))?;
    let object = &envelope.data.object;
    match envelope.kind.as_str() {
        "checkout.session.completed" => checkout(object, created),
        "invoice.paid" => invoice(object, created),
        "charge.refunded" => refund(object, envelope.data.previous_attributes.as_ref(), created),
        other => Ok(Event::Ignored(format!(
            "event type `{other}` is not ingested"
        ))),
    }
}

fn text<'a>(object: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(object, |value, key| value.get(key))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn owned(object: &Value, path: &[&str]) -> Option<String> {
    text(object, path).map(str::to_owned)
}

fn minor(object: &Value, field: &str) -> Result<i64, Malformed> {
    object
        .get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| malformed(format!("`{field}` must be an integer amount")))
}

fn money(object: &Value, field: &str) -> Result<(rust_decimal::Decimal, String), Malformed> {
    let code = text(object, &["currency"])
        .ok_or_else(|| malformed("`currency` is missing"))?
        .to_ascii_uppercase();
    let currency = Currency::parse(&code).map_err(|_| malformed("`currency` is not ISO 4217"))?;
    Ok((
        Money::new(minor(object, field)?, currency).to_decimal(),
        code,
    ))
}

fn checkout(object: &Value, created: DateTime<Utc>) -> Result<Event, Malformed> {
    let id = text(object, &["id"]).ok_or_else(|| malformed("`id` is missing"))?;
    if text(object, &["mode"]) != Some("payment") {
        return Ok(Event::Ignored(format!(
            "checkout session {id} is not a one-time payment (its invoice.paid counts)"
        )));
    }
    if text(object, &["payment_status"]) != Some("paid") {
        return Ok(Event::Ignored(format!("checkout session {id} is not paid")));
    }
    let (amount, currency) = money(object, "amount_total")?;
    Ok(Event::Sale(Sale {
        external_id: owned(object, &["payment_intent"]).unwrap_or_else(|| id.to_owned()),
        occurred_at: created,
        amount,
        currency,
        customer_key: owned(object, &["customer"]),
        customer_email: owned(object, &["customer_details", "email"])
            .or_else(|| owned(object, &["customer_email"])),
        click_id: owned(object, &["client_reference_id"])
            .or_else(|| owned(object, &["metadata", "pg_click"])),
        discount_code: None,
        region: owned(object, &["customer_details", "address", "country"]),
    }))
}

fn invoice(object: &Value, created: DateTime<Utc>) -> Result<Event, Malformed> {
    let id = text(object, &["id"]).ok_or_else(|| malformed("`id` is missing"))?;
    let (amount, currency) = money(object, "amount_paid")?;
    if amount <= rust_decimal::Decimal::ZERO {
        return Ok(Event::Ignored(format!("invoice {id} paid nothing")));
    }
    let paid_at = object
        .get("status_transitions")
        .and_then(|t| t.get("paid_at"))
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .unwrap_or(created);
    Ok(Event::Sale(Sale {
        external_id: owned(object, &["payment_intent"]).unwrap_or_else(|| id.to_owned()),
        occurred_at: paid_at,
        amount,
        currency,
        customer_key: owned(object, &["customer"]),
        customer_email: owned(object, &["customer_email"]),
        click_id: owned(object, &["metadata", "pg_click"])
            .or_else(|| owned(object, &["subscription_details", "metadata", "pg_click"])),
        discount_code: None,
        region: owned(object, &["customer_address", "country"]),
    }))
}

fn refund(
    object: &Value,
    previous: Option<&Value>,
    created: DateTime<Utc>,
) -> Result<Event, Malformed> {
    let charge = text(object, &["id"]).ok_or_else(|| malformed("`id` is missing"))?;
    let total = minor(object, "amount_refunded")?;
    let before = previous
        .and_then(|p| p.get("amount_refunded"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let code = text(object, &["currency"])
        .ok_or_else(|| malformed("`currency` is missing"))?
        .to_ascii_uppercase();
    let currency = Currency::parse(&code).map_err(|_| malformed("`currency` is not ISO 4217"))?;
    if total <= before {
        return Ok(Event::Ignored(format!(
            "charge {charge} refunded nothing more"
        )));
    }
    let order = owned(object, &["payment_intent"])
        .or_else(|| owned(object, &["invoice"]))
        .unwrap_or_else(|| charge.to_owned());
    Ok(Event::Refund(Refund {
        order_external_id: order,
        refund_id: format!("{charge}:{total}"),
        amount: Money::new(total - before, currency).to_decimal(),
        currency: Some(code),
        occurred_at: created,
    }))
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    const CHECKOUT: &[u8] =
        include_bytes!("../../../tests/fixtures/stripe/checkout-session-completed.json");
    const REFUNDED: &[u8] = include_bytes!("../../../tests/fixtures/stripe/charge-refunded.json");

    #[test]
    fn the_signature_is_hex_hmac_of_time_dot_body_within_five_minutes() {
        let secret = b"whsec_test_secret";
        let v1 = signature(secret, 1_000, CHECKOUT);
        let header = format!("t=1000,v1={v1},v0=ignored");
        assert!(signature_valid(secret, CHECKOUT, &header, 1_299));
        assert!(signature_valid(
            secret,
            CHECKOUT,
            &format!("t=1000,v1=00,v1={v1}"),
            1_000
        ));
        assert!(!signature_valid(secret, CHECKOUT, &header, 1_301));
        assert!(!signature_valid(b"whsec_other", CHECKOUT, &header, 1_000));
        assert!(!signature_valid(secret, b"{}", &header, 1_000));
        assert!(!signature_valid(
            secret,
            CHECKOUT,
            &format!("v1={v1}"),
            1_000
        ));
        assert_eq!(
            signature(b"Jefe", 0, b"what do ya want for nothing?").len(),
            64
        );
    }

    #[test]
    fn a_paid_checkout_session_is_a_sale_of_what_was_paid() {
        let Event::Sale(sale) = event(CHECKOUT).unwrap() else {
            panic!("a sale");
        };
        assert_eq!(sale.external_id, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
        assert_eq!(sale.amount, Decimal::new(4_400, 2));
        assert_eq!(sale.currency, "USD");
        assert_eq!(sale.occurred_at.timestamp(), 1_764_600_000);
        assert_eq!(sale.customer_key.as_deref(), Some("cus_NffrFeUfNV2Hib"));
        assert_eq!(sale.customer_email.as_deref(), Some("jenny@example.com"));
        assert_eq!(sale.click_id.as_deref(), Some("CLICK_ID"));
        assert_eq!(sale.region.as_deref(), Some("US"));
    }

    #[test]
    fn subscription_and_unpaid_checkouts_are_ignored() {
        let mut body: Value = serde_json::from_slice(CHECKOUT).unwrap();
        body["data"]["object"]["mode"] = "subscription".into();
        let body = body.to_string();
        assert!(matches!(event(body.as_bytes()).unwrap(), Event::Ignored(_)));
        let mut body: Value = serde_json::from_slice(CHECKOUT).unwrap();
        body["data"]["object"]["payment_status"] = "unpaid".into();
        let body = body.to_string();
        assert!(matches!(event(body.as_bytes()).unwrap(), Event::Ignored(_)));
    }

    #[test]
    fn a_paid_invoice_is_a_sale_with_its_click_from_metadata() {
        let body = br#"{"id": "evt_1", "type": "invoice.paid", "created": 1764600100,
          "data": {"object": {"id": "in_1", "payment_intent": "pi_9", "amount_paid": 1999,
            "currency": "eur", "customer": "cus_1", "customer_email": "a@example.com",
            "status_transitions": {"paid_at": 1764600050},
            "metadata": {}, "subscription_details": {"metadata": {"pg_click": "clk_sub"}}}}}"#;
        let Event::Sale(sale) = event(body).unwrap() else {
            panic!("a sale");
        };
        assert_eq!(sale.external_id, "pi_9");
        assert_eq!(sale.amount, Decimal::new(1_999, 2));
        assert_eq!(sale.currency, "EUR");
        assert_eq!(sale.occurred_at.timestamp(), 1_764_600_050);
        assert_eq!(sale.click_id.as_deref(), Some("clk_sub"));
        let free = String::from_utf8_lossy(body).replace("1999", "0");
        assert!(matches!(event(free.as_bytes()).unwrap(), Event::Ignored(_)));
    }

    #[test]
    fn a_refunded_charge_refunds_the_growth_of_its_running_total() {
        let Event::Refund(refund) = event(REFUNDED).unwrap() else {
            panic!("a refund");
        };
        assert_eq!(refund.order_external_id, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
        assert_eq!(refund.refund_id, "ch_3MtwBwLkdIwHu7ix28a3tqPa:1500");
        assert_eq!(refund.amount, Decimal::new(1_000, 2));
        assert_eq!(refund.currency.as_deref(), Some("USD"));
        let mut first: Value = serde_json::from_slice(REFUNDED).unwrap();
        first["data"]["previous_attributes"] = Value::Null;
        let Event::Refund(refund) = event(first.to_string().as_bytes()).unwrap() else {
            panic!("a refund");
        };
        assert_eq!(refund.amount, Decimal::new(1_500, 2));
    }

    #[test]
    fn other_types_are_ignored_and_bad_events_are_malformed() {
        let other = br#"{"type": "customer.created", "created": 1, "data": {"object": {}}}"#;
        assert!(matches!(event(other).unwrap(), Event::Ignored(_)));
        for body in [
            &b"nope"[..],
            br#"{"type": "invoice.paid", "created": 1, "data": {"object": {"id": "in_1", "currency": "usd"}}}"#,
            br#"{"type": "invoice.paid", "created": 1, "data": {"object": {"id": "in_1", "amount_paid": 5, "currency": "xyz"}}}"#,
            br#"{"type": "charge.refunded", "created": 1, "data": {"object": {"amount_refunded": 5, "currency": "usd"}}}"#,
        ] {
            assert!(event(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }
}
