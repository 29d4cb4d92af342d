//! Store connectors (DOMAIN rule 10): a brand ADMIN connects a Shopify store or a Stripe
//! account (WooCommerce later) with its signing secret ([`setup`]); the platform's webhooks
//! then arrive at `POST /connect/{kind}/{id}` and are verified and ingested as conversions and
//! refunds through the services `recordConversions` and `recordRefund` use ([`deliveries`]).
//!
//! The secret is stored sealed with `PARTNERGRAPH_SECRET_KEY` ([`crate::auth::seal`]) and shown
//! only in the answer that set it.

pub mod deliveries;
pub mod setup;
