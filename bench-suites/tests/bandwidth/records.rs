//! Records of real runs: one per kernel and thread count, every sample
//! kept, the best reported, validation and placement recorded.

use hwbench_probes::placement::PagePolicy;
use hwbench_probes::SysRoot;
use hwbench_schema::{Better, ParamValue, Record, RecordStatus};
use hwbench_suites::memory::bandwidth::kernels::{Isa, StreamKernel, KERNELS};
use hwbench_suites::memory::bandwidth::threads::cpus::sweep;
use hwbench_suites::memory::bandwidth::{choose_isa, Engine};

use crate::common::{cpus, host, run};

fn int(r: &Record, key: &str) -> i64 {
    match r.params.get(key) {
        Some(ParamValue::Int(v)) => *v,
        other => panic!("{key}: {other:?}"),
    }
}

fn text<'a>(r: &'a Record, key: &str) -> &'a str {
    match r.params.get(key) {
        Some(ParamValue::Str(v)) => v,
        other => panic!("{key}: {other:?}"),
    }
}

#[test]
fn every_kernel_gives_a_validated_best_of_ten_samples_on_node_zero() {
    let threads = cpus().len().min(2);
    let records = run(&["bytes=8MiB", "node=0", &format!("threads={threads}")]);
    let names: Vec<&str> = records.iter().map(|r| text(r, "kernel")).collect();
    let want: Vec<&str> = KERNELS.iter().map(|k| k.name).collect();
    assert_eq!(names, want);
    for r in &records {
        let kernel = text(r, "kernel");
        assert_eq!(r.status, RecordStatus::Ok, "{kernel}: {:?}", r.reason);
        assert_eq!(int(r, "bytes"), 8 << 20);
        assert_eq!(int(r, "threads"), threads as i64);
        assert_eq!(int(r, "node"), 0);
        let bw = &r.metrics[0];
        assert_eq!((bw.name.as_str(), bw.unit.as_str(), bw.statistic.as_str()), ("bandwidth", "GB/s", "max"));
        assert_eq!(bw.better, Better::Higher);
        assert_eq!(bw.samples.len(), 10, "{kernel}: 11 samples, first dropped");
        assert_eq!(bw.value, bw.samples.iter().copied().fold(f64::MIN, f64::max));
        assert!(bw.samples.iter().all(|&s| s > 0.1 && s < 10_000.0), "{kernel}: {:?}", bw.samples);
        assert_eq!(r.metrics[1].name, "bandwidth_median");
        assert!(r.metrics[1].value <= bw.value);
        let placement = r.placement.as_ref().expect("placement");
        assert_eq!(placement.node, Some(0));
        assert_eq!(placement.on_node_fraction, Some(1.0), "{kernel}");
        assert!(placement.pages_checked > 0);
        let words = KERNELS.iter().find(|k| k.name == kernel).unwrap().words();
        assert_eq!(r.info["bytes_per_pass"], (words * 8 * (8 << 20) / 8));
        assert!(r.info["bytes_counted"].as_str().unwrap().contains(&format!("{words} words of 8 bytes")));
        assert_eq!(r.info["validation"]["max_relative_error"], 0.0, "{kernel}");
        assert_eq!(r.info["cpus"].as_array().unwrap().len(), threads);
    }
}

/// Two workers over 2^17 elements of each array `kernel` uses, 4 KiB pages.
fn engine(kernel: StreamKernel) -> Engine {
    let cpus = cpus();
    let workers = vec![cpus[0], *cpus.last().unwrap()];
    let which = kernel.spec().arrays();
    Engine::build(&SysRoot::default(), workers, 1 << 17, PagePolicy::Small, None, &which).unwrap()
}

#[test]
fn a_run_with_one_pass_fewer_fails_validation_for_every_kernel() {
    for k in KERNELS {
        let Some(&isa) = Isa::candidates(k.kernel).first() else {
            eprintln!("skipped {}: no instruction set here runs it ({})", k.name, std::env::consts::ARCH);
            continue;
        };
        let e = engine(k.kernel);
        e.init(k.kernel).unwrap();
        let (_, sum) = e.passes(isa, k.kernel, 1, 5).unwrap();
        e.check(k.kernel, 5, sum).unwrap_or_else(|err| panic!("{}: 5 passes ran and were counted: {err}", k.name));
        let err = e.check(k.kernel, 6, sum).expect_err(&format!("{}: 5 passes ran, 6 were counted", k.name));
        assert!(err.to_string().starts_with("validation failed"), "{}: {err}", k.name);
    }
}

