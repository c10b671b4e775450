//! Units of variance: a figure (a repetition's, or a whole run's) and what
//! it was computed from, so that a bootstrap can resample every level.

use super::SplitMix64;

/// How a figure derives from its samples, for the statistics a bootstrap
/// can recompute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Median,
    Max,
    Min,
    Mean,
}

impl Statistic {
    /// The statistic a metric names ("median", "max", ...); `None` for
    /// figures a resample cannot recompute ("derived", "total", ...).
    /// "median of undisturbed samples" is the median of the samples kept
    /// (results/SCHEMA.md, "Time off the CPU"): only those are in `samples`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "median" | "median of undisturbed samples" => Some(Statistic::Median),
            "max" => Some(Statistic::Max),
            "min" => Some(Statistic::Min),
            "mean" => Some(Statistic::Mean),
            _ => None,
        }
    }

    /// The statistic of `values` (not empty); reorders them.
    pub fn of(self, values: &mut [f64]) -> f64 {
        match self {
            Statistic::Median => median_in_place(values),
            Statistic::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Statistic::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Statistic::Mean => values.iter().sum::<f64>() / values.len() as f64,
        }
    }
}

/// What a unit's figure was computed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Parts {
    /// Nothing to resample: a figure without samples (energy, power) or one
    /// whose statistic a resample cannot recompute.
    Fixed,
    /// Samples the figure is `statistic` of.
    Samples { values: Vec<f64>, statistic: Statistic },
    /// Units the figure is the median of (a run's repetitions).
    Units(Vec<Unit>),
}

/// One unit of variance: a repetition, or a whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The figure as measured.
    pub figure: f64,
    /// What it was computed from.
    pub parts: Parts,
}

impl Unit {
    /// A unit with nothing inside to resample.
    pub fn fixed(figure: f64) -> Self {
        Unit { figure, parts: Parts::Fixed }
    }

    /// The figure recomputed from a resample (with replacement) of its
    /// parts, each part itself resampled the same way.
    pub fn resample(&self, rng: &mut SplitMix64) -> f64 {
        match &self.parts {
            Parts::Fixed => self.figure,
            Parts::Samples { values, statistic } => {
                let mut drawn: Vec<f64> = (0..values.len()).map(|_| values[rng.index(values.len())]).collect();
                statistic.of(&mut drawn)
            }
            Parts::Units(units) => resampled_median(units, rng),
        }
    }
}

/// The median over a resample (with replacement) of `units`, each drawn
/// unit itself resampled: one draw of a hierarchical bootstrap.
pub(super) fn resampled_median(units: &[Unit], rng: &mut SplitMix64) -> f64 {
    let mut drawn: Vec<f64> = (0..units.len()).map(|_| units[rng.index(units.len())].resample(rng)).collect();
    median_in_place(&mut drawn)
}

/// The median of `values` (not empty), by selection; reorders them.
fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (_, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        // The lower middle is the largest value left of the upper one.
        let lower = values[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::median;

    #[test]
    fn statistics_recompute_the_named_figure() {
        let values = [4.0, 1.0, 3.0, 2.0, 8.0, 6.0];
        let of = |s: Statistic| s.of(&mut values.clone());
        assert_eq!(of(Statistic::Median), 3.5);
        assert_eq!(of(Statistic::Max), 8.0);
        assert_eq!(of(Statistic::Min), 1.0);
        assert_eq!(of(Statistic::Mean), 4.0);
        assert_eq!(Statistic::parse("max"), Some(Statistic::Max));
        assert_eq!(Statistic::parse("median of undisturbed samples"), Some(Statistic::Median));
        assert_eq!(Statistic::parse("derived"), None);
    }

    #[test]
    fn a_resampled_unit_is_the_statistic_of_the_drawn_samples() {
        let values = vec![4.0, 1.0, 3.0, 2.0, 8.0, 6.0];
        for (statistic, seed) in [(Statistic::Median, 1), (Statistic::Max, 2), (Statistic::Min, 3)] {
            let unit = Unit { figure: 0.0, parts: Parts::Samples { values: values.clone(), statistic } };
            let mut rng = SplitMix64::new(seed);
            let mut replay = rng.clone();
            let got = unit.resample(&mut rng);
            let mut drawn: Vec<f64> = (0..6).map(|_| values[replay.index(6)]).collect();
            assert_eq!(got, statistic.of(&mut drawn), "{statistic:?}");
        }
        assert_eq!(Unit::fixed(7.0).resample(&mut SplitMix64::new(1)), 7.0);
    }

    #[test]
    fn a_run_resamples_its_repetitions_then_their_samples() {
        // Repetitions of fixed figures: the run's draw is the median of the drawn ones.
        let run = Unit { figure: 2.0, parts: Parts::Units([1.0, 2.0, 3.0, 10.0].map(Unit::fixed).to_vec()) };
        for seed in 0..50 {
            let mut rng = SplitMix64::new(seed);
            let mut replay = rng.clone();
            let got = run.resample(&mut rng);
            let drawn: Vec<f64> = (0..4).map(|_| [1.0, 2.0, 3.0, 10.0][replay.index(4)]).collect();
            assert_eq!(Some(got), median(&drawn), "seed {seed}");
        }
    }
}
