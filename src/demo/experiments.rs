//! The analytics step: a geo-holdout experiment on the serum launch over the last 30 days, with
//! the regions where the creators promoted it (treatment) and three held out (control), so the
//! demo answers `ExperimentResult` with a lift, its interval, incremental revenue and iROAS.

use super::campaigns::SPRING;
use super::{Demo, LoadError, StepContext};
use crate::domain::experiment::RegionInput;
use crate::service::experiments::{self, ExperimentInput};
use chrono::Utc;

/// The experiment's name.
pub const EXPERIMENT_NAME: &str = "Serum launch: West/Northeast holdout";

/// Regions and populations (adults reached by the brand's paid social, in thousands x 1000).
const TREATMENT: [(&str, i64); 3] = [("US-CA", 390_000), ("US-NY", 310_000), ("US-TX", 300_000)];
const CONTROL: [(&str, i64); 3] = [("US-WA", 120_000), ("US-GA", 110_000), ("US-MA", 90_000)];

fn regions(list: &[(&str, i64)]) -> Vec<RegionInput> {
    list.iter()
        .map(|(region, population)| RegionInput {
            region: (*region).to_owned(),
            population: *population,
        })
        .collect()
}

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    let campaign_id = demo
        .campaigns
        .get(SPRING)
        .copied()
        .ok_or_else(|| LoadError::Step {
            step: "experiment".into(),
            detail: "no serum campaign in the plan".into(),
        })?;
    experiments::create(
        demo.db,
        &demo.admin,
        ExperimentInput {
            campaign_id,
            name: EXPERIMENT_NAME.into(),
            starts_at: demo.days(-30),
            ends_at: demo.now,
            treatment: regions(&TREATMENT),
            control: regions(&CONTROL),
        },
        Utc::now(),
    )
    .await
    .step(|| "experiment".into())?;
    Ok(())
}
