//! Percentile bootstrap interval of the relative change between the
//! medians of two sides' units, resampling every level of each unit
//! (Kalibera and Jones, "Rigorous benchmarking in reasonable time", 2013).

use super::units::resampled_median;
use super::{quantile_of_sorted, SplitMix64, Unit};

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// True when `value` lies inside, bounds included.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
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

impl Bootstrap {
    /// The (1-confidence)/2 and (1+confidence)/2 quantiles of `draws`.
    pub fn interval(&self, mut draws: Vec<f64>) -> Option<Interval> {
        if draws.is_empty() {
            return None;
        }
        draws.sort_by(f64::total_cmp);
        let tail = (1.0 - self.confidence) / 2.0;
        Some(Interval { lower: quantile_of_sorted(&draws, tail), upper: quantile_of_sorted(&draws, 1.0 - tail) })
    }
}

/// The interval of `median(new) / median(base) - 1` over the units' figures:
/// each resample draws the units of each side with replacement, recomputes
/// every drawn unit from a resample of its own parts, and takes the median
/// over the units. `None` when a side is empty or a resampled base median
/// is zero.
pub fn ratio_interval(base: &[Unit], new: &[Unit], config: &Bootstrap) -> Option<Interval> {
    if base.is_empty() || new.is_empty() || config.resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(config.seed);
    let mut changes = Vec::with_capacity(config.resamples);
    for _ in 0..config.resamples {
        let b = resampled_median(base, &mut rng);
        let n = resampled_median(new, &mut rng);
        if b == 0.0 {
            return None;
        }
        changes.push(n / b - 1.0);
    }
    config.interval(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Parts, Statistic};

    const BASE: [f64; 5] = [100.0, 102.0, 97.0, 105.0, 99.0];
    const NEW: [f64; 5] = [110.0, 108.0, 113.0, 107.0, 111.0];

    fn fixed(figures: &[f64]) -> Vec<Unit> {
        figures.iter().copied().map(Unit::fixed).collect()
    }

    /// The exact bootstrap distribution of this example (every resample
    /// enumerated, reports/tests/reference/stats_reference.py) has its 2.5 %
    /// quantile at 110/105 - 1 and its 97.5 % one at 113/99 - 1, each well
    /// inside its atom (CDF 0.0184..0.0395 and 0.9666..0.9816), so a
    /// Monte-Carlo bootstrap of 10 000 resamples must land on them. scipy's
    /// percentile bootstrap gives the same interval.
    #[test]
    fn converges_to_the_exact_bootstrap_interval() {
        let config = Bootstrap { resamples: 10_000, ..Bootstrap::default() };
        let ci = ratio_interval(&fixed(&BASE), &fixed(&NEW), &config).unwrap();
        assert!((ci.lower - 0.04761904761904767).abs() < 1e-12, "{ci:?}");
        assert!((ci.upper - 0.14141414141414144).abs() < 1e-12, "{ci:?}");
    }

    #[test]
    fn same_seed_same_interval_and_other_seeds_agree() {
        let config = Bootstrap { resamples: 10_000, ..Bootstrap::default() };
        let a = ratio_interval(&fixed(&BASE), &fixed(&NEW), &config).unwrap();
        assert_eq!(a, ratio_interval(&fixed(&BASE), &fixed(&NEW), &config).unwrap());
        let other = Bootstrap { seed: 99, ..config };
        assert_eq!(a, ratio_interval(&fixed(&BASE), &fixed(&NEW), &other).unwrap());
    }

    /// Within-unit samples widen the interval: units whose samples spread
    /// +-20% around figures that agree within 1% give an interval far wider
    /// than the units' figures alone.
    #[test]
    fn the_second_level_carries_the_samples_spread() {
        let unit = |figure: f64| Unit {
            figure,
            parts: Parts::Samples {
                values: [0.8, 0.9, 1.0, 1.1, 1.2].iter().map(|f| f * figure).collect(),
                statistic: Statistic::Median,
            },
        };
        let base: Vec<Unit> = [100.0, 100.5, 101.0].map(unit).to_vec();
        let new: Vec<Unit> = [100.2, 100.7, 100.9].map(unit).to_vec();
        let one_level =
            ratio_interval(&fixed(&[100.0, 100.5, 101.0]), &fixed(&[100.2, 100.7, 100.9]), &Bootstrap::default())
                .unwrap();
        let two_level = ratio_interval(&base, &new, &Bootstrap::default()).unwrap();
        assert!(one_level.upper - one_level.lower < 0.03, "{one_level:?}");
        assert!(two_level.upper - two_level.lower > 0.2, "{two_level:?}");
        assert!(two_level.contains(0.0));
    }

    #[test]
    fn identical_units_give_an_interval_around_zero() {
        let base = fixed(&[1.0, 2.0, 3.0, 4.0]);
        let ci = ratio_interval(&base, &base, &Bootstrap::default()).unwrap();
        assert!(ci.lower < 0.0 && ci.upper > 0.0, "{ci:?}");
    }

    #[test]
    fn refuses_empty_sides_and_a_zero_base() {
        let config = Bootstrap::default();
        assert_eq!(ratio_interval(&[], &fixed(&[1.0]), &config), None);
        assert_eq!(ratio_interval(&fixed(&[0.0, 0.0, 0.0]), &fixed(&[1.0]), &config), None);
    }
}
