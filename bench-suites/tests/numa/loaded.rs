//! memory.loaded_latency: the delay sweep, the zero-load point against
//! memory.latency, and planning over nodes.

use hwbench_probes::binding::allowed_cpus;
use hwbench_schema::Record;

use crate::common::{context, exclusive, fixture, metric, param, points, refused, run};

const ID: &str = "memory.loaded_latency";

fn get(point: &[(String, String)], key: &str) -> String {
    point.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

#[test]
fn the_default_sweep_is_the_zero_load_point_then_mlc_delays_for_each_node() {
    let ctx = fixture("two-socket-cxl");
    let planned = points(&ctx, ID, &["bytes=1MiB", "traffic_bytes=1MiB", "node=all"]);
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
    let listed = points(&ctx, ID, &["bytes=1MiB", "traffic_bytes=1MiB", "node=0", "delay=100,none", "mix=2:1"]);
    assert_eq!(listed.iter().map(|p| get(p, "delay")).collect::<Vec<_>>(), ["100", "none"]);
    assert!(listed.iter().all(|p| get(p, "mix") == "2:1"));
}

#[test]
fn bad_params_are_refused_in_one_line() {
    let ctx = context();
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
        let msg = refused(&ctx, ID, &[set]);
        assert!(msg.contains(want), "{set}: {msg}");
    }
}

fn by_delay<'a>(records: &'a [Record], delay: &str) -> &'a Record {
    records.iter().find(|r| param(r, "delay") == delay).unwrap_or_else(|| panic!("no delay={delay}"))
}

/// Spearman's rank correlation of two equally long series (no ties).
fn rank_correlation(x: &[f64], y: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut rank = vec![0.0; v.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as f64;
        }
        rank
    };
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let d2: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - b).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

fn min_sample(record: &Record, name: &str) -> f64 {
    metric(record, name);
    let m = record.metrics.iter().find(|m| m.name == name).unwrap();
    m.samples.iter().copied().fold(f64::INFINITY, f64::min)
}

#[test]
fn more_delay_gives_less_bandwidth_and_load_never_lowers_latency() {
    if allowed_cpus().len() < 2 {
        return; // no CPU for traffic
    }
    const DELAYS: [f64; 8] = [0.0, 15.0, 50.0, 200.0, 700.0, 2500.0, 9000.0, 20000.0];
    let list: Vec<String> = DELAYS.iter().map(|d| d.to_string()).collect();
    let _one = exclusive();
    let records = run(ID, &["bytes=256MiB", "traffic_bytes=256MiB", &format!("delay=none,{}", list.join(","))]);
    assert_eq!(records.len(), 9);
    for r in &records {
        let latency = metric(r, "latency");
        assert!((30.0..3000.0).contains(&latency), "{latency} ns: {r:?}");
        assert_eq!(r.metrics[0].samples.len(), r.metrics[1].samples.len(), "one bandwidth per latency sample");
        assert_eq!(r.placement.as_ref().unwrap().on_node_fraction, Some(1.0), "{r:?}");
        assert_eq!(r.info["traffic_on_node_fraction"], 1.0, "{r:?}");
    }
    let zero = by_delay(&records, "none");
    assert_eq!(metric(zero, "bandwidth"), 0.0);
    let loaded: Vec<&Record> = list.iter().map(|d| by_delay(&records, d)).collect();
    let bandwidth: Vec<f64> = loaded.iter().map(|r| metric(r, "bandwidth")).collect();
    // Ranks, not pairs: another process on the traffic thread's CPU may
    // slow one point, not the trend.
    assert!(rank_correlation(&DELAYS, &bandwidth) <= -0.9, "bandwidth over delays {DELAYS:?}: {bandwidth:?}");
    assert!(bandwidth[0] > 1.0 && bandwidth[0] > 50.0 * bandwidth[7], "{bandwidth:?}");
    let latency: Vec<f64> = loaded.iter().map(|r| metric(r, "latency")).collect();
    let typical = hwbench_suites::harness::median(&latency);
    assert!(
        typical >= 0.97 * metric(zero, "latency"),
        "loaded {latency:?} vs zero-load {} ns",
        metric(zero, "latency")
    );
}

#[test]
fn the_zero_load_point_matches_memory_latency_at_the_same_size_and_pages() {
    let sets = ["bytes=256MiB", "page=thp"];
    let _one = exclusive();
    let (mut zero_load, mut idle_latency) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let idle = run("memory.latency", &sets);
        let zero = run(ID, &[sets[0], sets[1], "traffic_bytes=1MiB", "delay=none"]);
        zero_load.push(min_sample(&zero[0], "latency"));
        idle_latency.push(metric(&idle[0], "latency_min"));
    }
    // Best samples, and memory.latency's best round: the least disturbed by
    // other processes (memory.latency counts wall time, so time it spends
    // descheduled inflates every sample of a round).
    let best_idle = idle_latency.iter().copied().fold(f64::INFINITY, f64::min);
    let ratio = hwbench_suites::harness::median(&zero_load) / best_idle;
    assert!((0.9..1.1).contains(&ratio), "zero-load {zero_load:?} ns vs memory.latency {idle_latency:?} ns");
}
