//! CODE_LEAK's hourly counts: which hours answer a code's 7-day window, and which raw
//! conversions at the window's edges correct them, so that the share stays exact.
//!
//! The window of a conversion at `at` is `(at - 7 days, at]`. The counts of the hours from
//! `hour(at - 7 days)` to `hour(at)` hold every conversion of `[hour(at - 7 days), hour(at) +
//! 1 hour)`; those at or before `at - 7 days` and those after `at` ([`Edges`]) are taken back.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::CODE_LEAK_WINDOW;

/// How long counts are kept: the window and a day, so that every conversion of the last day
/// (nearly all of them: orders reach the server within minutes) is judged from the counts.
pub const COUNTS_KEPT: Duration = Duration::days(8);

/// The UTC hour `at` falls in.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// The hour from which counts are kept at `now` (older ones are deleted).
pub fn kept_from(now: DateTime<Utc>) -> DateTime<Utc> {
    hour_of(now - COUNTS_KEPT)
}

/// The hours whose counts cover the window ending at `at`, first and last (inclusive).
pub fn hours(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (hour_of(at - CODE_LEAK_WINDOW), hour_of(at))
}

/// Whether the counts answer the window ending at `at`: they are whole from `counted_from`
/// (when the brand's counts were built) and kept from [`kept_from`]`(now)`.
pub fn covers(counted_from: Option<DateTime<Utc>>, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let (first, _) = hours(at);
    counted_from.is_some_and(|from| first >= from && first >= kept_from(now))
}

/// The conversions the hours of [`hours`]`(at)` count that are not in the window: from the
/// first hour's start to `at - 7 days` (inclusive), and after `at` to the last hour's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edges {
    /// `[before.0, before.1]`
    pub before: (DateTime<Utc>, DateTime<Utc>),
    /// `(after.0, after.1)`
    pub after: (DateTime<Utc>, DateTime<Utc>),
}

pub fn edges(at: DateTime<Utc>) -> Edges {
    let (first, last) = hours(at);
    Edges {
        before: (first, at - CODE_LEAK_WINDOW),
        after: (at, last + Duration::hours(1)),
    }
}

/// One hour's count of a code: its conversions, those through a click of the code's creator,
/// and the first and last time among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourCount {
    pub conversions: i64,
    pub with_creator_click: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

impl HourCount {
    pub fn one(at: DateTime<Utc>, creator_click: bool) -> Self {
        Self {
            conversions: 1,
            with_creator_click: i64::from(creator_click),
            first_at: at,
            last_at: at,
        }
    }

    /// Both counts together.
    pub fn add(&mut self, other: &HourCount) {
        self.conversions += other.conversions;
        self.with_creator_click += other.with_creator_click;
        self.first_at = self.first_at.min(other.first_at);
        self.last_at = self.last_at.max(other.last_at);
    }
}

/// What an edge hour's conversions outside the window take back from the sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// None of them is outside the window.
    Nothing,
    /// All of them are: the hour's whole count.
    Whole(i64, i64),
    /// Some are: count those in the edge's range (the raw conversions).
    Count,
}

/// The first hour against the window's start `at - 7 days` (conversions at or before it are
/// outside).
pub fn edge_before(hour: Option<&HourCount>, at: DateTime<Utc>) -> Edge {
    let start = at - CODE_LEAK_WINDOW;
    match hour {
        None => Edge::Nothing,
        Some(h) if h.first_at > start => Edge::Nothing,
        Some(h) if h.last_at <= start => Edge::Whole(h.conversions, h.with_creator_click),
        Some(_) => Edge::Count,
    }
}

/// The last hour against `at` (conversions after it are outside).
pub fn edge_after(hour: Option<&HourCount>, at: DateTime<Utc>) -> Edge {
    match hour {
        None => Edge::Nothing,
        Some(h) if h.last_at <= at => Edge::Nothing,
        Some(h) if h.first_at > at => Edge::Whole(h.conversions, h.with_creator_click),
        Some(_) => Edge::Count,
    }
}

