//! Enrollments: APPROVED, non-ENDED creators in campaigns under offers, ACTIVE, INVITED and
//! PAUSED, a few with per-creator overrides. Created through [`crate::service::enrollments`].

use super::campaigns::{BALM, CLUB, HOLIDAY, SPF, SPRING};
use super::offers::{self, Rate};
use super::{Demo, LoadError, StepContext};
use crate::domain::enrollment::EnrollmentStatus::{self, Active, Invited, Paused};
use crate::service::enrollments::{self, EnrollInput};
use chrono::Utc;

pub(super) struct EnrollmentPlan {
    pub campaign: &'static str,
    pub offer: &'static str,
    /// The creator's slug.
    pub creator: &'static str,
    pub status: EnrollmentStatus,
    pub overrides: &'static [Rate],
}

const fn e(
    campaign: &'static str,
    offer: &'static str,
    creator: &'static str,
    status: EnrollmentStatus,
) -> EnrollmentPlan {
    EnrollmentPlan {
        campaign,
        offer,
        creator,
        status,
        overrides: &[],
    }
}

impl EnrollmentPlan {
    const fn overriding(self, overrides: &'static [Rate]) -> Self {
        EnrollmentPlan { overrides, ..self }
    }
}

#[rustfmt::skip]
pub(super) const ENROLLMENTS: [EnrollmentPlan; 41] = [
    // The original four keep their revenue share (and their links and codes).
    e(SPRING, "share", "maya", Active),
    e(SPRING, "share", "leo", Active),
    e(SPRING, "share", "ana", Active),
    e(SPRING, "share", "sam", Active),
    e(SPRING, "share", "chloe", Active),
    e(SPRING, "share", "grace", Active),
    e(SPRING, "share", "hannah", Active),
    e(SPRING, "share", "isabela", Active),
    e(SPRING, "share", "aiden", Active),
    e(SPRING, "share", "olivia", Active),
    e(SPRING, "share", "ruby", Paused),
    e(SPRING, "share", "julia", Paused),
    e(SPRING, "hero", "priya", Active).overriding(&[Rate::Share("12")]),
    e(SPRING, "hero", "zara", Active).overriding(&[Rate::Flat(200_000)]),
    e(SPRING, "hero", "camille", Active),
    e(SPRING, "hero", "ava", Invited),
    e(SPF, "cpa", "mia", Active),
    e(SPF, "cpa", "lucas", Active),
    e(SPF, "cpa", "olivia", Active),
    e(SPF, "cpa", "noah", Active),
    e(SPF, "cpa", "emma", Active),
    e(SPF, "cpa", "sofia", Active),
    e(SPF, "cpa", "felix", Active),
    e(SPF, "cpa", "diego", Paused),
    e(SPF, "cpa", "louise", Invited),
    e(SPF, "featured", "ethan", Active),
    e(SPF, "featured", "jonas", Active),
    e(SPF, "featured", "zara", Active).overriding(&[Rate::Cpa(1_800)]),
    e(SPF, "featured", "yuki", Invited),
    e(CLUB, "cpl", "nora", Active),
    e(CLUB, "cpl", "hannah", Active),
    e(CLUB, "cpl", "grace", Active).overriding(&[Rate::Cpl(450)]),
    e(CLUB, "cpl", "felix", Active),
    e(HOLIDAY, "flat", "sofia", Active),
    e(HOLIDAY, "flat", "camille", Active),
    e(HOLIDAY, "flat", "mia", Active),
    e(HOLIDAY, "flat", "priya", Active).overriding(&[Rate::Flat(250_000)]),
    e(BALM, "cpc", "chloe", Invited),
    e(BALM, "cpc", "isabela", Invited),
    e(BALM, "cpc", "aiden", Invited),
    e(BALM, "cpc", "amelia", Invited),
];

pub(super) async fn load(demo: &mut Demo<'_>) -> Result<(), LoadError> {
    for plan in &ENROLLMENTS {
        let what = || {
            format!(
                "enroll {} in {}/{}",
                plan.creator, plan.campaign, plan.offer
            )
        };
        let missing = |detail: &str| LoadError::Step {
            step: what(),
            detail: detail.to_owned(),
        };
        let input = EnrollInput {
            campaign_id: *demo
                .campaigns
                .get(plan.campaign)
                .ok_or_else(|| missing("no such campaign in the plan"))?,
            creator_id: *demo
                .creators
                .get(plan.creator)
                .ok_or_else(|| missing("no such creator in the roster"))?,
            offer_id: *demo
                .offers
                .get(&(plan.campaign, plan.offer))
                .ok_or_else(|| missing("no such offer in the plan"))?,
            overrides: offers::rates(plan.overrides)?,
            active: plan.status != Invited,
        };
        let row = enrollments::enroll(demo.db, &demo.admin, input, Utc::now())
            .await
            .step(what)?;
        if plan.status == Paused {
            enrollments::set_status(demo.db, &demo.admin, row.id, Paused, Utc::now())
                .await
                .step(|| format!("pause: {}", what()))?;
        }
        demo.enrollments
            .insert((plan.campaign, plan.creator), row.id);
    }
    Ok(())
}
