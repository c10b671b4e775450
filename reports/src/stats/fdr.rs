//! Many tests at once: the Benjamini-Hochberg procedure, which keeps the
//! expected share of false discoveries among everything flagged at or below
//! a chosen rate.

/// The outcome of Benjamini-Hochberg over a family of p-values.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjusted {
    /// BH-adjusted p-value (q-value) of each test, in input order: a test
    /// is a discovery at rate `fdr` when its q-value is at most `fdr`.
    pub q_values: Vec<f64>,
    /// The step-up cut-off k/m x fdr, k the number of discoveries (at least
    /// 1, what the smallest p-value would have needed when none is): every
    /// p-value at or below it is a discovery, every one above is not.
    pub threshold: f64,
}

/// Benjamini-Hochberg (1995) at false discovery rate `fdr` over `p_values`:
/// sorted ascending, p(k) is a discovery for every k up to the largest k
/// with p(k) <= k/m x fdr. The q-value of p(i) is min over j >= i of
/// m/j x p(j), capped at 1.
pub fn benjamini_hochberg(p_values: &[f64], fdr: f64) -> Adjusted {
    let m = p_values.len();
    if m == 0 {
        return Adjusted { q_values: Vec::new(), threshold: fdr };
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut q_values = vec![1.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p_values[i] * m as f64 / (rank + 1) as f64);
        q_values[i] = running.min(1.0);
    }
    let line = |rank: usize| (rank + 1) as f64 / m as f64 * fdr;
    let discoveries =
        order.iter().enumerate().filter(|(rank, &i)| p_values[i] <= line(*rank)).map(|(rank, _)| rank + 1).next_back();
    let threshold = line(discoveries.unwrap_or(1) - 1);
    Adjusted { q_values, threshold }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Benjamini and Hochberg's paper (15 p-values, rate
    /// 0.05): 4 discoveries (the largest p = 0.0095, under 4/15 x 0.05);
    /// q-values worked by hand from the definition.
    #[test]
    fn matches_the_published_example() {
        let p = [
            0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
            0.7590, 1.0,
        ];
        let a = benjamini_hochberg(&p, 0.05);
        let discoveries = a.q_values.iter().filter(|&&q| q <= 0.05).count();
        assert_eq!(discoveries, 4);
        assert!((a.threshold - 4.0 / 15.0 * 0.05).abs() < 1e-15);
        let want = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571];
        for (got, want) in a.q_values.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert_eq!(a.q_values[14], 1.0);
    }

    #[test]
    fn order_of_the_input_does_not_matter_and_nothing_significant_gives_the_first_step() {
        let a = benjamini_hochberg(&[0.5, 0.0001, 0.2], 0.01);
        assert!((a.q_values[1] - 0.0003).abs() < 1e-15);
        assert!((a.q_values[0] - 0.5).abs() < 1e-15 && (a.q_values[2] - 0.3).abs() < 1e-15);
        let none = benjamini_hochberg(&[0.5, 0.6], 0.01);
        assert_eq!(none.threshold, 0.005);
    }
}
