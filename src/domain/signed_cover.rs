//! Whole days as rollup periods that add and subtract, for sums only: a sum over a piece of a
//! month equals the month's sum minus the sums of the month's other days. A sketch of distinct
//! visitors cannot subtract, so reports keep [`cover`]; the first page of a ranking by a sum
//! (`service::performance::top`) reads this one.
//!
//! A quarter from a Saturday to the day before today is, by [`cover`], 2 months, 3 weeks and 8
//! days: at 10,000 creators with daily activity, the 8 days are 60% of the rows read. Here the
//! leading piece is its month minus its first 4 days, and the trailing one its month minus the
//! days after it, which have no data yet: 8 periods' rows instead of 13.

use chrono::{Duration, NaiveDate};

use super::calendar::{Grain, Span, cover, period_start, split_months};

/// How a span counts towards the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// Periods inside the range, added.
    Inside,
    /// A whole month that reaches outside the range, added; its days outside are subtracted.
    Around,
    /// Periods outside the range (inside an [`Counted::Around`] month), subtracted.
    Subtracted,
}

pub type SignedSpan = (Span, Counted);

/// Whole days `[first, end)` as signed spans: whole months inside, then each piece of a month
/// at the edges as weeks and days ([`cover`]), or as its month minus the rest of the month,
/// whichever reads fewer periods; [`cover`] itself when it reads no more. Periods that start after `through` (the last day with data)
/// hold no rows and count for nothing.
pub fn signed_cover(first: NaiveDate, end: NaiveDate, through: NaiveDate) -> Vec<SignedSpan> {
    let split = split_months(first, end);
    let mut spans: Vec<SignedSpan> = split
        .months
        .map(|(a, b)| ((Grain::Month, a, b), Counted::Inside))
        .into_iter()
        .collect();
    for (a, b) in split.days.into_iter().flat_map(|(a, b)| by_month(a, b)) {
        let month = period_start(a, Grain::Month);
        let next = next_month(month);
        let plain = cover(a, b, false, true);
        let mut rest = cover(month, a, false, true);
        rest.extend(cover(b, next, false, true));
        if 1 + periods_read(&rest, through) < periods_read(&plain, through) {
            spans.push(((Grain::Month, month, next), Counted::Around));
            spans.extend(rest.into_iter().map(|span| (span, Counted::Subtracted)));
        } else {
            spans.extend(plain.into_iter().map(|span| (span, Counted::Inside)));
        }
    }
    // Split at months, a piece loses the weeks that straddle two months: the plain cover may
    // still read fewer periods.
    let plain = cover(first, end, true, true);
    let signed: Vec<Span> = spans.iter().map(|(span, _)| *span).collect();
    if periods_read(&signed, through) < periods_read(&plain, through) {
        spans
    } else {
        plain
            .into_iter()
            .map(|span| (span, Counted::Inside))
            .collect()
    }
}

/// `[a, b)` split where months begin.
fn by_month(a: NaiveDate, b: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut pieces = Vec::new();
    let mut at = a;
    while at < b {
        let until = next_month(period_start(at, Grain::Month)).min(b);
        pieces.push((at, until));
        at = until;
    }
    pieces
}

fn next_month(month: NaiveDate) -> NaiveDate {
    month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// The periods of `spans` that start on or before `through`.
pub fn periods_read(spans: &[Span], through: NaiveDate) -> usize {
    spans
        .iter()
        .map(|&(grain, from, to)| {
            let mut count = 0;
            let mut at = from;
            while at < to && at <= through {
                count += 1;
                at = match grain {
                    Grain::Day => at + Duration::days(1),
                    Grain::Week => at + Duration::days(7),
                    Grain::Month => next_month(at),
                };
            }
            count
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;
    use proptest::prelude::*;

    use super::*;

    /// Whether `day` lies in a span: the sign it counts with (0 outside every span).
    fn weight(spans: &[SignedSpan], day: NaiveDate) -> i32 {
        spans
            .iter()
            .filter(|((_, from, to), _)| *from <= day && day < *to)
            .map(|(_, part)| match part {
                Counted::Inside | Counted::Around => 1,
                Counted::Subtracted => -1,
            })
            .sum()
    }

    /// The first day of a span's first period is its start; every span starts on a period start.
    fn aligned(&(grain, from, to): &Span) -> bool {
        period_start(from, grain) == from
            && period_start(to, grain) == to
            && (grain != Grain::Month || from.day() == 1)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_benchmark_quarter_reads_its_edge_months_minus_their_outside_days() {
        // 2026-09-05 (a Saturday) to 2026-12-04, data through 2026-12-03.
        let spans = signed_cover(date("2026-09-05"), date("2026-12-04"), date("2026-12-03"));
        let month = |a: &str, b: &str| (Grain::Month, date(a), date(b));
        assert!(spans.contains(&(month("2026-10-01", "2026-12-01"), Counted::Inside)));
        assert!(spans.contains(&(month("2026-09-01", "2026-10-01"), Counted::Around)));
        assert!(spans.contains(&(
            (Grain::Day, date("2026-09-01"), date("2026-09-05")),
            Counted::Subtracted
        )));
        assert!(spans.contains(&(month("2026-12-01", "2027-01-01"), Counted::Around)));
        let plain: Vec<Span> = spans.iter().map(|(span, _)| *span).collect();
        // Months: Sep, Oct, Nov, Dec; days: Sep 1-4. December's other days are after the data.
        assert_eq!(periods_read(&plain, date("2026-12-03")), 8);
        let positive = cover(date("2026-09-05"), date("2026-12-04"), true, true);
        assert_eq!(periods_read(&positive, date("2026-12-03")), 13);
    }

    #[test]
    fn a_piece_stays_as_it_is_when_its_month_minus_the_rest_reads_more() {
        // The last 3 days of a month, its first 27 days before them.
        let spans = signed_cover(date("2026-11-28"), date("2026-12-01"), date("2026-12-31"));
        assert!(
            spans.iter().all(|(_, part)| *part == Counted::Inside),
            "{spans:?}"
        );
    }

    proptest! {
        /// Every day of the range counts once and every other day not at all; no span reads
        /// more periods than the plain cover; every span starts and ends on its periods.
        #[test]
        fn signed_spans_add_up_to_the_range(
            start in 0i64..800,
            len in 1i64..400,
            data in -30i64..500,
        ) {
            let first = date("2025-01-01") + Duration::days(start);
            let end = first + Duration::days(len);
            let through = first + Duration::days(data);
            let spans = signed_cover(first, end, through);
            for offset in -70..len + 70 {
                let day = first + Duration::days(offset);
                let inside = day >= first && day < end;
                prop_assert_eq!(weight(&spans, day), i32::from(inside), "{}", day);
            }
            for (span, part) in &spans {
                prop_assert!(aligned(span), "{:?}", span);
                if *part == Counted::Inside {
                    prop_assert!(span.1 >= first && span.2 <= end);
                }
            }
            let read: Vec<Span> = spans.iter().map(|(span, _)| *span).collect();
            let plain = cover(first, end, true, true);
            prop_assert!(periods_read(&read, through) <= periods_read(&plain, through));
        }
    }
}
