//! The program's fixed part: creators with channels, campaigns with one offer each (every
//! model), enrollments, tracking links and discount codes; generated from the seed, written in
//! bulk with explicit ids (so that events can name them without reading them back).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr, Value};

use super::bulk::Bulk;
use partnergraph::domain::campaign::{CampaignStatus, Schedule};
use partnergraph::domain::commission::{Terms, effective_terms};
use partnergraph::domain::enrollment::EnrollmentStatus;
use partnergraph::domain::offer::{OfferModel, Rates, VolumeTier};

pub const PLATFORMS: [&str; 7] = [
    "INSTAGRAM",
    "TIKTOK",
    "YOUTUBE",
    "PODCAST",
    "BLOG",
    "TWITCH",
    "X",
];
const COUNTRIES: [&str; 8] = ["US", "GB", "DE", "FR", "BR", "CA", "AU", "MX"];

pub struct Creator {
    pub id: i64,
    pub email: String,
    pub email_hash: Option<String>,
}

pub struct Campaign {
    pub id: i64,
    pub offer_id: i64,
    pub status: CampaignStatus,
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub model: OfferModel,
    pub rates: Rates,
    pub tiers: Vec<VolumeTier>,
    pub new_customers_only: bool,
    pub monthly_cap_minor: Option<i64>,
    pub hold_period_days: Option<i32>,
}

impl Campaign {
    /// Conversions through a lead-generation campaign are LEADs.
    pub fn wants_leads(&self) -> bool {
        self.model == OfferModel::Cpl
    }
}

pub struct Enrollment {
    pub id: i64,
    pub campaign: usize,
    pub creator: usize,
    pub status: EnrollmentStatus,
    pub overrides: Rates,
    pub terms: Terms,
    pub activated_at: DateTime<Utc>,
}

pub struct Link {
    pub id: i64,
    pub enrollment: usize,
    pub code: String,
    pub archived: bool,
}

pub struct DiscountCode {
    pub enrollment: usize,
    pub code: String,
}

pub struct World {
    pub creators: Vec<Creator>,
    pub campaigns: Vec<Campaign>,
    pub enrollments: Vec<Enrollment>,
    pub links: Vec<Link>,
    pub codes: Vec<DiscountCode>,
}

/// First ids of the tables whose ids events name (the database may hold other brands).
#[derive(Clone, Copy, Debug, Default)]
pub struct Bases {
    pub creator: i64,
    pub campaign: i64,
    pub offer: i64,
    pub enrollment: i64,
    pub link: i64,
}

fn pct(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// The offer of campaign `i`: every model of DOMAIN.md, revenue share and CPA most often.
fn offer_of(
    i: usize,
) -> (
    OfferModel,
    Rates,
    Vec<VolumeTier>,
    bool,
    Option<i64>,
    Option<i32>,
) {
    let none = Rates {
        cpa_minor: None,
        cpl_minor: None,
        cpc_minor: None,
        revenue_share_percent: None,
        flat_fee_minor: None,
    };
    match i % 10 {
        0..=2 => (
            OfferModel::RevenueShare,
            Rates {
                revenue_share_percent: Some(pct(["10", "12.5", "15"][i % 3])),
                ..none
            },
            if i.is_multiple_of(3) {
                vec![
                    VolumeTier {
                        from_sale: 20,
                        cpa_minor: None,
                        revenue_share_percent: Some(pct("18")),
                    },
                    VolumeTier {
                        from_sale: 50,
                        cpa_minor: None,
                        revenue_share_percent: Some(pct("20")),
                    },
                ]
            } else {
                vec![]
            },
            false,
            (i % 20 == 1).then_some(50_000),
            None,
        ),
        3 | 4 => (
            OfferModel::Cpa,
            Rates {
                cpa_minor: Some(2_000),
                ..none
            },
            vec![VolumeTier {
                from_sale: 10,
                cpa_minor: Some(2_500),
                revenue_share_percent: None,
            }],
            i.is_multiple_of(4),
            None,
            None,
        ),
        5 => (
            OfferModel::Hybrid,
            Rates {
                flat_fee_minor: Some(50_000),
                revenue_share_percent: Some(pct("8")),
                ..none
            },
            vec![],
            false,
            None,
            None,
        ),
        6 => (
            OfferModel::Cpl,
            Rates {
                cpl_minor: Some(350),
                ..none
            },
            vec![],
            false,
            None,
            Some(14),
        ),
        7 => (
            OfferModel::FlatFee,
            Rates {
                flat_fee_minor: Some(80_000),
                ..none
            },
            vec![],
            false,
            None,
            None,
        ),
        8 => (
            OfferModel::Cpc,
            Rates {
                cpc_minor: Some(40),
                ..none
            },
            vec![],
            false,
            Some(20_000),
            None,
        ),
        _ => (
            OfferModel::Hybrid,
            Rates {
                flat_fee_minor: Some(120_000),
                cpa_minor: Some(1_500),
                ..none
            },
            vec![],
            false,
            Some(300_000),
            None,
        ),
    }
}

fn objective_of(model: OfferModel) -> &'static str {
    match model {
        OfferModel::Cpl => "LEADS",
        OfferModel::Cpc => "TRAFFIC",
        OfferModel::FlatFee => "AWARENESS",
        _ => "SALES",
    }
}

