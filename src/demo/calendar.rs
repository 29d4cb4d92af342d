//! The calendar of the demo's traffic: the window of [`DAYS`] days ending at the load time, in the
//! brand timezone, and weighted draws of days and times of day in it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;

/// The days of traffic, ending at the load time (the first is `-(DAYS - 1)`, brand timezone).
pub const DAYS: i64 = 60;

/// Relative traffic by hour of the day (brand timezone): quiet nights, busy evenings.
const HOURS: [u32; 24] = [
    3, 2, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 9, 11, 13, 14, 12, 8, 5,
];

/// The load time and the brand-timezone calendar of the window.
pub(super) struct Calendar {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub today: NaiveDate,
    hours: WeightedIndex<u32>,
}

impl Calendar {
    pub fn new(now: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            now,
            tz,
            today: now.with_timezone(&tz).date_naive(),
            hours: WeightedIndex::new(HOURS).expect("positive hour weights"),
        }
    }

    pub fn date(&self, offset: i64) -> NaiveDate {
        self.today + Duration::days(offset)
    }

    /// The instant `second` seconds after local midnight of day `offset` (a local time skipped
    /// by a DST change moves an hour later; a repeated one takes the first).
    fn at(&self, offset: i64, second: i64) -> DateTime<Utc> {
        let local = self.date(offset).and_time(NaiveTime::MIN) + Duration::seconds(second);
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.tz
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or(self.now, |at| at.with_timezone(&Utc))
    }

    /// The start of the window: local midnight of its first day, but never more than [`DAYS`]
    /// days ago (a DST change inside the window would otherwise add an hour).
    pub fn start(&self) -> DateTime<Utc> {
        self.at(-(DAYS - 1), 0).max(self.now - Duration::days(DAYS))
    }

    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// Weekends are busier on social platforms.
    pub fn weekday_factor(&self, offset: i64) -> f64 {
        match self.date(offset).weekday() {
            Weekday::Mon => 0.85,
            Weekday::Tue => 0.9,
            Weekday::Wed => 0.95,
            Weekday::Thu => 1.0,
            Weekday::Fri => 1.05,
            Weekday::Sat => 1.25,
            Weekday::Sun => 1.3,
        }
    }

    /// Day weights over the window from `first` on (day offsets), shaped by `shape`.
    pub fn days(&self, first: i64, shape: impl Fn(i64) -> f64) -> Days {
        let offsets: Vec<i64> = (first.max(-(DAYS - 1))..=0).collect();
        let weights = offsets.iter().map(|d| shape(*d).max(1e-6));
        Days {
            index: WeightedIndex::new(weights).expect("positive day weights"),
            offsets,
        }
    }

    /// A time on a day drawn from `days`, at an hour drawn from [`HOURS`], in `[not_before,
    /// now]`.
    pub fn sample(
        &self,
        rng: &mut StdRng,
        days: &Days,
        not_before: DateTime<Utc>,
    ) -> DateTime<Utc> {
        for _ in 0..32 {
            let offset = days.offsets[days.index.sample(rng)];
            let hour = self.hours.sample(rng) as i64;
            let at = self.at(offset, hour * 3600 + rng.random_range(0..3600));
            if at >= not_before && at <= self.now {
                return at;
            }
        }
        self.now - Duration::minutes(rng.random_range(1..60))
    }
}

/// A weighted choice of days of the window.
pub(super) struct Days {
    offsets: Vec<i64>,
    index: WeightedIndex<f64>,
}