/// Adds `count` to the hour `key` of `counts`.
pub fn add_to<K: Ord>(counts: &mut BTreeMap<K, HourCount>, key: K, count: &HourCount) {
    counts
        .entry(key)
        .and_modify(|h| h.add(count))
        .or_insert(*count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, s)
            .single()
            .expect("a time")
    }

    #[test]
    fn hours_span_the_window_and_its_edges_take_back_what_is_outside() {
        let at = t(10, 14, 25, 30);
        assert_eq!(hours(at), (t(3, 14, 0, 0), t(10, 14, 0, 0)));
        let e = edges(at);
        assert_eq!(e.before, (t(3, 14, 0, 0), t(3, 14, 25, 30)));
        assert_eq!(e.after, (at, t(10, 15, 0, 0)));
    }

    #[test]
    fn on_the_hour_the_before_edge_is_one_instant() {
        let at = t(10, 14, 0, 0);
        let e = edges(at);
        assert_eq!(e.before, (t(3, 14, 0, 0), t(3, 14, 0, 0)));
    }

    #[test]
    fn counts_cover_only_windows_after_they_were_built_and_still_kept() {
        let now = t(20, 12, 0, 0);
        let built = Some(t(11, 12, 0, 0));
        assert!(covers(built, now, now));
        // A day-old order: its window starts at the 12th, within the kept hours.
        assert!(covers(built, t(19, 13, 0, 0), now));
        // A backfill from a week ago: its window starts before the kept hours.
        assert!(!covers(built, t(13, 12, 0, 0), now));
        // Counts built only an hour ago do not hold last week.
        assert!(!covers(Some(t(20, 11, 0, 0)), now, now));
        // No counts.
        assert!(!covers(None, now, now));
    }

    #[test]
    fn edges_are_counted_only_when_the_window_cuts_their_hour() {
        let at = t(10, 14, 25, 0);
        let hour = |first: DateTime<Utc>, last: DateTime<Utc>| HourCount {
            conversions: 4,
            with_creator_click: 1,
            first_at: first,
            last_at: last,
        };
        // The first hour, a week before: its start is at 14:25 on the 3rd.
        let inside = hour(t(3, 14, 30, 0), t(3, 14, 50, 0));
        let outside = hour(t(3, 14, 0, 0), t(3, 14, 25, 0));
        let cut = hour(t(3, 14, 10, 0), t(3, 14, 40, 0));
        assert_eq!(edge_before(None, at), Edge::Nothing);
        assert_eq!(edge_before(Some(&inside), at), Edge::Nothing);
        assert_eq!(edge_before(Some(&outside), at), Edge::Whole(4, 1));
        assert_eq!(edge_before(Some(&cut), at), Edge::Count);
        // The last hour: nothing later than `at` (the usual case), all later, some later.
        assert_eq!(
            edge_after(Some(&hour(t(10, 14, 0, 0), at)), at),
            Edge::Nothing
        );
        assert_eq!(
            edge_after(Some(&hour(t(10, 14, 30, 0), t(10, 14, 40, 0))), at),
            Edge::Whole(4, 1)
        );
        assert_eq!(
            edge_after(Some(&hour(t(10, 14, 0, 0), t(10, 14, 40, 0))), at),
            Edge::Count
        );
    }

    #[test]
    fn hour_counts_add_up_with_their_bounds() {
        let mut h = HourCount::one(t(10, 14, 20, 0), true);
        h.add(&HourCount::one(t(10, 14, 5, 0), false));
        assert_eq!(h.conversions, 2);
        assert_eq!(h.with_creator_click, 1);
        assert_eq!((h.first_at, h.last_at), (t(10, 14, 5, 0), t(10, 14, 20, 0)));
    }

    #[test]
    fn the_window_count_never_goes_below_zero() {
        let w = super::super::CodeWindow::of_counts(7, 2);
        assert_eq!((w.total, w.without_creator_click), (7, 5));
        let w = super::super::CodeWindow::of_counts(-1, 2);
        assert_eq!((w.total, w.without_creator_click), (0, 0));
    }

    #[test]
    fn counts_of_one_hour_add_up_in_a_map() {
        let mut counts = BTreeMap::new();
        add_to(&mut counts, 1, &HourCount::one(t(10, 14, 20, 0), true));
        add_to(&mut counts, 1, &HourCount::one(t(10, 14, 5, 0), false));
        add_to(&mut counts, 2, &HourCount::one(t(10, 15, 5, 0), false));
        assert_eq!(counts[&1].conversions, 2);
        assert_eq!(counts[&2].conversions, 1);
    }
}
