//! The benchmark contract and the table of benchmarks.
//!
//! A benchmark is typed ([`Benchmark`]): it plans points of its own type
//! from the settings once (defaults and parsing live there) and measures
//! one typed point with the session. The table ([`BENCHMARKS`]) holds each
//! benchmark once, type-erased ([`Planner`]), for listing, help, selection
//! and the runner; a point's params in the record are the point serialised.

use std::collections::BTreeMap;

use hwbench_schema::{Metric, ParamValue, Placement, Record};
use serde::Serialize;

use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{params_of, ParamSpec, Settings};
use crate::session::Session;

/// What a measured point produced.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// The figures, every sample kept.
    pub metrics: Vec<Metric>,
    /// Where the memory was, when the benchmark placed memory.
    pub placement: Option<Placement>,
    /// Facts about the measurement that are not params.
    pub info: BTreeMap<String, serde_json::Value>,
}

/// A benchmark: plans typed points, then measures them one by one.
pub trait Benchmark: Send {
    /// One point to measure, every param resolved; serialised, it is the
    /// record's `params`.
    type Point: Serialize + Send;

    /// Expands the settings into the points to measure. Errors here are
    /// bad input: nothing has run yet.
    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<Self::Point>, BenchError>;

    /// Measures one point.
    fn measure(&mut self, point: &Self::Point, session: &mut Session) -> Result<Measured, BenchError>;

    /// Seconds measuring `point` once takes on the machine `cost`
    /// describes: the benchmark's own cost model (docs/METHODS.md, "Plans
    /// and budgets"). `previous` is the point measured just before it in
    /// the same repetition (None: the repetition's first), so work that
    /// consecutive points share (buffers placed and touched, workers
    /// started) is counted once, where it happens.
    fn estimate(&self, point: &Self::Point, previous: Option<&Self::Point>, cost: &CostModel) -> f64;

    /// The coordinate of `points` a budget may measure fewer values of,
    /// and how few a figure needs; None when every point is its own figure.
    fn sweep(&self, _points: &[Self::Point]) -> Option<Sweep> {
        None
    }

    /// Drops what measuring keeps between points (buffers, worker threads):
    /// called after each repetition of the benchmark's points, so the next
    /// repetition gets fresh memory as another run would.
    fn release(&mut self) {}

    /// Summary records derived from this benchmark's records of the run
    /// (`own`), which may draw on every record of the run (`all`: another
    /// benchmark's peak, say); the session gives the host and takes run
    /// warnings.
    fn summarize(&self, _own: &[Record], _all: &[Record], _session: &mut Session) -> Vec<Record> {
        Vec::new()
    }
}

/// A benchmark with its point type erased: what the table and the runner
/// hold. Points are addressed by their index in the plan.
pub trait Planner: Send {
    /// Plans, keeping the typed points; returns each point's params.
    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<BTreeMap<String, ParamValue>>, BenchError>;
    /// Measures planned point `index`.
    fn measure(&mut self, index: usize, session: &mut Session) -> Result<Measured, BenchError>;
    /// Seconds measuring planned point `index` takes after point
    /// `previous` ([`Benchmark::estimate`]).
    fn estimate(&self, index: usize, previous: Option<usize>, cost: &CostModel) -> f64;
    /// See [`Benchmark::sweep`], over the planned points.
    fn sweep(&self) -> Option<Sweep>;
    /// Keeps the planned points `keep` (indices, in plan order) and drops
    /// the others: a budget's shortening.
    fn retain(&mut self, keep: &[usize]);
    /// See [`Benchmark::release`].
    fn release(&mut self);
    /// See [`Benchmark::summarize`].
    fn summarize(&self, own: &[Record], all: &[Record], session: &mut Session) -> Vec<Record>;
}

struct Typed<B: Benchmark> {
    bench: B,
    points: Vec<B::Point>,
}

impl<B: Benchmark> Planner for Typed<B> {
    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<BTreeMap<String, ParamValue>>, BenchError> {
        self.points = self.bench.plan(settings, host)?;
        self.points.iter().map(params_of).collect()
    }

