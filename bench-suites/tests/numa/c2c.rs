//! memory.c2c: a cache line passed between every pair of CPUs, both ways.
//! (How the two directions compare is a figure of the machine: the numa
//! report shows it.)

use hwbench_probes::binding::allowed_cpus;

use crate::common::{exclusive, host, metric, param, refused, run};

const ID: &str = "memory.c2c";

#[test]
fn every_ordered_pair_is_measured_and_both_directions_agree() {
    let cpus = allowed_cpus();
    if cpus.len() < 2 {
        eprintln!(
            "skipped: core-to-core latency needs two CPUs; this process has one (a_process_with_one_cpu covers it)"
        );
        return;
    }
    let subset = hwbench_probes::sysroot::format_list(&cpus[..cpus.len().min(4)]);
    let _one = exclusive();
    let records = run(ID, &[&format!("cpus={subset}")]);
    let n = cpus.len().min(4);
    assert_eq!(records.len(), n * (n - 1));
    let latency = |a: &str, b: &str| {
        let r = records.iter().find(|r| param(r, "cpu_a") == a && param(r, "cpu_b") == b).unwrap();
        let one_way = metric(r, "latency");
        let round_trip = metric(r, "round_trip");
        assert!((one_way * 2.0 - round_trip).abs() < 1e-9 * round_trip, "{r:?}");
        one_way
    };
    for r in &records {
        let (a, b) = (param(r, "cpu_a"), param(r, "cpu_b"));
        assert_ne!(a, b);
        assert!(latency(&a, &b) > 0.0 && latency(&b, &a) > 0.0, "{a}<->{b}");
        // 11 samples, the first dropped (fewer when too few slices ran
        // undisturbed before the bound: the record says so).
        let descheduling = &r.info["descheduling"];
        assert_eq!(descheduling["samples"], r.metrics[0].samples.len());
        assert!(r.metrics[0].samples.len() == 10 || descheduling["bound_reached"] == true, "{descheduling}");
        assert_eq!(r.metrics[0].statistic, hwbench_suites::undisturbed::STATISTIC, "{r:?}");
    }
}

#[test]
fn bad_cpu_lists_are_refused_in_one_line() {
    let host = host();
    let first = allowed_cpus()[0];
    let cases: [(String, &str); 4] = [
        (format!("cpus={first}"), "memory.c2c: cpus: needs two CPUs or more"),
        ("cpus=0-9999".into(), "is not available (allowed: "),
        ("cpus=two".into(), "memory.c2c: cpus: 'two' in list"),
        ("max_pairs=1".into(), "memory.c2c: max_pairs: 1: one pair in both orders needs 2"),
    ];
    for (set, want) in cases {
        let msg = refused(&host, ID, &[&set]);
        assert!(msg.contains(want), "{set}: {msg}");
    }
}

#[test]
fn a_process_with_one_cpu_gets_one_skipped_record() {
    let only = allowed_cpus()[0];
    let _one = exclusive();
    // The affinity of this thread is what the benchmark sees.
    let records = std::thread::spawn(move || {
        hwbench_probes::binding::pin_current_thread(&[only]).unwrap();
        run(ID, &[])
    })
    .join()
    .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].status, hwbench_schema::RecordStatus::Skipped);
    assert!(
        records[0].reason.as_deref().unwrap().contains(&format!("needs two CPUs; this process may use {only}")),
        "{records:?}"
    );
}
