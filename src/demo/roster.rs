//! The creator roster: 40 partners across countries, niches, platforms and every tier, spread
//! over the pipeline and vetting outcomes. Created, moved along the pipeline and vetted through
//! [`crate::service::creators`]. Channel metrics are derived from the plan by fixed formulas.

use chrono::Utc;
use rust_decimal::Decimal;

use super::{Demo, LoadError, StepContext, slug};
use crate::domain::roster::{Platform, Stage, VettingStatus};
use crate::service::creators::{self, CreatorInput, NewChannel};

pub(super) enum Vetting {
    Pending,
    Approved(i32),
    Rejected(i32, &'static str),
}

pub(super) struct Profile {
    pub name: &'static str,
    /// Only the original four have a fixed email; others get `first.last@example.com` once
    /// contacted (prospects have none yet).
    pub email: Option<&'static str>,
    /// The primary channel's handle, when it is not derived from the name.
    pub handle: Option<&'static str>,
    pub country: &'static str,
    pub niches: &'static [&'static str],
    pub stage: Stage,
    pub vetting: Vetting,
    /// Largest first.
    pub channels: &'static [(Platform, i64)],
}

const fn p(
    name: &'static str,
    country: &'static str,
    niches: &'static [&'static str],
    stage: Stage,
    vetting: Vetting,
    channels: &'static [(Platform, i64)],
) -> Profile {
    Profile {
        name,
        email: None,
        handle: None,
        country,
        niches,
        stage,
        vetting,
        channels,
    }
}

/// One of the four creators the demo always had (links `glow-<slug>`, codes `<SLUG>15`).
const fn original(
    name: &'static str,
    email: &'static str,
    handle: &'static str,
    country: &'static str,
    score: i32,
    channels: &'static [(Platform, i64)],
) -> Profile {
    Profile {
        email: Some(email),
        handle: Some(handle),
        ..p(
            name,
            country,
            SKIN,
            Stage::Active,
            Vetting::Approved(score),
            channels,
        )
    }
}

use Platform::{Blog, Instagram as Ig, Podcast, Tiktok as Tt, Twitch, X, Youtube as Yt};
use Stage::{Active, Ambassador, Contacted, Ended, Negotiating, Paused, Prospect};
use Vetting::{Approved, Pending, Rejected};

const SKIN: &[&str] = &["skincare", "beauty"];
const KAI_NOTES: &str = "Undisclosed sponsored posts in the last 6 months; audience audit shows \
                         ~40% suspicious followers.";
const JACK_NOTES: &str = "Promotes unapproved supplement claims; conflicts with the \
                          no-medical-claims guardrail.";

