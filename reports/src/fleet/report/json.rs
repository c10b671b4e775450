//! The fleet as JSON (`hwbench fleet --json`, fleet.json): the method, each
//! cohort's distributions, the flagged nodes with their reasons
//! (`outliers`), the discoveries not flagged for want of persistence
//! (`intermittent`), and cohort against cohort.

use serde::Serialize;

use super::super::judge::Test;
use super::super::persistence::MIN_REPETITIONS;
use super::super::Fleet;
use crate::stats::Interval;

#[derive(Serialize)]
struct Document<'a> {
    fleet: Summary,
    method: Method<'a>,
    cohorts: Vec<Cohort<'a>>,
    outliers: Vec<Outlier<'a>>,
    intermittent: Vec<Intermittent<'a>>,
    comparisons: Vec<Comparison<'a>>,
}

#[derive(Serialize)]
struct Summary {
    runs: usize,
    cohorts: usize,
    grouped_by: String,
    tests: usize,
    flagged_tests: usize,
    flagged_nodes: usize,
    intermittent_tests: usize,
}

#[derive(Serialize)]
struct Method<'a> {
    text: String,
    false_discovery_rate: f64,
    procedure: &'a str,
    p_threshold: f64,
    min_effect: f64,
    max_spread: f64,
    min_nodes: usize,
    min_repetitions: usize,
    persistence: &'a str,
    detectable_shift: &'a str,
}

#[derive(Serialize)]
struct Cohort<'a> {
    index: usize,
    key: &'a str,
    nodes: usize,
    unjudged: Option<&'a str>,
    differs_from_largest: Vec<FingerprintDifference<'a>>,
    metrics: Vec<Distribution<'a>>,
}

#[derive(Serialize)]
struct FingerprintDifference<'a> {
    part: &'a str,
    value: &'a str,
    largest_cohort: &'a str,
}

#[derive(Serialize)]
struct MetricRef<'a> {
    id: &'a str,
    params: &'a str,
    metric: &'a str,
    unit: &'a str,
}

#[derive(Serialize)]
struct Distribution<'a> {
    #[serde(flatten)]
    metric: MetricRef<'a>,
    #[serde(flatten)]
    summary: crate::stats::Summary,
    spread: f64,
    relative_spread: Option<f64>,
    verdict: &'static str,
    bounds: Option<(f64, f64)>,
    k: Option<f64>,
    nodes_with_repetitions: usize,
    detectable_shift: Option<f64>,
    detectable_shift_every_repetition: Option<f64>,
    flagged: usize,
    intermittent: usize,
}

#[derive(Serialize)]
struct Outlier<'a> {
    run_id: &'a str,
    label: Option<&'a str>,
    name: &'a str,
    path: String,
    cohort: usize,
    families: Vec<Family<'a>>,
    metrics: Vec<Flagged<'a>>,
    provenance: Vec<Difference<'a>>,
}

#[derive(Serialize)]
struct Family<'a> {
    family: &'a str,
    metrics: &'a [String],
    flagged: usize,
    tested: usize,
    median_change: f64,
    direction: &'a str,
    points: &'a str,
    persistent: usize,
    evidence: String,
    summary: String,
}

#[derive(Serialize)]
struct Flagged<'a> {
    #[serde(flatten)]
    metric: MetricRef<'a>,
    value: f64,
    cohort_median: f64,
    change: f64,
    robust_z: f64,
    p_value: f64,
    q_value: f64,
    bounds: Option<(f64, f64)>,
    evidence: &'static str,
    repetitions: Option<Repetitions>,
}

/// A discovery whose headline is beyond the bounds but not every repetition.
#[derive(Serialize)]
struct Intermittent<'a> {
    run_id: &'a str,
    label: Option<&'a str>,
    name: &'a str,
    cohort: usize,
    #[serde(flatten)]
    test: Flagged<'a>,
}

#[derive(Serialize)]
struct Repetitions {
    counted: usize,
    set_aside: bool,
    beyond: usize,
}

#[derive(Serialize)]
struct Difference<'a> {
    fact: &'a str,
    value: &'a str,
    cohort_majority: &'a str,
    majority_nodes: usize,
    cohort_nodes: usize,
}

#[derive(Serialize)]
struct Comparison<'a> {
    reference: usize,
    other: usize,
    rows: Vec<ComparisonRow<'a>>,
}

#[derive(Serialize)]
struct ComparisonRow<'a> {
    #[serde(flatten)]
    metric: MetricRef<'a>,
    nodes: (usize, usize),
    medians: (f64, f64),
    change: f64,
    interval_95: Option<Interval>,
    verdict: &'a str,
}