/// Generates the program's fixed part.
pub fn generate(
    rng: &mut StdRng,
    seed: u64,
    now: DateTime<Utc>,
    bases: Bases,
    (n_creators, n_campaigns, n_links): (u64, u64, u64),
) -> World {
    let creators = (0..n_creators as usize)
        .map(|i| {
            let email = format!("creator{i}.s{seed}@bench.example");
            Creator {
                id: bases.creator + i as i64,
                email_hash: partnergraph::domain::email::hash(&email),
                email,
            }
        })
        .collect();
    let campaigns = (0..n_campaigns as usize)
        .map(|i| {
            let (model, rates, tiers, new_customers_only, cap, hold) = offer_of(i);
            let flight = i % 8 == 3;
            Campaign {
                id: bases.campaign + i as i64,
                offer_id: bases.offer + i as i64,
                status: if i % 37 == 5 {
                    CampaignStatus::Paused
                } else {
                    CampaignStatus::Active
                },
                schedule: if flight {
                    Schedule::Flight
                } else {
                    Schedule::AlwaysOn
                },
                starts_at: flight.then(|| now - Duration::days(60)),
                ends_at: flight.then(|| now + Duration::days(30)),
                model,
                rates,
                tiers,
                new_customers_only,
                monthly_cap_minor: cap,
                hold_period_days: hold,
            }
        })
        .collect::<Vec<_>>();
    // Two links per enrollment, each campaign's creators distinct (a live enrollment is unique
    // per campaign and creator).
    let n_enrollments = n_links.div_ceil(2).min(n_campaigns * n_creators) as usize;
    let enrollments = (0..n_enrollments)
        .map(|e| {
            let campaign = e % campaigns.len();
            let k = e / campaigns.len();
            let creator = (campaign * 31 + k) % n_creators as usize;
            let c: &Campaign = &campaigns[campaign];
            let overrides = Rates {
                cpa_minor: None,
                cpl_minor: None,
                cpc_minor: None,
                revenue_share_percent: (e % 20 == 7 && c.model == OfferModel::RevenueShare)
                    .then(|| pct("12.5")),
                flat_fee_minor: None,
            };
            let terms = effective_terms(
                c.model,
                &c.rates,
                &overrides,
                &c.tiers,
                c.new_customers_only,
                c.monthly_cap_minor,
            );
            Enrollment {
                id: bases.enrollment + e as i64,
                campaign,
                creator,
                status: if e % 20 == 13 {
                    EnrollmentStatus::Paused
                } else {
                    EnrollmentStatus::Active
                },
                overrides,
                terms,
                activated_at: now
                    - Duration::days(125)
                    - Duration::minutes(rng.random_range(0..40_000)),
            }
        })
        .collect::<Vec<_>>();
    let links = (0..n_links as usize)
        .map(|l| Link {
            id: bases.link + l as i64,
            enrollment: l % n_enrollments,
            code: format!("s{seed}l{l}"),
            archived: l % 50 == 49,
        })
        .collect();
    let codes = (0..n_enrollments.div_ceil(10))
        .map(|i| DiscountCode {
            enrollment: (i * 10 + 3) % n_enrollments,
            code: format!("S{seed}C{i}"),
        })
        .collect();
    World {
        creators,
        campaigns,
        enrollments,
        links,
        codes,
    }
}

