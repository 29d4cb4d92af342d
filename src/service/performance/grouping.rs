//! Groups facts into report rows by the requested dimensions (DOMAIN.md rule 7): CAMPAIGN,
//! CREATOR and OFFER from the enrollment (costs: their campaign and optional creator), PLATFORM
//! from the creator's primary platform, the period from the fact's brand-timezone day. A fact
//! without a grouped dimension lands in a row whose key field is `None`, so the additive
//! counters of the rows always add up to the totals. Unique clicks, which do not add up, are
//! counted by the database with the same keys (`uniques.rs`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::facts::{Facts, Owner};
use crate::domain::calendar::{Grain, period_start};
use crate::domain::metrics::Counters;
use crate::domain::roster::Platform;
use crate::service::rollups::NO_CREATOR;

/// The dimensions a report groups by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dims {
    pub campaign: bool,
    pub creator: bool,
    pub platform: bool,
    pub offer: bool,
    pub grain: Option<Grain>,
}

/// A row's key: each field is `Some` only when grouped by it and the fact has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RowKey {
    /// First day of the period.
    pub period: Option<NaiveDate>,
    pub campaign_id: Option<i64>,
    pub creator_id: Option<i64>,
    pub platform: Option<Platform>,
    pub offer_id: Option<i64>,
}

impl RowKey {
    /// Rows are listed by period, then campaign, creator, platform and offer (`None` last).
    pub fn sort_key(&self) -> impl Ord + use<> {
        let last = |v: Option<i64>| (v.is_none(), v);
        (
            (self.period.is_none(), self.period),
            last(self.campaign_id),
            last(self.creator_id),
            (self.platform.is_none(), self.platform.map(Platform::as_str)),
            last(self.offer_id),
        )
    }
}

/// The campaign, creator and offer behind each enrollment, and each creator's primary platform.
#[derive(Debug, Default)]
pub struct Owners {
    pub enrollments: HashMap<i64, (i64, i64, i64)>,
    pub platforms: HashMap<i64, Option<Platform>>,
}

/// The filter's lists, as sets (`None`: no restriction).
#[derive(Clone, Debug, Default)]
pub struct Restriction {
    pub campaign_ids: Option<HashSet<i64>>,
    pub creator_ids: Option<HashSet<i64>>,
    pub platforms: Option<HashSet<Platform>>,
}

#[derive(Debug, Default)]
pub struct Grouped {
    pub rows: HashMap<RowKey, Counters>,
    pub totals: Counters,
}

/// An owner's dimension values.
pub(super) struct Resolved {
    campaign_id: Option<i64>,
    creator_id: Option<i64>,
    offer_id: Option<i64>,
    platform: Option<Platform>,
}

impl Owners {
    pub(super) fn resolve(&self, owner: Owner) -> Resolved {
        let (campaign_id, creator_id, offer_id) = match owner {
            Owner::Enrollment(id) => match self.enrollments.get(&id) {
                Some(&(campaign, creator, offer)) => (Some(campaign), Some(creator), Some(offer)),
                None => (None, None, None),
            },
            Owner::Creator(id) => (None, Some(id).filter(|id| *id != NO_CREATOR), None),
            Owner::Cost {
                campaign_id,
                creator_id,
            } => (Some(campaign_id), creator_id, None),
            Owner::Brand => (None, None, None),
        };
        let platform = creator_id.and_then(|id| self.platforms.get(&id).copied().flatten());
        Resolved {
            campaign_id,
            creator_id,
            offer_id,
            platform,
        }
    }
}

impl Restriction {
    pub(super) fn admits(&self, r: &Resolved) -> bool {
        fn within<T: Eq + std::hash::Hash>(set: &Option<HashSet<T>>, value: Option<T>) -> bool {
            match set {
                None => true,
                Some(set) => value.is_some_and(|v| set.contains(&v)),
            }
        }
        within(&self.campaign_ids, r.campaign_id)
            && within(&self.creator_ids, r.creator_id)
            && within(&self.platforms, r.platform)
    }
}

impl Dims {
    /// No dimension and no time grain: the report's only row is its totals.
    pub(super) fn is_empty(&self) -> bool {
        *self == Dims::default()
    }

    pub(super) fn key(&self, r: &Resolved, day: Option<NaiveDate>) -> RowKey {
        RowKey {
            period: self
                .grain
                .and_then(|grain| day.map(|d| period_start(d, grain))),
            campaign_id: r.campaign_id.filter(|_| self.campaign),
            creator_id: r.creator_id.filter(|_| self.creator),
            platform: r.platform.filter(|_| self.platform),
            offer_id: r.offer_id.filter(|_| self.offer),
        }
    }
}

