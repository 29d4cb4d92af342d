//! The demo plan is consistent with the domain rules before it ever touches a database.

use std::collections::HashSet;

use chrono::{Duration, Utc};

use super::campaigns::{CAMPAIGNS, status_path as campaign_path};
use super::content::{COSTS, DELIVERABLES};
use super::enrollments::ENROLLMENTS;
use super::links::{LINKS, discount_code, link_code};
use super::offers::{OFFERS, rates};
use super::roster::{ROSTER, Vetting, email_of, stage_path};
use super::*;
use crate::domain::campaign::{CampaignStatus, status_transition_allowed, validate_schedule};
use crate::domain::content::CostKind;
use crate::domain::enrollment::EnrollmentStatus;
use crate::domain::offer::{OfferModel, validate_overrides, validate_rates};
use crate::domain::roster::{Platform, Stage, Tier, stage_transition_allowed, tier_for};

const _: () = assert!(CREATOR_COUNT >= 40 && CAMPAIGN_COUNT >= 4);
const _: () = assert!(PUBLISHED_DELIVERABLE_COUNT >= 1 && DISCOUNT_CODE_COUNT >= 4);

fn profile(slug_: &str) -> &'static roster::Profile {
    ROSTER
        .iter()
        .find(|p| slug(p.name) == slug_)
        .unwrap_or_else(|| panic!("no creator {slug_}"))
}

#[test]
fn the_roster_is_large_varied_and_keeps_the_original_four() {
    let slugs: HashSet<String> = ROSTER.iter().map(|p| slug(p.name)).collect();
    assert_eq!(slugs.len(), ROSTER.len(), "first names are unique");
    let emails: Vec<String> = ROSTER.iter().filter_map(email_of).collect();
    assert_eq!(emails.iter().collect::<HashSet<_>>().len(), emails.len());
    for (name, email) in [
        ("Maya Chen", "maya@example.com"),
        ("Leo Park", "leo@example.com"),
        ("Ana Souza", "ana@example.com"),
        ("Sam Reid", "sam@example.com"),
    ] {
        let p = ROSTER.iter().find(|p| p.name == name).expect(name);
        assert_eq!(p.email, Some(email));
        assert_eq!(p.stage, Stage::Active);
        assert!(matches!(p.vetting, Vetting::Approved(_)));
    }
    for login in CREATOR_LOGINS {
        assert!(ROSTER.iter().any(|p| p.email == Some(login)), "{login}");
    }
    let tiers: HashSet<Tier> = ROSTER
        .iter()
        .map(|p| tier_for(p.channels.iter().map(|c| c.1).max().unwrap_or(0)))
        .collect();
    assert_eq!(tiers.len(), Tier::ALL.len(), "every tier");
    let platforms: HashSet<Platform> = ROSTER
        .iter()
        .flat_map(|p| p.channels.iter().map(|c| c.0))
        .collect();
    assert_eq!(
        platforms.len(),
        Platform::ALL.len() - 1,
        "every platform but OTHER"
    );
    let stages: HashSet<Stage> = ROSTER.iter().map(|p| p.stage).collect();
    assert_eq!(stages.len(), Stage::ALL.len(), "every stage");
    assert!(ROSTER.iter().all(|p| (1..=3).contains(&p.channels.len())));
    assert!(ROSTER.iter().any(|p| matches!(p.vetting, Vetting::Pending)));
    assert!(
        ROSTER
            .iter()
            .any(|p| matches!(p.vetting, Vetting::Rejected(_, note) if !note.is_empty()))
    );
}

#[test]
fn pipeline_and_status_paths_take_allowed_steps() {
    for target in Stage::ALL {
        let mut at = Stage::Prospect;
        for next in stage_path(*target) {
            assert!(stage_transition_allowed(at, *next, false), "{at} -> {next}");
            at = *next;
        }
        assert_eq!(at, *target);
    }
    for target in CampaignStatus::ALL {
        let mut at = CampaignStatus::Draft;
        for next in campaign_path(*target) {
            assert!(status_transition_allowed(at, *next), "{at} -> {next}");
            at = *next;
        }
        assert_eq!(at, *target);
    }
}

#[test]
fn campaigns_have_valid_varied_schedules() {
    let now = Utc::now();
    let at = |d: Option<i64>| d.map(|d| now + Duration::days(d));
    for c in &CAMPAIGNS {
        validate_schedule(c.schedule, at(c.window.0), at(c.window.1)).expect(c.name);
    }
    let keys: HashSet<&str> = CAMPAIGNS.iter().map(|c| c.key).collect();
    assert_eq!(keys.len(), CAMPAIGN_COUNT);
    let flights: Vec<_> = CAMPAIGNS.iter().filter_map(|c| c.window.1).collect();
    assert!(flights.iter().any(|end| *end < 0), "a past flight");
    assert!(
        CAMPAIGNS.iter().any(|c| c.window.0.is_some_and(|s| s > 0)),
        "a future flight"
    );
    assert!(
        CAMPAIGNS
            .iter()
            .any(|c| matches!(c.window, (Some(s), Some(e)) if s < 0 && e > 0))
    );
    let statuses: HashSet<_> = CAMPAIGNS.iter().map(|c| c.status).collect();
    assert!(statuses.len() >= 4);
}

/// The plan's rates in minor units, as the services store them.
fn stored_rates(plan: &[super::offers::Rate]) -> crate::domain::offer::Rates {
    rates(plan)
        .expect("rates")
        .in_currency("USD")
        .expect("rates in USD")
}

