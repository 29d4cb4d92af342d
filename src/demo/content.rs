//! Content deliverables in every status (published ones with post URL, date, metrics, confirmed
//! disclosure and usage rights) and other costs of every kind, one in EUR. Through
//! [`crate::service::deliverables`] and [`crate::service::costs`].

use chrono::{Duration, Utc};

use super::campaigns::{self, CLUB, HOLIDAY, SPF, SPRING};
use super::roster::{self, ROSTER};
use super::{Demo, LoadError, StepContext, slug};
use crate::domain::content::DeliverableFormat::{
    self, Live, PodcastRead, Post, ShortVideo, Story, Video,
};
use crate::domain::content::{CostKind, DeliverableStatus};
use crate::domain::money::{Currency, Money};
use crate::domain::roster::Platform::{
    self, Instagram as Ig, Podcast, Tiktok as Tt, Twitch, Youtube as Yt,
};
use crate::service::costs::{self, CostInput};
use crate::service::deliverables::{self, DeliverableChange, DeliverableInput};

pub(super) struct DeliverablePlan {
    pub campaign: &'static str,
    /// The creator's slug (the enrollment is this creator's in the campaign).
    pub creator: &'static str,
    pub platform: Platform,
    pub format: DeliverableFormat,
    pub status: DeliverableStatus,
    /// Days from the load time: published (PUBLISHED) or due (the rest).
    pub day: i64,
    /// Impressions, views and engagements, once published.
    pub metrics: (i64, i64, i64),
}

const fn d(
    campaign: &'static str,
    creator: &'static str,
    platform: Platform,
    format: DeliverableFormat,
    status: DeliverableStatus,
    day: i64,
    metrics: (i64, i64, i64),
) -> DeliverablePlan {
    DeliverablePlan {
        campaign,
        creator,
        platform,
        format,
        status,
        day,
        metrics,
    }
}

use DeliverableStatus::{Approved, Planned, Published, Submitted};

const NONE: (i64, i64, i64) = (0, 0, 0);

#[rustfmt::skip]
pub(super) const DELIVERABLES: [DeliverablePlan; 16] = [
    d(SPRING, "maya", Tt, ShortVideo, Published, -40, (410_000, 265_000, 21_400)),
    d(SPRING, "ana", Yt, Video, Published, -25, (520_000, 188_000, 14_900)),
    d(SPRING, "leo", Ig, Post, Published, -18, (61_000, 38_000, 3_900)),
    d(SPRING, "sam", Ig, Story, Published, -10, (6_800, 5_100, 420)),
    d(SPRING, "priya", Yt, Video, Approved, 5, NONE),
    d(SPRING, "zara", Tt, ShortVideo, Submitted, 3, NONE),
    d(SPRING, "chloe", Tt, ShortVideo, Planned, 12, NONE),
    d(SPRING, "grace", Ig, ShortVideo, Approved, 4, NONE),
    d(SPF, "mia", Tt, ShortVideo, Published, -7, (690_000, 402_000, 37_800)),
    d(SPF, "ethan", Yt, Video, Submitted, 2, NONE),
    d(SPF, "jonas", Ig, Post, Planned, 9, NONE),
    d(SPF, "noah", Twitch, Live, Planned, 14, NONE),
    d(CLUB, "nora", Podcast, PodcastRead, Published, -30, (95_000, 31_000, 1_200)),
    d(HOLIDAY, "camille", Ig, Post, Published, -120, (702_000, 355_000, 18_300)),
    d(HOLIDAY, "sofia", Ig, Story, Published, -115, (190_000, 121_000, 4_700)),
    d(HOLIDAY, "priya", Yt, Video, Published, -110, (1_380_000, 612_000, 44_100)),
];

pub(super) const fn published_count() -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < DELIVERABLES.len() {
        if matches!(DELIVERABLES[i].status, Published) {
            count += 1;
        }
        i += 1;
    }
    count
}

pub(super) struct CostPlan {
    pub campaign: &'static str,
    pub creator: Option<&'static str>,
    pub kind: CostKind,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: &'static str,
    /// Days from the load time (the EUR cost is incurred on the load day, which has a rate).
    pub day: i64,
    pub note: &'static str,
}

