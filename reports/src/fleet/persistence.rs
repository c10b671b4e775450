//! A node's repetitions as evidence: whether every repetition of a metric
//! lies beyond its cohort's bounds (persistently off, not off in one
//! reading), and how widely a cohort's nodes scatter between their own
//! repetitions (README.md, "Fleets").

use crate::stats::{grubbs_outlier, log_mean_sd, median};

/// Fewest repetitions (after one outlying repetition is set aside) that can
/// show a node persistently off: with two, "every repetition" is one
/// reading confirmed once.
pub const MIN_REPETITIONS: usize = 3;

/// The repetitions of a node's figure that count: all of them but the one
/// Grubbs' test finds outlying on the log scale (as comparisons set one
/// transient unit aside), with whether one was set aside. Empty when the
/// figures are fewer than [`MIN_REPETITIONS`].
pub fn counted(repetitions: &[f64]) -> (Vec<f64>, bool) {
    if repetitions.len() < MIN_REPETITIONS {
        return (Vec::new(), false);
    }
    match grubbs_outlier(repetitions) {
        Some(out) => {
            let kept: Vec<f64> = repetitions.iter().enumerate().filter(|&(i, _)| i != out).map(|(_, v)| *v).collect();
            (kept, true)
        }
        None => (repetitions.to_vec(), false),
    }
}

/// How a node's repetitions of one metric stand against the cohort's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persistence {
    /// Repetitions counted: the node's repetitions less one outlying
    /// repetition when Grubbs' test finds one.
    pub counted: usize,
    /// Whether one outlying repetition was set aside.
    pub set_aside: bool,
    /// Of those counted, how many lie beyond the bound on the side of the
    /// node's headline (at or past it).
    pub beyond: usize,
}

impl Persistence {
    /// The evidence of `repetitions` against `bounds`, on the side of
    /// `headline` from `median`; `None` with fewer than [`MIN_REPETITIONS`].
    pub fn of(repetitions: &[f64], headline: f64, median: f64, bounds: (f64, f64)) -> Option<Self> {
        let (kept, set_aside) = counted(repetitions);
        if kept.is_empty() {
            return None;
        }
        let beyond = if headline < median {
            kept.iter().filter(|&&v| v <= bounds.0).count()
        } else {
            kept.iter().filter(|&&v| v >= bounds.1).count()
        };
        Some(Self { counted: kept.len(), set_aside, beyond })
    }

    /// Every repetition counted lies beyond the bound: the node is off in
    /// each reading, not in its headline alone.
    pub fn persistent(&self) -> bool {
        self.beyond == self.counted
    }
}

/// The typical scatter of a node's repetitions in a cohort: the median over
/// nodes of the standard deviation of the natural logarithms of each node's
/// counted repetitions (about the relative spread between one node's
/// readings), with the median count of repetitions; `None` when fewer than
/// `min_nodes` nodes have [`MIN_REPETITIONS`] repetitions to count.
pub fn typical_scatter<'a>(nodes: impl Iterator<Item = &'a [f64]>, min_nodes: usize) -> Option<(f64, usize)> {
    let mut sds = Vec::new();
    let mut counts = Vec::new();
    for repetitions in nodes {
        let (kept, _) = counted(repetitions);
        if let Some((_, sd)) = log_mean_sd(&kept) {
            sds.push(sd);
            counts.push(kept.len() as f64);
        }
    }
    if sds.len() < min_nodes.max(1) {
        return None;
    }
    Some((median(&sds)?, median(&counts)?.floor() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repetition_beyond_is_persistent_one_is_not() {
        let bounds = (90.0, 110.0);
        let all = Persistence::of(&[80.0, 82.0, 79.0, 81.0, 80.5], 80.5, 100.0, bounds).unwrap();
        assert_eq!((all.counted, all.set_aside, all.beyond), (5, false, 5));
        assert!(all.persistent());
        // A headline beyond the bound whose repetitions straddle it.
        let some = Persistence::of(&[80.0, 95.0, 79.0, 96.0, 85.0], 85.0, 100.0, bounds).unwrap();
        assert_eq!(some.beyond, 3);
        assert!(!some.persistent());
        // High side: at the bound counts as beyond.
        let high = Persistence::of(&[110.0, 120.0, 115.0], 115.0, 100.0, bounds).unwrap();
        assert!(high.persistent());
    }

    #[test]
    fn one_transient_repetition_is_set_aside_and_two_are_too_few() {
        // Four readings far below the bound and one transient at the median:
        // Grubbs' test sets it aside, and the four are persistent.
        let p = Persistence::of(&[70.0, 70.5, 69.8, 100.0, 70.2], 70.2, 100.0, (90.0, 110.0)).unwrap();
        assert_eq!((p.counted, p.set_aside, p.beyond), (4, true, 4));
        assert!(p.persistent());
        assert_eq!(Persistence::of(&[70.0, 70.0], 70.0, 100.0, (90.0, 110.0)), None);
    }

    #[test]
    fn the_typical_scatter_is_the_median_node_sd_of_logs() {
        // ln e^-d, 1, e^d: SD d (n - 1 = 2: sqrt(2 d^2 / 2)).
        let node = |d: f64| vec![(-d).exp(), 1.0, d.exp()];
        let nodes = [node(0.01), node(0.02), node(0.03), vec![5.0]];
        let (sd, count) = typical_scatter(nodes.iter().map(|v| v.as_slice()), 3).unwrap();
        assert!((sd - 0.02).abs() < 1e-12, "{sd}");
        assert_eq!(count, 3);
        assert_eq!(typical_scatter(nodes.iter().map(|v| v.as_slice()), 4), None);
    }
}
