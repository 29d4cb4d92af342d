//! The query and mutation roots, merged from each area's resolvers.

use super::dispatch::Dispatched;

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

crate::graphql_parts! {
    #[graphql(name = "Query")]
    pub struct QueryParts(
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
}

/// The query root: [`QueryParts`], each field sent to its part by name.
pub type QueryRoot = Dispatched<QueryParts>;

crate::graphql_parts! {
    #[graphql(name = "Mutation")]
    pub struct MutationParts(
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
}

/// The mutation root: [`MutationParts`], each field sent to its part by name.
pub type MutationRoot = Dispatched<MutationParts>;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{MutationParts, QueryParts};
    use crate::graphql::dispatch::{Parts, field_names, owners};

    /// Every root field is found by its name, none by the derived chain's search.
    fn every_field_has_its_part<M: Parts>() {
        let merged: BTreeSet<String> = field_names::<M>().into_iter().collect();
        let owned: BTreeSet<String> = owners(&M::field_names()).into_keys().collect();
        assert!(merged.len() > 10, "{merged:?}");
        assert_eq!(owned, merged);
    }

    #[test]
    fn every_query_field_has_its_part() {
        every_field_has_its_part::<QueryParts>();
    }

    #[test]
    fn every_mutation_field_has_its_part() {
        every_field_has_its_part::<MutationParts>();
    }
}
