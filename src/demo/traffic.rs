//! 60 days of traffic ending at the load time, sent through the ingestion services as the demo
//! integrator key: clicks on every link (then orders, leads and refunds, see [`super::orders`]).
//!
//! The shape: links of ACTIVE campaigns get most clicks, a flight's links only from its start;
//! weekends are busier, evenings (brand timezone) more than nights; a published video or post
//! brings a spike that fades over days; the program grows slowly; some visitors come back;
//! about 4% of clicks are crawlers and link previewers (flagged as bots by the ingestion's own
//! rules). Generated from a fixed seed: every load has the same counts and shape, dated from the
//! load time.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::Rng;
use rand::SeedableRng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;

use super::calendar::{Calendar, DAYS};
use super::campaigns;
use super::content::DELIVERABLES;
use super::links::{LINKS, LinkPlan, link_code};
use super::orders::{self, Orders};
use super::roster::{self, ROSTER};
use super::{Demo, LoadError, StepContext, slug, tenant};
use crate::domain::content::DeliverableStatus;
use crate::domain::conversion::MAX_BATCH;
use crate::domain::roster::Platform;
use crate::service::ingest::batch::{ItemResult, ItemStatus};
use crate::service::ingest::clicks::{self, ClickItem};
use crate::service::ingest::conversions;
use crate::service::ingest::refunds;

const SEED: u64 = 0x6c6f_775f_6465_6d6f;

/// Clicks of a link (`glow-<creator>`) over the window: by people and by bots.
pub(super) struct LinkTraffic {
    pub creator: &'static str,
    pub people: usize,
    pub bots: usize,
}

const fn t(creator: &'static str, people: usize, bots: usize) -> LinkTraffic {
    LinkTraffic {
        creator,
        people,
        bots,
    }
}

#[rustfmt::skip]
pub(super) const LINK_TRAFFIC: [LinkTraffic; 11] = [
    // Spring Glow (ACTIVE, always on): all 60 days.
    t("maya", 820, 30), t("leo", 340, 14), t("ana", 640, 24), t("sam", 150, 8),
    // Summer SPF (ACTIVE flight): from its start, 21 days ago.
    t("mia", 520, 20), t("lucas", 230, 10), t("noah", 90, 6), t("emma", 110, 6),
    t("ethan", 300, 12), t("jonas", 190, 8),
    // Glow Club (PAUSED): a podcast audience, fewer clicks.
    t("nora", 140, 8),
];

pub(super) const fn click_count() -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < LINK_TRAFFIC.len() {
        count += LINK_TRAFFIC[i].people + LINK_TRAFFIC[i].bots;
        i += 1;
    }
    count
}

pub(super) const fn bot_count() -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < LINK_TRAFFIC.len() {
        count += LINK_TRAFFIC[i].bots;
        i += 1;
    }
    count
}

/// People's user agents (social traffic is mostly phones, often in-app browsers) and weights.
const PEOPLE_AGENTS: [(&str, u32); 7] = [
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        32,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22A3354 Instagram 352.0.0.31.100 (iPhone15,3; iOS 18_0; en_US)",
        16,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.86 Mobile Safari/537.36 musical_ly_2023708030",
        10,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
        20,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        9,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        9,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        4,
    ),
];

/// Crawlers and link previewers that follow short links.
pub(super) const BOT_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "python-requests/2.32.3",
];

const OTHER_COUNTRIES: [&str; 5] = ["US", "GB", "CA", "AU", "DE"];

/// A click of the plan (the ingested item is made from it).
pub(super) struct PlannedClick {
    /// Index into [`LINKS`].
    pub link: usize,
    pub at: DateTime<Utc>,
    pub person: bool,
    pub click_id: String,
    visitor: String,
    agent: &'static str,
    referrer: Option<&'static str>,
    country: &'static str,
}

impl PlannedClick {
    pub fn item(&self) -> ClickItem {
        ClickItem {
            link_code: link_code(&LINKS[self.link]),
            click_id: Some(self.click_id.clone()),
            occurred_at: self.at,
            visitor_key: Some(self.visitor.clone()),
            user_agent: Some(self.agent.to_owned()),
            referrer: self.referrer.map(str::to_owned),
            country: Some(self.country.to_owned()),
            landing_url: None,
        }
    }
}

