//! The smallest shift a cohort could have flagged on a metric, so that "not
//! flagged" never reads as "fine" where the cohort could not tell
//! (README.md, "Fleets").

use hwbench_schema::Better;

use crate::stats::normal_upper_quantile;

/// What a cohort can see on one metric, as fractions of its median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detectable {
    /// The shift a node's headline must show to be flagged: the distance
    /// from the median to the robust bounds, max(k x spread / |median|,
    /// the minimum effect). A node without repetitions shifted by this
    /// much is flagged about half the time; by more, more often.
    pub headline: f64,
    /// The shift, in the metric's worse direction, at which a node whose
    /// repetitions scatter as the cohort's typically do has every counted
    /// repetition beyond the bound at least half the time, which a node
    /// with repetitions needs to be flagged; `None` when too few nodes
    /// carry repetitions.
    pub every_repetition: Option<f64>,
}

impl Detectable {
    /// The shift a node needs to be flagged: where the cohort's nodes
    /// carry repetitions, every one must be beyond the bounds; else the
    /// headline must.
    pub fn to_flag(&self) -> f64 {
        self.every_repetition.unwrap_or(self.headline)
    }
}

/// The headline shift: max(k x `sigma` / |`median`|, `min_effect`).
pub fn headline(median: f64, sigma: f64, k: f64, min_effect: f64) -> f64 {
    (k * sigma / median.abs()).max(min_effect)
}

/// The shift at which each of `count` repetitions, scattered around the
/// node's level with standard deviation `scatter` on the log scale, lies
/// beyond a bound `headline` from the median with probability 0.5^(1/count),
/// so that all of them do half the time: the level must sit z x scatter past
/// the bound, z the normal quantile of that probability. On the low side
/// (higher is better) 1 - (1 - headline) e^(-z scatter); on the high side
/// (1 + headline) e^(z scatter) - 1.
pub fn every_repetition(headline: f64, scatter: f64, count: usize, better: Better) -> f64 {
    let each = 0.5_f64.powf(1.0 / count.max(1) as f64);
    let z = -normal_upper_quantile(each);
    match better {
        Better::Higher => 1.0 - (1.0 - headline).max(0.0) * (-z * scatter).exp(),
        Better::Lower => (1.0 + headline) * (z * scatter).exp() - 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_shift_is_the_distance_to_the_bounds_or_the_minimum_effect() {
        assert!((headline(200.0, 4.0, 6.0, 0.05) - 0.12).abs() < 1e-15);
        assert_eq!(headline(-200.0, 1.0, 6.0, 0.05), 0.05);
    }

    #[test]
    fn every_repetition_needs_the_level_past_the_bound_by_its_scatter() {
        // Five repetitions: each beyond with probability 0.5^(1/5) = 0.8706,
        // z = 1.1290 (Python statistics.NormalDist().inv_cdf(0.8706)).
        let z = 1.1289975352961017;
        let low = every_repetition(0.12, 0.03, 5, Better::Higher);
        assert!((low - (1.0 - 0.88 * (-z * 0.03f64).exp())).abs() < 1e-9, "{low}");
        let high = every_repetition(0.12, 0.03, 5, Better::Lower);
        assert!((high - (1.12 * (z * 0.03f64).exp() - 1.0)).abs() < 1e-9, "{high}");
        // No scatter: the headline's shift; one repetition: z = 0.
        assert!((every_repetition(0.12, 0.0, 5, Better::Higher) - 0.12).abs() < 1e-12);
        assert!((every_repetition(0.12, 0.5, 1, Better::Lower) - 0.12).abs() < 1e-9);
    }
}
