//! Store connectors (DOMAIN rule 10), the pure parts: which platforms, what a platform's
//! delivery means for ingestion ([`Event`]), and each platform's signature check and payload
//! mapping ([`shopify`], [`stripe`], [`woocommerce`]).
//!
//! A mapping never reads the database or the clock: it turns a verified raw body into the same
//! facts `recordConversions` and `recordRefund` take, so a platform's orders follow rules 1-5
//! exactly like an integrator's.

pub mod shopify;
pub mod stripe;
pub mod woocommerce;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::stored_enum;
use super::webhook::hmac_sha256;

stored_enum! {
    /// The platform a connector receives from; also the `{kind}` of `POST /connect/{kind}/{id}`
    /// in lower case ([`Kind::path_name`]).
    pub enum Kind {
        Shopify => "SHOPIFY",
        Stripe => "STRIPE",
        WooCommerce => "WOOCOMMERCE",
    }
}

impl Kind {
    /// `shopify`, `stripe`, `woocommerce`: the route's path segment.
    pub fn path_name(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::Stripe => "stripe",
            Self::WooCommerce => "woocommerce",
        }
    }

    pub fn from_path_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.path_name() == name)
    }
}

/// An order as a SALE conversion, in `recordConversions` terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    /// The platform's order id.
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    pub amount: Decimal,
    /// ISO 4217 code as the platform sent it.
    pub currency: String,
    /// The platform's customer id, else `None` (the ingestion hashes `customer_email`).
    pub customer_key: Option<String>,
    pub customer_email: Option<String>,
    pub click_id: Option<String>,
    pub discount_code: Option<String>,
    /// ISO 3166 country code of the shipping (else billing) address.
    pub region: Option<String>,
}

/// A refund of an order, in `recordRefund` terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub order_external_id: String,
    pub refund_id: String,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// What one verified delivery asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Sale(Sale),
    Refund(Refund),
    /// An order with the refunds it carries (WooCommerce states an order's refunds in the
    /// order itself): the sale, then each refund.
    Order {
        sale: Sale,
        refunds: Vec<Refund>,
    },
    /// Acknowledged and not ingested (an unknown topic, a refund of nothing the order counted),
    /// with the reason for the log.
    Ignored(String),
}

/// A signed body that is not what its topic promises: answered 400, nothing stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed delivery: {0}")]
pub struct Malformed(pub String);

fn malformed(message: impl Into<String>) -> Malformed {
    Malformed(message.into())
}

/// An id a platform sends as a JSON number or a string.
fn id_text(value: &Value, field: &str) -> Result<String, Malformed> {
    match value {
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(malformed(format!("`{field}` must be an id"))),
    }
}

/// A money amount a platform sends as a decimal string ("12.50", or a JSON number's text),
/// never read as a float.
fn decimal(value: Option<&Value>, field: &str) -> Result<Decimal, Malformed> {
    let text = match value {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(malformed(format!("`{field}` must be a decimal amount"))),
    };
    text.parse::<Decimal>()
        .map_err(|_| malformed(format!("`{field}` must be a decimal amount")))
}

/// The trimmed text, when there is any.
fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Equality in time independent of where the inputs differ (signatures).
pub use super::webhook::constant_time_eq;

/// The base64 HMAC-SHA256 of a raw body under the connector's secret: Shopify's
/// `X-Shopify-Hmac-Sha256` and WooCommerce's `X-WC-Webhook-Signature` (what a sender computes;
/// tests and docs).
pub fn base64_hmac(secret: &[u8], body: &[u8]) -> String {
    STANDARD.encode(hmac_sha256(secret, body))
}

/// Whether `header` is [`base64_hmac`] of `body` under `secret` (constant time).
pub fn base64_hmac_valid(secret: &[u8], body: &[u8], header: &str) -> bool {
    let expected = base64_hmac(secret, body);
    constant_time_eq(expected.as_bytes(), header.trim().as_bytes())
}

/// The `pg_click` parameter of a landing URL, which may be absolute or a path
/// (`/products/x?pg_click=abc`).
pub fn click_from_landing(landing: &str) -> Option<String> {
    let base = url::Url::parse("https://landing.invalid/").ok()?;
    let url = base.join(landing.trim()).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "pg_click")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_path_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_path_name(kind.path_name()), Some(*kind));
        }
        assert_eq!(Kind::from_path_name("SHOPIFY"), None);
        assert_eq!(Kind::parse("WOOCOMMERCE"), Some(Kind::WooCommerce));
    }

    #[test]
    fn click_ids_come_from_absolute_and_relative_landing_urls() {
        assert_eq!(
            click_from_landing("/products/serum?utm_source=x&pg_click=clk_1").as_deref(),
            Some("clk_1")
        );
        assert_eq!(
            click_from_landing("https://shop.example/?pg_click=clk%202").as_deref(),
            Some("clk 2")
        );
        assert_eq!(click_from_landing("/products/serum"), None);
        assert_eq!(click_from_landing("/?pg_click="), None);
        assert_eq!(click_from_landing(""), None);
    }
}
