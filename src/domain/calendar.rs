//! Days, weeks and months in a brand's timezone, and splitting a time range into whole local
//! days (answered from daily rollups) and partial edges (answered from events).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The brand-timezone date of an instant.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first instant of `day` in `tz`. Where a DST change skips midnight, the day starts at the
/// first local time that exists.
pub fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    for minutes in (0..=180).step_by(15) {
        let local = midnight + Duration::minutes(minutes);
        if let Some(at) = tz.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    // No real timezone skips more than three hours; fall back to the UTC reading.
    midnight.and_utc()
}

/// `[start, end)` of the calendar month of `at` in `tz`, in UTC.
pub fn month_bounds(at: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = at.with_timezone(&tz);
    let first = local.date_naive().with_day(1).unwrap_or(local.date_naive());
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (local_midnight(first, tz), local_midnight(next, tz))
}

/// A reporting time grain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    Day,
    /// ISO week: Monday to Sunday.
    Week,
    Month,
}

/// The first day of the period of `grain` that holds `day`.
pub fn period_start(day: NaiveDate, grain: Grain) -> NaiveDate {
    match grain {
        Grain::Day => day,
        Grain::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Grain::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The first day of the period of `grain` after the one starting on `start` (`None` past the
/// calendar's end).
pub fn next_period_start(start: NaiveDate, grain: Grain) -> Option<NaiveDate> {
    match grain {
        Grain::Day => start.succ_opt(),
        Grain::Week => start.checked_add_days(chrono::Days::new(7)),
        Grain::Month => start.checked_add_months(chrono::Months::new(1)),
    }
}

/// The label of the period starting on `start`: `2026-11-30` (day), `2026-W49` (ISO week, with
/// its ISO year), `2026-11` (month).
pub fn period_label(start: NaiveDate, grain: Grain) -> String {
    match grain {
        Grain::Day => start.format("%Y-%m-%d").to_string(),
        Grain::Week => {
            let week = start.iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Grain::Month => start.format("%Y-%m").to_string(),
    }
}

/// `[from, to)` as whole local days `[first_day, end_day)` plus the partial edges before and
/// after them (as instants). With no whole day inside, the whole range is one edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitRange {
    pub days: Option<(NaiveDate, NaiveDate)>,
    pub edges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

pub fn split_range(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> SplitRange {
    if from >= to {
        return SplitRange {
            days: None,
            edges: Vec::new(),
        };
    }
    let mut first = local_day(from, tz);
    if local_midnight(first, tz) < from {
        first += Duration::days(1);
    }
    let end = local_day(to, tz);
    if first >= end {
        return SplitRange {
            days: None,
            edges: vec![(from, to)],
        };
    }
    let (start_at, end_at) = (local_midnight(first, tz), local_midnight(end, tz));
    let mut edges = Vec::new();
    if from < start_at {
        edges.push((from, start_at));
    }
    if end_at < to {
        edges.push((end_at, to));
    }
    SplitRange {
        days: Some((first, end)),
        edges,
    }
}

/// Whole days `[first, end)` as the whole calendar months inside them (`months`: the first
/// days of the first and of the end month, when there is one) and the days left around them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthSplit {
    pub months: Option<(NaiveDate, NaiveDate)>,
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

pub fn split_months(first: NaiveDate, end: NaiveDate) -> MonthSplit {
    let next_month = |day: NaiveDate| {
        period_start(day, Grain::Month)
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(day)
    };
    let month_from = if first.day() == 1 {
        first
    } else {
        next_month(first)
    };
    let month_to = period_start(end, Grain::Month);
    if first >= end || month_from >= month_to {
        let days = if first < end {
            vec![(first, end)]
        } else {
            Vec::new()
        };
        return MonthSplit { months: None, days };
    }
    let days = [(first, month_from), (month_to, end)]
        .into_iter()
        .filter(|(a, b)| a < b)
        .collect();
    MonthSplit {
        months: Some((month_from, month_to)),
        days,
    }
}

/// A run of whole periods of one grain: `[from, to)`, both period starts.
pub type Span = (Grain, NaiveDate, NaiveDate);

/// Whole days `[first, end)` covered by as few rollup periods as the report allows: whole
/// calendar months inside them (when `months`), then whole weeks, Monday to Sunday, inside what
/// is left (when `weeks`), then days. A quarter from a Saturday is 2 months, 3 weeks and 8 days
/// (13 periods) instead of 90 days. The spans do not overlap and cover `[first, end)` exactly.
pub fn cover(first: NaiveDate, end: NaiveDate, months: bool, weeks: bool) -> Vec<Span> {
    let mut spans = Vec::new();
    let days = if months {
        let split = split_months(first, end);
        spans.extend(split.months.map(|(a, b)| (Grain::Month, a, b)));
        split.days
    } else if first < end {
        vec![(first, end)]
    } else {
        Vec::new()
    };
    for (a, b) in days {
        let week_from = if a.weekday() == chrono::Weekday::Mon {
            a
        } else {
            period_start(a, Grain::Week) + Duration::days(7)
        };
        let week_to = period_start(b, Grain::Week);
        if !weeks || week_from >= week_to {
            spans.push((Grain::Day, a, b));
            continue;
        }
        spans.push((Grain::Week, week_from, week_to));
        for (x, y) in [(a, week_from), (week_to, b)] {
            if x < y {
                spans.push((Grain::Day, x, y));
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn months_follow_the_brand_timezone() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2026-03-01 03:00 UTC is still February in New York.
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
        let (start, end) = month_bounds(at, tz);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 2, 1, 5, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 3, 1, 5, 0, 0).unwrap());
        let december = Utc.with_ymd_and_hms(2026, 12, 15, 12, 0, 0).unwrap();
        let (_, end) = month_bounds(december, chrono_tz::UTC);
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_months_are_split_from_the_days_around_them() {
        let split = split_months(date("2026-09-05"), date("2026-12-03"));
        assert_eq!(split.months, Some((date("2026-10-01"), date("2026-12-01"))));
        assert_eq!(
            split.days,
            [
                (date("2026-09-05"), date("2026-10-01")),
                (date("2026-12-01"), date("2026-12-03"))
            ]
        );
        let exact = split_months(date("2026-11-01"), date("2027-01-01"));
        assert_eq!(exact.months, Some((date("2026-11-01"), date("2027-01-01"))));
        assert!(exact.days.is_empty());
        let inside = split_months(date("2026-11-03"), date("2026-11-30"));
        assert_eq!(inside.months, None);
        assert_eq!(inside.days, [(date("2026-11-03"), date("2026-11-30"))]);
        assert_eq!(
            split_months(date("2026-11-03"), date("2026-11-03")).days,
            []
        );
    }

    proptest! {
        /// The months and days cover `[first, end)` exactly once, months on month boundaries.
        #[test]
        fn month_split_covers_the_days_once(start in 0i64..800, len in 0i64..500) {
            let first = date("2025-01-01") + Duration::days(start);
            let end = first + Duration::days(len);
            let split = split_months(first, end);
            let mut covered = Vec::new();
            if let Some((a, b)) = split.months {
                prop_assert_eq!(a.day(), 1);
                prop_assert_eq!(b.day(), 1);
                covered.push((a, b));
            }
            covered.extend(split.days.iter().copied());
            covered.sort();
            let mut at = first;
            for (a, b) in covered {
                prop_assert_eq!(a, at);
                prop_assert!(a < b);
                at = b;
            }
            prop_assert_eq!(at, if len > 0 { end } else { first });
        }
    }

    #[test]
    fn midnights_follow_the_timezone_and_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            local_midnight(date("2026-07-01"), ny),
            utc("2026-07-01T04:00:00Z")
        );
        assert_eq!(
            local_midnight(date("2026-12-01"), ny),
            utc("2026-12-01T05:00:00Z")
        );
        // Santiago skipped midnight on 2022-09-11 (00:00 -> 01:00).
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let start = local_midnight(date("2022-09-11"), santiago);
        assert_eq!(local_day(start, santiago), date("2022-09-11"));
        assert_eq!(
            local_day(start - Duration::seconds(1), santiago),
            date("2022-09-10")
        );
    }

    #[test]
    fn periods_and_labels() {
        let day = date("2027-01-01"); // a Friday in ISO week 2026-W53
        assert_eq!(period_start(day, Grain::Day), day);
        assert_eq!(period_start(day, Grain::Week), date("2026-12-28"));
        assert_eq!(period_start(day, Grain::Month), day);
        assert_eq!(period_label(date("2026-12-28"), Grain::Week), "2026-W53");
        assert_eq!(period_label(date("2026-11-30"), Grain::Day), "2026-11-30");
        assert_eq!(period_label(date("2026-11-01"), Grain::Month), "2026-11");
        assert_eq!(period_label(date("2024-12-30"), Grain::Week), "2025-W01");
    }

    #[test]
    fn a_range_splits_into_whole_days_and_edges() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let aligned = split_range(utc("2026-11-02T05:00:00Z"), utc("2026-11-05T05:00:00Z"), tz);
        assert_eq!(aligned.days, Some((date("2026-11-02"), date("2026-11-05"))));
        assert!(aligned.edges.is_empty());

        let ragged = split_range(utc("2026-11-02T18:00:00Z"), utc("2026-11-05T07:00:00Z"), tz);
        assert_eq!(ragged.days, Some((date("2026-11-03"), date("2026-11-05"))));
        assert_eq!(
            ragged.edges,
            vec![
                (utc("2026-11-02T18:00:00Z"), utc("2026-11-03T05:00:00Z")),
                (utc("2026-11-05T05:00:00Z"), utc("2026-11-05T07:00:00Z")),
            ]
        );

        let inside_a_day =
            split_range(utc("2026-11-02T06:00:00Z"), utc("2026-11-02T09:00:00Z"), tz);
        assert_eq!(inside_a_day.days, None);
        assert_eq!(inside_a_day.edges.len(), 1);
    }

    proptest! {
        /// Every instant of the range is covered exactly once: by a whole day or by an edge.
        #[test]
        fn the_split_covers_the_range_exactly(
            start in 1_700_000_000i64..1_900_000_000,
            len in 1i64..20_000_000,
            probe in 0.0f64..1.0,
            zone in prop::sample::select(vec!["UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Santiago"]),
        ) {
            let tz: Tz = zone.parse().unwrap();
            let from = DateTime::from_timestamp(start, 0).unwrap();
            let to = from + Duration::seconds(len);
            let at = from + Duration::seconds(((len as f64) * probe) as i64).min(Duration::seconds(len - 1));
            let split = split_range(from, to, tz);
            let in_days = split.days.is_some_and(|(a, b)| {
                let day = local_day(at, tz);
                a <= day && day < b
            });
            let in_edges = split.edges.iter().filter(|(a, b)| *a <= at && at < *b).count();
            prop_assert_eq!(usize::from(in_days) + in_edges, 1);
            if let Some((a, b)) = split.days {
                prop_assert!(local_midnight(a, tz) >= from);
                prop_assert!(local_midnight(b, tz) <= to);
            }
        }
    }

    /// The periods `cover` gives, counted, and the days they hold.
    fn periods(spans: &[Span]) -> (usize, Vec<NaiveDate>) {
        let (mut count, mut days) = (0, Vec::new());
        for &(grain, from, to) in spans {
            let mut at = from;
            while at < to {
                let next = match grain {
                    Grain::Day => at + Duration::days(1),
                    Grain::Week => at + Duration::days(7),
                    Grain::Month => at.checked_add_months(chrono::Months::new(1)).unwrap(),
                };
                assert_eq!(
                    period_start(at, grain),
                    at,
                    "{grain:?} span starts mid-period"
                );
                days.extend(at.iter_days().take_while(|d| *d < next));
                count += 1;
                at = next;
            }
            assert_eq!(at, to, "{grain:?} span ends mid-period");
        }
        days.sort();
        (count, days)
    }

    #[test]
    fn a_quarter_is_two_months_three_weeks_and_eight_days() {
        // 2026-09-05 is a Saturday; 2026-12-04 the range's end (exclusive).
        let spans = cover(date("2026-09-05"), date("2026-12-04"), true, true);
        assert_eq!(
            spans,
            [
                (Grain::Month, date("2026-10-01"), date("2026-12-01")),
                (Grain::Week, date("2026-09-07"), date("2026-09-28")),
                (Grain::Day, date("2026-09-05"), date("2026-09-07")),
                (Grain::Day, date("2026-09-28"), date("2026-10-01")),
                (Grain::Day, date("2026-12-01"), date("2026-12-04")),
            ]
        );
        assert_eq!(periods(&spans).0, 13);
        // A WEEK report: whole weeks, the days around them.
        let spans = cover(date("2026-09-05"), date("2026-12-04"), false, true);
        assert_eq!(periods(&spans).0, 2 + 12 + 4);
        // A DAY report: days.
        let spans = cover(date("2026-09-05"), date("2026-12-04"), false, false);
        assert_eq!(
            spans,
            [(Grain::Day, date("2026-09-05"), date("2026-12-04"))]
        );
        assert!(cover(date("2026-09-05"), date("2026-09-05"), true, true).is_empty());
    }

    proptest! {
        #[test]
        fn a_cover_holds_every_day_once(
            start in 0i64..800,
            len in 0i64..400,
            months in any::<bool>(),
            weeks in any::<bool>(),
        ) {
            let first = date("2025-01-01") + Duration::days(start);
            let end = first + Duration::days(len);
            let (_, days) = periods(&cover(first, end, months, weeks));
            let expected: Vec<NaiveDate> = first.iter_days().take(len as usize).collect();
            prop_assert_eq!(days, expected);
        }
    }
}
