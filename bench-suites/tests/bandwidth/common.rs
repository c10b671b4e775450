//! What every topic needs: this machine with short samples, and running
//! memory.bandwidth through the real runner.

use std::time::Duration;

use hwbench_probes::SysRoot;
use hwbench_schema::Record;
use hwbench_suites::harness::SamplerConfig;
use hwbench_suites::params::Setting;
use hwbench_suites::runner::{self, PlannedBenchmark, Schedule};
use hwbench_suites::{BenchError, Host, Session};

/// This machine.
pub fn host() -> Host {
    let root = SysRoot::default();
    let topology = hwbench_probes::topology::probe(&root).expect("topology of this machine");
    Host::new(root, topology)
}

/// A session on this machine with 5 ms samples (11 taken, first dropped).
pub fn session() -> Session {
    let mut session = Session::plain(host());
    session.sampler = SamplerConfig { target: Duration::from_millis(5), ..SamplerConfig::default() };
    session
}

/// `--set` values from "k=v" strings.
pub fn settings(sets: &[&str]) -> Vec<Setting> {
    sets.iter().map(|s| s.parse().expect("k=v")).collect()
}

/// Plans memory.bandwidth with these `--set` values, as `hwbench run` does.
pub fn plan(host: &Host, sets: &[&str]) -> Result<Vec<PlannedBenchmark>, BenchError> {
    let chosen = runner::select(&["memory.bandwidth".to_string()], None, &settings(sets))?;
    runner::plan(chosen, host)
}

/// Runs memory.bandwidth with these `--set` values.
pub fn run(sets: &[&str]) -> Vec<Record> {
    let outcome = runner::measure(&["memory.bandwidth"], &settings(sets), &mut session(), Schedule::ONCE).unwrap();
    assert!(!outcome.interrupted);
    outcome.records
}

/// The CPUs this test may run on.
pub fn cpus() -> Vec<u32> {
    hwbench_probes::binding::allowed_cpus()
}
