//! Performance relative to a baseline run: per metric ratio (inverted for
//! lower-is-better metrics, so above 1 is always better), geometric means
//! per benchmark and over every metric all runs have (as the Phoronix Test
//! Suite summarises many systems), each with an interval from a bootstrap
//! over the repetitions of both runs.

use std::collections::HashMap;

use hwbench_schema::{Better, Metric};

use crate::key::PointKey;
use crate::runs::RunSet;
use crate::stats::{geometric_mean, median, Bootstrap, Interval, SplitMix64};

/// Metrics that account for energy over a window rather than measure
/// performance: left out of the relative figures.
const NOT_PERFORMANCE: [&str; 4] = ["power", "power_net", "energy", "energy_net"];

/// Intervals of the whole table are simultaneous at this level: each one
/// is at 1 - (1 - FAMILY_CONFIDENCE) / k for the k intervals (Bonferroni).
pub const FAMILY_CONFIDENCE: f64 = 0.95;

/// The geometric mean of one group of metrics, per run.
#[derive(Debug, Clone)]
pub struct Group {
    /// Benchmark id, or "all" for the overall figure.
    pub name: String,
    /// Metrics in the mean.
    pub metrics: usize,
    /// Per run: geometric mean of its ratios to the baseline.
    pub per_run: Vec<Option<f64>>,
    /// Per run: bootstrap interval of that mean over the repetitions of
    /// both runs; `None` for the baseline, and where a metric of the group
    /// has one repetition in either run (no run-to-run estimate).
    pub intervals: Vec<Option<Interval>>,
}

/// Relative performance of every run to the baseline.
#[derive(Debug, Clone)]
pub struct Relative {
    /// Index of the baseline run.
    pub baseline: usize,
    /// One group per benchmark id, in baseline order.
    pub per_id: Vec<Group>,
    /// Every common metric together.
    pub overall: Group,
    /// Coverage of each interval (Bonferroni-adjusted from [`FAMILY_CONFIDENCE`]).
    pub confidence: f64,
}

/// One metric every run has: its group and each run's metric.
struct Common<'a> {
    group: usize,
    per_run: Vec<&'a Metric>,
}

/// Ratios over the (id, params, metric) points every run measured with the
/// same unit and a positive value.
pub fn relative(runs: &RunSet) -> Relative {
    let indexes: Vec<HashMap<(PointKey, &str), &Metric>> = runs
        .runs
        .iter()
        .map(|run| {
            run.ok_records()
                .flat_map(|r| r.metrics.iter().map(move |m| ((PointKey::of(r), m.name.as_str()), m)))
                .filter(|(_, m)| m.value > 0.0 && m.value.is_finite() && !NOT_PERFORMANCE.contains(&m.name.as_str()))
                .collect()
        })
        .collect();
    let baseline = runs.baseline;
    let mut names: Vec<String> = Vec::new();
    let mut common: Vec<Common> = Vec::new();
    for record in runs.runs[baseline].ok_records() {
        let key = PointKey::of(record);
        for base in &record.metrics {
            let lookup = (key.clone(), base.name.as_str());
            let Some(per_run) = indexes
                .iter()
                .map(|index| index.get(&lookup).filter(|m| m.unit == base.unit && m.better == base.better).copied())
                .collect::<Option<Vec<&Metric>>>()
            else {
                continue;
            };
            let group = names.iter().position(|n| *n == key.id).unwrap_or_else(|| {
                names.push(key.id.clone());
                names.len() - 1
            });
            common.push(Common { group, per_run });
        }
    }
    let runs_n = runs.runs.len();
    let intervals_in_table = (names.len() + 1) * runs_n.saturating_sub(1);
    let bootstrap = family_bootstrap(intervals_in_table);
    let mut per_id: Vec<Group> = names
        .into_iter()
        .map(|name| Group { name, metrics: 0, per_run: vec![None; runs_n], intervals: vec![None; runs_n] })
        .collect();
    let mut overall =
        Group { name: "all".into(), metrics: common.len(), per_run: vec![None; runs_n], intervals: vec![None; runs_n] };
    for c in &common {
        per_id[c.group].metrics += 1;
    }
    for run in 0..runs_n {
        let ratios: Vec<f64> = common.iter().map(|c| ratio(c.per_run[baseline], c.per_run[run])).collect();
        for (g, group) in per_id.iter_mut().enumerate() {
            let mine: Vec<f64> = common.iter().zip(&ratios).filter(|(c, _)| c.group == g).map(|(_, r)| *r).collect();
            group.per_run[run] = geometric_mean(&mine);
        }
        overall.per_run[run] = geometric_mean(&ratios);
        if run != baseline {
            let (groups, all) = intervals(&common, per_id.len(), baseline, run, &bootstrap);
            for (group, interval) in per_id.iter_mut().zip(groups) {
                group.intervals[run] = interval;
            }
            overall.intervals[run] = all;
        }
    }
    Relative { baseline, per_id, overall, confidence: bootstrap.confidence }
}

