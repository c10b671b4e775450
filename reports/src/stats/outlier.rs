//! Grubbs' test for one outlying unit, so that a single transient
//! repetition (or run) does not make a whole metric's spread wide.

use super::student_t::two_sided_critical;
use super::{log_mean_sd, Unit};

/// Fewest units the test is applied to. Below five, two equal figures and
/// a third one make that third an "outlier" whatever its distance, which
/// would turn quantized figures (histogram buckets) into a zero spread.
pub const MIN_UNITS: usize = 5;

/// Significance level of the test (two-sided). 1%, not 5%: a comparison
/// tests every metric on both sides, and at 5% two of a ci run's 44 metrics
/// a side would lose an ordinary unit each time. A transient repetition
/// measured on a VM stands far out (G within 1% of its maximum
/// (n - 1) / sqrt(n)), well past the 1% critical value.
pub const ALPHA: f64 = 0.01;

/// The index of the one figure Grubbs' two-sided test (level [`ALPHA`])
/// finds an outlier on the log scale, if any. G = max |ln x - mean| / sd
/// (mean and sd of the logs, [`log_mean_sd`]) against [`critical_value`].
/// `None` with fewer than [`MIN_UNITS`] figures, a figure that is not
/// positive and finite, all figures equal, or none beyond the critical
/// value. Tests one figure only: two transient units mask each other and
/// leave the spread wide, which is right for a metric that moves between
/// two levels.
pub fn grubbs_outlier(figures: &[f64]) -> Option<usize> {
    if figures.len() < MIN_UNITS {
        return None;
    }
    let (mean, sd) = log_mean_sd(figures)?;
    if sd == 0.0 {
        return None;
    }
    let (farthest, distance) =
        figures.iter().map(|v| (v.ln() - mean).abs()).enumerate().max_by(|a, b| a.1.total_cmp(&b.1))?;
    (distance / sd > critical_at_alpha(figures.len())).then_some(farthest)
}

/// Counts of units whose critical value at [`ALPHA`] is computed once and
/// kept: a fleet tests the repetitions of every node's every metric.
const TABULATED: usize = 64;

/// [`critical_value`] at [`ALPHA`], from a table made once for up to
/// [`TABULATED`] units.
fn critical_at_alpha(n: usize) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE
        .get_or_init(|| (0..=TABULATED).map(|n| if n < 3 { f64::NAN } else { critical_value(n, ALPHA) }).collect());
    table.get(n).copied().unwrap_or_else(|| critical_value(n, ALPHA))
}

/// Grubbs' critical G for `n` values at two-sided level `alpha`:
/// (n - 1) / sqrt(n) x sqrt(t^2 / (n - 2 + t^2)), t the upper alpha / (2n)
/// quantile of Student's t with n - 2 degrees of freedom.
fn critical_value(n: usize, alpha: f64) -> f64 {
    let n = n as f64;
    let t = two_sided_critical(alpha / n, n - 2.0);
    (n - 1.0) / n.sqrt() * (t * t / (n - 2.0 + t * t)).sqrt()
}

/// `units` without the one Grubbs' test finds an outlier on the log scale
/// of their figures, and that unit's figure; all of them when there is none
/// (or a figure is not positive).
pub fn without_outlier(units: &[Unit]) -> (Vec<Unit>, Option<f64>) {
    let figures: Vec<f64> = units.iter().map(|u| u.figure).collect();
    match grubbs_outlier(&figures) {
        Some(i) => {
            let kept = units.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, u)| u.clone()).collect();
            (kept, Some(units[i].figure))
        }
        None => (units.to_vec(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_critical_values_for_five_units_are_the_tabulated_ones() {
        // Published tables, n = 5 two-sided: 1.715 at 5%, 1.764 at 1%.
        assert!((critical_value(5, 0.05) - 1.715).abs() < 0.001, "{}", critical_value(5, 0.05));
        assert!((critical_value(5, ALPHA) - 1.764).abs() < 0.001, "{}", critical_value(5, ALPHA));
        assert_eq!(critical_at_alpha(5), critical_value(5, ALPHA));
        assert_eq!(critical_at_alpha(TABULATED + 1), critical_value(TABULATED + 1, ALPHA));
    }

    #[test]
    fn one_transient_repetition_in_five_is_found() {
        // STREAM on a VM: four repetitions near 34 GB/s, one at 57.
        assert_eq!(grubbs_outlier(&[34.4, 34.3, 57.0, 34.4, 34.5]), Some(2));
        // Latency with one slow repetition.
        assert_eq!(grubbs_outlier(&[164.0, 163.5, 164.4, 190.0, 165.7]), Some(3));
    }

    #[test]
    fn spread_out_or_two_level_figures_have_no_outlier() {
        // Evenly spread: nothing stands out.
        assert_eq!(grubbs_outlier(&[100.0, 104.0, 108.0, 112.0, 116.0]), None);
        // Two transients mask each other: the metric moves between levels.
        assert_eq!(grubbs_outlier(&[34.0, 34.2, 34.4, 58.0, 60.0]), None);
        // Quantized tails: three in one bucket, two in others.
        assert_eq!(grubbs_outlier(&[3.8, 3.8, 3.8, 4.35, 4.46]), None);
    }

    #[test]
    fn the_outlying_unit_is_taken_out_and_named() {
        let units = [34.4, 34.3, 57.0, 34.4, 34.5].map(Unit::fixed);
        let (kept, out) = without_outlier(&units);
        assert_eq!(out, Some(57.0));
        assert_eq!(kept, [34.4, 34.3, 34.4, 34.5].map(Unit::fixed));
        let (kept, out) = without_outlier(&units[..4]);
        assert_eq!((kept.len(), out), (4, None));
    }

    #[test]
    fn fewer_than_five_units_or_no_spread_give_nothing() {
        assert_eq!(grubbs_outlier(&[1.0, 1.0, 1.0, 9.0]), None);
        assert_eq!(grubbs_outlier(&[2.0; 6]), None);
        assert_eq!(grubbs_outlier(&[]), None);
        assert_eq!(grubbs_outlier(&[34.4, 34.3, 57.0, 34.4, 0.0]), None);
    }
}
