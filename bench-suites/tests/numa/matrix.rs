//! memory.matrix: every initiator x every memory node, measured and placed
//! where asked, with HMAT figures and tier labels beside.

use hwbench_schema::RecordStatus;

use hwbench_suites::runner::{self, Schedule};
use hwbench_suites::Session;

use crate::common::{cpuless_nodes, exclusive, fixture, host, metric, param, plan, points, refused, run};

const ID: &str = "memory.matrix";

fn pairs(points: &[Vec<(String, String)>]) -> Vec<(String, String)> {
    let get = |p: &Vec<(String, String)>, k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    points.iter().map(|p| (get(p, "cpu_node"), get(p, "node"))).collect()
}

fn strs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn every_cpu_node_meets_every_memory_node_its_own_first() {
    let host = fixture("two-socket-cxl");
    let all = pairs(&points(&host, ID, &["bytes=1MiB"]));
    assert_eq!(all, strs(&[("0", "0"), ("0", "1"), ("0", "2"), ("1", "1"), ("1", "0"), ("1", "2")]));
    assert_eq!(pairs(&points(&host, ID, &["bytes=1MiB", "node=cpuless"])), strs(&[("0", "2"), ("1", "2")]));
    assert_eq!(pairs(&points(&host, ID, &["bytes=1MiB", "cpu_node=1", "node=2"])), strs(&[("1", "2")]));
}

#[test]
fn bad_nodes_and_sizes_are_refused_in_one_line() {
    let cxl = fixture("two-socket-cxl");
    let cases: [(&[&str], &str); 5] = [
        (&["node=7"], "memory.matrix: node: node 7 does not exist (this machine has nodes 0-2)"),
        (&["cpu_node=2"], "memory.matrix: cpu_node: node 2 has no CPUs"),
        (&["cpu_node=9"], "memory.matrix: cpu_node: node 9 does not exist"),
        (&["node=near"], "memory.matrix: node: 'near' is not a node number, all, cpuless or local"),
        (&["bytes=64"], "memory.matrix: bytes: 64 bytes is less than two 64-byte lines"),
    ];
    for (sets, want) in cases {
        let msg = refused(&cxl, ID, sets);
        assert!(msg.contains(want), "{sets:?}: {msg}");
    }
    let live = host();
    let missing = live.topology.nodes.iter().map(|n| n.os_index).max().unwrap() + 1;
    let msg = refused(&live, ID, &[&format!("node={missing}")]);
    assert!(msg.contains(&format!("node {missing} does not exist")), "{msg}");
}

#[test]
fn asking_for_cpuless_nodes_where_there_are_none_is_one_skipped_record() {
    let mut host = host();
    host.topology.nodes.retain(|n| !n.cpu_less);
    assert!(cpuless_nodes(&host).is_empty());
    let planned = plan(&host, ID, &["node=cpuless", "bytes=1MiB"]).unwrap();
    let mut session = Session::plain(host);
    let records = runner::execute(planned, &mut session, Schedule::ONCE, &mut |_| {}).records;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].status, RecordStatus::Skipped);
    assert!(records[0].reason.as_deref().unwrap().contains("no CPU-less memory node"), "{records:?}");
}

#[test]
fn this_machine_gets_latency_and_read_bandwidth_for_every_pair_with_placement_verified() {
    let host = host();
    let with_cpus = host.topology.nodes.iter().filter(|n| !n.cpu_less).count();
    let _one = exclusive();
    let records = run(ID, &["bytes=64MiB", "page=thp"]);
    assert_eq!(records.len(), with_cpus * host.topology.nodes.len());
    for r in &records {
        let (latency, bandwidth) = (metric(r, "latency"), metric(r, "bandwidth"));
        assert!(latency > 0.0 && bandwidth > 0.0, "{r:?}");
        let node: u32 = param(r, "node").parse().unwrap();
        let placement = r.placement.as_ref().unwrap();
        assert_eq!(placement.node, Some(node));
        assert_eq!(placement.on_node_fraction, Some(1.0), "{r:?}");
        assert_eq!(r.info["bandwidth_placement"]["on_node_fraction"], 1.0, "{r:?}");
        assert_eq!(r.info["bandwidth_kernel"], "read");
        assert!(
            r.info.contains_key("hmat_read_latency_ns")
                || r.info["hmat"].as_str().unwrap().starts_with("unavailable: "),
            "{r:?}"
        );
        let tier = r.info["tier"]["tier"].as_str().unwrap();
        if param(r, "cpu_node") == param(r, "node") {
            assert_eq!(tier, "local_dram", "{r:?}");
        }
    }
}