impl Grouped {
    /// Adds one brand's facts.
    pub fn add(&mut self, facts: Facts, dims: &Dims, owners: &Owners, restriction: &Restriction) {
        for fact in facts.facts {
            let resolved = owners.resolve(fact.owner);
            if !restriction.admits(&resolved) {
                continue;
            }
            let key = dims.key(&resolved, fact.day);
            self.rows.entry(key).or_default().add(&fact.counters);
            self.totals.add(&fact.counters);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::Fact;
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn clicks(n: i64) -> Counters {
        Counters {
            clicks: n,
            ..Counters::default()
        }
    }

    fn owners() -> Owners {
        Owners {
            // enrollment -> (campaign, creator, offer)
            enrollments: HashMap::from([
                (1, (10, 100, 1000)),
                (2, (10, 200, 1000)),
                (3, (20, 100, 2000)),
            ]),
            platforms: HashMap::from([(100, Some(Platform::Tiktok)), (200, None)]),
        }
    }

    fn sample() -> Facts {
        let fact = |owner, d: &str, counters| Fact {
            owner,
            day: Some(day(d)),
            counters,
        };
        Facts {
            facts: vec![
                fact(Owner::Enrollment(1), "2026-11-30", clicks(3)),
                fact(Owner::Enrollment(2), "2026-12-01", clicks(2)),
                fact(Owner::Enrollment(3), "2026-12-07", clicks(1)),
                fact(
                    Owner::Cost {
                        campaign_id: 10,
                        creator_id: None,
                    },
                    "2026-12-02",
                    Counters {
                        other_costs_minor: 5_000,
                        ..Counters::default()
                    },
                ),
            ],
        }
    }

    #[test]
    fn rows_by_creator_add_up_and_a_campaign_cost_has_no_creator() {
        let mut grouped = Grouped::default();
        let dims = Dims {
            creator: true,
            ..Dims::default()
        };
        grouped.add(sample(), &dims, &owners(), &Restriction::default());
        let row = |creator| {
            &grouped.rows[&RowKey {
                creator_id: creator,
                ..RowKey::default()
            }]
        };
        assert_eq!(row(Some(100)).clicks, 4);
        assert_eq!(row(Some(200)).clicks, 2);
        assert_eq!(row(None).other_costs_minor, 5_000);
        assert_eq!(grouped.totals.clicks, 6);
        let sum: i64 = grouped.rows.values().map(|g| g.clicks).sum();
        assert_eq!(sum, grouped.totals.clicks);
    }

    #[test]
    fn weeks_start_on_monday_and_platforms_can_be_missing() {
        let mut grouped = Grouped::default();
        let dims = Dims {
            platform: true,
            grain: Some(Grain::Week),
            ..Dims::default()
        };
        grouped.add(sample(), &dims, &owners(), &Restriction::default());
        let week = |d: &str, platform| {
            &grouped.rows[&RowKey {
                period: Some(day(d)),
                platform,
                ..RowKey::default()
            }]
        };
        assert_eq!(week("2026-11-30", Some(Platform::Tiktok)).clicks, 3);
        assert_eq!(week("2026-11-30", None).clicks, 2);
        assert_eq!(week("2026-11-30", None).other_costs_minor, 5_000);
        assert_eq!(week("2026-12-07", Some(Platform::Tiktok)).clicks, 1);
    }

    #[test]
    fn restrictions_drop_what_lacks_the_value() {
        let mut grouped = Grouped::default();
        let restriction = Restriction {
            creator_ids: Some(HashSet::from([100])),
            ..Restriction::default()
        };
        grouped.add(sample(), &Dims::default(), &owners(), &restriction);
        assert_eq!(grouped.totals.clicks, 4);
        assert_eq!(grouped.totals.other_costs_minor, 0, "campaign-level cost");

        let mut by_platform = Grouped::default();
        let restriction = Restriction {
            platforms: Some(HashSet::from([Platform::Tiktok])),
            ..Restriction::default()
        };
        by_platform.add(sample(), &Dims::default(), &owners(), &restriction);
        assert_eq!(by_platform.totals.clicks, 4);
    }

    #[test]
    fn rows_sort_by_period_then_keys_with_missing_last() {
        let mut keys = [
            RowKey {
                campaign_id: None,
                ..RowKey::default()
            },
            RowKey {
                campaign_id: Some(2),
                ..RowKey::default()
            },
            RowKey {
                campaign_id: Some(1),
                ..RowKey::default()
            },
        ];
        keys.sort_by_key(RowKey::sort_key);
        let ids: Vec<Option<i64>> = keys.iter().map(|k| k.campaign_id).collect();
        assert_eq!(ids, [Some(1), Some(2), None]);
    }
}
