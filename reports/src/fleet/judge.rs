//! Judging each cohort: the distribution of every metric over its nodes,
//! a robust z-score and p-value per (node, metric), Benjamini-Hochberg over
//! all of them, the nodes outside the bounds that follow (in every
//! repetition, where a node has repetitions), and the smallest shift each
//! metric could have shown.

use std::collections::BTreeMap;

use super::detectable::{self, Detectable};
use super::node::MetricInfo;
use super::persistence::{typical_scatter, Persistence, MIN_REPETITIONS};
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
    /// Its robust spread exceeds `max_spread` of its median (with or
    /// without repetitions: a sound node at the edge of so wide a
    /// distribution is off in every repetition too).
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
    /// Nodes whose repetitions of it can be counted (at least
    /// [`MIN_REPETITIONS`]).
    pub repeated: usize,
    /// The smallest shifts the cohort could flag on it (judged metrics, and
    /// metrics too variable to judge, for what judging them would take).
    pub detectable: Option<Detectable>,
    /// Nodes flagged on it.
    pub flagged: usize,
    /// Nodes whose headline is beyond its bounds but not every repetition:
    /// off intermittently, not flagged.
    pub intermittent: usize,
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
    /// The node's repetitions against the bounds, when it has enough.
    pub persistence: Option<Persistence>,
    /// A discovery at the false discovery rate, at least the minimum
    /// effect from the median: the headline is beyond the bounds.
    pub discovery: bool,
    /// A discovery whose every counted repetition is beyond the bounds too
    /// (or that has no repetitions to count).
    pub flagged: bool,
}

/// What a discovery rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The headline is beyond the bounds; the node has no repetitions to
    /// count.
    Headline,
    /// The headline and every counted repetition are beyond the bounds.
    EveryRepetition,
    /// The headline is beyond the bounds, not every repetition: off
    /// intermittently, not flagged.
    Intermittent,
}

impl Evidence {
    /// The evidence in words, as the outputs show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Headline => "headline",
            Evidence::EveryRepetition => "headline and every repetition",
            Evidence::Intermittent => "headline, not every repetition",
        }
    }
}

impl Test {
    /// What a discovery on this test rests on.
    pub fn evidence(&self) -> Evidence {
        match self.persistence {
            Some(p) if p.persistent() => Evidence::EveryRepetition,
            Some(_) => Evidence::Intermittent,
            None => Evidence::Headline,
        }
    }

    /// A discovery not flagged because not every repetition is beyond.
    pub fn intermittent(&self) -> bool {
        self.discovery && !self.flagged
    }
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

    /// How many discoveries were not flagged for want of persistence.
    pub fn intermittent(&self) -> usize {
        self.tests.iter().filter(|t| t.intermittent()).count()
    }
}

/// Describes every cohort, tests every node of every judged distribution,
/// flags at the false discovery rate asked for, and says what each metric
/// could have shown.
pub fn judge(nodes: &[Node], cohorts: &[Cohort], metrics: &[MetricInfo], options: &Options) -> Judgement {
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
            let repetitions = |n: usize| nodes[n].figure(metric).map_or(&[][..], |f| &f.repetitions[..]);
            let repeated = values.iter().filter(|(n, _)| repetitions(*n).len() >= MIN_REPETITIONS).count();
            let verdict = verdict(&summary, cohort, options);
            let sigma = spread(&summary);
            let df = degrees_of_freedom(summary.n);
            if verdict == Verdict::Judged {
                for (node, value) in values {
                    let z = (value - summary.median) / sigma;
                    let change = value / summary.median - 1.0;
                    let p = two_sided_p(z, df);
                    let distribution = list.len();
                    tests.push(Test {
                        node,
                        cohort: c,
                        distribution,
                        value,
                        change,
                        z,
                        p,
                        q: 1.0,
                        persistence: None,
                        discovery: false,
                        flagged: false,
                    });
                }
            }
            list.push(Distribution {
                metric,
                summary,
                verdict,
                sigma,
                bounds: None,
                k: None,
                repeated,
                detectable: None,
                flagged: 0,
                intermittent: 0,
            });
        }
        distributions.push(list);
    }
    let p_values: Vec<f64> = tests.iter().map(|t| t.p).collect();
    let adjusted = benjamini_hochberg(&p_values, options.fdr);
    for (c, list) in distributions.iter_mut().enumerate() {
        for d in list.iter_mut() {
            reach(d, &cohorts[c], nodes, metrics, adjusted.threshold, options);
        }
    }
    for (test, q) in tests.iter_mut().zip(adjusted.q_values) {
        let d = &mut distributions[test.cohort][test.distribution];
        let repetitions = nodes[test.node].figure(d.metric).map_or(&[][..], |f| &f.repetitions[..]);
        test.q = q;
        test.persistence = d.bounds.and_then(|b| Persistence::of(repetitions, test.value, d.summary.median, b));
        test.discovery = q <= options.fdr && test.change.abs() >= options.min_effect;
        test.flagged = test.discovery && test.evidence() != Evidence::Intermittent;
        d.flagged += usize::from(test.flagged);
        d.intermittent += usize::from(test.intermittent());
    }
    Judgement { distributions, tests, p_threshold: adjusted.threshold }
}

/// Sets a distribution's k, bounds (judged metrics) and detectable shifts
/// (judged and too variable metrics) at the Benjamini-Hochberg `threshold`.
fn reach(
    d: &mut Distribution,
    cohort: &Cohort,
    nodes: &[Node],
    metrics: &[MetricInfo],
    threshold: f64,
    options: &Options,
) {
    if !matches!(d.verdict, Verdict::Judged | Verdict::TooVariable) {
        return;
    }
    let k = t_critical(threshold, degrees_of_freedom(d.summary.n));
    let m = d.summary.median;
    let headline = detectable::headline(m, d.sigma, k, options.min_effect);
    let scatter = typical_scatter(
        cohort.members.iter().filter_map(|&n| nodes[n].figure(d.metric)).map(|f| &f.repetitions[..]),
        options.min_nodes,
    );
    let better = metrics[d.metric as usize].better;
    let every_repetition = scatter.map(|(sd, count)| detectable::every_repetition(headline, sd, count, better));
    d.detectable = Some(Detectable { headline, every_repetition });
    if d.verdict == Verdict::Judged {
        let distance = headline * m.abs();
        d.bounds = Some((m - distance, m + distance));
        d.k = Some(k);
    }
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
