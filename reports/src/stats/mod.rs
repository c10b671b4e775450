//! Statistics over raw samples: medians, a seeded bootstrap of the relative
//! change of medians, the Mann-Whitney U test, robust summaries (quantiles,
//! MAD), Student's t tails and Benjamini-Hochberg over many tests
//! (docs/METHODS.md, "Comparisons").

mod bootstrap;
mod fdr;
mod mann_whitney;
mod normal;
mod rng;
mod robust;
mod student_t;

pub use bootstrap::{relative_change_ci, Bootstrap, Interval};
pub use fdr::{benjamini_hochberg, Adjusted};
pub use mann_whitney::{mann_whitney_u, MannWhitney};
pub use rng::SplitMix64;
pub use robust::{quantile, Summary, MAD_TO_SIGMA};
pub use student_t::{two_sided_critical as t_critical, two_sided_p as t_two_sided_p};

/// The median of `values`; `None` when empty. Sorts a copy.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_of_sorted(&sorted)
}

/// The median of already sorted values; `None` when empty.
pub fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The geometric mean of positive values; `None` when empty or when a value
/// is not positive and finite.
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn geometric_mean_of_ratios() {
        let g = geometric_mean(&[2.0, 8.0]).unwrap();
        assert!((g - 4.0).abs() < 1e-12, "{g}");
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
        assert_eq!(geometric_mean(&[]), None);
    }
}
