//! A Shopify connector for the demo brand, with a published signing secret so the walkthrough in
//! docs/integrators.md ("Connectors") can sign a sample order by hand. Never a real store's.

use chrono::Utc;

use super::{Demo, LoadError, StepContext};
use crate::auth::seal::SealingKey;
use crate::domain::connector::Kind;
use crate::service::connectors::setup;

/// The demo connector's signing secret (public: the demo is for trying things on one machine).
pub const DEMO_SHOPIFY_SECRET: &str = "shpss_demo0shopify0webhook0secret0not0secret";

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
    Ok(())
}