#[test]
fn offers_cover_every_model_with_valid_rates() {
    let models: HashSet<OfferModel> = OFFERS.iter().map(|o| o.model).collect();
    assert_eq!(models.len(), OfferModel::ALL.len());
    for o in &OFFERS {
        let r = stored_rates(o.rates);
        validate_rates(o.model, &r).expect(o.name);
        assert!(CAMPAIGNS.iter().any(|c| c.key == o.campaign), "{}", o.name);
    }
    let keys: HashSet<_> = OFFERS.iter().map(|o| (o.campaign, o.key)).collect();
    assert_eq!(keys.len(), OFFER_COUNT);
    assert!(OFFERS.iter().any(|o| o.new_customers_only));
    assert!(OFFERS.iter().any(|o| o.hold_period_days.is_some()));
    assert!(OFFERS.iter().any(|o| o.monthly_cap.is_some()));
    let hybrids: Vec<_> = OFFERS
        .iter()
        .filter(|o| o.model == OfferModel::Hybrid)
        .map(|o| stored_rates(o.rates))
        .collect();
    assert!(hybrids.iter().any(|r| r.cpa_minor.is_some()));
    assert!(hybrids.iter().any(|r| r.revenue_share_percent.is_some()));
}

#[test]
fn enrollments_are_of_approved_live_creators_under_their_campaigns_offers() {
    let mut seen = HashSet::new();
    for e in &ENROLLMENTS {
        let p = profile(e.creator);
        assert!(matches!(p.vetting, Vetting::Approved(_)), "{}", e.creator);
        assert_ne!(p.stage, Stage::Ended, "{}", e.creator);
        let offer = OFFERS
            .iter()
            .find(|o| o.campaign == e.campaign && o.key == e.offer)
            .unwrap_or_else(|| panic!("offer {}/{}", e.campaign, e.offer));
        validate_overrides(
            offer.model,
            &stored_rates(offer.rates),
            &stored_rates(e.overrides),
        )
        .expect(e.creator);
        assert!(seen.insert((e.campaign, e.creator)), "one per campaign");
        assert_ne!(e.status, EnrollmentStatus::Removed);
    }
    for status in [
        EnrollmentStatus::Active,
        EnrollmentStatus::Invited,
        EnrollmentStatus::Paused,
    ] {
        assert!(ENROLLMENTS.iter().any(|e| e.status == status), "{status}");
    }
}

#[test]
fn content_costs_and_links_point_at_planned_enrollments() {
    let enrolled = |campaign: &str, creator: &str| {
        ENROLLMENTS
            .iter()
            .find(|e| e.campaign == campaign && e.creator == creator)
    };
    for d in &DELIVERABLES {
        assert!(enrolled(d.campaign, d.creator).is_some(), "{}", d.creator);
        let p = profile(d.creator);
        assert!(
            p.channels.iter().any(|c| c.0 == d.platform),
            "{} on {}",
            d.creator,
            d.platform
        );
    }
    let kinds: HashSet<CostKind> = COSTS.iter().map(|c| c.kind).collect();
    for kind in [
        CostKind::ProductSeeding,
        CostKind::Gifting,
        CostKind::PaidAmplification,
        CostKind::Agency,
    ] {
        assert!(kinds.contains(&kind), "{kind}");
    }
    assert!(COSTS.iter().any(|c| c.currency == "EUR" && c.day == 0));
    for link in &LINKS {
        let e = enrolled(link.campaign, link.creator).expect(link.creator);
        assert_eq!(e.status, EnrollmentStatus::Active, "{}", link.creator);
    }
    let codes: HashSet<String> = LINKS.iter().map(link_code).collect();
    assert_eq!(codes.len(), TRACKING_LINK_COUNT);
    for (slug_, code) in [
        ("maya", "MAYA15"),
        ("leo", "LEO15"),
        ("ana", "ANA15"),
        ("sam", "SAM15"),
    ] {
        let link = LINKS.iter().find(|l| l.creator == slug_).expect(slug_);
        assert_eq!(link.campaign, campaigns::SPRING);
        assert_eq!(link_code(link), format!("glow-{slug_}"));
        assert_eq!(discount_code(link).as_deref(), Some(code));
    }
}

#[test]
fn link_and_discount_codes_are_valid_as_chosen() {
    use crate::domain::codes::{normalize_discount_code, validate_link_code};
    for link in &LINKS {
        let code = link_code(link);
        assert_eq!(validate_link_code(&code).ok(), Some(code.clone()));
        if let Some(discount) = discount_code(link) {
            assert_eq!(normalize_discount_code(&discount), Some(discount.clone()));
        }
    }
}

#[test]
fn offboarding_names_a_planned_link_and_code_and_a_new_address() {
    use super::offboarding::{DEACTIVATED_CODE, PAUSED_LINK, REVOKED_INVITE};
    assert!(LINKS.iter().any(|l| link_code(l) == PAUSED_LINK));
    assert!(
        LINKS
            .iter()
            .any(|l| discount_code(l).as_deref() == Some(DEACTIVATED_CODE))
    );
    // The paused link is not the one the docs' examples follow.
    assert!(!["glow-maya", "glow-leo"].contains(&PAUSED_LINK));
    let taken: Vec<&str> = STAFF
        .iter()
        .map(|(email, _)| *email)
        .chain(CREATOR_LOGINS)
        .chain([FORMER_STAFF.0])
        .collect();
    assert!(!taken.contains(&REVOKED_INVITE));
    assert_eq!(USER_COUNT, taken.len());
}

#[test]
fn the_erased_creator_is_an_ended_partnership_without_a_login() {
    let erased = profile(ERASED_CREATOR);
    assert_eq!(erased.stage, Stage::Ended);
    let email = email_of(erased);
    assert!(
        email
            .as_deref()
            .is_none_or(|e| !CREATOR_LOGINS.contains(&e)),
        "{email:?}"
    );
}
