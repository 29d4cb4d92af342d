//! Percentiles of measured durations.

use std::time::Duration;

/// The `p`-th percentile (0..=100) by nearest rank, in milliseconds; 0 for no samples.
pub fn percentile_ms(samples: &[Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        assert_eq!(percentile_ms(&ms(&[5, 1, 3]), 50.0), 3.0);
        assert_eq!(percentile_ms(&ms(&[5, 1, 3]), 99.0), 5.0);
        assert_eq!(percentile_ms(&ms(&[7]), 0.0), 7.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
