//! Percentile bootstrap confidence interval of the relative change of
//! medians between two independent samples.

use super::{median_of_sorted, SplitMix64};

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// How to bootstrap.
#[derive(Debug, Clone, Copy)]
pub struct Bootstrap {
    /// Number of resamples of each side.
    pub resamples: usize,
    /// Coverage of the interval, e.g. 0.95.
    pub confidence: f64,
    /// Seed of the resampling generator; the same seed gives the same interval.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        // The seed spells "hwbench" in ASCII.
        Self { resamples: 2000, confidence: 0.95, seed: 0x0068_7762_656e_6368 }
    }
}

/// The interval of `median(new) / median(base) - 1`: both sides resampled
/// with replacement `resamples` times, the statistic taken each time, and
/// the (1-confidence)/2 and (1+confidence)/2 quantiles of those values
/// reported. `None` when a side is empty or the base median is zero.
pub fn relative_change_ci(base: &[f64], new: &[f64], config: &Bootstrap) -> Option<Interval> {
    if base.is_empty() || new.is_empty() || config.resamples == 0 {
        return None;
    }
    let mut sorted_base = base.to_vec();
    sorted_base.sort_by(f64::total_cmp);
    if median_of_sorted(&sorted_base)? == 0.0 {
        return None;
    }
    let mut rng = SplitMix64::new(config.seed);
    let mut scratch_base = vec![0.0; base.len()];
    let mut scratch_new = vec![0.0; new.len()];
    let mut changes: Vec<f64> = (0..config.resamples)
        .map(|_| {
            let b = resampled_median(base, &mut scratch_base, &mut rng);
            let n = resampled_median(new, &mut scratch_new, &mut rng);
            n / b - 1.0
        })
        .collect();
    changes.sort_by(f64::total_cmp);
    let tail = (1.0 - config.confidence) / 2.0;
    Some(Interval { lower: quantile(&changes, tail), upper: quantile(&changes, 1.0 - tail) })
}

/// Median of one resample with replacement of `sample`, drawn into `scratch`.
fn resampled_median(sample: &[f64], scratch: &mut [f64], rng: &mut SplitMix64) -> f64 {
    for slot in scratch.iter_mut() {
        *slot = sample[rng.below(sample.len())];
    }
    let n = scratch.len();
    let (_, &mut upper, _) = scratch.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        // The lower middle is the largest value left of the upper one.
        let lower = scratch[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// The smallest value whose empirical CDF reaches `q`.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [f64; 5] = [100.0, 102.0, 97.0, 105.0, 99.0];
    const NEW: [f64; 5] = [110.0, 108.0, 113.0, 107.0, 111.0];

    /// The exact bootstrap distribution of this example (every resample
    /// enumerated, reports/tests/reference/stats_reference.py) has its 2.5 %
    /// quantile at 110/105 - 1 and its 97.5 % one at 113/99 - 1, each well
    /// inside its atom (CDF 0.0184..0.0395 and 0.9666..0.9816), so a
    /// Monte-Carlo bootstrap of 10 000 resamples must land on them. scipy's
    /// percentile bootstrap gives the same interval.
    #[test]
    fn converges_to_the_exact_bootstrap_interval() {
        let config = Bootstrap { resamples: 10_000, ..Bootstrap::default() };
        let ci = relative_change_ci(&BASE, &NEW, &config).unwrap();
        assert!((ci.lower - 0.04761904761904767).abs() < 1e-12, "{ci:?}");
        assert!((ci.upper - 0.14141414141414144).abs() < 1e-12, "{ci:?}");
    }

    #[test]
    fn same_seed_same_interval_and_other_seeds_agree() {
        let config = Bootstrap { resamples: 10_000, ..Bootstrap::default() };
        let a = relative_change_ci(&BASE, &NEW, &config).unwrap();
        assert_eq!(a, relative_change_ci(&BASE, &NEW, &config).unwrap());
        let other = Bootstrap { seed: 99, ..config };
        assert_eq!(a, relative_change_ci(&BASE, &NEW, &other).unwrap());
    }

    #[test]
    fn resampled_median_is_the_median_of_the_drawn_values() {
        let sample = [4.0, 1.0, 3.0, 2.0, 8.0, 6.0];
        for seed in 0..50 {
            let mut rng = SplitMix64::new(seed);
            let mut replay = rng.clone();
            let mut scratch = [0.0; 6];
            let got = resampled_median(&sample, &mut scratch, &mut rng);
            let mut drawn: Vec<f64> = (0..6).map(|_| sample[replay.below(6)]).collect();
            drawn.sort_by(f64::total_cmp);
            assert_eq!(Some(got), median_of_sorted(&drawn), "seed {seed}");
        }
    }

    #[test]
    fn identical_samples_give_an_interval_around_zero() {
        let base = [1.0, 2.0, 3.0, 4.0];
        let ci = relative_change_ci(&base, &base, &Bootstrap::default()).unwrap();
        assert!(ci.lower < 0.0 && ci.upper > 0.0, "{ci:?}");
    }

    #[test]
    fn refuses_empty_sides_and_a_zero_base() {
        let config = Bootstrap::default();
        assert_eq!(relative_change_ci(&[], &[1.0], &config), None);
        assert_eq!(relative_change_ci(&[0.0, 0.0, 0.0], &[1.0], &config), None);
    }
}