/// Everything a load ingests, in order.
pub(super) struct Plan {
    pub clicks: Vec<PlannedClick>,
    pub orders: Orders,
    /// Days (brand timezone) that need an EUR rate: those of EUR orders.
    pub eur_days: BTreeSet<NaiveDate>,
}

/// Where a click on a platform comes from (the app's web referrer; podcasts and blogs often
/// send none).
fn referrer_of(platform: Platform) -> Option<&'static str> {
    match platform {
        Platform::Tiktok => Some("https://www.tiktok.com/"),
        Platform::Instagram => Some("https://www.instagram.com/"),
        Platform::Youtube => Some("https://www.youtube.com/"),
        Platform::Twitch => Some("https://www.twitch.tv/"),
        Platform::X => Some("https://t.co/"),
        Platform::Podcast => Some("https://open.spotify.com/"),
        _ => None,
    }
}

pub(super) fn profile(creator: &str) -> Option<&'static roster::Profile> {
    ROSTER.iter().find(|p| slug(p.name) == creator)
}

/// When a link's clicks can start: its campaign's start, or the window's.
pub(super) fn link_start(cal: &Calendar, link: &LinkPlan) -> DateTime<Utc> {
    campaigns::plan(link.campaign)
        .and_then(|c| c.window.0)
        .map(|days| cal.now + Duration::days(days))
        .map_or(cal.start(), |at| at.max(cal.start()))
}

/// A link's daily weight: weekday, slow growth, and a fading spike after each published post.
fn link_shape<'a>(cal: &'a Calendar, link: &'a LinkPlan) -> impl Fn(i64) -> f64 + 'a {
    let published: Vec<i64> = DELIVERABLES
        .iter()
        .filter(|d| d.campaign == link.campaign && d.creator == link.creator)
        .filter(|d| d.status == DeliverableStatus::Published)
        .map(|d| d.day)
        .collect();
    move |offset| {
        let growth = 0.8 + 0.4 * (offset + DAYS - 1) as f64 / (DAYS - 1) as f64;
        let spikes: f64 = published
            .iter()
            .filter(|day| offset >= **day)
            .map(|day| 4.0 * 0.75f64.powi((offset - day) as i32))
            .sum();
        cal.weekday_factor(offset) * growth * (1.0 + spikes)
    }
}

fn plan_clicks(cal: &Calendar, rng: &mut StdRng) -> Vec<PlannedClick> {
    let agents = WeightedIndex::new(PEOPLE_AGENTS.map(|a| a.1)).expect("agent weights");
    let mut clicks = Vec::with_capacity(click_count());
    let mut visitors = 0usize;
    for (index, link) in LINKS.iter().enumerate() {
        let Some(traffic) = LINK_TRAFFIC.iter().find(|t| t.creator == link.creator) else {
            continue;
        };
        let not_before = link_start(cal, link);
        let first = (cal.day_of(not_before) - cal.today).num_days();
        let days = cal.days(first, link_shape(cal, link));
        let profile = profile(link.creator);
        let channels = profile.map_or(&[][..], |p| p.channels);
        let home = profile.map_or("US", |p| p.country);
        let reach = WeightedIndex::new(channels.iter().map(|c| c.1)).ok();
        let mut seen: Vec<String> = Vec::new();
        for n in 0..traffic.people + traffic.bots {
            let person = n < traffic.people;
            let at = cal.sample(rng, &days, not_before);
            if !person {
                visitors += 1;
                clicks.push(PlannedClick {
                    link: index,
                    at,
                    person,
                    click_id: String::new(),
                    visitor: format!("vis_{visitors:06}"),
                    agent: BOT_AGENTS[rng.random_range(0..BOT_AGENTS.len())],
                    referrer: None,
                    country: "US",
                });
                continue;
            }
            // About one click in five is a returning visitor of the same link.
            let visitor = if !seen.is_empty() && rng.random_bool(0.2) {
                seen[rng.random_range(0..seen.len())].clone()
            } else {
                visitors += 1;
                let key = format!("vis_{visitors:06}");
                seen.push(key.clone());
                key
            };
            let platform = reach.as_ref().map(|r| channels[r.sample(rng)].0);
            let referrer = match platform {
                Some(p) if rng.random_bool(0.85) => referrer_of(p),
                _ => None,
            };
            let roll: f64 = rng.random();
            let country = if roll < 0.6 {
                home
            } else {
                OTHER_COUNTRIES[rng.random_range(0..OTHER_COUNTRIES.len())]
            };
            clicks.push(PlannedClick {
                link: index,
                at,
                person,
                click_id: String::new(),
                visitor,
                agent: PEOPLE_AGENTS[agents.sample(rng)].0,
                referrer,
                country,
            });
        }
    }
    clicks.sort_by_key(|c| c.at);
    for (n, click) in clicks.iter_mut().enumerate() {
        click.click_id = format!("clk_{n:05}{:08x}", rng.random::<u32>());
    }
    clicks
}

