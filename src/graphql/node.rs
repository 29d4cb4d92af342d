//! The Relay `Node` interface and `node(id:)`.

use async_graphql::{Context, ID, Interface, Object};

use super::account::types::{ApiKey, Invite, User, UserSession};
use super::brand::types::Brand;
use super::campaign::types::{Campaign, Enrollment, Offer};
use super::connector::types::Connector;
use super::content::types::{Cost, Deliverable};
use super::context;
use super::creator::types::{Channel, Creator};
use super::experiment::types::Experiment;
use super::export::types::Export;
use super::fraud::types::FraudFlag;
use super::id::{self, NodeKind};
use super::import::types::Import;
use super::ingest::types::Conversion;
use super::payout::types::Payout;
use super::portal::types::Commission;
use super::tracking::types::{DiscountCode, TrackingLink};
use super::webhook::types::{WebhookDelivery, WebhookEndpoint};
use crate::error::AppError;
use crate::service;

/// An object with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    ApiKey(ApiKey),
    Brand(Brand),
    Campaign(Campaign),
    Channel(Channel),
    Commission(Commission),
    Connector(Connector),
    Conversion(Conversion),
    Cost(Cost),
    Creator(Creator),
    Deliverable(Deliverable),
    DiscountCode(DiscountCode),
    Enrollment(Enrollment),
    Experiment(Experiment),
    Export(Export),
    Import(Import),
    FraudFlag(FraudFlag),
    Invite(Invite),
    Offer(Offer),
    Payout(Payout),
    Session(UserSession),
    TrackingLink(TrackingLink),
    User(User),
    WebhookDelivery(WebhookDelivery),
    WebhookEndpoint(WebhookEndpoint),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. An object of another brand answers NOT_FOUND,
    /// exactly like one that does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>, AppError> {
        let (kind, raw) = id::decode(&id)?;
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let node = match kind {
            NodeKind::Brand => Node::Brand(Brand(service::brand::get(db, actor, raw).await?)),
            NodeKind::User => Node::User(User(
                service::users::get(db, context::auth(ctx)?, actor, raw).await?,
            )),
            NodeKind::ApiKey => Node::ApiKey(ApiKey(service::api_keys::get(db, actor, raw).await?)),
            NodeKind::Creator => {
                Node::Creator(Creator::from(service::creators::get(db, actor, raw).await?))
            }
            NodeKind::Campaign => {
                Node::Campaign(Campaign(service::campaigns::get(db, actor, raw).await?))
            }
            NodeKind::Offer => Node::Offer(Offer(service::offers::get(db, actor, raw).await?)),
            NodeKind::Enrollment => {
                Node::Enrollment(Enrollment(service::enrollments::get(db, actor, raw).await?))
            }
            NodeKind::Deliverable => Node::Deliverable(Deliverable(
                service::deliverables::get(db, actor, raw).await?,
            )),
            NodeKind::Cost => Node::Cost(Cost(service::costs::get(db, actor, raw).await?)),
            NodeKind::TrackingLink => Node::TrackingLink(TrackingLink(
                service::links::get_link(db, actor, raw).await?,
            )),
            NodeKind::DiscountCode => Node::DiscountCode(DiscountCode(
                service::links::get_discount_code(db, actor, raw).await?,
            )),
            NodeKind::Payout => Node::Payout(Payout(service::payouts::get(db, actor, raw).await?)),
            NodeKind::Commission => Node::Commission(Commission(
                service::portal::commission(db, actor, raw).await?,
            )),
            NodeKind::Conversion => Node::Conversion(Conversion(
                service::conversion_reads::get(db, actor, raw).await?,
            )),
            NodeKind::Experiment => {
                Node::Experiment(Experiment(service::experiments::get(db, actor, raw).await?))
            }
            NodeKind::WebhookEndpoint => Node::WebhookEndpoint(WebhookEndpoint(
                service::webhooks::endpoints::get(db, actor, raw).await?,
            )),
            NodeKind::WebhookDelivery => Node::WebhookDelivery(WebhookDelivery(
                service::webhooks::deliveries::get(db, actor, raw).await?,
            )),
            NodeKind::Invite => Node::Invite(Invite(service::invites::get(db, actor, raw).await?)),
            NodeKind::Session => Node::Session(UserSession(
                service::sessions::get_own(db, actor, raw).await?,
            )),
            NodeKind::Channel => Node::Channel(Channel(
                service::creators::get_channel(db, actor, raw).await?,
            )),
            NodeKind::Connector => Node::Connector(Connector(
                service::connectors::setup::get(db, actor, raw).await?,
            )),
            NodeKind::Export => Node::Export(Export(service::exports::get(db, actor, raw).await?)),
            NodeKind::Import => Node::Import(Import(service::imports::get(db, actor, raw).await?)),
            NodeKind::FraudFlag => {
                Node::FraudFlag(FraudFlag(service::fraud::flag(db, actor, raw).await?))
            }
        };
        Ok(Some(node))
    }
}
