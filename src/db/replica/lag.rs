//! How far behind the primary the replica is, measured in time (pure: the checks in
//! [`super::check`] feed it what the servers answered).
//!
//! Each check reads the primary's WAL position (`pg_current_wal_lsn()`) and keeps it as a
//! sample `(when, position)`; then it reads how far the replica has replayed
//! (`pg_last_wal_replay_lsn()`). The replica holds everything the primary had when it was last
//! seen at a position the replica has replayed, so its lag is the time since then, and 0 when
//! it has replayed the latest sample; a replica behind every sample kept lags at least since
//! the oldest was first seen. Exact to about one check interval (a write just after a sample
//! counts from the next one).
//!
//! Why not `now() - pg_last_xact_replay_timestamp()`: that is the age of the last *commit*
//! replayed, which grows on an idle primary while the replica is fully caught up. Here an idle
//! primary keeps one position, which the replica has replayed: its lag stays 0.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Enough samples for an hour of checks every second: a replica further behind reads "at
/// least" the oldest sample's age.
const MOST_SAMPLES: usize = 3_600;

/// A PostgreSQL `pg_lsn` as text (`16/B374D848`: two hexadecimal halves) as one number, so
/// that positions compare.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    let hi = u32::from_str_radix(hi, 16).ok()?;
    let lo = u32::from_str_radix(lo, 16).ok()?;
    Some((u64::from(hi) << 32) | u64::from(lo))
}

/// The primary's WAL position as seen at each check, oldest first.
#[derive(Debug, Default)]
pub struct PrimarySamples {
    samples: VecDeque<Sample>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    /// The first and the last time the primary was seen at `lsn`.
    first: Instant,
    last: Instant,
    lsn: u64,
}

impl PrimarySamples {
    /// The primary was at `lsn` at `at`. A position seen again (an idle primary) moves its
    /// sample's last time forward: a replica that has it is current as of then.
    pub fn record(&mut self, at: Instant, lsn: u64) {
        match self.samples.back_mut() {
            Some(newest) if newest.lsn >= lsn => newest.last = at,
            _ => {
                if self.samples.len() == MOST_SAMPLES {
                    self.samples.pop_front();
                }
                self.samples.push_back(Sample {
                    first: at,
                    last: at,
                    lsn,
                });
            }
        }
    }

    /// The replica's lag at `now`, having replayed up to `replayed` (see [`lag`]); samples
    /// older than the last one it has replayed are dropped (the replica never goes back).
    pub fn lag(&mut self, now: Instant, replayed: u64) -> Option<Duration> {
        let lag = lag(self.samples.make_contiguous(), now, replayed);
        if let Some(newest_replayed) = self.samples.iter().rposition(|s| s.lsn <= replayed) {
            self.samples.drain(..newest_replayed);
        }
        lag
    }
}

