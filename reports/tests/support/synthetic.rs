//! Synthetic result documents of known run-to-run variance, for the tests
//! of the statistics (reports/tests) and of the binary (tests/compare.rs,
//! tests/check.rs include this file by path). Seeded: the same seed gives
//! the same document.
//!
//! Each repetition's centre is the metric's centre times exp(between * Z);
//! its samples are that centre times exp(within * Z_i); its figure is the
//! metric's statistic of its samples (figures without samples are the
//! centre itself); the metric's value is the median of the figures, as
//! `hwbench run --repeat` writes them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hwbench_reports::stats::{median, SplitMix64};
use hwbench_schema::{Better, Metric, ParamValue, Record, Repetition, ResultDocument};

/// One metric of one record to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: &'static str,
    /// `bytes` param, so that specs of one id are distinct points.
    pub bytes: i64,
    pub metric: &'static str,
    pub unit: &'static str,
    pub better: Better,
    /// "median", "max" or "total" (no samples).
    pub statistic: &'static str,
    pub centre: f64,
    /// Lognormal sigma between repetitions (0.05: about 5%).
    pub between: f64,
    /// Lognormal sigma of the samples within a repetition.
    pub within: f64,
    /// Samples per repetition; 0 for a figure without samples.
    pub samples: usize,
}

impl Spec {
    /// A latency point (ns, lower is better, median of 10 samples).
    pub fn latency(bytes: i64, centre: f64, between: f64) -> Self {
        Spec {
            id: "memory.latency",
            bytes,
            metric: "latency",
            unit: "ns",
            better: Better::Lower,
            statistic: "median",
            centre,
            between,
            within: 0.01,
            samples: 10,
        }
    }

    /// A bandwidth point (GB/s, higher is better, best of 10 samples).
    pub fn bandwidth(bytes: i64, centre: f64, between: f64) -> Self {
        Spec {
            id: "memory.bandwidth",
            bytes,
            metric: "bandwidth",
            unit: "GB/s",
            better: Better::Higher,
            statistic: "max",
            centre,
            between,
            within: 0.01,
            samples: 10,
        }
    }

    /// An energy figure (J, lower is better, no samples: one value per repetition).
    pub fn energy(bytes: i64, centre: f64, between: f64) -> Self {
        Spec {
            id: "memory.bandwidth",
            bytes,
            metric: "energy_per_op",
            unit: "J/GB",
            better: Better::Lower,
            statistic: "derived",
            centre,
            between,
            within: 0.0,
            samples: 0,
        }
    }

    /// The same point with its centre scaled by `factor` (a real change).
    pub fn shifted(&self, factor: f64) -> Self {
        Spec { centre: self.centre * factor, ..self.clone() }
    }
}

/// A standard normal draw (Box-Muller).
pub fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The metric of `spec` measured `repetitions` times.
pub fn metric(spec: &Spec, repetitions: usize, rng: &mut SplitMix64) -> Metric {
    let mut samples = Vec::new();
    let mut reps = Vec::new();
    for _ in 0..repetitions {
        let centre = spec.centre * (spec.between * normal(rng)).exp();
        let mine: Vec<f64> = (0..spec.samples).map(|_| centre * (spec.within * normal(rng)).exp()).collect();
        let value = match spec.statistic {
            _ if mine.is_empty() => centre,
            "max" => mine.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            _ => median(&mine).unwrap(),
        };
        reps.push(Repetition { value, sample_count: mine.len() });
        samples.extend(mine);
    }
    let value = median(&reps.iter().map(|r| r.value).collect::<Vec<_>>()).unwrap();
    let mut m = Metric::new(spec.metric, spec.unit, value, spec.statistic, samples, spec.better);
    if repetitions > 1 {
        m.repetitions = reps;
    }
    m
}

/// A record per distinct (id, bytes) of `specs`, with every metric of it.
pub fn records(specs: &[Spec], repetitions: usize, rng: &mut SplitMix64) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    for spec in specs {
        let params = [("bytes".to_string(), ParamValue::Int(spec.bytes))].into();
        let m = metric(spec, repetitions, rng);
        match out.iter_mut().find(|r| r.id == spec.id && r.params == params) {
            Some(r) => r.metrics.push(m),
            None => out.push(Record { metrics: vec![m], ..Record::new(spec.id, params) }),
        }
    }
    out
}

