//! Campaigns: every objective, ALWAYS_ON and FLIGHT schedules with past, current and future
//! windows, and every status but ARCHIVED. Created and moved through
//! [`crate::service::campaigns`]; dates are relative to the load time.

use std::str::FromStr;

use chrono::Utc;
use rust_decimal::Decimal;

use super::{Demo, LoadError, StepContext};
use crate::domain::campaign::{CampaignStatus, Objective, Schedule};
use crate::domain::money::{Currency, Money};
use crate::service::campaigns::{self, Brief, CampaignInput};

pub(super) const SPRING: &str = "spring";
pub(super) const SPF: &str = "spf";
pub(super) const CLUB: &str = "club";
pub(super) const HOLIDAY: &str = "holiday";
pub(super) const BALM: &str = "balm";

pub(super) struct CampaignPlan {
    pub key: &'static str,
    pub name: &'static str,
    pub objective: Objective,
    pub schedule: Schedule,
    /// Days from the load time.
    pub window: (Option<i64>, Option<i64>),
    pub status: CampaignStatus,
    /// USD cents.
    pub budget: Option<i64>,
    pub target_cpa: Option<i64>,
    pub target_roas: Option<&'static str>,
    pub summary: &'static str,
    pub key_messages: &'static [&'static str],
    pub guardrails: Option<&'static str>,
    pub dos: &'static [&'static str],
    pub donts: &'static [&'static str],
    pub usage_rights_days: Option<i32>,
}

pub(super) const CAMPAIGNS: [CampaignPlan; 5] = [
    CampaignPlan {
        key: SPRING,
        name: "Spring Glow Serum launch",
        objective: Objective::Sales,
        schedule: Schedule::AlwaysOn,
        window: (None, None),
        status: CampaignStatus::Active,
        budget: Some(2_500_000),
        target_cpa: Some(2_500),
        target_roas: Some("3.5"),
        summary: "Show the serum in a morning routine",
        key_messages: &["vitamin C", "fragrance free", "visible glow in 14 days"],
        guardrails: Some("No before/after photos edited with filters."),
        dos: &[
            "show texture on skin",
            "mention the code in the first 5 seconds",
        ],
        donts: &["medical claims", "comparisons with named competitors"],
        usage_rights_days: Some(90),
    },
    CampaignPlan {
        key: SPF,
        name: "Summer SPF 50 flight",
        objective: Objective::Sales,
        schedule: Schedule::Flight,
        window: (Some(-21), Some(40)),
        status: CampaignStatus::Active,
        budget: Some(4_000_000),
        target_cpa: Some(3_000),
        target_roas: Some("2.8"),
        summary: "Daily sunscreen that disappears under make-up; new customers only",
        key_messages: &["SPF 50 PA++++", "no white cast", "reef-conscious filters"],
        guardrails: Some(
            "Sun safety: never suggest sunscreen replaces shade or protective clothing.",
        ),
        dos: &["apply on camera", "show it under make-up"],
        donts: &["tanning content", "medical claims"],
        usage_rights_days: Some(60),
    },
    CampaignPlan {
        key: CLUB,
        name: "Glow Club membership sign-ups",
        objective: Objective::Leads,
        schedule: Schedule::AlwaysOn,
        window: (Some(-75), None),
        status: CampaignStatus::Paused,
        budget: Some(600_000),
        target_cpa: Some(400),
        target_roas: None,
        summary: "Invite followers to the free loyalty club (paused while the sign-up page is rebuilt)",
        key_messages: &["free samples every quarter", "early access to launches"],
        guardrails: None,
        dos: &["link to the sign-up page"],
        donts: &["promise discounts the club does not offer"],
        usage_rights_days: None,
    },
    CampaignPlan {
        key: HOLIDAY,
        name: "Holiday gift guide 2025",
        objective: Objective::Awareness,
        schedule: Schedule::Flight,
        window: (Some(-150), Some(-100)),
        status: CampaignStatus::Completed,
        budget: Some(1_500_000),
        target_cpa: None,
        target_roas: None,
        summary: "Feature the gift sets in holiday gift guides",
        key_messages: &["three gift sets under $60", "recyclable packaging"],
        guardrails: None,
        dos: &["unbox on camera"],
        donts: &["price comparisons"],
        usage_rights_days: Some(30),
    },
    CampaignPlan {
        key: BALM,
        name: "Barrier Repair Balm teaser",
        objective: Objective::Traffic,
        schedule: Schedule::Flight,
        window: (Some(21), Some(63)),
        status: CampaignStatus::Draft,
        budget: Some(800_000),
        target_cpa: None,
        target_roas: None,
        summary: "Drive waitlist traffic before the balm launches",
        key_messages: &["ceramides and oat", "for stressed winter skin"],
        guardrails: Some("The product is not on sale yet: no prices, no codes."),
        dos: &["link to the waitlist page"],
        donts: &["medical claims", "mention of eczema or dermatitis"],
        usage_rights_days: Some(30),
    },
];

/// The statuses a new (DRAFT) campaign passes through to reach `target`.
pub(super) fn status_path(target: CampaignStatus) -> &'static [CampaignStatus] {
    use CampaignStatus::*;
    match target {
        Draft => &[],
        Active => &[Active],
        Paused => &[Active, Paused],
        Completed => &[Active, Completed],
        Archived => &[Archived],
    }
}

pub(super) fn usd() -> Currency {
    Currency::parse("USD").expect("USD is an ISO 4217 currency")
}

fn lines(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

pub(super) async fn load(demo: &mut Demo<'_>) -> Result<(), LoadError> {
    let usd = usd();
    for plan in &CAMPAIGNS {
        let name = plan.name;
        let target_roas = plan
            .target_roas
            .map(Decimal::from_str)
            .transpose()
            .map_err(|e| LoadError::Step {
                step: format!("target ROAS of {name}"),
                detail: e.to_string(),
            })?;
        let input = CampaignInput {
            name: name.to_owned(),
            objective: plan.objective,
            schedule: plan.schedule,
            starts_at: plan.window.0.map(|d| demo.days(d)),
            ends_at: plan.window.1.map(|d| demo.days(d)),
            budget: plan.budget.map(|minor| Money::new(minor, usd)),
            target_cpa: plan.target_cpa.map(|minor| Money::new(minor, usd)),
            target_roas,
            brief: Some(Brief {
                summary: Some(plan.summary.to_owned()),
                key_messages: lines(plan.key_messages),
                guardrails: plan.guardrails.map(str::to_owned),
                dos: lines(plan.dos),
                donts: lines(plan.donts),
                disclosure_required: Some(true),
                usage_rights_days: plan.usage_rights_days,
            }),
            forbids_paid_search: false,
        };
        let campaign = demo
            .audited(
                "createCampaign",
                campaigns::create(demo.db, &demo.admin, input, Utc::now()),
            )
            .await
            .step(|| format!("create campaign {name}"))?;
        for status in status_path(plan.status) {
            demo.audited(
                "setCampaignStatus",
                campaigns::set_status(demo.db, &demo.admin, campaign.id, *status, Utc::now()),
            )
            .await
            .step(|| format!("move campaign {name} to {status}"))?;
        }
        demo.campaigns.insert(plan.key, campaign.id);
    }
    Ok(())
}

pub(super) fn plan(key: &str) -> Option<&'static CampaignPlan> {
    CAMPAIGNS.iter().find(|c| c.key == key)
}