/// Bootstrap settings for `k` simultaneous intervals: each at
/// 1 - 0.05/k, with enough resamples for ten in each tail (2000 to 20000).
fn family_bootstrap(k: usize) -> Bootstrap {
    let confidence = 1.0 - (1.0 - FAMILY_CONFIDENCE) / k.max(1) as f64;
    let tail = (1.0 - confidence) / 2.0;
    let resamples = ((10.0 / tail).ceil() as usize).clamp(2000, 20_000);
    Bootstrap { resamples, confidence, ..Bootstrap::default() }
}

/// The intervals of every group's geometric mean and the overall one for
/// `run` against `baseline`: each resample draws every metric's repetition
/// figures of both runs with replacement and takes the ratio of their
/// medians. `None` for a group with a metric of one repetition in either run.
fn intervals(
    common: &[Common],
    groups: usize,
    baseline: usize,
    run: usize,
    bootstrap: &Bootstrap,
) -> (Vec<Option<Interval>>, Option<Interval>) {
    let figures: Vec<(Vec<f64>, Vec<f64>)> =
        common.iter().map(|c| (repetition_figures(c.per_run[baseline]), repetition_figures(c.per_run[run]))).collect();
    let estimable: Vec<bool> = (0..groups)
        .map(|g| {
            common.iter().zip(&figures).filter(|(c, _)| c.group == g).all(|(_, (b, n))| b.len() > 1 && n.len() > 1)
        })
        .collect();
    let counts: Vec<usize> = (0..groups).map(|g| common.iter().filter(|c| c.group == g).count()).collect();
    let mut rng = SplitMix64::new(bootstrap.seed);
    let mut draws = vec![Vec::with_capacity(bootstrap.resamples); groups];
    let mut overall = Vec::with_capacity(bootstrap.resamples);
    let mut log_sums = vec![0.0; groups];
    for _ in 0..bootstrap.resamples {
        log_sums.iter_mut().for_each(|s| *s = 0.0);
        for (c, (b, n)) in common.iter().zip(&figures) {
            let r = oriented(c.per_run[baseline].better, resampled_median(b, &mut rng), resampled_median(n, &mut rng));
            log_sums[c.group] += r.ln();
        }
        for (g, sum) in log_sums.iter().enumerate() {
            draws[g].push((sum / counts[g] as f64).exp());
        }
        overall.push((log_sums.iter().sum::<f64>() / common.len().max(1) as f64).exp());
    }
    let groups =
        draws.into_iter().zip(&estimable).map(|(d, &ok)| if ok { bootstrap.interval(d) } else { None }).collect();
    let all = if estimable.iter().all(|&ok| ok) && !common.is_empty() { bootstrap.interval(overall) } else { None };
    (groups, all)
}

/// Each repetition's figure; the headline alone without repetitions.
fn repetition_figures(metric: &Metric) -> Vec<f64> {
    if metric.repetitions.is_empty() {
        vec![metric.value]
    } else {
        metric.repetitions.iter().map(|r| r.value).collect()
    }
}

/// The median of a resample with replacement of `values` (not empty).
fn resampled_median(values: &[f64], rng: &mut SplitMix64) -> f64 {
    let drawn: Vec<f64> = (0..values.len()).map(|_| values[rng.index(values.len())]).collect();
    median(&drawn).unwrap_or(f64::NAN)
}

/// How much better `other` is than `base`: above 1 is better.
fn ratio(base: &Metric, other: &Metric) -> f64 {
    oriented(base.better, base.value, other.value)
}

