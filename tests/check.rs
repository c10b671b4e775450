//! `hwbench check`: re-running a baseline's selection on the same machine
//! passes; a baseline doctored to claim 25% more bandwidth is a regression.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(args)
        .env_remove("HWBENCH_SYSFS_ROOT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hwbench-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn baseline(dir: &Path) -> PathBuf {
    let path = dir.join("baseline.json");
    let out = hwbench(&[
        "run",
        "memory.bandwidth",
        "--set",
        "kernel=triad",
        "--set",
        "bytes=32MiB",
        "--quiet",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

fn check(baseline: &Path, out: &Path) -> Output {
    // 10%: generous for a shared CI machine; the doctored case is 25%.
    hwbench(&[
        "check",
        "--baseline",
        baseline.to_str().unwrap(),
        "--threshold",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ])
}

#[test]
fn an_unchanged_machine_passes_and_a_doctored_baseline_regresses() {
    let dir = tmp_dir("doctored");
    let base = baseline(&dir);

    let out = check(&base, &dir.join("same.json"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let new = hwbench_schema::load(&dir.join("same.json")).unwrap();
    assert_eq!(new.run.settings, ["kernel=triad", "bytes=32MiB"]);
    assert_eq!(new.benchmarks.len(), 1);
    let summary = std::fs::read_to_string(dir.join("same.md")).unwrap();
    assert!(summary.contains("memory.bandwidth"), "{summary}");

    let mut doc = hwbench_schema::load(&base).unwrap();
    for metric in doc.benchmarks.iter_mut().flat_map(|r| r.metrics.iter_mut()).filter(|m| m.name == "bandwidth") {
        metric.value *= 1.25;
        metric.samples.iter_mut().for_each(|s| *s *= 1.25);
    }
    let doctored = dir.join("doctored.json");
    hwbench_schema::write_document(&doctored, &doc).unwrap();
    let out = check(&doctored, &dir.join("after.json"));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = std::fs::read_to_string(dir.join("after.md")).unwrap();
    assert!(summary.contains("regressed"), "{summary}");
}

#[test]
fn a_bad_baseline_is_exit_2_naming_the_file() {
    let dir = tmp_dir("bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[]").unwrap();
    let out = check(&bad, &dir.join("x.json"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    assert!(!dir.join("x.json").exists());
}
