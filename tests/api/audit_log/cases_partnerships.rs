//! Cases of the walk: campaigns, offers, enrollments, content and costs, experiments, tracking
//! links and codes, ingestion, payouts and the ledger.

use serde_json::json;

use super::cases::{Case, Done};
use crate::audit_case;
use crate::helpers::world::{World, text};
use crate::helpers::{TestApp, data};

pub fn cases() -> Vec<Case> {
    vec![
        audit_case!("createCampaign", create_campaign),
        audit_case!("updateCampaign", update_campaign),
        audit_case!("setCampaignStatus", set_campaign_status),
    ]
}

async fn create_campaign(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "Audited", "objective": "SALES", "schedule": "ALWAYS_ON" } }),
        )
        .await;
    Done::target(text(&data(&response)["createCampaign"]["id"]))
}

async fn update_campaign(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id } }",
            json!({ "input": { "id": w.campaign_a, "name": "Spring, renamed" } }),
        )
        .await;
    Done::target(text(&data(&response)["updateCampaign"]["id"]))
}

async fn set_campaign_status(app: &TestApp, w: &World) -> Done {
    let response = app
        .graphql_as(
            Some(&w.admin),
            "mutation ($id: ID!) { setCampaignStatus(id: $id, status: PAUSED) { id } }",
            json!({ "id": w.campaign_a }),
        )
        .await;
    Done::target(text(&data(&response)["setCampaignStatus"]["id"]))
}
