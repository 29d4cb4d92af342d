//! Tracking links (`/r/glow-<slug>`) and discount codes of ACTIVE enrollments, created through
//! [`crate::service::links`] as the demo ADMIN. Link codes follow `domain::codes` (lower case,
//! `[a-z0-9_-]{3,64}`); discount codes are `<SLUG><percent>` (`[A-Za-z0-9_-]{2,40}`, stored
//! upper case).

use chrono::Utc;
use rust_decimal::Decimal;

use super::campaigns::{CLUB, SPF, SPRING};
use super::{Demo, LoadError, StepContext};
use crate::service::links::{self, DiscountInput, LinkInput};

pub(super) struct LinkPlan {
    pub campaign: &'static str,
    /// The creator's slug: the link is `glow-<slug>` (one link per creator, codes are global).
    pub creator: &'static str,
    pub destination: &'static str,
    pub utm_campaign: &'static str,
    /// Percent off of the creator's discount code `<SLUG><percent>`, if it has one.
    pub code_percent: Option<u32>,
}

const fn l(
    campaign: &'static str,
    creator: &'static str,
    destination: &'static str,
    utm_campaign: &'static str,
    code_percent: Option<u32>,
) -> LinkPlan {
    LinkPlan {
        campaign,
        creator,
        destination,
        utm_campaign,
        code_percent,
    }
}

const SERUM: &str = "https://shop.example.com/serum";
const SPF50: &str = "https://shop.example.com/spf50";
const CLUB_PAGE: &str = "https://shop.example.com/club";

#[rustfmt::skip]
pub(super) const LINKS: [LinkPlan; 11] = [
    // The original four: glow-maya / MAYA15, glow-leo / LEO15, glow-ana / ANA15, glow-sam / SAM15.
    l(SPRING, "maya", SERUM, "spring-glow", Some(15)),
    l(SPRING, "leo", SERUM, "spring-glow", Some(15)),
    l(SPRING, "ana", SERUM, "spring-glow", Some(15)),
    l(SPRING, "sam", SERUM, "spring-glow", Some(15)),
    l(SPF, "mia", SPF50, "summer-spf", Some(20)),
    l(SPF, "lucas", SPF50, "summer-spf", Some(20)),
    l(SPF, "noah", SPF50, "summer-spf", None),
    l(SPF, "emma", SPF50, "summer-spf", Some(20)),
    l(SPF, "ethan", SPF50, "summer-spf", Some(20)),
    l(SPF, "jonas", SPF50, "summer-spf", None),
    l(CLUB, "nora", CLUB_PAGE, "glow-club", None),
];

pub(super) const fn discount_code_count() -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < LINKS.len() {
        if LINKS[i].code_percent.is_some() {
            count += 1;
        }
        i += 1;
    }
    count
}

pub(super) fn link_code(plan: &LinkPlan) -> String {
    format!("glow-{}", plan.creator)
}

pub(super) fn discount_code(plan: &LinkPlan) -> Option<String> {
    plan.code_percent
        .map(|percent| format!("{}{percent}", plan.creator.to_uppercase()))
}

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    for plan in &LINKS {
        let enrollment_id = demo.enrollment(plan.campaign, plan.creator)?;
        let code = link_code(plan);
        let input = LinkInput {
            enrollment_id,
            destination_url: plan.destination.into(),
            code: Some(code.clone()),
            utm_source: Some(plan.creator.into()),
            utm_medium: Some("creator".into()),
            utm_campaign: Some(plan.utm_campaign.into()),
            utm_content: None,
            deep_link: None,
        };
        links::create_link(demo.db, &demo.admin, input, Utc::now())
            .await
            .step(|| format!("create link {code}"))?;
        if let (Some(code), Some(percent)) = (discount_code(plan), plan.code_percent) {
            let input = DiscountInput {
                enrollment_id,
                code: code.clone(),
                percent_off: Some(Decimal::from(percent)),
                amount_off: None,
            };
            links::create_discount_code(demo.db, &demo.admin, input, Utc::now())
                .await
                .step(|| format!("create discount code {code}"))?;
        }
    }
    Ok(())
}
