use async_graphql::{Context, ID, InputObject, Object};

use super::types::Experiment;
use crate::domain::experiment::RegionInput;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::experiments::{self, ExperimentInput};

/// A region of one arm.
#[derive(InputObject)]
pub struct ExperimentRegionInput {
    /// The region code conversions carry in `region` (compared trimmed and upper-cased), e.g.
    /// "US-CA". A region may appear once, in one arm.
    pub region: String,
    /// People in the region (at least 1).
    pub population: i64,
}

/// A geo-holdout experiment to create.
#[derive(InputObject)]
pub struct CreateExperimentInput {
    /// A campaign of the brand.
    pub campaign_id: ID,
    /// 1 to 200 characters.
    pub name: String,
    /// Start of the window (included).
    pub starts_at: DateTime,
    /// End of the window (excluded); after `startsAt`.
    pub ends_at: DateTime,
    /// Regions where the campaign runs (at least one).
    pub treatment: Vec<ExperimentRegionInput>,
    /// Regions held out of the campaign (at least one).
    pub control: Vec<ExperimentRegionInput>,
}

fn regions(inputs: Vec<ExperimentRegionInput>) -> Vec<RegionInput> {
    inputs
        .into_iter()
        .map(|r| RegionInput {
            region: r.region,
            population: r.population,
        })
        .collect()
}

#[derive(Default)]
pub struct ExperimentMutation;

#[Object]
impl ExperimentMutation {
    /// MANAGER, ADMIN: a geo-holdout experiment on a campaign. Invalid input is BAD_USER_INPUT
    /// naming the field (e.g. `control[0].region` for a region already in treatment).
    async fn create_experiment(
        &self,
        ctx: &Context<'_>,
        input: CreateExperimentInput,
    ) -> Result<Experiment, AppError> {
        let campaign_id = id::decode_as(&input.campaign_id, NodeKind::Campaign, "campaignId")
            .map_err(|_| AppError::bad_input("campaignId", "no such campaign"))?;
        let created = experiments::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            ExperimentInput {
                campaign_id,
                name: input.name,
                starts_at: input.starts_at.0,
                ends_at: input.ends_at.0,
                treatment: regions(input.treatment),
                control: regions(input.control),
            },
            context::now(ctx),
        )
        .await?;
        Ok(Experiment(created))
    }
}