fn v<T: Into<Value>>(x: T) -> Value {
    x.into()
}

/// Writes the fixed part.
pub async fn insert(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    brand_id: i64,
    now: DateTime<Utc>,
    world: &World,
) -> Result<(), DbErr> {
    let mut creators = Bulk::new(
        db,
        "creators",
        &[
            "id",
            "brand_id",
            "display_name",
            "email",
            "email_hash",
            "country",
            "niches",
            "stage",
            "vetting_status",
            "brand_safety_score",
            "followers",
            "primary_platform",
            "created_at",
            "updated_at",
        ],
    );
    let mut channels = Bulk::new(
        db,
        "channels",
        &[
            "brand_id",
            "creator_id",
            "platform",
            "handle",
            "followers",
            "avg_views",
            "engagement_rate",
            "audience_countries",
            "created_at",
            "updated_at",
        ],
    );
    // Parents are written (and committed) before their children: a child statement may be
    // flushed before its parent's.
    let mut channel_rows = Vec::new();
    for (i, c) in world.creators.iter().enumerate() {
        let n = rng.random_range(1..=3usize);
        let mut best: Option<(i64, &str)> = None;
        for k in 0..n {
            let platform = PLATFORMS[(i + k * 3) % PLATFORMS.len()];
            // Distinct counts: the primary channel is the one with the most followers.
            let followers = rng.random_range(1_000..2_000_000i64) * 4 + k as i64;
            if best.is_none_or(|(f, _)| followers > f) {
                best = Some((followers, platform));
            }
            channel_rows.push(vec![
                v(brand_id),
                v(c.id),
                v(platform),
                v(format!("creator{i}_{}", platform.to_lowercase())),
                v(followers),
                v(Some(followers / 10)),
                v(Some("0.034".to_owned())),
                v(format!("[\"{}\"]", COUNTRIES[i % COUNTRIES.len()])),
                v(now),
                v(now),
            ]);
        }
        let (followers, platform) = best.unwrap_or((0, PLATFORMS[0]));
        creators
            .push(vec![
                v(c.id),
                v(brand_id),
                v(format!("Creator {i}")),
                v(Some(c.email.clone())),
                v(c.email_hash.clone()),
                v(Some(COUNTRIES[i % COUNTRIES.len()].to_owned())),
                v("[\"beauty\",\"wellness\"]"),
                v("ACTIVE"),
                v("APPROVED"),
                v(Some(80 + (i % 20) as i32)),
                v(followers),
                v(Some(platform.to_owned())),
                v(now),
                v(now),
            ])
            .await?;
    }
    creators.finish().await?;
    for row in channel_rows {
        channels.push(row).await?;
    }
    channels.finish().await?;

    let mut campaigns = Bulk::new(
        db,
        "campaigns",
        &[
            "id",
            "brand_id",
            "name",
            "objective",
            "schedule",
            "status",
            "starts_at",
            "ends_at",
            "currency_code",
            "budget_minor",
            "brief_key_messages",
            "brief_dos",
            "brief_donts",
            "disclosure_required",
            "created_at",
            "updated_at",
        ],
    );
    let mut offers = Bulk::new(
        db,
        "offers",
        &[
            "id",
            "brand_id",
            "campaign_id",
            "name",
            "model",
            "currency_code",
            "cpa_amount_minor",
            "cpl_amount_minor",
            "cpc_amount_minor",
            "revenue_share_percent",
            "flat_fee_minor",
            "new_customers_only",
            "hold_period_days",
            "monthly_cap_minor",
            "created_at",
            "updated_at",
        ],
    );
    let mut tiers = Bulk::new(
        db,
        "offer_tiers",
        &[
            "brand_id",
            "offer_id",
            "from_sale",
            "cpa_amount_minor",
            "revenue_share_percent",
            "created_at",
        ],
    );
    let created = now - Duration::days(200);
    for (i, c) in world.campaigns.iter().enumerate() {
        campaigns
            .push(vec![
                v(c.id),
                v(brand_id),
                v(format!("Campaign {i}")),
                v(objective_of(c.model)),
                v(c.schedule.as_str()),
                v(c.status.as_str()),
                v(c.starts_at),
                v(c.ends_at),
                v("USD"),
                v(Some(5_000_000i64)),
                v("[]"),
                v("[]"),
                v("[]"),
                v(true),
                v(created),
                v(created),
            ])
            .await?;
    }
    campaigns.finish().await?;
    for (i, c) in world.campaigns.iter().enumerate() {
        offers
            .push(vec![
                v(c.offer_id),
                v(brand_id),
                v(c.id),
                v(format!("Offer {i} ({})", c.model.as_str())),
                v(c.model.as_str()),
                v("USD"),
                v(c.rates.cpa_minor),
                v(c.rates.cpl_minor),
                v(c.rates.cpc_minor),
                v(c.rates
                    .revenue_share_percent
                    .map(|p| p.normalize().to_string())),
                v(c.rates.flat_fee_minor),
                v(c.new_customers_only),
                v(c.hold_period_days),
                v(c.monthly_cap_minor),
                v(created),
                v(created),
            ])
            .await?;
    }
    offers.finish().await?;
    for c in &world.campaigns {
        for t in &c.tiers {
            tiers
                .push(vec![
                    v(brand_id),
                    v(c.offer_id),
                    v(t.from_sale),
                    v(t.cpa_minor),
                    v(t.revenue_share_percent.map(|p| p.normalize().to_string())),
                    v(created),
                ])
                .await?;
        }
    }
    tiers.finish().await?;

    let mut enrollments = Bulk::new(
        db,
        "enrollments",
        &[
            "id",
            "brand_id",
            "campaign_id",
            "creator_id",
            "offer_id",
            "status",
            "revenue_share_percent",
            "activated_at",
            "created_at",
            "updated_at",
        ],
    );
    for e in &world.enrollments {
        let c = &world.campaigns[e.campaign];
        enrollments
            .push(vec![
                v(e.id),
                v(brand_id),
                v(c.id),
                v(world.creators[e.creator].id),
                v(c.offer_id),
                v(e.status.as_str()),
                v(e.overrides
                    .revenue_share_percent
                    .map(|p| p.normalize().to_string())),
                v(Some(e.activated_at)),
                v(e.activated_at - Duration::days(3)),
                v(e.activated_at),
            ])
            .await?;
    }
    enrollments.finish().await?;

    let mut links = Bulk::new(
        db,
        "tracking_links",
        &[
            "id",
            "brand_id",
            "enrollment_id",
            "code",
            "destination_url",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "archived_at",
            "created_at",
            "updated_at",
        ],
    );
    for l in &world.links {
        let e = &world.enrollments[l.enrollment];
        links
            .push(vec![
                v(l.id),
                v(brand_id),
                v(e.id),
                v(l.code.clone()),
                v(format!("https://shop.example/c/{}", e.campaign)),
                v(Some("creator".to_owned())),
                v(Some("influencer".to_owned())),
                v(Some(format!("campaign-{}", e.campaign))),
                v(l.archived.then_some(now - Duration::days(1))),
                v(e.activated_at),
                v(e.activated_at),
            ])
            .await?;
    }
    links.finish().await?;

    let mut codes = Bulk::new(
        db,
        "discount_codes",
        &[
            "brand_id",
            "enrollment_id",
            "code",
            "percent_off",
            "currency_code",
            "created_at",
            "updated_at",
        ],
    );
    for d in &world.codes {
        let e = &world.enrollments[d.enrollment];
        codes
            .push(vec![
                v(brand_id),
                v(e.id),
                v(d.code.clone()),
                v(Some("15".to_owned())),
                v("USD"),
                v(e.activated_at),
                v(e.activated_at),
            ])
            .await?;
    }
    codes.finish().await?;
    Ok(())
}