#[rustfmt::skip]
pub(super) const ROSTER: [Profile; 40] = [
    original("Maya Chen", "maya@example.com", "@mayaglows", "US", 92, &[(Tt, 182_000), (Ig, 64_000)]),
    original("Leo Park", "leo@example.com", "@leo.skin", "US", 88, &[(Ig, 48_500)]),
    original("Ana Souza", "ana@example.com", "AnaSkincare", "BR", 95, &[(Yt, 640_000), (Ig, 210_000)]),
    original("Sam Reid", "sam@example.com", "@samreid", "GB", 90, &[(Ig, 7_900)]),
    p("Priya Raman", "GB", &["skincare", "wellness"], Ambassador, Approved(96), &[(Yt, 1_450_000), (Ig, 820_000), (Podcast, 60_000)]),
    p("Jonas Weber", "DE", &["fitness", "wellness"], Active, Approved(89), &[(Yt, 356_000), (Ig, 98_000)]),
    p("Camille Laurent", "FR", &["beauty", "fashion"], Active, Approved(91), &[(Ig, 512_000), (Tt, 240_000)]),
    p("Olivia Brooks", "AU", &["lifestyle", "wellness"], Active, Approved(87), &[(Tt, 74_000)]),
    p("Noah Tremblay", "CA", &["fitness", "gaming"], Active, Approved(85), &[(Twitch, 22_000), (Yt, 9_800)]),
    p("Zara Ahmed", "GB", &["beauty", "skincare"], Ambassador, Approved(94), &[(Tt, 2_300_000), (Ig, 1_100_000), (Yt, 300_000)]),
    p("Lucas Oliveira", "BR", &["fitness", "lifestyle"], Active, Approved(83), &[(Ig, 133_000), (Tt, 95_000)]),
    p("Hannah Schulz", "DE", &["skincare", "clean beauty"], Active, Approved(90), &[(Blog, 18_000), (Ig, 12_400)]),
    p("Emma Dubois", "FR", &["wellness", "lifestyle"], Active, Approved(88), &[(Podcast, 41_000), (Ig, 15_000)]),
    p("Ethan Miller", "US", &["fitness", "wellness"], Active, Approved(86), &[(Yt, 780_000), (X, 45_000)]),
    p("Sofia Rossi", "IT", &["fashion", "beauty"], Active, Approved(91), &[(Ig, 265_000)]),
    p("Chloe Martin", "CA", SKIN, Active, Approved(93), &[(Tt, 8_600), (Ig, 4_100)]),
    p("Aiden Kelly", "AU", &["lifestyle", "grooming"], Active, Approved(80), &[(X, 6_200), (Blog, 3_000)]),
    p("Mia Tanaka", "US", &["beauty", "fashion"], Active, Approved(92), &[(Tt, 415_000), (Yt, 88_000)]),
    p("Grace Okafor", "GB", &["skincare", "wellness"], Active, Approved(95), &[(Ig, 36_000), (Tt, 29_000)]),
    p("Isabela Lima", "BR", &["beauty"], Active, Approved(84), &[(Tt, 5_400)]),
    p("Felix Braun", "DE", &["fitness"], Ambassador, Approved(90), &[(Yt, 92_000), (Ig, 40_000)]),
    p("Nora Jansen", "NL", &["wellness", "lifestyle"], Ambassador, Approved(97), &[(Podcast, 120_000), (Yt, 45_000)]),
    p("Ruby Nguyen", "AU", &["skincare"], Paused, Approved(82), &[(Ig, 9_300)]),
    p("Diego Herrera", "MX", &["fitness", "lifestyle"], Paused, Approved(79), &[(Tt, 58_000)]),
    p("Julia Nowak", "PL", &["beauty"], Paused, Approved(86), &[(Yt, 230_000), (Ig, 77_000)]),
    p("Marcus Hill", "US", &["fitness"], Ended, Approved(74), &[(Ig, 67_000)]),
    p("Elena Petrova", "GB", &["fashion"], Ended, Approved(81), &[(Ig, 1_050_000)]),
    p("Tom Becker", "DE", &["lifestyle"], Ended, Approved(77), &[(X, 3_400), (Blog, 2_100)]),
    p("Ava Thompson", "CA", SKIN, Negotiating, Approved(90), &[(Tt, 690_000), (Ig, 150_000)]),
    p("Louise Moreau", "FR", &["beauty"], Negotiating, Approved(88), &[(Ig, 44_000)]),
    p("Ben Carter", "US", &["wellness"], Negotiating, Pending, &[(Podcast, 210_000)]),
    p("Yuki Sato", "US", &["beauty", "lifestyle"], Negotiating, Approved(89), &[(Yt, 520_000), (Tt, 160_000)]),
    p("Amelia Wright", "GB", &["lifestyle", "fashion"], Contacted, Approved(85), &[(Tt, 26_000)]),
    p("Rafael Costa", "BR", &["fitness"], Contacted, Pending, &[(Yt, 7_200), (Tt, 3_900)]),
    p("Ingrid Larsen", "SE", &["wellness"], Contacted, Pending, &[(Blog, 15_500)]),
    p("Kai Fischer", "DE", &["lifestyle", "gaming"], Contacted, Rejected(34, KAI_NOTES), &[(X, 310_000), (Twitch, 48_000)]),
    p("Layla Hassan", "CA", SKIN, Prospect, Pending, &[(Ig, 3_100_000), (Yt, 900_000)]),
    p("Owen Davies", "GB", &["fitness", "gaming"], Prospect, Pending, &[(Twitch, 140_000), (Yt, 61_000)]),
    p("Chiara Bianchi", "IT", &["fashion"], Prospect, Pending, &[(Ig, 2_800)]),
    p("Jack Wilson", "AU", &["fitness", "lifestyle"], Prospect, Rejected(41, JACK_NOTES), &[(Tt, 890_000)]),
];

/// The stages a new (PROSPECT) creator passes through to reach `target`, one allowed step each.
pub(super) fn stage_path(target: Stage) -> &'static [Stage] {
    match target {
        Prospect => &[],
        Contacted => &[Contacted],
        Negotiating => &[Contacted, Negotiating],
        Active => &[Contacted, Negotiating, Active],
        Paused => &[Contacted, Negotiating, Active, Paused],
        Ambassador => &[Contacted, Negotiating, Active, Ambassador],
        Ended => &[Contacted, Negotiating, Active, Ended],
    }
}

pub(super) fn email_of(profile: &Profile) -> Option<String> {
    match profile.email {
        Some(email) => Some(email.to_owned()),
        None if profile.stage == Prospect => None,
        None => Some(format!(
            "{}@example.com",
            profile.name.to_lowercase().replace(' ', ".")
        )),
    }
}

