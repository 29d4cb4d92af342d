//! `use crate::db::entity::prelude::*;` brings every entity in as `Brand`, `Creator`, ...

pub use super::api_key::Entity as ApiKey;
pub use super::brand::Entity as Brand;
pub use super::campaign::Entity as Campaign;
pub use super::channel::Entity as Channel;
pub use super::click::Entity as Click;
pub use super::commission::Entity as Commission;
pub use super::conversion::Entity as Conversion;
pub use super::cost::Entity as Cost;
pub use super::creator::Entity as Creator;
pub use super::deliverable::Entity as Deliverable;
pub use super::discount_code::Entity as DiscountCode;
pub use super::enrollment::Entity as Enrollment;
pub use super::exchange_rate::Entity as ExchangeRate;
pub use super::experiment::Entity as Experiment;
pub use super::experiment_region::Entity as ExperimentRegion;
pub use super::export::Entity as Export;
pub use super::invite::Entity as Invite;
pub use super::offer::Entity as Offer;
pub use super::offer_tier::Entity as OfferTier;
pub use super::payout::Entity as Payout;
pub use super::refresh_token::Entity as RefreshToken;
pub use super::refund::Entity as Refund;
pub use super::tracking_link::Entity as TrackingLink;
pub use super::user::Entity as User;
pub use super::webhook_delivery::Entity as WebhookDelivery;
pub use super::webhook_endpoint::Entity as WebhookEndpoint;