const fn c(
    campaign: &'static str,
    creator: Option<&'static str>,
    kind: CostKind,
    (amount, currency): (i64, &'static str),
    day: i64,
    note: &'static str,
) -> CostPlan {
    CostPlan {
        campaign,
        creator,
        kind,
        amount,
        currency,
        day,
        note,
    }
}

use CostKind::{Agency, Gifting, PaidAmplification, ProductSeeding};

#[rustfmt::skip]
pub(super) const COSTS: [CostPlan; 6] = [
    c(SPRING, None, ProductSeeding, (125_000, "USD"), -60, "Launch seeding kits for 25 creators"),
    c(SPRING, Some("maya"), ProductSeeding, (18_000, "USD"), -45, "Serum PR box and ring light"),
    c(SPRING, Some("ana"), PaidAmplification, (240_000, "USD"), -20, "YouTube ads on Ana's review"),
    c(SPF, Some("mia"), PaidAmplification, (90_000, "USD"), -5, "TikTok Spark Ads on Mia's video"),
    c(SPF, None, Agency, (150_000, "EUR"), 0, "EU talent agency retainer, this month"),
    c(HOLIDAY, None, Gifting, (320_000, "USD"), -130, "Holiday gift sets for 40 creators"),
];

/// Statuses a new (PLANNED) deliverable passes through to reach `target`.
fn status_path(target: DeliverableStatus) -> &'static [DeliverableStatus] {
    match target {
        Planned => &[],
        Submitted => &[Submitted],
        Approved => &[Submitted, Approved],
        Published => &[Submitted, Approved, Published],
    }
}

/// A plausible post URL on the creator's own channel of that platform.
fn post_url(plan: &DeliverablePlan, index: usize) -> String {
    let account = ROSTER
        .iter()
        .find(|p| slug(p.name) == plan.creator)
        .and_then(|p| {
            let ch = p.channels.iter().position(|c| c.0 == plan.platform)?;
            Some(roster::account(&roster::handle(p, ch)))
        })
        .unwrap_or_else(|| plan.creator.to_owned());
    match plan.platform {
        Tt => format!("https://www.tiktok.com/@{account}/video/73910023450{index:08}"),
        Ig => format!("https://www.instagram.com/p/CgLw{index:07}/"),
        Yt => format!("https://www.youtube.com/watch?v=gLw{index:08}"),
        Twitch => format!("https://www.twitch.tv/videos/21000{index:05}"),
        _ => format!(
            "https://podcasts.example.com/{account}/episodes/{}",
            40 + index
        ),
    }
}

async fn deliverable(
    demo: &Demo<'_>,
    index: usize,
    plan: &DeliverablePlan,
) -> Result<(), LoadError> {
    let what = || format!("deliverable {index} of {}/{}", plan.campaign, plan.creator);
    let enrollment_id = demo.enrollment(plan.campaign, plan.creator)?;
    let published = plan.status == Published;
    let due = if published { plan.day - 2 } else { plan.day };
    let input = DeliverableInput {
        enrollment_id,
        platform: plan.platform,
        format: plan.format,
        due_at: Some(demo.days(due)),
    };
    let row = deliverables::create(demo.db, &demo.admin, input, Utc::now())
        .await
        .step(what)?;
    for status in status_path(plan.status) {
        let mut change = DeliverableChange {
            status: Some(*status),
            ..DeliverableChange::default()
        };
        match status {
            Approved => change.disclosure_confirmed = Some(true),
            Published => {
                let at = demo.days(plan.day);
                let rights = campaigns::plan(plan.campaign).and_then(|c| c.usage_rights_days);
                change.post_url = Some(post_url(plan, index));
                change.published_at = Some(at);
                change.disclosure_confirmed = Some(true);
                change.usage_rights_until = rights.map(|days| at + Duration::days(i64::from(days)));
                if plan.platform == Tt {
                    change.whitelisting_code =
                        Some(format!("#SPARK-{}-{index:04}", plan.creator.to_uppercase()));
                }
                (change.impressions, change.views, change.engagements) = (
                    Some(plan.metrics.0),
                    Some(plan.metrics.1),
                    Some(plan.metrics.2),
                );
            }
            _ => {}
        }
        deliverables::update(demo.db, &demo.admin, row.id, change, Utc::now())
            .await
            .step(|| format!("{} -> {status}", what()))?;
    }
    Ok(())
}

async fn cost(demo: &Demo<'_>, plan: &CostPlan) -> Result<(), LoadError> {
    let what = || format!("cost {:?}", plan.note);
    let currency = Currency::parse(plan.currency).map_err(|e| LoadError::Step {
        step: what(),
        detail: e.to_string(),
    })?;
    let creator_id = match plan.creator {
        Some(slug) => Some(*demo.creators.get(slug).ok_or_else(|| LoadError::Step {
            step: what(),
            detail: format!("no creator {slug:?} in the roster"),
        })?),
        None => None,
    };
    let campaign_id = *demo
        .campaigns
        .get(plan.campaign)
        .ok_or_else(|| LoadError::Step {
            step: what(),
            detail: format!("no campaign {:?} in the plan", plan.campaign),
        })?;
    let input = CostInput {
        campaign_id,
        creator_id,
        kind: plan.kind,
        amount: Money::new(plan.amount, currency),
        incurred_at: demo.days(plan.day),
        note: Some(plan.note.to_owned()),
    };
    costs::record(demo.db, &demo.admin, input, Utc::now())
        .await
        .step(what)?;
    Ok(())
}

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    for (index, plan) in DELIVERABLES.iter().enumerate() {
        deliverable(demo, index, plan).await?;
    }
    for plan in &COSTS {
        cost(demo, plan).await?;
    }
    Ok(())
}
