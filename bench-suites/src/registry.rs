//! The table of benchmarks: it drives planning, `hwbench list` and help.

use std::collections::BTreeMap;

use hwbench_schema::{Metric, Placement, Record};

use crate::context::Context;
use crate::error::BenchError;
use crate::params::{ParamSpec, Params};

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

/// A benchmark: plans its points, then measures them one by one.
pub trait Benchmark {
    /// Expands the params into the points to measure, each with every
    /// param resolved. Errors here are bad input: nothing has run yet.
    fn points(&mut self, params: &Params, ctx: &Context) -> Result<Vec<Params>, BenchError>;

    /// Measures one point.
    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError>;

    /// Summary records derived from this benchmark's records of the run.
    fn summarize(&self, _records: &[Record], _ctx: &Context) -> Vec<Record> {
        Vec::new()
    }
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
    /// Makes a fresh instance for one run.
    pub make: fn() -> Box<dyn Benchmark>,
}

/// Every benchmark, in the order `list` shows them.
pub static BENCHMARKS: &[BenchmarkSpec] = &[
    crate::memory::latency::SPEC,
    crate::memory::bandwidth::SPEC,
    crate::memory::matrix::SPEC,
    crate::memory::loaded::SPEC,
    crate::memory::c2c::SPEC,
    crate::gpu::compute::SPEC,
    crate::gpu::memory::SPEC,
    crate::gpu::transfer::SPEC,
    crate::gpu::dispatch::SPEC,
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
            out.push_str(&format!("{:<24}   {setting:<22} {} (default: {})\n", "", p.help, p.default));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_and_documented() {
        let mut ids: Vec<&str> = BENCHMARKS.iter().map(|b| b.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BENCHMARKS.len());
        let schema = include_str!("../../results/SCHEMA.md");
        for b in BENCHMARKS {
            assert!(b.id.contains('.'), "{}", b.id);
            assert!(schema.contains(&format!("`{}`", b.id)), "{} is not documented in results/SCHEMA.md", b.id);
            for p in b.params {
                assert!(schema.contains(&format!("`{}`", p.name)), "{}: param {} undocumented", b.id, p.name);
            }
        }
        assert!(help_text().contains("memory.latency"));
    }
}
