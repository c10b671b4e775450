//! `hwbench check` end to end: the real binary re-runs real benchmarks, and
//! every assertion holds whatever the machine's speed or noise: baselines
//! are real runs doctored by known factors (bandwidth x10, a synthetic
//! run-to-run spread), a record that fails or vanishes in the new run, the
//! noise summary lines, and refusals of baselines that cannot gate.

#[path = "support/tmp.rs"]
mod tmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hwbench_schema::{Metric, RecordStatus, Repetition, ResultDocument};

fn hwbench(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hwbench"));
    command.args(args).env_remove("HWBENCH_SYSFS_ROOT").env_remove("GITHUB_STEP_SUMMARY");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("check", name)
}

fn fixture_root(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs").join(name).to_str().unwrap().to_string()
}

/// A real run of `selection` written to `path`.
fn measure(path: &Path, selection: &[&str], global: &[&str], env: &[(&str, &str)]) -> ResultDocument {
    let mut args = global.to_vec();
    args.push("run");
    args.extend_from_slice(selection);
    args.extend_from_slice(&["--quiet", "--out", path.to_str().unwrap()]);
    let out = hwbench(&args, env);
    assert!(out.status.success(), "{}", text(&out));
    hwbench_schema::load(path).unwrap()
}

/// `hwbench check` against `baseline` (files or directories), threshold 10%.
fn check(baseline: &[&Path], out: &Path, global: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = global.to_vec();
    args.extend_from_slice(&["check", "--threshold", "10", "--out", out.to_str().unwrap(), "--quiet", "--baseline"]);
    args.extend(baseline.iter().map(|p| p.to_str().unwrap()));
    hwbench(&args, env)
}

/// Every value, sample and repetition of the metrics `which` selects, times `factor`.
fn scale(doc: &mut ResultDocument, which: impl Fn(&Metric) -> bool, factor: f64) {
    for m in doc.benchmarks.iter_mut().flat_map(|r| r.metrics.iter_mut()).filter(|m| which(m)) {
        m.value *= factor;
        m.samples.iter_mut().for_each(|s| *s *= factor);
        m.repetitions.iter_mut().for_each(|r| r.value *= factor);
    }
}

/// The run as if measured in `k` repetitions: its samples split into `k`
/// consecutive parts, each part's figure by the metric's statistic.
fn as_repeated(doc: &mut ResultDocument, k: usize) {
    doc.run.repeat = k as u32;
    for m in doc.benchmarks.iter_mut().flat_map(|r| r.metrics.iter_mut()) {
        let size = m.samples.len() / k;
        m.samples.truncate(size * k);
        m.repetitions = (0..k)
            .map(|i| {
                let mut part = m.samples[i * size..(i + 1) * size].to_vec();
                part.sort_by(f64::total_cmp);
                let value = match m.statistic.as_str() {
                    _ if part.is_empty() => m.value,
                    "max" => part[part.len() - 1],
                    "min" => part[0],
                    _ => hwbench_reports::stats::median_of_sorted(&part).unwrap(),
                };
                Repetition { value, sample_count: size }
            })
            .collect();
        let figures: Vec<f64> = m.repetitions.iter().map(|r| r.value).collect();
        m.value = hwbench_reports::stats::median(&figures).unwrap();
    }
}

/// Three baseline runs made from `doc`: every metric times 1 - s, 1, 1 + s
/// (a run-to-run spread of about 2s), written under `dir`.
fn runs_with_spread(doc: &ResultDocument, s: f64, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (k, factor) in [1.0 - s, 1.0, 1.0 + s].into_iter().enumerate() {
        let mut run = doc.clone();
        run.run.id = format!("{}-{k}", doc.run.id);
        scale(&mut run, |_| true, factor);
        hwbench_schema::write_document(&dir.join(format!("run{k}.json")), &run).unwrap();
    }
}

const TRIAD: [&str; 5] = ["memory.bandwidth", "--set", "kernel=triad", "--set", "bytes=32MiB"];