/// A document of the repository at `relative` to its root, from either
/// crate's tests.
fn repository_document(relative: &str) -> ResultDocument {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = [here.join(relative), here.join("..").join(relative)].into_iter().find(|p| p.exists()).expect(relative);
    hwbench_schema::load(&path).unwrap()
}

/// The minimal fixture document.
pub fn skeleton() -> ResultDocument {
    repository_document("tests/fixtures/results/minimal-v1.json")
}

/// A run of `specs`, each measured `repetitions` times, seeded.
pub fn document(run_id: &str, specs: &[Spec], repetitions: usize, seed: u64) -> ResultDocument {
    let mut doc = skeleton();
    doc.run.id = run_id.into();
    doc.run.label = Some(run_id.into());
    doc.run.repeat = repetitions as u32;
    doc.run.order_seed = (repetitions > 1).then_some(seed);
    doc.benchmarks = records(specs, repetitions, &mut SplitMix64::new(seed));
    doc
}

/// `document` written to `dir/<run_id>.json`.
pub fn write(dir: &Path, run_id: &str, specs: &[Spec], repetitions: usize, seed: u64) -> PathBuf {
    let path = dir.join(format!("{run_id}.json"));
    hwbench_schema::write_document(&path, &document(run_id, specs, repetitions, seed)).unwrap();
    path
}

/// A ci-like machine: a latency curve (stable in the caches, noisy at a
/// boundary), STREAM-like bandwidths, and an energy figure without samples.
pub fn machine(between: f64) -> Vec<Spec> {
    let mut specs: Vec<Spec> = [16_384, 65_536, 1 << 20, 8 << 20, 64 << 20]
        .iter()
        .map(|&b| Spec::latency(b, 2.0 + b as f64 / 1e6, between))
        .collect();
    specs.extend([1 << 28, 1 << 29].iter().map(|&b| Spec::bandwidth(b, 12.0, between)));
    specs.push(Spec::energy(1 << 28, 3.0, between));
    specs
}

/// A reference run made from a real one within its own repetition spread:
/// every metric's repetitions drawn with replacement (each with its own
/// samples), its value their median, as `hwbench run --repeat` writes
/// them; metrics measured once are kept as they are. Seeded.
pub fn resampled(real: &ResultDocument, run_id: &str, seed: u64) -> ResultDocument {
    let mut doc = real.clone();
    doc.run.id = run_id.into();
    doc.run.label = Some(run_id.into());
    let mut rng = SplitMix64::new(seed);
    for m in doc.benchmarks.iter_mut().flat_map(|r| r.metrics.iter_mut()).filter(|m| m.repetitions.len() > 1) {
        let mut blocks = Vec::new();
        let mut start = 0;
        for rep in &m.repetitions {
            blocks.push(m.samples[start..start + rep.sample_count].to_vec());
            start += rep.sample_count;
        }
        let drawn: Vec<usize> = (0..m.repetitions.len()).map(|_| rng.index(m.repetitions.len())).collect();
        m.repetitions = drawn.iter().map(|&i| m.repetitions[i]).collect();
        m.samples = drawn.iter().flat_map(|&i| blocks[i].clone()).collect();
        m.value = median(&m.repetitions.iter().map(|r| r.value).collect::<Vec<_>>()).unwrap();
        if let (Some(hwbench_schema::Fact::Known(limit)), Some(_)) = (&m.limit, m.of_limit) {
            m.of_limit = Some(m.value / limit.value);
        }
    }
    doc
}

/// Every figure of the records of `id` scaled by `factor`: values,
/// samples, repetitions and shares of their limits.
pub fn scale(doc: &mut ResultDocument, id: &str, factor: f64) {
    for m in doc.benchmarks.iter_mut().filter(|r| r.id == id).flat_map(|r| r.metrics.iter_mut()) {
        m.value *= factor;
        m.samples.iter_mut().for_each(|s| *s *= factor);
        m.repetitions.iter_mut().for_each(|r| r.value *= factor);
        m.of_limit = m.of_limit.map(|f| f * factor);
    }
}

/// The committed ci result of the 2-vCPU AMD EPYC guest: 5 repetitions of
/// every point.
pub fn real_ci() -> ResultDocument {
    repository_document("results/kvm-epyc-2vcpu/2026-11-29-ci.json")
}
