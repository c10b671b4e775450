//! Robust description of a distribution: quantiles, the median absolute
//! deviation (MAD) and the spread it estimates, which outliers cannot drag.

use serde::Serialize;

use super::median_of_sorted;

/// MAD times this estimates the standard deviation of a normal distribution.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// A distribution summarized without letting outliers move it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// How many values.
    pub n: usize,
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// First quartile.
    pub q1: f64,
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// 95th percentile.
    pub p95: f64,
    pub max: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
}

impl Summary {
    /// Summarizes `values` (any order); `None` when empty or not all finite.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = median_of_sorted(&sorted)?;
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        Some(Self {
            n: sorted.len(),
            min: sorted[0],
            p5: interpolated_quantile(&sorted, 0.05),
            q1: interpolated_quantile(&sorted, 0.25),
            median,
            q3: interpolated_quantile(&sorted, 0.75),
            p95: interpolated_quantile(&sorted, 0.95),
            max: sorted[sorted.len() - 1],
            mad: median_of_sorted(&deviations)?,
        })
    }

    /// The interquartile range.
    pub fn iqr(&self) -> f64 {
        self.q3 - self.q1
    }

    /// The robust estimate of the standard deviation: 1.4826 x MAD.
    pub fn sigma(&self) -> f64 {
        MAD_TO_SIGMA * self.mad
    }

    /// The robust spread relative to the median (a robust coefficient of
    /// variation); `None` when the median is zero.
    pub fn relative_spread(&self) -> Option<f64> {
        (self.median != 0.0).then(|| self.sigma() / self.median.abs())
    }

    /// The robust spread a value is judged against, relative to the
    /// median, as the fleet judges a node against its cohort (README.md,
    /// "Fleets"): 1.4826 x MAD, taken as at least `resolution` of the
    /// median (figures equal on most units have a MAD of 0), widened by
    /// sqrt(1 + pi/(2n)) for the uncertainty of the median itself. `None`
    /// when the median is zero.
    pub fn judging_spread(&self, resolution: f64) -> Option<f64> {
        let widening = (1.0 + std::f64::consts::FRAC_PI_2 / self.n as f64).sqrt();
        self.relative_spread().map(|s| s.max(resolution) * widening)
    }
}

/// The `q` quantile of sorted values by linear interpolation between order
/// statistics (Hyndman and Fan type 7, the default of R and NumPy).
fn interpolated_quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let below = h.floor() as usize;
    let above = h.ceil() as usize;
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v = 1..10 plus 100, worked by hand: type 7 puts p5 halfway between
    /// the 1st and 2nd order statistics (h = 10 x 0.05), p95 halfway between
    /// the 10th and 11th; the deviations from the median 6 have median 3.
    #[test]
    fn quantiles_and_mad_match_numpy_and_scipy() {
        let v = [7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0, 8.0, 9.0, 10.0];
        let s = Summary::of(&v).unwrap();
        assert_eq!((s.n, s.min, s.median, s.max), (11, 1.0, 6.0, 100.0));
        assert!((s.p5 - 1.5).abs() < 1e-12, "{s:?}");
        assert!((s.q1 - 3.5).abs() < 1e-12, "{s:?}");
        assert!((s.q3 - 8.5).abs() < 1e-12, "{s:?}");
        assert!((s.p95 - 55.0).abs() < 1e-12, "{s:?}");
        assert_eq!(s.mad, 3.0, "the outlier at 100 does not move the MAD");
        assert!((s.sigma() - 4.4478).abs() < 1e-12);
        assert!((s.relative_spread().unwrap() - 4.4478 / 6.0).abs() < 1e-12);
        assert_eq!(s.iqr(), 5.0);
        // 4.4478 / 6 of the median, widened by sqrt(1 + pi / 22).
        let judged = s.judging_spread(0.005).unwrap();
        assert!((judged - 4.4478 / 6.0 * (1.0 + std::f64::consts::PI / 22.0).sqrt()).abs() < 1e-12, "{judged}");
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
        let one = Summary::of(&[2.5]).unwrap();
        assert_eq!((one.p5, one.p95, one.mad), (2.5, 2.5, 0.0));
        assert_eq!(Summary::of(&[0.0, 0.0]).unwrap().relative_spread(), None);
        // Equal figures: the resolution, widened for two values.
        let equal = Summary::of(&[4.0, 4.0]).unwrap().judging_spread(0.005).unwrap();
        assert!((equal - 0.005 * (1.0 + std::f64::consts::PI / 4.0).sqrt()).abs() < 1e-15, "{equal}");
    }
}