    fn measure(&mut self, index: usize, session: &mut Session) -> Result<Measured, BenchError> {
        let point = self.points.get(index).ok_or_else(|| BenchError::Failed(format!("no planned point {index}")))?;
        self.bench.measure(point, session)
    }

    fn estimate(&self, index: usize, previous: Option<usize>, cost: &CostModel) -> f64 {
        match self.points.get(index) {
            Some(point) => self.bench.estimate(point, previous.and_then(|p| self.points.get(p)), cost),
            None => 0.0,
        }
    }

    fn sweep(&self) -> Option<Sweep> {
        self.bench.sweep(&self.points)
    }

    fn retain(&mut self, keep: &[usize]) {
        let mut index = 0;
        self.points.retain(|_| {
            index += 1;
            keep.contains(&(index - 1))
        });
    }

    fn release(&mut self) {
        self.bench.release();
    }

    fn summarize(&self, own: &[Record], all: &[Record], session: &mut Session) -> Vec<Record> {
        self.bench.summarize(own, all, session)
    }
}

/// Wraps a benchmark for the table.
pub fn erase<B: Benchmark + 'static>(bench: B) -> Box<dyn Planner> {
    Box::new(Typed { bench, points: Vec::new() })
}

/// A row of the benchmark table.
pub struct BenchmarkSpec {
    /// Dotted, stable id.
    pub id: &'static str,
    /// One line: what it measures.
    pub summary: &'static str,
    /// Metrics it reports, for help and SCHEMA.md.
    pub metrics: &'static str,
    /// Params it accepts.
    pub params: &'static [ParamSpec],
    /// True when it measures GPUs: the run probes adapters only then.
    pub uses_gpu: bool,
    /// Ids of the summary records it derives (`summarize`).
    pub summaries: &'static [&'static str],
    /// Makes a fresh instance for one run.
    pub make: fn() -> Box<dyn Planner>,
}

/// Every benchmark, in the order `list` shows them.
pub static BENCHMARKS: &[BenchmarkSpec] = &[
    crate::memory::latency::SPEC,
    crate::memory::bandwidth::SPEC,
    crate::memory::matrix::SPEC,
    crate::memory::loaded::SPEC,
    crate::memory::c2c::SPEC,
    crate::memory::mlp::SPEC,
    crate::memory::interference::SPEC,
    crate::memory::interleave::SPEC,
    crate::memory::migrate::SPEC,
    crate::cpu::roofline::SPEC,
    crate::gpu::compute::SPEC,
    crate::gpu::memory::SPEC,
    crate::gpu::transfer::SPEC,
    crate::gpu::dispatch::SPEC,
    crate::gpu::roofline::SPEC,
    crate::gpu::gemm::SPEC,
    crate::gpu::gemv::SPEC,
];

/// The benchmark with this id.
pub fn find(id: &str) -> Option<&'static BenchmarkSpec> {
    BENCHMARKS.iter().find(|b| b.id == id)
}

/// Help text listing every benchmark with its params and metrics.
pub fn help_text() -> String {
    let mut out = String::new();
    for b in BENCHMARKS {
        out.push_str(&format!("{:<24} {}\n", b.id, b.summary));
        out.push_str(&format!("{:<24}   metrics: {}\n", "", b.metrics));
        for p in b.params {
            let setting = format!("{}={}", p.name, p.values());
            out.push_str(&format!("{:<24}   {setting:<22} {} (default: {})\n", "", p.help, p.default_text()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (tests/agreement.rs checks the ids against results/SCHEMA.md and the
    /// report's charts.)
    #[test]
    fn ids_are_unique_and_dotted() {
        let mut ids: Vec<&str> =
            BENCHMARKS.iter().flat_map(|b| std::iter::once(b.id).chain(b.summaries.iter().copied())).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
        assert!(ids.iter().all(|id| id.contains('.')), "{ids:?}");
        assert!(help_text().contains("memory.latency"));
    }

    #[test]
    fn gpu_benchmarks_say_so() {
        for b in BENCHMARKS {
            assert_eq!(b.uses_gpu, b.id.starts_with("gpu."), "{}", b.id);
        }
    }
}
