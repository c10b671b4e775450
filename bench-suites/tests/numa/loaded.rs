//! memory.loaded_latency: the delay sweep, the zero-load point against
//! memory.latency, and planning over nodes.

use hwbench_probes::binding::allowed_cpus;
use hwbench_schema::Record;

use crate::common::{exclusive, fixture, host, metric, param, points, refused, run};

const ID: &str = "memory.loaded_latency";

fn get(point: &[(String, String)], key: &str) -> String {
    point.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

#[test]
fn the_default_sweep_is_the_zero_load_point_then_mlc_delays_for_each_node() {
    let host = fixture("two-socket-cxl");
    // By default every mix makes a curve: the family.
    let family = points(&host, ID, &["bytes=1MiB", "traffic_bytes=1MiB", "node=all"]);
    assert_eq!(family.len(), 3 * 5 * 20);
    let planned = points(&host, ID, &["bytes=1MiB", "traffic_bytes=1MiB", "node=all", "mix=read"]);
    assert_eq!(planned.len(), 3 * 20);
    let delays: Vec<String> = planned[..20].iter().map(|p| get(p, "delay")).collect();
    assert_eq!(delays[0], "none");
    assert_eq!(
        delays[1..],
        [
            "0", "2", "8", "15", "50", "100", "200", "300", "400", "500", "700", "1000", "1300", "1700", "2500",
            "3500", "5000", "9000", "20000"
        ]
    );
    assert_eq!(get(&planned[0], "threads"), "0", "the zero-load point has no traffic");
    // The CXL node is loaded from the nearest node with CPUs.
    let cxl: Vec<_> = planned.iter().filter(|p| get(p, "node") == "2").collect();
    assert_eq!(cxl.len(), 20);
    assert!(cxl.iter().all(|p| get(p, "cpu_node") == "0"));
    let listed = points(&host, ID, &["bytes=1MiB", "traffic_bytes=1MiB", "node=0", "delay=100,none", "mix=2:1"]);
    assert_eq!(listed.iter().map(|p| get(p, "delay")).collect::<Vec<_>>(), ["100", "none"]);
    assert!(listed.iter().all(|p| get(p, "mix") == "2:1"));
}

#[test]
fn bad_params_are_refused_in_one_line() {
    let host = host();
    let too_many = format!("threads={}", allowed_cpus().len());
    let cases: [(&str, &str); 6] = [
        ("node=99", "memory.loaded_latency: node: node 99 does not exist"),
        ("delay=soon", "memory.loaded_latency: delay: 'soon' is not a number of iterations, none or sweep"),
        ("threads=0", "memory.loaded_latency: threads: 0 traffic threads: use delay=none"),
        (&too_many, "CPUs besides the chaser's"),
        ("mix=4:1", "memory.loaded_latency: mix: '4:1' is not one of read, 3:1, 2:1, 1:1"),
        ("bytes=100", "memory.loaded_latency: bytes: 64 bytes is less than two 64-byte lines"),
    ];
    for (set, want) in cases {
        let msg = refused(&host, ID, &[set]);
        assert!(msg.contains(want), "{set}: {msg}");
    }
}

fn by_delay<'a>(records: &'a [Record], delay: &str) -> &'a Record {
    records.iter().find(|r| param(r, "delay") == delay).unwrap_or_else(|| panic!("no delay={delay}"))
}

/// The mechanics of a delay sweep on this machine, whatever its speed:
/// every point measured with one bandwidth sample per latency sample, both
/// buffers verified on the node, traffic at every loaded point and none at
/// the zero-load point. (How latency rises with bandwidth is a figure of
/// the machine: scripts/peers and the tiers report show it.)
#[test]
fn a_delay_sweep_measures_every_point_with_its_traffic() {
    if allowed_cpus().len() < 2 {
        eprintln!("skipped: loaded latency needs a CPU for traffic besides the chaser's; this process has one");
        return;
    }
    const DELAYS: [u64; 3] = [0, 200, 20000];
    let list: Vec<String> = DELAYS.iter().map(|d| d.to_string()).collect();
    let _one = exclusive();
    let records =
        run(ID, &["bytes=64MiB", "traffic_bytes=64MiB", "mix=read", &format!("delay=none,{}", list.join(","))]);
    assert_eq!(records.len(), 4);
    for r in &records {
        assert!(metric(r, "latency") > 0.0, "{r:?}");
        assert_eq!(r.metrics[0].samples.len(), r.metrics[1].samples.len(), "one bandwidth per latency sample");
        assert_eq!(r.placement.as_ref().unwrap().on_node_fraction, Some(1.0), "{r:?}");
        assert_eq!(r.info["traffic_on_node_fraction"], 1.0, "{r:?}");
    }
    let zero = by_delay(&records, "none");
    assert_eq!(metric(zero, "bandwidth"), 0.0);
    assert_eq!(param(zero, "threads"), "0");
    for d in &list {
        let loaded = by_delay(&records, d);
        let samples = &loaded.metrics[1].samples;
        assert!(samples.iter().all(|&gbs| gbs > 0.0), "delay {d}: traffic ran in every sample: {samples:?}");
        assert_eq!(param(loaded, "threads"), (allowed_cpus().len() - 1).to_string());
    }
}
