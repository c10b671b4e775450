//! Performance relative to a baseline run: per metric ratio (inverted for
//! lower-is-better metrics, so above 1 is always better), geometric means
//! per benchmark and over every metric all runs have (as the Phoronix Test
//! Suite summarises many systems).

use std::collections::HashMap;

use hwbench_schema::{Better, Metric};

use crate::key::PointKey;
use crate::runs::RunSet;
use crate::stats::geometric_mean;

/// Metrics that account for energy over a window rather than measure
/// performance: left out of the relative figures.
const NOT_PERFORMANCE: [&str; 4] = ["power", "power_net", "energy", "energy_net"];

/// The geometric mean of one group of metrics, per run.
#[derive(Debug, Clone)]
pub struct Group {
    /// Benchmark id, or "all" for the overall figure.
    pub name: String,
    /// Metrics in the mean.
    pub metrics: usize,
    /// Per run: geometric mean of its ratios to the baseline.
    pub per_run: Vec<Option<f64>>,
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
    let mut per_id: Vec<(String, Vec<Vec<f64>>)> = Vec::new();
    for record in runs.runs[baseline].ok_records() {
        let key = PointKey::of(record);
        for base in &record.metrics {
            let lookup = (key.clone(), base.name.as_str());
            let Some(ratios) = indexes
                .iter()
                .map(|index| index.get(&lookup).filter(|m| m.unit == base.unit).map(|m| ratio(base, m)))
                .collect::<Option<Vec<f64>>>()
            else {
                continue;
            };
            let slot = match per_id.iter().position(|(id, _)| *id == key.id) {
                Some(i) => i,
                None => {
                    per_id.push((key.id.clone(), vec![Vec::new(); runs.runs.len()]));
                    per_id.len() - 1
                }
            };
            for (run, r) in ratios.into_iter().enumerate() {
                per_id[slot].1[run].push(r);
            }
        }
    }
    let group = |name: String, ratios: &[Vec<f64>]| Group {
        name,
        metrics: ratios.first().map_or(0, Vec::len),
        per_run: ratios.iter().map(|r| geometric_mean(r)).collect(),
    };
    let mut all = vec![Vec::new(); runs.runs.len()];
    for (_, ratios) in &per_id {
        for (run, r) in ratios.iter().enumerate() {
            all[run].extend_from_slice(r);
        }
    }
    Relative {
        baseline,
        per_id: per_id.iter().map(|(id, ratios)| group(id.clone(), ratios)).collect(),
        overall: group("all".into(), &all),
    }
}

/// How much better `other` is than `base`: above 1 is better.
fn ratio(base: &Metric, other: &Metric) -> f64 {
    match base.better {
        Better::Higher => other.value / base.value,
        Better::Lower => base.value / other.value,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hwbench_schema::{Metric, Record, RecordStatus};

    use super::*;
    use crate::inputs::Loaded;

    fn metric(name: &str, unit: &str, value: f64, better: Better) -> Metric {
        Metric {
            name: name.into(),
            unit: unit.into(),
            value,
            statistic: "median".into(),
            samples: vec![],
            better,
            repetitions: Vec::new(),
        }
    }

    fn run(metrics: Vec<(&str, Metric)>) -> Loaded {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/minimal-v1.json");
        let mut doc = hwbench_schema::load(&path).unwrap();
        doc.benchmarks = metrics
            .into_iter()
            .map(|(id, m)| Record {
                id: id.into(),
                params: Default::default(),
                status: RecordStatus::Ok,
                reason: None,
                metrics: vec![m],
                placement: None,
                info: Default::default(),
                energy: None,
                counters: None,
                interference: None,
            })
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
    }
}
