//! Judging each cohort: the distribution of every metric over its nodes,
//! a robust z-score and p-value per (node, metric), Benjamini-Hochberg over
//! all of them, and the nodes outside the bounds that follow.

use std::collections::BTreeMap;

use super::{Cohort, Node, Options};
use crate::stats::{benjamini_hochberg, t_critical, two_sided_p, Summary};

/// The spread is never taken below this share of the median: figures that
/// are identical on most nodes (MAD 0) would otherwise make any difference
/// infinitely significant.
pub const RESOLUTION: f64 = 0.005;

/// Asymptotic efficiency of the MAD against the standard deviation at the
/// normal (0.37): a spread estimated by the MAD of n values is about as
/// certain as a standard deviation of 0.37 n, hence the t reference.
pub const MAD_EFFICIENCY: f64 = 0.37;

/// Degrees of freedom of the t reference for a metric measured by `n`
/// nodes: the spread comes from the cohort itself, so the robust z is
/// referred to Student's t rather than the normal, which would make small
/// cohorts look more certain than they are.
pub fn degrees_of_freedom(n: usize) -> f64 {
    (MAD_EFFICIENCY * n as f64).max(1.0)
}

/// The spread a robust z divides by, for `n` values: 1.4826 x MAD, at
/// least [`RESOLUTION`] of the median, widened by sqrt(1 + pi/(2n)) for the
/// uncertainty of the median itself.
fn spread(summary: &Summary) -> f64 {
    let n = summary.n as f64;
    summary.sigma().max(RESOLUTION * summary.median.abs()) * (1.0 + std::f64::consts::FRAC_PI_2 / n).sqrt()
}

/// Whether a metric was judged in a cohort, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Judged,
    /// Its robust spread exceeds `max_spread` of its median.
    TooVariable,
    /// Its median is zero: no relative spread or change exists.
    ZeroMedian,
    /// Fewer than `min_nodes` nodes of the cohort measured it.
    TooFewNodes,
    /// The cohort itself has fewer than `min_nodes` nodes.
    CohortTooSmall,
}

impl Verdict {
    /// The verdict in words, as the outputs show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Judged => "judged",
            Verdict::TooVariable => "too variable to judge",
            Verdict::ZeroMedian => "median is zero",
            Verdict::TooFewNodes => "too few nodes",
            Verdict::CohortTooSmall => "cohort too small",
        }
    }
}

/// One metric over one cohort.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub metric: u32,
    pub summary: Summary,
    pub verdict: Verdict,
    /// The spread z-scores divide by: 1.4826 x MAD, at least
    /// [`RESOLUTION`] of the median, widened for the median's uncertainty.
    pub sigma: f64,
    /// Values outside are flagged (judged metrics only).
    pub bounds: Option<(f64, f64)>,
    /// The k of the bounds median +- k x spread: the t quantile (with
    /// [`degrees_of_freedom`]) at the Benjamini-Hochberg threshold.
    pub k: Option<f64>,
    /// Nodes flagged on it.
    pub flagged: usize,
}

/// One (node, metric) test.
#[derive(Debug, Clone, Copy)]
pub struct Test {
    pub node: usize,
    pub cohort: usize,
    /// Index of the distribution in its cohort's list.
    pub distribution: usize,
    pub value: f64,
    /// value / cohort median - 1.
    pub change: f64,
    /// Robust z: (value - median) / spread.
    pub z: f64,
    /// Two-sided p-value of `z` against Student's t with
    /// [`degrees_of_freedom`] of the metric's node count.
    pub p: f64,
    /// Benjamini-Hochberg adjusted p-value over every test of the fleet.
    pub q: f64,
    pub flagged: bool,
}

/// Every cohort's distributions and every test.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// Per cohort, one per metric its nodes measured, in metric order.
    pub distributions: Vec<Vec<Distribution>>,
    /// Every (node, metric) test of a judged distribution.
    pub tests: Vec<Test>,
    /// The largest p-value Benjamini-Hochberg calls a discovery (or what
    /// the smallest would have needed, when none is).
    pub p_threshold: f64,
}

impl Judgement {
    /// How many tests flagged.
    pub fn flagged(&self) -> usize {
        self.tests.iter().filter(|t| t.flagged).count()
    }
}

/// Describes every cohort, tests every node of every judged distribution,
/// and flags at the false discovery rate asked for.
pub fn judge(nodes: &[Node], cohorts: &[Cohort], options: &Options) -> Judgement {
    let mut distributions = Vec::with_capacity(cohorts.len());
    let mut tests = Vec::new();
    for (c, cohort) in cohorts.iter().enumerate() {
        let mut per_metric: BTreeMap<u32, Vec<(usize, f64)>> = BTreeMap::new();
        for &n in &cohort.members {
            for figure in &nodes[n].values {
                per_metric.entry(figure.metric).or_default().push((n, figure.value));
            }
        }
        let mut list = Vec::with_capacity(per_metric.len());
        for (metric, values) in per_metric {
            let figures: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
            let Some(summary) = Summary::of(&figures) else { continue };
            let verdict = verdict(&summary, cohort, options);
            let sigma = spread(&summary);
            let df = degrees_of_freedom(summary.n);
            if verdict == Verdict::Judged {
                for (node, value) in values {
                    let z = (value - summary.median) / sigma;
                    let change = value / summary.median - 1.0;
                    let p = two_sided_p(z, df);
                    let distribution = list.len();
                    tests.push(Test { node, cohort: c, distribution, value, change, z, p, q: 1.0, flagged: false });
                }
            }
            list.push(Distribution { metric, summary, verdict, sigma, bounds: None, k: None, flagged: 0 });
        }
        distributions.push(list);
    }
    let p_values: Vec<f64> = tests.iter().map(|t| t.p).collect();
    let adjusted = benjamini_hochberg(&p_values, options.fdr);
    for (test, q) in tests.iter_mut().zip(adjusted.q_values) {
        test.q = q;
        test.flagged = q <= options.fdr && test.change.abs() >= options.min_effect;
        distributions[test.cohort][test.distribution].flagged += usize::from(test.flagged);
    }
    for d in distributions.iter_mut().flatten().filter(|d| d.verdict == Verdict::Judged) {
        let k = t_critical(adjusted.threshold, degrees_of_freedom(d.summary.n));
        let (m, reach) = (d.summary.median, d.sigma * k);
        let effect = options.min_effect * m.abs();
        d.bounds = Some(((m - reach).min(m - effect), (m + reach).max(m + effect)));
        d.k = Some(k);
    }
    Judgement { distributions, tests, p_threshold: adjusted.threshold }
}

fn verdict(summary: &Summary, cohort: &Cohort, options: &Options) -> Verdict {
    if cohort.unjudged.is_some() {
        Verdict::CohortTooSmall
    } else if summary.n < options.min_nodes {
        Verdict::TooFewNodes
    } else {
        match summary.relative_spread() {
            None => Verdict::ZeroMedian,
            Some(spread) if spread > options.max_spread => Verdict::TooVariable,
            Some(_) => Verdict::Judged,
        }
    }
}
