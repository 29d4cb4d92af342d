use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::db::entity::connector;
use crate::domain::connector as rules;
use crate::error::AppError;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::graphql::tracking::types::PublicUrl;

/// The store platform a connector receives webhooks from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Kind")]
pub enum ConnectorKind {
    /// Shopify webhooks (`orders/create`, `orders/updated`, `refunds/create`), signed with
    /// `X-Shopify-Hmac-Sha256`.
    Shopify,
    /// Stripe events (`checkout.session.completed`, `invoice.paid`, `charge.refunded`), signed
    /// with `Stripe-Signature` (5-minute tolerance).
    Stripe,
    /// WooCommerce webhooks (`order.created`, `order.updated` with the order's refunds).
    #[graphql(name = "WOOCOMMERCE")]
    WooCommerce,
}

/// A connected store account: its endpoint, and how its deliveries went. The signing secret is
/// shown only by `createConnector` and `rotateConnectorSecret`.
pub struct Connector(pub connector::Model);

#[Object]
impl Connector {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Connector, self.0.id)
    }

    async fn kind(&self) -> Result<ConnectorKind, AppError> {
        rules::Kind::parse(&self.0.kind)
            .map(ConnectorKind::from)
            .ok_or_else(|| AppError::internal("stored connector kind"))
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Where the platform sends its webhooks: `{public url}/connect/{kind}/{id}`.
    async fn endpoint_url(&self, ctx: &Context<'_>) -> Result<String, AppError> {
        let base = ctx
            .data::<PublicUrl>()
            .map_err(|_| AppError::internal("public url missing"))?;
        let kind = rules::Kind::parse(&self.0.kind)
            .ok_or_else(|| AppError::internal("stored connector kind"))?;
        Ok(format!(
            "{}/connect/{}/{}",
            base.0,
            kind.path_name(),
            id::encode(NodeKind::Connector, self.0.id).as_str()
        ))
    }

    /// The first characters of the signing secret, to tell secrets apart.
    async fn secret_prefix(&self) -> &str {
        &self.0.secret_prefix
    }

    /// False once an ADMIN disabled it: its deliveries are answered 404.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// The last signed delivery (delivered or not).
    async fn last_delivery_at(&self) -> Option<DateTime> {
        self.0.last_delivery_at.map(DateTime)
    }

    /// Signed deliveries taken: stored, duplicates and ignored topics.
    async fn delivered_count(&self) -> i64 {
        self.0.delivered_count
    }

    /// Signed deliveries that stored nothing: malformed bodies and rejections by the ingestion
    /// rules (see `lastError`). Unsigned requests are not counted.
    async fn error_count(&self) -> i64 {
        self.0.error_count
    }

    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
}

#[derive(InputObject)]
pub struct CreateConnectorInput {
    pub kind: ConnectorKind,
    /// 1 to 100 characters, e.g. the store's name.
    pub name: String,
    /// The platform's signing secret: for Shopify the app's client secret (or the key shown
    /// under Settings > Notifications > Webhooks for webhooks made in the admin); for Stripe the
    /// endpoint's `whsec_...`. Left out, the server generates one (for platforms where the
    /// secret is typed in).
    pub signing_secret: Option<String>,
}

/// A connector with its signing secret, which is shown only here.
pub struct ConnectorWithSecret {
    pub secret: String,
    pub connector: connector::Model,
}

#[Object]
impl ConnectorWithSecret {
    /// The signing secret. Shown only in this answer: it is stored encrypted and never returned
    /// again.
    async fn secret(&self) -> &str {
        &self.secret
    }

    async fn connector(&self) -> Connector {
        Connector(self.connector.clone())
    }
}
