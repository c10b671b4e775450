//! What every topic needs: contexts (this machine with short samples, or a
//! fixture topology for planning), running benchmarks through the real
//! runner, and one measurement at a time.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use hwbench_probes::SysRoot;
use hwbench_schema::{Record, RecordStatus};
use hwbench_suites::params::Setting;
use hwbench_suites::runner::{self, Planned};
use hwbench_suites::{BenchError, Context};

/// Measuring tests take this first: on a small machine two measurements
/// at once would load each other's CPUs.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A context for this machine with the default sampler (50 ms samples:
/// shorter ones would chase a prefix of the cycle small enough to stay in
/// the caches, as every sample starts the chase at its first line).
pub fn context() -> Context {
    let root = SysRoot::default();
    let topology = hwbench_probes::topology::probe(&root).expect("topology of this machine");
    Context::new(root, topology)
}

/// A context over a fixture sysfs tree (tests/fixtures/sysfs/NAME), for planning.
pub fn fixture(name: &str) -> Context {
    let root = SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name));
    let topology = hwbench_probes::topology::probe(&root).expect("fixture topology");
    Context::new(root, topology)
}

fn settings(sets: &[&str]) -> Vec<Setting> {
    sets.iter().map(|s| s.parse().expect("k=v")).collect()
}

/// Plans benchmark `id` with these `--set` values, as `hwbench run` does.
pub fn plan(ctx: &Context, id: &str, sets: &[&str]) -> Result<Vec<Planned>, BenchError> {
    runner::plan(runner::select(&[id.to_string()], None, &settings(sets))?, ctx)
}

/// The points benchmark `id` plans, as (param, value) text per point.
pub fn points(ctx: &Context, id: &str, sets: &[&str]) -> Vec<Vec<(String, String)>> {
    let planned = plan(ctx, id, sets).unwrap_or_else(|e| panic!("{id} {sets:?}: {e}"));
    planned[0].points.iter().map(|p| p.0.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()).collect()
}

/// The one-line message of the bad input these settings are.
pub fn refused(ctx: &Context, id: &str, sets: &[&str]) -> String {
    match plan(ctx, id, sets) {
        Err(BenchError::BadInput(msg)) => {
            assert!(!msg.contains('\n'), "one line: {msg}");
            msg
        }
        Err(other) => panic!("{sets:?}: not bad input: {other}"),
        Ok(_) => panic!("{id} {sets:?} was accepted"),
    }
}

/// Runs a plan to records through the runner.
pub fn execute(ctx: &mut Context, planned: Vec<Planned>) -> Vec<Record> {
    let outcome = runner::execute(planned, ctx, &mut |_| {});
    assert!(!outcome.interrupted);
    outcome.records
}

/// Runs benchmark `id` on this machine with these `--set` values.
pub fn run(id: &str, sets: &[&str]) -> Vec<Record> {
    let mut ctx = context();
    let planned = plan(&ctx, id, sets).unwrap_or_else(|e| panic!("{id} {sets:?}: {e}"));
    execute(&mut ctx, planned)
}

/// The value of metric `name`, asserting the record is ok.
pub fn metric(record: &Record, name: &str) -> f64 {
    assert_eq!(record.status, RecordStatus::Ok, "{record:?}");
    record.metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no metric {name} in {record:?}")).value
}

/// A param of a record as text.
pub fn param(record: &Record, name: &str) -> String {
    record.params.get(name).map(|v| v.to_string()).unwrap_or_default()
}

/// The nodes of this machine without CPUs.
pub fn cpuless_nodes(ctx: &Context) -> Vec<u32> {
    ctx.topology.nodes.iter().filter(|n| n.cpu_less).map(|n| n.os_index).collect()
}
