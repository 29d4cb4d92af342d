//! A Shopify, a WooCommerce and a Stripe connector for the demo brand, with published signing
//! secrets so the walkthrough in docs/integrators.md ("Connectors") can sign a sample order by
//! hand, and the client check can sign one with the `stripe` package. Never a real store's.

use chrono::Utc;

use super::{Demo, LoadError, StepContext};
use crate::auth::seal::SealingKey;
use crate::domain::connector::Kind;
use crate::service::connectors::setup;

/// The demo connector's signing secret (public: the demo is for trying things on one machine).
pub const DEMO_SHOPIFY_SECRET: &str = "shpss_demo0shopify0webhook0secret0not0secret";
/// The WooCommerce one's (the secret a store owner would paste into WooCommerce's webhook).
pub const DEMO_WOOCOMMERCE_SECRET: &str = "pgcs_demo0woocommerce0webhook0secret0not0secret";
/// The Stripe one's (in Stripe's `whsec_` form, as the Dashboard shows an endpoint's secret).
pub const DEMO_STRIPE_SECRET: &str = "whsec_demo0stripe0webhook0secret0not0secret";

pub(super) async fn load(demo: &Demo<'_>, key: &SealingKey) -> Result<(), LoadError> {
    setup::create(
        demo.db,
        &demo.admin,
        key,
        setup::NewConnector {
            kind: Kind::Shopify,
            name: "Glow Botanics Shopify (demo)".into(),
            signing_secret: Some(DEMO_SHOPIFY_SECRET.into()),
        },
        Utc::now(),
    )
    .await
    .step(|| "shopify connector".into())?;
    setup::create(
        demo.db,
        &demo.admin,
        key,
        setup::NewConnector {
            kind: Kind::WooCommerce,
            name: "Glow Botanics WooCommerce (demo)".into(),
            signing_secret: Some(DEMO_WOOCOMMERCE_SECRET.into()),
        },
        Utc::now(),
    )
    .await
    .step(|| "woocommerce connector".into())?;
    setup::create(
        demo.db,
        &demo.admin,
        key,
        setup::NewConnector {
            kind: Kind::Stripe,
            name: "Glow Botanics Stripe (demo)".into(),
            signing_secret: Some(DEMO_STRIPE_SECRET.into()),
        },
        Utc::now(),
    )
    .await
    .step(|| "stripe connector".into())?;
    Ok(())
}
