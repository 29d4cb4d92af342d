//! Pure helpers of the generator: scaled counts, exact splits, exact random selections and the
//! ids derived from indexes (unique by construction, so no retry is ever needed).

use rand::Rng;

/// `base x scale`, rounded, at least 1.
pub fn scaled(base: u64, scale: f64) -> u64 {
    ((base as f64 * scale).round() as u64).max(1)
}

/// Splits `total` into parts proportional to `weights` that add up to exactly `total` (largest
/// remainders get the leftover units, ties to the lower index).
pub fn split_exact(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order
        .iter()
        .cycle()
        .take(total.saturating_sub(given) as usize)
    {
        parts[i] += 1;
    }
    parts
}

/// Selection sampling (Knuth's algorithm S): offered `total` items one by one, picks exactly
/// `wanted` of them (all of them when `wanted >= total`), each set equally likely.
pub struct Selector {
    wanted: u64,
    left: u64,
}

impl Selector {
    pub fn new(wanted: u64, total: u64) -> Self {
        Self {
            wanted: wanted.min(total),
            left: total,
        }
    }

    /// Whether the next item is picked.
    pub fn pick<R: Rng>(&mut self, rng: &mut R) -> bool {
        if self.left == 0 {
            return false;
        }
        let picked = rng.random_range(0..self.left) < self.wanted;
        self.left -= 1;
        if picked {
            self.wanted -= 1;
        }
        picked
    }
}

/// A cumulative distribution to draw indexes by weight.
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    pub fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// SplitMix64: a bijective mix, to derive ids from indexes.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A click id of 32 hex characters like the redirect's: the click's index first (unique, and
/// increasing, so the unique index grows at its end as with time-ordered ingestion), then bits
/// mixed from the seed and the index.
pub fn click_id(seed: u64, index: u64) -> String {
    format!("{index:012x}{:020x}", mix(seed ^ mix(index)))
}

/// A visitor key of 64 hex characters like the redirect's HMAC-SHA256, from the seed and a
/// visitor number.
pub fn visitor_key(seed: u64, visitor: u64) -> String {
    let a = mix(seed ^ visitor);
    format!(
        "{a:016x}{:016x}{:016x}{:016x}",
        mix(a),
        mix(a ^ 1),
        mix(a ^ 2)
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn scaled_counts_round_and_never_vanish() {
        assert_eq!(scaled(10_000_000, 1.0), 10_000_000);
        assert_eq!(scaled(2_000, 0.0005), 1);
        assert_eq!(scaled(50_000, 0.01), 500);
    }

    #[test]
    fn splits_add_up_exactly() {
        for total in [0, 1, 7, 1000, 12_345] {
            let parts = split_exact(total, &[1.0, 2.5, 0.3, 3.3, 1.0]);
            assert_eq!(parts.iter().sum::<u64>(), total);
        }
        assert_eq!(split_exact(10, &[1.0, 1.0]), vec![5, 5]);
        assert_eq!(split_exact(3, &[]), Vec::<u64>::new());
    }

    #[test]
    fn selection_picks_exactly_the_number_wanted() {
        let mut rng = StdRng::seed_from_u64(7);
        for (wanted, total) in [(0, 10), (3, 10), (10, 10), (12, 10), (350, 10_000)] {
            let mut s = Selector::new(wanted, total);
            let picked = (0..total).filter(|_| s.pick(&mut rng)).count() as u64;
            assert_eq!(picked, wanted.min(total));
        }
    }

    #[test]
    fn weighted_draws_stay_in_range_and_follow_weights() {
        let mut rng = StdRng::seed_from_u64(1);
        let w = Weighted::new([0.0, 1.0, 0.0, 3.0]);
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            counts[w.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[0] + counts[2], 0);
        assert!(counts[3] > 2 * counts[1]);
    }

    #[test]
    fn ids_are_unique_and_shaped_like_the_real_ones() {
        let ids: HashSet<String> = (0..10_000).map(|i| click_id(42, i)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 32));
        assert!(click_id(42, 1) < click_id(42, 2));
        let keys: HashSet<String> = (0..10_000).map(|v| visitor_key(42, v)).collect();
        assert_eq!(keys.len(), 10_000);
        assert!(keys.iter().all(|k| k.len() == 64));
    }
}