/// The document as pretty JSON bytes.
pub fn render(fleet: &Fleet) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(&document(fleet)).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn document(fleet: &Fleet) -> Document<'_> {
    let metric = |m: u32| metric_ref(fleet, m);
    let j = &fleet.judgement;
    let cohorts = fleet
        .cohorts
        .iter()
        .enumerate()
        .map(|(c, cohort)| Cohort {
            index: c + 1,
            key: &cohort.key,
            nodes: cohort.members.len(),
            unjudged: cohort.unjudged.as_deref(),
            differs_from_largest: cohort
                .differs_from_largest
                .iter()
                .map(|(part, value, largest)| FingerprintDifference { part, value, largest_cohort: largest })
                .collect(),
            metrics: j.distributions[c]
                .iter()
                .map(|dist| Distribution {
                    metric: metric(dist.metric),
                    summary: dist.summary,
                    spread: dist.sigma,
                    relative_spread: dist.summary.relative_spread(),
                    verdict: dist.verdict.as_str(),
                    bounds: dist.bounds,
                    k: dist.k,
                    nodes_with_repetitions: dist.repeated,
                    detectable_shift: dist.detectable.map(|d| d.headline),
                    detectable_shift_every_repetition: dist.detectable.and_then(|d| d.every_repetition),
                    flagged: dist.flagged,
                    intermittent: dist.intermittent,
                })
                .collect(),
        })
        .collect();
    let outliers = fleet
        .outliers
        .iter()
        .map(|o| {
            let node = &fleet.nodes[o.node];
            Outlier {
                run_id: &node.run_id,
                label: node.label.as_deref(),
                name: &node.name,
                path: node.path.display().to_string(),
                cohort: node.cohort + 1,
                families: o
                    .families
                    .iter()
                    .map(|f| Family {
                        family: &f.id,
                        metrics: &f.metrics,
                        flagged: f.flagged,
                        tested: f.tested,
                        median_change: f.median_change,
                        direction: f.direction,
                        points: &f.points,
                        persistent: f.persistent,
                        evidence: f.evidence(),
                        summary: f.describe(),
                    })
                    .collect(),
                metrics: o.tests.iter().map(|&t| flagged(fleet, &j.tests[t])).collect(),
                provenance: o
                    .differences
                    .iter()
                    .map(|d| Difference {
                        fact: &d.fact,
                        value: &d.value,
                        cohort_majority: &d.majority,
                        majority_nodes: d.majority_nodes,
                        cohort_nodes: d.cohort_nodes,
                    })
                    .collect(),
            }
        })
        .collect();
    let comparisons = fleet
        .comparisons
        .iter()
        .map(|c| Comparison {
            reference: c.reference + 1,
            other: c.other + 1,
            rows: c
                .rows
                .iter()
                .map(|r| ComparisonRow {
                    metric: metric(r.metric),
                    nodes: r.nodes,
                    medians: r.medians,
                    change: r.change,
                    interval_95: r.interval,
                    verdict: r.verdict,
                })
                .collect(),
        })
        .collect();
    Document {
        fleet: Summary {
            runs: fleet.nodes.len(),
            cohorts: fleet.cohorts.len(),
            grouped_by: fleet.grouping(),
            tests: j.tests.len(),
            flagged_tests: j.flagged(),
            flagged_nodes: fleet.outliers.len(),
            intermittent_tests: j.intermittent(),
        },
        method: Method {
            text: super::method(fleet),
            false_discovery_rate: fleet.options.fdr,
            procedure: "Benjamini-Hochberg over every (node, metric) test of every cohort",
            p_threshold: j.p_threshold,
            min_effect: fleet.options.min_effect,
            max_spread: fleet.options.max_spread,
            min_nodes: fleet.options.min_nodes,
            min_repetitions: MIN_REPETITIONS,
            persistence: super::PERSISTENCE,
            detectable_shift: super::DETECTABLE_SHIFT,
        },
        cohorts,
        outliers,
        intermittent: j
            .tests
            .iter()
            .filter(|t| t.intermittent())
            .map(|t| {
                let node = &fleet.nodes[t.node];
                Intermittent {
                    run_id: &node.run_id,
                    label: node.label.as_deref(),
                    name: &node.name,
                    cohort: node.cohort + 1,
                    test: flagged(fleet, t),
                }
            })
            .collect(),
        comparisons,
    }
}

/// How a metric is named in the document.
fn metric_ref(fleet: &Fleet, m: u32) -> MetricRef<'_> {
    let info = &fleet.metrics[m as usize];
    MetricRef { id: &info.key.id, params: &info.key.params, metric: &info.key.metric, unit: &info.unit }
}

/// A discovery's figures, what it rests on and its repetitions.
fn flagged<'a>(fleet: &'a Fleet, t: &Test) -> Flagged<'a> {
    let dist = &fleet.judgement.distributions[t.cohort][t.distribution];
    Flagged {
        metric: metric_ref(fleet, dist.metric),
        value: t.value,
        cohort_median: dist.summary.median,
        change: t.change,
        robust_z: t.z,
        p_value: t.p,
        q_value: t.q,
        bounds: dist.bounds,
        evidence: t.evidence().as_str(),
        repetitions: t.persistence.map(|p| Repetitions {
            counted: p.counted,
            set_aside: p.set_aside,
            beyond: p.beyond,
        }),
    }
}
