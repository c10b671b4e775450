//! End-to-end tests of `hwbench compare`: verdicts on synthetic documents
//! of known run-to-run variance (repetitions, or whole runs from a
//! directory), the gate on records the new side did not measure,
//! interference on one side, exit codes, formats, bad input. Each runs the
//! real release binary on documents written to a temporary directory.

#[path = "../reports/tests/support/synthetic.rs"]
mod synthetic;

#[path = "support/tmp.rs"]
mod tmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hwbench_schema::{Better, Interference, RecordStatus};
use synthetic::Spec;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results")
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("compare", name)
}

fn compare(base: &Path, new: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).arg("compare").args([base, new]).args(extra).output().unwrap()
}

/// Runs compare with --format json and returns (exit code, parsed output).
fn compare_json(base: &Path, new: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = compare(base, new, &args);
    let json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn table(base: &Path, new: &Path, extra: &[&str]) -> (i32, String) {
    let out = compare(base, new, extra);
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

fn verdicts(json: &serde_json::Value) -> Vec<String> {
    json["rows"].as_array().unwrap().iter().map(|r| r["verdict"].as_str().unwrap().to_string()).collect()
}

/// Latency and bandwidth points with 2% between repetitions.
fn quiet() -> Vec<Spec> {
    vec![Spec::latency(1 << 20, 10.0, 0.02), Spec::bandwidth(1 << 28, 12.0, 0.02)]
}

#[test]
fn a_25_percent_slower_latency_regresses_and_exits_1() {
    let dir = tmp_dir("slower");
    let base = synthetic::write(&dir, "base", &quiet(), 5, 1);
    let slower = [quiet()[0].shifted(1.25), quiet()[1].clone()];
    let new = synthetic::write(&dir, "new", &slower, 5, 2);
    let (code, json) = compare_json(&base, &new, &["--threshold", "10"]);
    assert_eq!(code, 1);
    assert_eq!(verdicts(&json), ["regressed", "unchanged"]);
    assert_eq!(
        (json["fails_gate"].as_bool(), json["gated"].as_u64(), json["level"].as_str()),
        (Some(true), Some(2), Some("repetitions"))
    );
    let row = &json["rows"][0];
    assert!((row["change"].as_f64().unwrap() - 0.25).abs() < 0.03, "{row}");
    // Five repetitions a side, all slower: exact p = 2/252.
    assert!((row["p_value"].as_f64().unwrap() - 2.0 / 252.0).abs() < 1e-12, "{row}");
    assert_eq!((row["base_units"].as_u64(), row["new_units"].as_u64()), (Some(5), Some(5)));
    assert!(row["ci"]["lower"].as_f64().unwrap() > 0.15 && row["ci"]["upper"].as_f64().unwrap() < 0.35, "{row}");
    assert!(row["spread"].as_f64().unwrap() < 0.10, "{row}");
    let (code, text) = table(&base, &new, &["--threshold", "10"]);
    assert_eq!(code, 1);
    assert!(text.contains("regressed") && text.contains("+2") && text.contains("5/5"), "{text}");
    assert!(text.contains("units: the repetitions of each run"), "{text}");
    assert!(text.contains("gated 2 metrics: 1 regressed, 0 improved, 1 unchanged"), "{text}");
}

#[test]
fn two_unchanged_runs_with_five_repetitions_call_nothing() {
    let dir = tmp_dir("unchanged");
    for seed in 0..5 {
        let base = synthetic::write(&dir, &format!("base{seed}"), &synthetic::machine(0.02), 5, 2 * seed);
        let new = synthetic::write(&dir, &format!("new{seed}"), &synthetic::machine(0.02), 5, 2 * seed + 1);
        let (code, json) = compare_json(&base, &new, &["--threshold", "10"]);
        assert_eq!(code, 0, "{json}");
        assert!(verdicts(&json).iter().all(|v| v == "unchanged"), "{json}");
        assert!(json["rows"].as_array().unwrap().iter().all(|r| r["change"].as_f64().unwrap().abs() < 0.10), "{json}");
    }
}

#[test]
fn one_repetition_is_shown_without_a_verdict() {
    let dir = tmp_dir("once");
    let base = synthetic::write(&dir, "base", &quiet(), 1, 1);
    let doubled: Vec<Spec> = quiet().iter().map(|s| s.shifted(2.0)).collect();
    let new = synthetic::write(&dir, "new", &doubled, 1, 2);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 0);
    assert_eq!(verdicts(&json), ["no_estimate", "no_estimate"]);
    assert_eq!(json["gated"], 0);
    let (_, text) = table(&base, &new, &[]);
    assert_eq!(text.matches("one repetition: no run-to-run estimate").count(), 2, "{text}");
    assert!(text.contains("2 without a run-to-run estimate"), "{text}");
}

#[test]
fn a_metric_with_a_spread_above_the_threshold_is_unstable_and_not_gated() {
    let dir = tmp_dir("unstable");
    let noisy = vec![Spec::latency(40 << 10, 10.0, 0.3)];
    let base = synthetic::write(&dir, "base", &noisy, 5, 3);
    let new = synthetic::write(&dir, "new", &[noisy[0].shifted(1.25)], 5, 4);
    let (code, text) = table(&base, &new, &["--threshold", "10"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("unstable here (run-to-run spread"), "{text}");
    assert!(text.contains("gated 0 metrics") && text.contains("1 unstable here"), "{text}");
}

#[test]
fn lower_is_better_metrics_are_inverted() {
    let dir = tmp_dir("direction");
    let base = synthetic::write(&dir, "base", &quiet(), 5, 1);
    // Latency down 20 %: better. Bandwidth up 20 %: better.
    let faster = synthetic::write(&dir, "faster", &[quiet()[0].shifted(0.8), quiet()[1].shifted(1.2)], 5, 2);
    let (code, json) = compare_json(&base, &faster, &[]);
    assert_eq!((code, verdicts(&json)), (0, vec!["improved".to_string(), "improved".to_string()]));
    // Bandwidth down 20 %: worse, though its change is negative like the latency gain above.
    let slower = synthetic::write(&dir, "slower", &[quiet()[0].clone(), quiet()[1].shifted(0.8)], 5, 3);
    let (code, json) = compare_json(&base, &slower, &[]);
    assert_eq!((code, verdicts(&json)), (1, vec!["unchanged".to_string(), "regressed".to_string()]));
}

/// A record the base measured that the new run failed (a STREAM
/// validation), skipped (no GPU) or lost (a GPU record without its
/// adapter) fails the gate, named as such.
#[test]
fn records_the_new_run_did_not_measure_fail_the_gate() {
    let dir = tmp_dir("gate");
    let gpu = Spec { id: "gpu.memory", ..Spec::bandwidth(1 << 30, 900.0, 0.02) };
    let specs = [quiet(), vec![gpu, Spec::latency(1 << 22, 20.0, 0.02)]].concat();
    let base = synthetic::write(&dir, "base", &specs, 5, 1);
    let mut doc = synthetic::document("new", &specs, 5, 2);
    let stream = doc.benchmarks.iter_mut().find(|r| r.id == "memory.bandwidth").unwrap();
    stream.status = RecordStatus::Failed;
    stream.reason = Some("validation failed: average relative error 3.1e-5 above 1e-13".into());
    stream.metrics.clear();
    let gpu = doc.benchmarks.iter_mut().find(|r| r.id == "gpu.memory").unwrap();
    gpu.status = RecordStatus::Skipped;
    gpu.reason = Some("no GPU adapter found by wgpu (backends tried: vulkan)".into());
    gpu.params.clear();
    gpu.metrics.clear();
    doc.benchmarks.retain(|r| !(r.id == "memory.latency" && r.params["bytes"] == (1i64 << 22).into()));
    let new = dir.join("new.json");
    hwbench_schema::write_document(&new, &doc).unwrap();
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(verdicts(&json), ["unchanged"]);
    let failures: Vec<(String, String)> = json["gate_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert_eq!(failures[0].0, "memory.bandwidth");
    assert!(failures[0].1.starts_with("failed in the new run: validation failed"), "{failures:?}");
    assert_eq!(failures[1].0, "gpu.memory");
    assert!(
        failures[1].1.starts_with("missing from the new run (gpu.memory skipped in the new run: no GPU adapter"),
        "{failures:?}"
    );
    assert_eq!(failures[2], ("memory.latency".to_string(), "missing from the new run".to_string()));
    let (_, text) = table(&base, &new, &[]);
    assert!(
        text.contains("gate failure: memory.bandwidth bytes=268435456: failed in the new run: validation failed"),
        "{text}"
    );
    assert!(text.contains("3 gate failure(s)"), "{text}");
}

#[test]
fn records_not_ok_in_the_base_are_listed_not_gated() {
    let dir = tmp_dir("sides");
    let mut base_doc = synthetic::document("base", &quiet(), 5, 1);
    let skipped = &mut base_doc.benchmarks[1];
    skipped.status = RecordStatus::Skipped;
    skipped.reason = Some("no huge pages".into());
    skipped.metrics.clear();
    let base = dir.join("base.json");
    hwbench_schema::write_document(&base, &base_doc).unwrap();
    let mut new_doc = synthetic::document("new", &quiet(), 5, 2);
    new_doc.benchmarks.extend(synthetic::records(
        &[Spec::latency(1 << 30, 90.0, 0.02)],
        5,
        &mut hwbench_reports::stats::SplitMix64::new(3),
    ));
    let new = dir.join("new.json");
    hwbench_schema::write_document(&new, &new_doc).unwrap();
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["rows"].as_array().unwrap().len(), 1);
    assert_eq!(json["not_compared"][0]["id"], "memory.bandwidth");
    assert!(json["not_compared"][0]["reason"].as_str().unwrap().contains("skipped in the base run: no huge pages"));
    assert_eq!(json["only_in_new"][0]["params"], "bytes=1073741824");
}

/// A directory of runs is a side whose units are whole runs; one new run
/// is judged against their spread.
#[test]
fn a_directory_of_baseline_runs_is_the_noise_model() {
    let dir = tmp_dir("runs");
    let runs = dir.join("base-runs");
    std::fs::create_dir_all(&runs).unwrap();
    for k in 0..4 {
        synthetic::write(&runs, &format!("base{k}"), &quiet(), 1, 10 + k);
    }
    let same = synthetic::write(&dir, "same", &quiet(), 1, 20);
    let (code, json) = compare_json(&runs, &same, &["--threshold", "10"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["level"], "runs");
    assert_eq!(json["base"].as_array().unwrap().len(), 4);
    assert!(verdicts(&json).iter().all(|v| v == "unchanged"), "{json}");
    assert_eq!(
        (json["rows"][0]["base_units"].as_u64(), json["rows"][0]["test"].as_str()),
        (Some(4), Some("prediction"))
    );
    let slower = synthetic::write(&dir, "slower", &[quiet()[0].shifted(1.25), quiet()[1].clone()], 1, 21);
    let (code, json) = compare_json(&runs, &slower, &["--threshold", "10"]);
    assert_eq!((code, verdicts(&json)), (1, vec!["regressed".to_string(), "unchanged".to_string()]));
    let (_, text) = table(&runs, &slower, &["--threshold", "10"]);
    assert!(text.contains("units: whole runs (base 4 run(s), new 1 run(s))"), "{text}");
}

#[test]
fn interference_on_one_side_is_said() {
    let dir = tmp_dir("interference");
    let mut base_doc = synthetic::document("base", &quiet(), 5, 1);
    let mut new_doc = synthetic::document("new", &quiet(), 5, 2);
    for r in base_doc.benchmarks.iter_mut().chain(new_doc.benchmarks.iter_mut()) {
        r.interference = Some(Interference { window_s: 1.0, steal_percent: Some(0.1), ..Interference::default() });
    }
    let stolen = new_doc.benchmarks[0].interference.as_mut().unwrap();
    stolen.steal_percent = Some(14.0);
    stolen.flagged = true;
    stolen.reasons = vec!["steal_percent 14.0 above 5".into()];
    let (base, new) = (dir.join("base.json"), dir.join("new.json"));
    hwbench_schema::write_document(&base, &base_doc).unwrap();
    hwbench_schema::write_document(&new, &new_doc).unwrap();
    let (code, text) = table(&base, &new, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("interference: memory.latency bytes=1048576: flagged in the new side only (1 of 1 run(s)): steal_percent 14.0 above 5"),
        "{text}"
    );
    assert!(text.contains("1 with interference on one side"), "{text}");
}

#[test]
fn markdown_is_a_table_with_hostile_labels_escaped() {
    let hostile = fixtures().join("hostile.json");
    let out = compare(&hostile, &hostile, &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("| benchmark | params | metric |"), "{text}");
    assert!(!text.contains("<b>") && !text.contains("<img") && !text.contains("<script"), "{text}");
    assert!(text.contains("&lt;b&gt;copy&lt;/b&gt;"), "{text}");
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let good = fixtures().join("minimal-v1.json");
    for name in ["empty.json", "not-json.json", "truncated.json", "newer-schema.json", "other-tool.json"] {
        let bad = fixtures().join("bad").join(name);
        for (base, new) in [(&good, &bad), (&bad, &good)] {
            let out = compare(base, new, &[]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
            assert!(err.contains(bad.to_str().unwrap()), "{name}: {err}");
            assert!(out.stdout.is_empty(), "{name}");
        }
    }
    let out = compare(&good, &good, &["--threshold", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = compare(&good, Path::new("/nonexistent/new.json"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/new.json"));
    let empty = tmp_dir("empty");
    let out = compare(&empty, &good, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no result documents"));
}

#[test]
fn energy_without_samples_is_compared_on_its_repetitions() {
    let dir = tmp_dir("energy");
    let energy = vec![Spec::energy(1 << 28, 3.0, 0.02)];
    let base = synthetic::write(&dir, "base", &energy, 5, 1);
    let new = synthetic::write(&dir, "new", &[energy[0].shifted(2.0)], 5, 2);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!((code, verdicts(&json)), (1, vec!["regressed".to_string()]));
    assert_eq!(json["rows"][0]["metric"], "energy_per_op");
    assert_eq!(json["rows"][0]["better"], serde_json::to_value(Better::Lower).unwrap());
}
