//! What every topic needs: a context on this machine with short samples,
//! and running a benchmark instance through the real runner.

use std::time::Duration;

use hwbench_probes::SysRoot;
use hwbench_schema::Record;
use hwbench_suites::harness::SamplerConfig;
use hwbench_suites::memory::bandwidth::Bandwidth;
use hwbench_suites::params::Setting;
use hwbench_suites::registry::Benchmark;
use hwbench_suites::runner::{self, Planned};
use hwbench_suites::{BenchError, Context};

/// A context for this machine with 5 ms samples (11 taken, first dropped).
pub fn context() -> Context {
    let root = SysRoot::default();
    let topology = hwbench_probes::topology::probe(&root).expect("topology of this machine");
    let mut ctx = Context::new(root, topology);
    ctx.sampler = SamplerConfig { target: Duration::from_millis(5), ..SamplerConfig::default() };
    ctx
}

/// `--set` values from "k=v" strings.
pub fn settings(sets: &[&str]) -> Vec<Setting> {
    sets.iter().map(|s| s.parse().expect("k=v")).collect()
}

/// Plans memory.bandwidth with these `--set` values, as `hwbench run` does.
pub fn plan(ctx: &Context, sets: &[&str]) -> Result<Vec<Planned>, BenchError> {
    let chosen = runner::select(&["memory.bandwidth".to_string()], None, &settings(sets))?;
    runner::plan(chosen, ctx)
}

/// Runs memory.bandwidth with these `--set` values through `bench`.
pub fn run_with(bench: Bandwidth, sets: &[&str]) -> Vec<Record> {
    let mut ctx = context();
    let mut bench: Box<dyn Benchmark> = Box::new(bench);
    let (spec, params) = runner::select(&["memory.bandwidth".to_string()], None, &settings(sets)).unwrap().remove(0);
    let points = bench.points(&params, &ctx).unwrap();
    let outcome = runner::execute(vec![Planned { spec, bench, points }], &mut ctx, &mut |_| {});
    assert!(!outcome.interrupted);
    outcome.records
}

/// Runs memory.bandwidth with these `--set` values.
pub fn run(sets: &[&str]) -> Vec<Record> {
    run_with(Bandwidth::default(), sets)
}

/// The CPUs this test may run on.
pub fn cpus() -> Vec<u32> {
    hwbench_probes::binding::allowed_cpus()
}