/// The handle of a creator's channel: the planned one, else derived from the name.
pub(super) fn handle(profile: &Profile, ch: usize) -> String {
    let joined: String = profile.name.split_whitespace().collect();
    let lower = joined.to_lowercase();
    match (ch, profile.handle, profile.channels[ch].0) {
        (0, Some(handle), _) => handle.to_owned(),
        (_, _, Yt) => joined,
        (_, _, Twitch | Blog) => lower,
        (_, _, Podcast) => format!("{} Talks", profile.name),
        _ => format!("@{lower}"),
    }
}

/// A handle as it appears in URLs.
pub(super) fn account(handle: &str) -> String {
    handle
        .trim_start_matches('@')
        .replace(' ', "")
        .to_lowercase()
}

/// A channel of the plan with handle, URL and (mostly) metrics, varied by fixed formulas.
fn channel(profile: &Profile, index: usize, ch: usize) -> NewChannel {
    let (platform, followers) = profile.channels[ch];
    let handle = handle(profile, ch);
    let bare = account(&handle);
    let url = match platform {
        Tt => format!("https://www.tiktok.com/@{bare}"),
        Ig => format!("https://www.instagram.com/{bare}/"),
        Yt => format!("https://www.youtube.com/@{bare}"),
        Twitch => format!("https://www.twitch.tv/{bare}"),
        X => format!("https://x.com/{bare}"),
        Podcast => format!("https://podcasts.example.com/{bare}"),
        _ => format!("https://{bare}.blog.example.com/"),
    };
    // Some channels were never measured.
    let measured = (index + ch) % 5 != 4;
    let view_permille: i64 = match platform {
        Tt => 300,
        Podcast => 250,
        Yt => 180,
        Ig => 120,
        Blog => 60,
        X => 50,
        _ => 40,
    };
    let spread = 80 + ((index * 37 + ch * 11) % 41) as i64;
    let avg_views = followers * view_permille / 1000 * spread / 100;
    // Engagement falls with reach; basis points of the audience.
    let tier_bp: i64 = match followers {
        f if f < 10_000 => 650,
        f if f < 100_000 => 420,
        f if f < 500_000 => 290,
        f if f < 1_000_000 => 200,
        _ => 150,
    };
    let wobble = ((index * 13 + ch * 7) % 61) as i64 - 30;
    let engagement = Decimal::new(tier_bp + wobble, 4);
    const EXTRA: [&str; 6] = ["US", "GB", "CA", "AU", "DE", "BR"];
    let mut countries = vec![profile.country.to_owned()];
    for extra in [EXTRA[index % 6], EXTRA[(index + ch + 2) % 6]] {
        if !countries.iter().any(|c| c == extra) {
            countries.push(extra.to_owned());
        }
    }
    NewChannel {
        platform,
        handle,
        url: Some(url),
        followers,
        avg_views: measured.then_some(avg_views),
        engagement_rate: measured.then_some(engagement),
        audience_countries: if measured { countries } else { vec![] },
    }
}

pub(super) async fn load(demo: &mut Demo<'_>) -> Result<(), LoadError> {
    for (index, profile) in ROSTER.iter().enumerate() {
        let input = CreatorInput {
            display_name: profile.name.to_owned(),
            email: email_of(profile),
            country: Some(profile.country.to_owned()),
            niches: profile.niches.iter().map(|n| (*n).to_owned()).collect(),
            channels: (0..profile.channels.len())
                .map(|ch| channel(profile, index, ch))
                .collect(),
        };
        let name = profile.name;
        let record = creators::create(demo.db, &demo.admin, input, Utc::now())
            .await
            .step(|| format!("create creator {name}"))?;
        let (status, score, notes) = match profile.vetting {
            Vetting::Pending => (VettingStatus::Pending, None, None),
            Vetting::Approved(score) => (VettingStatus::Approved, Some(score), None),
            Vetting::Rejected(score, notes) => {
                (VettingStatus::Rejected, Some(score), Some(notes.to_owned()))
            }
        };
        if status != VettingStatus::Pending {
            creators::vet(
                demo.db,
                &demo.admin,
                record.id,
                status,
                score,
                notes,
                Utc::now(),
            )
            .await
            .step(|| format!("vet {name}"))?;
        }
        for stage in stage_path(profile.stage) {
            creators::set_stage(demo.db, &demo.admin, record.id, *stage, false, Utc::now())
                .await
                .step(|| format!("move {name} to {stage}"))?;
        }
        demo.creators.insert(slug(name), record.id);
    }
    Ok(())
}
