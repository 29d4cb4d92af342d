//! The creator roster: platforms, tiers, the partnership pipeline and vetting.

use super::stored_enum;

stored_enum! {
    /// Where a creator publishes.
    pub enum Platform {
        Tiktok => "TIKTOK",
        Instagram => "INSTAGRAM",
        Youtube => "YOUTUBE",
        Twitch => "TWITCH",
        Podcast => "PODCAST",
        Blog => "BLOG",
        X => "X",
        Other => "OTHER",
    }
}

stored_enum! {
    /// Size class from the largest channel's followers.
    pub enum Tier {
        Nano => "NANO",
        Micro => "MICRO",
        Mid => "MID",
        Macro => "MACRO",
        Mega => "MEGA",
    }
}

stored_enum! {
    /// Where a creator is in the brand's partnership pipeline.
    pub enum Stage {
        Prospect => "PROSPECT",
        Contacted => "CONTACTED",
        Negotiating => "NEGOTIATING",
        Active => "ACTIVE",
        Paused => "PAUSED",
        Ended => "ENDED",
        Ambassador => "AMBASSADOR",
    }
}

stored_enum! {
    pub enum VettingStatus {
        Pending => "PENDING",
        Approved => "APPROVED",
        Rejected => "REJECTED",
    }
}

/// NANO < 10k <= MICRO < 100k <= MID < 500k <= MACRO < 1M <= MEGA.
pub fn tier_for(followers: i64) -> Tier {
    match followers {
        f if f < 10_000 => Tier::Nano,
        f if f < 100_000 => Tier::Micro,
        f if f < 500_000 => Tier::Mid,
        f if f < 1_000_000 => Tier::Macro,
        _ => Tier::Mega,
    }
}

/// Followers range `[min, max)` of a tier (for filtering); `max` is `None` for MEGA.
pub fn follower_range(tier: Tier) -> (i64, Option<i64>) {
    match tier {
        Tier::Nano => (0, Some(10_000)),
        Tier::Micro => (10_000, Some(100_000)),
        Tier::Mid => (100_000, Some(500_000)),
        Tier::Macro => (500_000, Some(1_000_000)),
        Tier::Mega => (1_000_000, None),
    }
}

/// Whether the pipeline may move `from` -> `to`.
///
/// - Recruiting stages (PROSPECT, CONTACTED, NEGOTIATING) move freely among themselves and on to
///   ACTIVE.
/// - Partners move between ACTIVE, PAUSED and AMBASSADOR; they do not fall back into recruiting.
/// - Anyone can be ENDED; leaving ENDED needs an explicit reactivation (then any stage is allowed).
/// - Staying where one is, is always allowed.
pub fn stage_transition_allowed(from: Stage, to: Stage, reactivate: bool) -> bool {
    use Stage::*;
    if from == to {
        return true;
    }
    match (from, to) {
        (Ended, _) => reactivate,
        (_, Ended) => true,
        (Prospect | Contacted | Negotiating, Prospect | Contacted | Negotiating | Active) => true,
        (Active | Paused | Ambassador, Active | Paused | Ambassador) => true,
        _ => false,
    }
}

pub const MAX_BRAND_SAFETY_SCORE: i32 = 100;

/// The largest channel: its followers and platform (ties: the first listed).
pub fn primary_channel(channels: &[(Platform, i64)]) -> Option<(Platform, i64)> {
    channels.iter().copied().fold(
        None,
        |best: Option<(Platform, i64)>, (platform, followers)| match best {
            Some((_, top)) if top >= followers => best,
            _ => Some((platform, followers)),
        },
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tiers_follow_the_domain_boundaries() {
        let cases = [
            (0, Tier::Nano),
            (9_999, Tier::Nano),
            (10_000, Tier::Micro),
            (99_999, Tier::Micro),
            (100_000, Tier::Mid),
            (499_999, Tier::Mid),
            (500_000, Tier::Macro),
            (999_999, Tier::Macro),
            (1_000_000, Tier::Mega),
        ];
        for (followers, tier) in cases {
            assert_eq!(tier_for(followers), tier, "{followers}");
        }
    }

    proptest! {
        #[test]
        fn follower_ranges_agree_with_tiers(followers in 0i64..5_000_000) {
            let (min, max) = follower_range(tier_for(followers));
            prop_assert!(followers >= min);
            prop_assert!(max.is_none_or(|m| followers < m));
        }
    }

    #[test]
    fn pipeline_transitions() {
        use Stage::*;
        assert!(stage_transition_allowed(Prospect, Contacted, false));
        assert!(stage_transition_allowed(Negotiating, Prospect, false));
        assert!(stage_transition_allowed(Negotiating, Active, false));
        assert!(stage_transition_allowed(Active, Paused, false));
        assert!(stage_transition_allowed(Paused, Active, false));
        assert!(stage_transition_allowed(Active, Ambassador, false));
        assert!(stage_transition_allowed(Paused, Ended, false));
        assert!(!stage_transition_allowed(Active, Prospect, false));
        assert!(!stage_transition_allowed(Prospect, Paused, false));
        assert!(!stage_transition_allowed(Ended, Active, false));
        assert!(stage_transition_allowed(Ended, Active, true));
        assert!(stage_transition_allowed(Ended, Ended, false));
    }

    #[test]
    fn the_primary_channel_is_the_largest() {
        assert_eq!(primary_channel(&[]), None);
        let channels = [
            (Platform::Instagram, 50),
            (Platform::Tiktok, 80),
            (Platform::X, 80),
        ];
        assert_eq!(primary_channel(&channels), Some((Platform::Tiktok, 80)));
    }

    #[test]
    fn stored_names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.as_str()), Some(*p));
        }
        assert_eq!(Stage::parse("RETIRED"), None);
    }
}
