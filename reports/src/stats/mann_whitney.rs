//! The Mann-Whitney U test, two-sided, by the normal approximation with
//! tie and continuity corrections (as scipy's method="asymptotic").

use super::normal::upper_tail;

/// Outcome of a Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample: pairs (x, y) with x > y, ties half.
    pub u: f64,
    /// Standardised statistic (continuity-corrected), 0 when all tie.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Tests whether `x` and `y` come from the same distribution. `None` when
/// either sample is empty.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let n = n1 + n2;
    let (ranks, tie_term) = ranks(x, y);
    let rank_sum_x: f64 = ranks[..x.len()].iter().sum();
    let u1 = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let u2 = n1 * n2 - u1;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        // Every value is the same: no evidence of a difference.
        return Some(MannWhitney { u: u1, z: 0.0, p_value: 1.0 });
    }
    let z = (u1.max(u2) - mean - 0.5) / variance.sqrt();
    let p_value = (2.0 * upper_tail(z)).min(1.0);
    Some(MannWhitney { u: u1, z, p_value })
}

/// Mid-ranks of x followed by y in the pooled sample, and the tie term
/// sum(t^3 - t) over groups of t equal values.
fn ranks(x: &[f64], y: &[f64]) -> (Vec<f64>, f64) {
    let pooled: Vec<f64> = x.iter().chain(y).copied().collect();
    let mut order: Vec<usize> = (0..pooled.len()).collect();
    order.sort_by(|&a, &b| pooled[a].total_cmp(&pooled[b]));
    let mut ranks = vec![0.0; pooled.len()];
    let mut tie_term = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && pooled[order[end]] == pooled[order[start]] {
            end += 1;
        }
        // Positions start..end hold equal values: ranks start+1 ..= end.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid_rank;
        }
        let t = (end - start) as f64;
        tie_term += t * t * t - t;
        start = end;
    }
    (ranks, tie_term)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected figures: scipy.stats.mannwhitneyu(x, y, alternative=
    /// "two-sided", method="asymptotic") via reports/tests/reference/stats_reference.py.
    fn check(x: &[f64], y: &[f64], u: f64, p: f64) {
        let r = mann_whitney_u(x, y).unwrap();
        assert_eq!(r.u, u);
        assert!((r.p_value - p).abs() < 1e-12, "p = {}, want {p}", r.p_value);
    }

    #[test]
    fn matches_scipy_without_ties() {
        check(&[1.1, 2.2, 3.3, 4.4, 5.5], &[2.5, 3.6, 4.7, 5.8, 6.9, 7.0], 6.0, 0.12069080052744556);
    }

    #[test]
    fn matches_scipy_with_ties() {
        check(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 4.0, 5.0, 5.0], 8.5, 0.07826242947714618);
    }

    #[test]
    fn matches_scipy_for_separated_samples() {
        let x = [10.0, 10.2, 9.9, 10.1, 10.05, 9.95, 10.15, 9.85, 10.3, 9.7];
        let y: Vec<f64> = x.iter().map(|v| v + 1.0).collect();
        check(&x, &y, 0.0, 0.00018267179110955002);
    }

    #[test]
    fn identical_values_give_no_evidence() {
        let r = mann_whitney_u(&[5.0; 4], &[5.0; 3]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert_eq!(mann_whitney_u(&[], &[1.0]), None);
    }

    #[test]
    fn swapping_the_samples_keeps_the_p_value() {
        let x = [1.1, 2.2, 3.3, 4.4, 5.5];
        let y = [2.5, 3.6, 4.7, 5.8, 6.9, 7.0];
        let a = mann_whitney_u(&x, &y).unwrap();
        let b = mann_whitney_u(&y, &x).unwrap();
        assert_eq!(a.u + b.u, 30.0);
        assert!((a.p_value - b.p_value).abs() < 1e-15);
    }
}