/// The lag of a replica that has replayed up to `replayed`, given the primary's `samples`
/// (oldest first, positions rising): 0 when it has replayed the latest sample, else the age
/// of the newest sample it has replayed (since the primary was last seen there), else (none
/// of them) at least the age of the oldest (since the primary was first seen there).
/// `None` without samples (nothing to measure against yet).
fn lag(samples: &[Sample], now: Instant, replayed: u64) -> Option<Duration> {
    let (oldest, latest) = (samples.first()?, samples.last()?);
    if latest.lsn <= replayed {
        return Some(Duration::ZERO);
    }
    let since = match samples.iter().rev().find(|sample| sample.lsn <= replayed) {
        Some(newest_replayed) => newest_replayed.last,
        None => oldest.first,
    };
    Some(now.saturating_duration_since(since))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn lsn_text_reads_as_one_number() {
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(parse_lsn("FFFFFFFF/FFFFFFFF"), Some(u64::MAX));
        assert!(parse_lsn("0/1").unwrap() < parse_lsn("1/0").unwrap());
        for bad in ["", "16", "16/", "/1", "G/1", "1/2/3", "100000000/0"] {
            assert_eq!(parse_lsn(bad), None, "{bad}");
        }
    }

    #[test]
    fn no_samples_no_lag() {
        let mut samples = PrimarySamples::default();
        assert_eq!(samples.lag(Instant::now(), 5), None);
    }

    #[test]
    fn a_replica_that_has_the_latest_position_has_no_lag() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        samples.record(t0, 100);
        samples.record(t0 + secs(1), 200);
        assert_eq!(samples.lag(t0 + secs(1), 200), Some(Duration::ZERO));
        assert_eq!(samples.lag(t0 + secs(1), 250), Some(Duration::ZERO));
    }

    #[test]
    fn the_lag_is_the_age_of_the_newest_sample_replayed() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        for (i, lsn) in [100, 200, 300, 400].into_iter().enumerate() {
            samples.record(t0 + secs(i as u64), lsn);
        }
        // Has 200 (seen at t0+1 s), not 300: as of t0+1 s.
        assert_eq!(samples.lag(t0 + secs(5), 250), Some(secs(4)));
        // Between samples counts from the older one.
        assert_eq!(samples.lag(t0 + secs(5), 399), Some(secs(3)));
    }

    #[test]
    fn a_replica_behind_every_sample_lags_at_least_the_oldest() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        samples.record(t0, 100);
        samples.record(t0 + secs(2), 200);
        assert_eq!(samples.lag(t0 + secs(7), 50), Some(secs(7)));
    }

    /// Behind from the first check, the primary idle since: the one sample's position has been
    /// there since its first sighting, and the replica lacks it.
    #[test]
    fn a_replica_behind_an_idle_primary_lags_from_the_first_sighting() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        for i in 0..=30 {
            samples.record(t0 + secs(i), 100);
        }
        assert_eq!(samples.lag(t0 + secs(30), 50), Some(secs(30)));
        assert_eq!(samples.lag(t0 + secs(30), 100), Some(Duration::ZERO));
    }

    /// The naive measure's failure: nothing written for a long time, the replica caught up.
    #[test]
    fn an_idle_primary_keeps_a_caught_up_replica_at_zero() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        for i in 0..600 {
            samples.record(t0 + secs(i), 100);
            assert_eq!(samples.lag(t0 + secs(i), 100), Some(Duration::ZERO));
        }
        assert_eq!(samples.samples.len(), 1);
    }

    /// A primary idle for an hour then written to: a replica paused before the write lags
    /// from the write on (the last time the old position was seen), not from an hour ago.
    #[test]
    fn a_write_after_a_quiet_hour_counts_from_the_write() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        for i in 0..=3_600 {
            samples.record(t0 + secs(i), 100);
        }
        samples.record(t0 + secs(3_601), 200);
        assert_eq!(samples.lag(t0 + secs(3_603), 100), Some(secs(3)));
    }

    #[test]
    fn samples_behind_the_replica_are_dropped_and_the_ring_is_bounded() {
        let t0 = Instant::now();
        let mut samples = PrimarySamples::default();
        for i in 0..10u64 {
            samples.record(t0 + secs(i), 100 * (i + 1));
        }
        assert_eq!(samples.lag(t0 + secs(10), 500), Some(secs(6)));
        // 500 (kept: the replica's own) to 1000.
        assert_eq!(samples.samples.len(), 6);

        let mut paused = PrimarySamples::default();
        for i in 0..(MOST_SAMPLES as u64 + 10) {
            paused.record(t0 + secs(i), i + 1);
        }
        assert_eq!(paused.samples.len(), MOST_SAMPLES);
        // The oldest kept is 10 s younger than the first: "at least" its age.
        let now = t0 + secs(MOST_SAMPLES as u64 + 10);
        assert_eq!(paused.lag(now, 0), Some(secs(MOST_SAMPLES as u64)));
    }
}
