//! What every topic needs: this machine or a fixture topology (for
//! planning), running benchmarks through the real runner, and one
//! measurement at a time.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use hwbench_probes::SysRoot;
use hwbench_schema::{Record, RecordStatus};
use hwbench_suites::params::Setting;
use hwbench_suites::runner::{self, PlannedBenchmark, Schedule};
use hwbench_suites::{BenchError, Host, Session};

/// Measuring tests take this first: on a small machine two measurements
/// at once would load each other's CPUs.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// This machine (the session's sampler is the default: 50 ms samples, as
/// shorter ones would chase a prefix of the cycle small enough to stay in
/// the caches).
pub fn host() -> Host {
    let root = SysRoot::default();
    let topology = hwbench_probes::topology::probe(&root).expect("topology of this machine");
    Host::new(root, topology)
}

/// A fixture sysfs tree (tests/fixtures/sysfs/NAME), for planning.
pub fn fixture(name: &str) -> Host {
    let root = SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name));
    let topology = hwbench_probes::topology::probe(&root).expect("fixture topology");
    Host::new(root, topology)
}

fn settings(sets: &[&str]) -> Vec<Setting> {
    sets.iter().map(|s| s.parse().expect("k=v")).collect()
}

/// Plans benchmark `id` with these `--set` values, as `hwbench run` does.
pub fn plan(host: &Host, id: &str, sets: &[&str]) -> Result<Vec<PlannedBenchmark>, BenchError> {
    runner::plan(runner::select(&[id.to_string()], None, &settings(sets))?, host)
}

/// The points benchmark `id` plans, as (param, value) text per point.
pub fn points(host: &Host, id: &str, sets: &[&str]) -> Vec<Vec<(String, String)>> {
    let planned = plan(host, id, sets).unwrap_or_else(|e| panic!("{id} {sets:?}: {e}"));
    planned[0].points.iter().map(|p| p.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()).collect()
}

/// The one-line message of the bad input these settings are.
pub fn refused(host: &Host, id: &str, sets: &[&str]) -> String {
    match plan(host, id, sets) {
        Err(BenchError::BadInput(msg)) => {
            assert!(!msg.contains('\n'), "one line: {msg}");
            msg
        }
        Err(other) => panic!("{sets:?}: not bad input: {other}"),
        Ok(_) => panic!("{id} {sets:?} was accepted"),
    }
}

/// Runs benchmark `id` on this machine with these `--set` values.
pub fn run(id: &str, sets: &[&str]) -> Vec<Record> {
    let mut session = Session::plain(host());
    let outcome = runner::measure(&[id], &settings(sets), &mut session, Schedule::ONCE)
        .unwrap_or_else(|e| panic!("{id} {sets:?}: {e}"));
    assert!(!outcome.interrupted);
    outcome.records
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
pub fn cpuless_nodes(host: &Host) -> Vec<u32> {
    host.topology.nodes.iter().filter(|n| n.cpu_less).map(|n| n.os_index).collect()
}