#[test]
fn a_corrupted_element_fails_validation_naming_the_array() {
    for kernel in [StreamKernel::Triad, StreamKernel::Read, StreamKernel::NtWrite] {
        let Some(&isa) = Isa::candidates(kernel).first() else { continue };
        let e = engine(kernel);
        e.init(kernel).unwrap();
        let (_, sum) = e.passes(isa, kernel, 1, 3).unwrap();
        e.arrays().corrupt(kernel.spec().result_array(), 12345);
        let err = e.check(kernel, 3, sum).unwrap_err().to_string();
        assert!(err.contains("array a: 1 of 131072 elements differ"), "{kernel:?}: {err}");
    }
}

#[test]
fn a_thread_sweep_gives_one_record_per_thread_count() {
    let records = run(&["bytes=4MiB", "threads=sweep", "kernel=read"]);
    let counts: Vec<i64> = records.iter().map(|r| int(r, "threads")).collect();
    let cores = hwbench_suites::memory::bandwidth::threads::cpus::cores(&host().topology, &cpus());
    assert_eq!(counts, sweep(cores).iter().map(|&c| c as i64).collect::<Vec<_>>());
    for r in &records {
        assert_eq!(r.status, RecordStatus::Ok, "{:?}", r.reason);
        assert_eq!(r.info["cpus"].as_array().unwrap().len() as i64, int(r, "threads"));
    }
}

#[test]
fn stream_selects_the_four_stream_kernels_with_defaults_resolved() {
    let records = run(&["bytes=1MiB", "kernel=stream", "threads=1", "page=4k"]);
    let names: Vec<&str> = records.iter().map(|r| text(r, "kernel")).collect();
    assert_eq!(names, ["copy", "scale", "add", "triad"]);
    for r in &records {
        assert_eq!(text(r, "page"), "4k");
        assert_eq!(text(r, "oversubscribe"), "no");
        assert_eq!(r.placement.as_ref().unwrap().page_obtained, "4k");
        assert!(!r.params.contains_key("node"), "no node asked for: none recorded");
    }
}

#[test]
fn oversubscribed_threads_run_when_allowed() {
    let threads = cpus().len() + 1;
    let records = run(&["bytes=1MiB", "kernel=copy", &format!("threads={threads}"), "oversubscribe=yes"]);
    assert_eq!(records[0].status, RecordStatus::Ok, "{:?}", records[0].reason);
    assert_eq!(text(&records[0], "oversubscribe"), "yes");
    assert_eq!(records[0].info["cpus"].as_array().unwrap().len(), threads);
}

#[test]
fn auto_runs_the_chosen_trial_and_a_named_isa_runs_as_asked() {
    let records = run(&["bytes=4MiB", "kernel=triad", "threads=1"]);
    let r = &records[0];
    assert_eq!(text(r, "isa"), "auto");
    let trials = r.info["isa_trials"].as_object().expect("auto records its trials");
    let tried: Vec<&str> = trials.keys().map(String::as_str).collect();
    let candidates = Isa::candidates(StreamKernel::Triad);
    let mut want: Vec<&str> = candidates.iter().map(|i| i.name()).collect();
    want.sort_unstable();
    assert_eq!(tried, want);
    let rates: Vec<(Isa, f64)> = candidates.iter().map(|&i| (i, trials[i.name()].as_f64().unwrap())).collect();
    assert_eq!(r.info["isa"], choose_isa(&rates).unwrap().name());
    for isa in Isa::available() {
        let records = run(&["bytes=1MiB", "kernel=add", "threads=1", &format!("isa={}", isa.name())]);
        assert_eq!(records[0].status, RecordStatus::Ok, "{isa:?}: {:?}", records[0].reason);
        assert_eq!(records[0].info["isa"], isa.name());
        assert!(!records[0].info.contains_key("isa_trials"));
    }
}

#[test]
fn non_temporal_kernels_without_a_non_temporal_path_are_skipped_with_the_reason() {
    let records = run(&["bytes=1MiB", "kernel=all", "threads=1", "isa=portable"]);
    for r in &records {
        let kernel = text(r, "kernel");
        if kernel.starts_with("nt_") {
            assert_eq!(r.status, RecordStatus::Skipped, "{kernel}");
            assert_eq!(
                r.reason.as_deref(),
                Some(format!("no non-temporal store path on {}", std::env::consts::ARCH).as_str())
            );
        } else {
            assert_eq!(r.status, RecordStatus::Ok, "{kernel}: {:?}", r.reason);
        }
    }
}