#[test]
fn a_doctored_bandwidth_regresses_and_an_unstable_metric_is_not_gated() {
    let dir = tmp_dir("noise");
    let real = measure(&dir.join("real.json"), &TRIAD, &[], &[]);

    // Three baseline runs 1% apart, bandwidth x10: the new run is a tenth.
    let mut doctored = real.clone();
    scale(&mut doctored, |m| m.name.starts_with("bandwidth"), 10.0);
    runs_with_spread(&doctored, 0.01, &dir.join("doctored"));
    let out = check(&[&dir.join("doctored")], &dir.join("after.json"), &[], &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("units: whole runs (base 3 run(s), new 1 run(s))"), "{said}");
    let new = hwbench_schema::load(&dir.join("after.json")).unwrap();
    assert_eq!(new.run.settings, ["kernel=triad", "bytes=32MiB"]);
    assert_eq!(new.run.label.as_deref(), Some("check against 3 baseline runs"));
    let summary = std::fs::read_to_string(dir.join("after.md")).unwrap();
    for metric in ["bandwidth", "bandwidth_median"] {
        let row = summary.lines().find(|l| l.contains(&format!("| {} |", metric.replace('_', "\\_")))).unwrap();
        assert!(row.ends_with("| 3/1 | 2.0% | regressed |"), "{row}");
    }
    assert!(said.lines().any(|l| l.starts_with("gated ") && l.contains(" regressed")), "{said}");

    // The same run with baselines 30% apart: unstable here, nothing gated.
    runs_with_spread(&real, 0.3, &dir.join("unstable"));
    let out = check(&[&dir.join("unstable")], &dir.join("steady.json"), &[], &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("gated 0 metrics"), "{said}");
    let summary = std::fs::read_to_string(dir.join("steady.md")).unwrap();
    // ln 0.7, ln 1, ln 1.3: sample SD 0.3107, twice that 62.1%.
    for metric in ["bandwidth", "bandwidth_median"] {
        let row = summary.lines().find(|l| l.contains(&format!("| {} |", metric.replace('_', "\\_")))).unwrap();
        assert!(row.ends_with(r"| 3/1 | 62.1% | unstable here \(run-to-run spread 62.1%\) |"), "{row}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A record ok in the baseline that fails in the new run fails the gate,
/// named: the node 2 of a fixture machine cannot be bound here (mbind),
/// so the real benchmark fails; the baseline claims it measured.
#[test]
fn a_failed_record_in_the_new_run_fails_the_gate_naming_it() {
    if Path::new("/sys/devices/system/node/node2").exists() {
        eprintln!("skipped: this machine has a NUMA node 2, so binding to it would not fail");
        return;
    }
    let dir = tmp_dir("failed");
    let root = fixture_root("two-socket-cxl");
    let global = ["--sysfs-root", root.as_str()];
    let selection = ["memory.latency", "--set", "bytes=1MiB", "--set", "node=2"];
    let mut doc = measure(&dir.join("failed.json"), &selection, &global, &[]);
    let record = &mut doc.benchmarks[0];
    assert_eq!(record.status, RecordStatus::Failed, "{record:?}");
    record.status = RecordStatus::Ok;
    record.reason = None;
    record.metrics = vec![Metric::new(
        "latency",
        "ns",
        120.0,
        "median",
        vec![119.0, 120.0, 121.0, 120.5],
        hwbench_schema::Better::Lower,
    )];
    as_repeated(&mut doc, 2);
    let baseline = dir.join("baseline.json");
    hwbench_schema::write_document(&baseline, &doc).unwrap();
    let out = check(&[&baseline], &dir.join("new.json"), &global, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("gate failure: memory.latency bytes=1048576 cpu=0 node=2 page=thp stride=64: failed in the new run: repetition 1 of 2: mbind to node 2 failed"),
        "{said}"
    );
    assert!(said.contains("1 gate failure(s)"), "{said}");
    assert!(std::fs::read_to_string(dir.join("new.md")).unwrap().contains("## Gate failures"));
    let _ = std::fs::remove_dir_all(dir);
}

/// A GPU the baseline measured and the new run cannot find fails CI.
#[test]
fn a_vanished_gpu_fails_the_gate() {
    let dir = tmp_dir("gpu");
    let mut doc = measure(&dir.join("gpu.json"), &["gpu.dispatch"], &[], &[]);
    // make test installs lavapipe: there is an adapter.
    assert_eq!(doc.benchmarks[0].status, RecordStatus::Ok, "{:?}", doc.benchmarks[0].reason);
    // The round trips were timed with the CPUs' idle states held, or the
    // record says why not.
    let idle = doc.benchmarks[0].info["idle_states"].as_str().unwrap_or_default().to_string();
    assert!(
        idle.starts_with("held shallow while timed") || idle.starts_with("not held (/dev/cpu_dma_latency: "),
        "{idle}"
    );
    as_repeated(&mut doc, 5);
    let baseline = dir.join("baseline.json");
    hwbench_schema::write_document(&baseline, &doc).unwrap();
    let out = check(&[&baseline], &dir.join("new.json"), &[], &[("VK_DRIVER_FILES", "/nonexistent.json")]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("gate failure: gpu.dispatch adapter=0: missing from the new run (gpu.dispatch skipped in the new run: no GPU adapter found"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn baselines_that_cannot_gate_are_refused_before_measuring() {
    let dir = tmp_dir("refused");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[]").unwrap();
    let out = check(&[&bad], &dir.join("x.json"), &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));

    // One run measured once per point: no run-to-run estimate.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results/minimal-v1.json");
    let out = check(&[&fixture], &dir.join("x.json"), &[], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("minimal-v1.json: measured once per point (run.repeat 1)") && err.contains("--repeat N"),
        "{err}"
    );

    // Baselines of different selections.
    let mut other = hwbench_schema::load(&fixture).unwrap();
    other.run.settings = vec!["bytes=1MiB".into()];
    let other_path = dir.join("other.json");
    hwbench_schema::write_document(&other_path, &other).unwrap();
    let out = check(&[&fixture, &other_path], &dir.join("x.json"), &[], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("ran different selections"), "{err}");
    assert!(!dir.join("x.json").exists());
    let _ = std::fs::remove_dir_all(dir);
}