/// The whole plan for a load at `now` (pure: the same `now` gives the same plan).
pub(super) fn plan(now: DateTime<Utc>, tz: Tz) -> Plan {
    let cal = Calendar::new(now, tz);
    let mut rng = StdRng::seed_from_u64(SEED);
    let clicks = plan_clicks(&cal, &mut rng);
    let orders = orders::plan(&cal, &mut rng, &clicks);
    let eur_days = orders
        .all()
        .filter(|o| o.currency.is_some_and(|c| c.code() == "EUR"))
        .map(|o| cal.day_of(o.occurred_at))
        .collect();
    Plan {
        clicks,
        orders,
        eur_days,
    }
}

fn batches<T>(mut items: Vec<T>) -> Vec<Vec<T>> {
    let mut batches = Vec::new();
    while !items.is_empty() {
        let rest = items.split_off(items.len().min(MAX_BATCH));
        batches.push(std::mem::replace(&mut items, rest));
    }
    batches
}

/// Every item of a batch must be accepted: anything else is a fault in the plan.
pub(super) fn all_accepted<T>(what: &str, results: Vec<ItemResult<T>>) -> Result<(), LoadError> {
    match results
        .into_iter()
        .find(|r| r.status != ItemStatus::Accepted)
    {
        None => Ok(()),
        Some(item) => Err(LoadError::Step {
            step: format!("ingest {what} {}", item.external_id),
            detail: item
                .error
                .map_or_else(|| format!("{:?}", item.status), |e| e.to_string()),
        }),
    }
}

pub(super) async fn load(demo: &Demo<'_>) -> Result<(), LoadError> {
    let plan = plan(demo.now, tenant::timezone()?);
    for day in &plan.eur_days {
        tenant::set_eur_rate(demo, *day).await?;
    }
    let key = &demo.integrator;
    let items: Vec<ClickItem> = plan.clicks.iter().map(PlannedClick::item).collect();
    for batch in batches(items) {
        let results = clicks::record(demo.db, key, batch, Utc::now())
            .await
            .step(|| "record clicks".into())?;
        all_accepted("click", results)?;
    }
    let Orders {
        conversions: items,
        refunds: refund_items,
        held_refund,
        late_order,
    } = plan.orders;
    for batch in batches(items) {
        let results = conversions::record(demo.db, key, batch, Utc::now())
            .await
            .step(|| "record conversions".into())?;
        all_accepted("conversion", results)?;
    }
    for item in refund_items {
        let id = item.refund_id.clone();
        refunds::record(demo.db, key, item, Utc::now())
            .await
            .step(|| format!("record refund {id}"))?;
    }
    // A refund whose order arrives later (a delayed order webhook): held, then applied.
    let id = held_refund.refund_id.clone();
    let held = refunds::record(demo.db, key, held_refund, Utc::now())
        .await
        .step(|| format!("record refund {id}"))?;
    if held.conversion.is_some() {
        return Err(LoadError::Step {
            step: format!("record refund {id}"),
            detail: "its order is already there: the refund was not held".into(),
        });
    }
    let results = conversions::record(demo.db, key, vec![late_order], Utc::now())
        .await
        .step(|| "record the late order".into())?;
    all_accepted("conversion", results)
}
