//! The query and mutation roots, merged from each area's resolvers.

use async_graphql::MergedObject;

use super::account::mutation::AccountMutation;
use super::account::query::AccountQuery;
use super::audit::query::AuditQuery;
use super::brand::mutation::BrandMutation;
use super::brand::query::BrandQuery;
use super::campaign::mutation::CampaignMutation;
use super::campaign::query::CampaignQuery;
use super::connector::mutation::ConnectorMutation;
use super::connector::query::ConnectorQuery;
use super::content::mutation::ContentMutation;
use super::content::query::ContentQuery;
use super::creator::mutation::CreatorMutation;
use super::creator::query::CreatorQuery;
use super::data_rights::mutation::DataRightsMutation;
use super::data_rights::query::DataRightsQuery;
use super::experiment::mutation::ExperimentMutation;
use super::experiment::query::ExperimentQuery;
use super::export::mutation::ExportMutation;
use super::export::query::ExportQuery;
use super::fraud::mutation::FraudMutation;
use super::fraud::query::FraudQuery;
use super::import::mutation::ImportMutation;
use super::import::query::ImportQuery;
use super::ingest::mutation::IngestMutation;
use super::ingest::query::IngestQuery;
use super::node::NodeQuery;
use super::payout::mutation::{LedgerMutation, PayoutMutation, PayoutQuery};
use super::performance::query::PerformanceQuery;
use super::portal::mutation::PortalMutation;
use super::portal::query::PortalQuery;
use super::tracking::mutation::TrackingMutation;
use super::tracking::query::TrackingQuery;
use super::webhook::mutation::WebhookMutation;
use super::webhook::query::WebhookQuery;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    NodeQuery,
    AccountQuery,
    BrandQuery,
    CreatorQuery,
    CampaignQuery,
    ContentQuery,
    ExperimentQuery,
    TrackingQuery,
    IngestQuery,
    ImportQuery,
    PayoutQuery,
    PortalQuery,
    PerformanceQuery,
    WebhookQuery,
    ConnectorQuery,
    DataRightsQuery,
    ExportQuery,
    FraudQuery,
    AuditQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AccountMutation,
    BrandMutation,
    CreatorMutation,
    CampaignMutation,
    ContentMutation,
    ExperimentMutation,
    TrackingMutation,
    IngestMutation,
    ImportMutation,
    PayoutMutation,
    LedgerMutation,
    PortalMutation,
    WebhookMutation,
    ConnectorMutation,
    DataRightsMutation,
    ExportMutation,
    FraudMutation,
);