fn oriented(better: Better, base: f64, other: f64) -> f64 {
    match better {
        Better::Higher => other / base,
        Better::Lower => base / other,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hwbench_schema::{Metric, Record, Repetition};

    use super::*;
    use crate::inputs::Loaded;

    fn metric(name: &str, unit: &str, value: f64, better: Better) -> Metric {
        Metric::new(name, unit, value, "median", vec![], better)
    }

    fn repeated(name: &str, unit: &str, figures: &[f64], better: Better) -> Metric {
        let mut m = metric(name, unit, median(figures).unwrap(), better);
        m.repetitions = figures.iter().map(|&value| Repetition { value, sample_count: 0 }).collect();
        m
    }

    fn run(metrics: Vec<(&str, Metric)>) -> Loaded {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/minimal-v1.json");
        let mut doc = hwbench_schema::load(&path).unwrap();
        doc.benchmarks = metrics
            .into_iter()
            .map(|(id, m)| Record { metrics: vec![m], ..Record::new(id, Default::default()) })
            .collect();
        Loaded { path, doc }
    }

    #[test]
    fn ratios_invert_lower_is_better_and_skip_what_not_every_run_has() {
        let base = run(vec![
            ("memory.latency", metric("latency", "ns", 100.0, Better::Lower)),
            ("memory.bandwidth", metric("bandwidth", "GB/s", 10.0, Better::Higher)),
            ("memory.bandwidth", metric("power", "W", 100.0, Better::Lower)),
            ("gpu.compute", metric("throughput", "GFLOP/s", 5.0, Better::Higher)),
        ]);
        let other = run(vec![
            ("memory.latency", metric("latency", "ns", 50.0, Better::Lower)),
            ("memory.bandwidth", metric("bandwidth", "GB/s", 80.0, Better::Higher)),
            ("memory.bandwidth", metric("power", "W", 400.0, Better::Lower)),
        ]);
        let runs = RunSet::new(vec![base, other], None).unwrap();
        let rel = relative(&runs);
        // Latency halved: 2x better; bandwidth 8x: geometric mean 4.
        assert_eq!(rel.overall.metrics, 2);
        assert_eq!(rel.overall.per_run[0], Some(1.0));
        assert!((rel.overall.per_run[1].unwrap() - 4.0).abs() < 1e-12);
        let ids: Vec<&str> = rel.per_id.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(ids, ["memory.latency", "memory.bandwidth"]);
        assert!((rel.per_id[1].per_run[1].unwrap() - 8.0).abs() < 1e-12, "power left out");
        // One repetition each: no interval anywhere.
        assert!(rel.overall.intervals.iter().chain(rel.per_id.iter().flat_map(|g| &g.intervals)).all(Option::is_none));
    }

    #[test]
    fn intervals_come_from_the_repetitions_and_are_simultaneous() {
        let base = run(vec![
            ("memory.latency", repeated("latency", "ns", &[100.0, 101.0, 99.0, 100.5, 99.5], Better::Lower)),
            ("memory.bandwidth", repeated("bandwidth", "GB/s", &[10.0, 10.1, 9.9, 10.05, 9.95], Better::Higher)),
        ]);
        let same = run(vec![
            ("memory.latency", repeated("latency", "ns", &[100.2, 100.8, 99.1, 100.4, 99.7], Better::Lower)),
            ("memory.bandwidth", repeated("bandwidth", "GB/s", &[10.02, 10.08, 9.93, 10.0, 9.97], Better::Higher)),
        ]);
        let slower = run(vec![
            ("memory.latency", repeated("latency", "ns", &[125.0, 126.0, 124.0, 125.5, 124.5], Better::Lower)),
            ("memory.bandwidth", repeated("bandwidth", "GB/s", &[8.0, 8.1, 7.9, 8.05, 7.95], Better::Higher)),
        ]);
        let rel = relative(&RunSet::new(vec![base, same, slower], None).unwrap());
        // Three groups (two ids and all) for two runs: 6 intervals at 1 - 0.05/6.
        assert!((rel.confidence - (1.0 - 0.05 / 6.0)).abs() < 1e-12);
        assert_eq!(rel.overall.intervals[0], None, "the baseline itself");
        for group in rel.per_id.iter().chain([&rel.overall]) {
            assert!(group.intervals[1].unwrap().contains(1.0), "{}: {:?}", group.name, group.intervals[1]);
            let slow = group.intervals[2].unwrap();
            assert!(slow.upper < 0.85 && slow.lower > 0.75, "{}: {slow:?}", group.name);
        }
    }
}
