//! The numa and cxl suites: what they select, and the cxl suite on a
//! machine without CPU-less nodes.

use hwbench_schema::RecordStatus;
use hwbench_suites::runner::{self, Schedule};
use hwbench_suites::{suites, Session};

use crate::common::{cpuless_nodes, exclusive, host};

#[test]
fn numa_covers_every_node_and_cxl_only_cpuless_ones() {
    let numa = suites::load("numa").unwrap();
    let ids: Vec<&str> = numa.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["memory.matrix", "memory.loaded_latency", "memory.c2c"]);
    assert_eq!(numa.benchmarks[1].set["node"], "all");
    let cxl = suites::load("cxl").unwrap();
    assert!(cxl.benchmarks.iter().all(|b| b.set["node"] == "cpuless"), "{cxl:?}");
}

/// On any machine: the cxl suite on this machine's topology without its
/// CPU-less nodes (if it has any) gives one skipped record per benchmark.
#[test]
fn the_cxl_suite_on_a_machine_without_cpuless_nodes_says_so_in_each_record() {
    let mut host = host();
    host.topology.nodes.retain(|n| !n.cpu_less);
    assert!(cpuless_nodes(&host).is_empty());
    let chosen = runner::select(&[], Some(&suites::load("cxl").unwrap()), &[]).unwrap();
    let planned = runner::plan(chosen, &host).unwrap();
    let _one = exclusive();
    let mut session = Session::plain(host);
    let records = runner::execute(planned, &mut session, Schedule::ONCE, &mut |_| {}).records;
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r.status, RecordStatus::Skipped);
        assert!(r.reason.as_deref().unwrap().contains("no CPU-less memory node"), "{r:?}");
    }
}
