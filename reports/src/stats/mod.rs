//! Statistics over repetitions and samples: medians, the run-to-run spread,
//! a seeded hierarchical bootstrap, the Mann-Whitney U test and the
//! Student t prediction test (docs/METHODS.md, "Comparisons"; the rules: results/SCHEMA.md,
//! "How comparisons are made"); for fleets, robust summaries (quantiles,
//! MAD) and Benjamini-Hochberg over many tests (README.md, "Fleets").

mod bootstrap;
mod fdr;
mod mann_whitney;
mod normal;
mod outlier;
mod robust;
mod student_t;
mod units;

pub use bootstrap::{ratio_interval, Bootstrap, Interval};
pub use fdr::{benjamini_hochberg, Adjusted};
pub use hwbench_schema::numbers::{median, median_of_sorted, SplitMix64};
pub use mann_whitney::{mann_whitney_u, smallest_p_value, MannWhitney};
pub use normal::upper_quantile as normal_upper_quantile;
pub use outlier::{grubbs_outlier, without_outlier};
pub use robust::{Summary, MAD_TO_SIGMA};
pub use student_t::{prediction_test, two_sided_critical as t_critical, two_sided_p};
pub use units::{Parts, Statistic, Unit};

/// The geometric mean of positive values; `None` when empty or when a value
/// is not positive and finite.
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// The smallest value whose empirical CDF reaches `q` (`sorted` not empty).
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Mean and sample standard deviation (n - 1) of the natural logarithms of
/// `values`; `None` with fewer than two values or a value that is not
/// positive and finite.
pub fn log_mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().map(|v| v.ln()).sum::<f64>() / n;
    let squares = values.iter().map(|v| (v.ln() - mean).powi(2)).sum::<f64>();
    Some((mean, (squares / (n - 1.0)).sqrt()))
}

/// The run-to-run spread of unit figures: twice the standard deviation of
/// their natural logarithms (about twice the coefficient of variation), the
/// half-width of the band that about 95% of unchanged units fall in. `None`
/// as for [`log_mean_sd`].
pub fn run_to_run_spread(figures: &[f64]) -> Option<f64> {
    log_mean_sd(figures).map(|(_, sd)| 2.0 * sd)
}

/// The least run-to-run spread whole runs can have: the spread of a run's
/// headline (the median of its repetitions) that its own repetitions imply,
/// 2 x 1.2533 x sigma / sqrt(n) (the median of n normal figures has a
/// standard deviation of about 1.2533 sigma / sqrt(n)), with sigma the
/// pooled standard deviation of ln repetition figures inside the runs (each
/// run's one outlying repetition set aside, as in a one-run comparison) and
/// n their mean count. A few runs whose headlines happen to agree (a
/// quantile read from one histogram bucket in each) cannot claim less
/// spread than their repetitions show. `None` when no unit holds two
/// repetitions or more.
pub fn headline_spread_floor(runs: &[Unit]) -> Option<f64> {
    let (mut variance_sum, mut count_sum, mut runs_with_repetitions) = (0.0, 0usize, 0usize);
    for run in runs {
        let Parts::Units(repetitions) = &run.parts else { continue };
        let (kept, _) = without_outlier(repetitions);
        let figures: Vec<f64> = kept.iter().map(|u| u.figure).collect();
        if let Some((_, sd)) = log_mean_sd(&figures) {
            variance_sum += sd * sd;
            count_sum += figures.len();
            runs_with_repetitions += 1;
        }
    }
    if runs_with_repetitions == 0 {
        return None;
    }
    let sigma = (variance_sum / runs_with_repetitions as f64).sqrt();
    let n = count_sum as f64 / runs_with_repetitions as f64;
    Some(2.0 * MEDIAN_SD_FACTOR * sigma / n.sqrt())
}

/// The standard deviation of the median of n normal figures, times sqrt(n)
/// over sigma, for large n: sqrt(pi / 2).
pub const MEDIAN_SD_FACTOR: f64 = 1.2533;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_of_ratios() {
        let g = geometric_mean(&[2.0, 8.0]).unwrap();
        assert!((g - 4.0).abs() < 1e-12, "{g}");
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
        assert_eq!(geometric_mean(&[]), None);
    }

    #[test]
    fn quantiles_take_the_value_whose_cdf_reaches_q() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_of_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_of_sorted(&sorted, 0.25), 1.0);
        assert_eq!(quantile_of_sorted(&sorted, 0.26), 2.0);
        assert_eq!(quantile_of_sorted(&sorted, 1.0), 4.0);
    }

    #[test]
    fn spread_is_twice_the_standard_deviation_of_logs() {
        // ln e^-1, ln 1, ln e: mean 0, sample SD 1.
        let (mean, sd) = log_mean_sd(&[(-1.0f64).exp(), 1.0, 1.0f64.exp()]).unwrap();
        assert!(mean.abs() < 1e-15 && (sd - 1.0).abs() < 1e-15, "{mean} {sd}");
        // Figures 10% apart: ln 1.1 / sqrt 2 each way, doubled.
        let spread = run_to_run_spread(&[100.0, 110.0]).unwrap();
        assert!((spread - 2.0 * 1.1f64.ln() / 2f64.sqrt()).abs() < 1e-15, "{spread}");
        // The same for any scale: the spread is relative.
        assert!((run_to_run_spread(&[1.0, 1.1]).unwrap() - spread).abs() < 1e-12);
        assert_eq!(run_to_run_spread(&[5.0]), None);
        assert_eq!(run_to_run_spread(&[5.0, 0.0]), None);
    }

    #[test]
    fn the_floor_is_the_spread_a_headline_inherits_from_its_repetitions() {
        // Two runs of four repetitions, ln figures -d, -d, d, d in each: SD
        // d x sqrt(4/3); a headline of 4 has 1.2533 x that / 2; doubled.
        let d = 0.05_f64;
        let run = || Unit { figure: 1.0, parts: Parts::Units([-d, -d, d, d].map(|l| Unit::fixed(l.exp())).to_vec()) };
        let floor = headline_spread_floor(&[run(), run()]).unwrap();
        let want = 2.0 * 1.2533 * d * (4.0f64 / 3.0).sqrt() / 2.0;
        assert!((floor - want).abs() < 1e-12, "{floor} {want}");
        // Runs without repetitions give no floor.
        assert_eq!(headline_spread_floor(&[Unit::fixed(1.0), Unit::fixed(2.0)]), None);
    }
}
