//! The Mann-Whitney U test, two-sided, as scipy's `method="auto"`: the
//! exact null distribution when a sample has fewer than 8 values and no
//! value ties, else the normal approximation with tie and continuity
//! corrections (`method="asymptotic"`).

use super::normal::upper_tail;

/// Below this many values in the smaller sample, and without ties, the
/// p-value comes from the exact distribution of U.
const EXACT_BELOW: usize = 8;

/// Outcome of a Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample: pairs (x, y) with x > y, ties half.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// True when `p_value` is exact, false for the normal approximation.
    pub exact: bool,
}

/// Tests whether `x` and `y` come from the same distribution. `None` when
/// either sample is empty.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (n1, n2) = (x.len(), y.len());
    let (ranks, tie_term) = ranks(x, y);
    let rank_sum_x: f64 = ranks[..n1].iter().sum();
    let u = rank_sum_x - (n1 * (n1 + 1)) as f64 / 2.0;
    let exact = tie_term == 0.0 && n1.min(n2) < EXACT_BELOW;
    let p_value = if exact { exact_p(u, n1, n2) } else { asymptotic_p(u, n1, n2, tie_term) };
    Some(MannWhitney { u, p_value, exact })
}

/// The smallest two-sided p-value the test can give for samples of these
/// sizes (completely separated, no ties): at or above the significance
/// level, no difference can ever be called significant.
pub fn smallest_p_value(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        1.0
    } else if n1.min(n2) < EXACT_BELOW {
        exact_p(0.0, n1, n2)
    } else {
        asymptotic_p(0.0, n1, n2, 0.0)
    }
}

/// Normal approximation with tie and continuity corrections.
fn asymptotic_p(u1: f64, n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let n = n1 + n2;
    let u2 = n1 * n2 - u1;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        // Every value is the same: no evidence of a difference.
        return 1.0;
    }
    let z = (u1.max(u2) - mean - 0.5) / variance.sqrt();
    (2.0 * upper_tail(z)).min(1.0)
}

/// Two-sided p-value from the exact null distribution of U (no ties):
/// twice the probability of a U as far from its mean as `u`, at most 1.
fn exact_p(u: f64, n1: usize, n2: usize) -> f64 {
    let counts = u_distribution(n1.min(n2), n1.max(n2));
    let total: f64 = counts.iter().sum();
    let nearer_tail = u.min((n1 * n2) as f64 - u);
    let tail: f64 = counts.iter().enumerate().take_while(|(k, _)| *k as f64 <= nearer_tail).map(|(_, c)| c).sum();
    (2.0 * tail / total).min(1.0)
}

/// How many ways each U = 0 ..= m*n arises when m of the m+n ranks are the
/// first sample's: the number of m-subsets of 1..=m+n by rank sum, shifted
/// by m(m+1)/2. Counted as floats (exact to 2^53; beyond, relative error
/// of one rounding per addition).
fn u_distribution(m: usize, n: usize) -> Vec<f64> {
    let max_sum = m * (m + n);
    // ways[k][s]: subsets of k of the ranks seen so far with rank sum s.
    let mut ways = vec![vec![0.0; max_sum + 1]; m + 1];
    ways[0][0] = 1.0;
    for rank in 1..=m + n {
        for k in (1..=m.min(rank)).rev() {
            let (lower, upper) = ways.split_at_mut(k);
            for s in (rank..=max_sum).rev() {
                upper[0][s] += lower[k - 1][s - rank];
            }
        }
    }
    let offset = m * (m + 1) / 2;
    ways[m][offset..=offset + m * n].to_vec()
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
    /// "two-sided") with method "exact" or "asymptotic" as scipy's "auto"
    /// chooses, via reports/tests/reference/stats_reference.py.
    fn check(x: &[f64], y: &[f64], u: f64, p: f64, exact: bool) {
        let r = mann_whitney_u(x, y).unwrap();
        assert_eq!(r.u, u);
        assert_eq!(r.exact, exact);
        assert!((r.p_value - p).abs() < 1e-12, "p = {}, want {p}", r.p_value);
    }

    #[test]
    fn small_samples_without_ties_use_the_exact_distribution() {
        check(&[1.1, 2.2, 3.3, 4.4, 5.5], &[2.5, 3.6, 4.7, 5.8, 6.9, 7.0], 6.0, 0.12554112554112554, true);
        check(&[3.1, 1.2, 7.7, 4.4, 5.0], &[6.1, 8.2, 9.3, 2.4, 10.5, 11.6, 12.7], 5.0, 0.047979797979797977, true);
        // Separated samples of 5: 2 of the C(10, 5) = 252 orders are as extreme.
        check(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0], 0.0, 2.0 / 252.0, true);
    }

    #[test]
    fn matches_scipy_asymptotic_with_ties() {
        check(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 4.0, 5.0, 5.0], 8.5, 0.07826242947714618, false);
    }

    #[test]
    fn matches_scipy_asymptotic_for_separated_samples_of_ten() {
        let x = [10.0, 10.2, 9.9, 10.1, 10.05, 9.95, 10.15, 9.85, 10.3, 9.7];
        let y: Vec<f64> = x.iter().map(|v| v + 1.0).collect();
        check(&x, &y, 0.0, 0.00018267179110955002, false);
    }

    #[test]
    fn the_exact_distribution_counts_every_order() {
        // Sizes 2 and 3: the 10 orders give U = 0, 1, 2, 2, 3, 3, 4, 4, 5, 6.
        assert_eq!(u_distribution(2, 3), [1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0]);
        let total: f64 = u_distribution(7, 40).iter().sum();
        assert_eq!(total, 62891499.0, "C(47, 7)");
    }

    #[test]
    fn few_units_cannot_reach_significance() {
        assert!((smallest_p_value(3, 3) - 0.1).abs() < 1e-15);
        assert!((smallest_p_value(4, 4) - 2.0 / 70.0).abs() < 1e-15);
        assert!((smallest_p_value(2, 5) - 2.0 / 21.0).abs() < 1e-15);
        assert!(smallest_p_value(10, 10) < 1e-3);
        assert_eq!(smallest_p_value(0, 5), 1.0);
    }

    #[test]
    fn identical_values_give_no_evidence() {
        let r = mann_whitney_u(&[5.0; 4], &[5.0; 3]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert_eq!(mann_whitney_u(&[], &[1.0]), None);
    }

    #[test]
    fn swapping_the_samples_keeps_the_p_value() {
        let x = [1.1, 2.2, 3.3, 4.4, 5.5, 0.3, 9.1, 4.7];
        let y = [2.5, 3.6, 4.7, 5.8, 6.9, 7.0, 1.9, 8.8, 3.3];
        let a = mann_whitney_u(&x, &y).unwrap();
        let b = mann_whitney_u(&y, &x).unwrap();
        assert_eq!(a.u + b.u, 72.0);
        assert!((a.p_value - b.p_value).abs() < 1e-15);
        let a = mann_whitney_u(&x[..5], &y[..6]).unwrap();
        let b = mann_whitney_u(&y[..6], &x[..5]).unwrap();
        assert!(a.exact && (a.p_value - b.p_value).abs() < 1e-15);
    }
}
