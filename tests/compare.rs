//! End-to-end tests of `hwbench compare`: verdicts on synthetic samples
//! with known shifts, exit codes, formats, bad input. Each runs the real
//! release binary on documents written to a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hwbench_schema::{Better, Metric, Record, RecordStatus, ResultDocument};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results")
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hwbench-compare-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 20 samples around `centre`, spread uniformly over +-1 %, from a seeded
/// linear congruential generator (different seeds, different draws).
fn samples(centre: f64, seed: u64) -> Vec<f64> {
    let mut x = seed;
    (0..20)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            centre * (1.0 + (u - 0.5) * 0.02)
        })
        .collect()
}

fn record(id: &str, name: &str, unit: &str, better: Better, samples: Vec<f64>) -> Record {
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    Record {
        id: id.into(),
        params: [("bytes".to_string(), hwbench_schema::ParamValue::Int(1 << 30))].into(),
        status: RecordStatus::Ok,
        reason: None,
        metrics: vec![Metric {
            name: name.into(),
            unit: unit.into(),
            value: (sorted[9] + sorted[10]) / 2.0,
            statistic: "median".into(),
            samples,
            better,
            repetitions: Vec::new(),
        }],
        placement: None,
        info: Default::default(),
        energy: None,
        counters: None,
        interference: None,
    }
}

fn latency(centre: f64, seed: u64) -> Record {
    record("memory.latency", "latency", "ns", Better::Lower, samples(centre, seed))
}

fn bandwidth(centre: f64, seed: u64) -> Record {
    record("memory.bandwidth", "bandwidth", "GB/s", Better::Higher, samples(centre, seed))
}

/// A document from the minimal fixture with these records, written to `dir/name`.
fn write_doc(dir: &Path, name: &str, records: Vec<Record>) -> PathBuf {
    let mut doc: ResultDocument = hwbench_schema::load(&fixtures().join("minimal-v1.json")).unwrap();
    doc.run.id = format!("run-{name}");
    doc.benchmarks = records;
    let path = dir.join(name);
    hwbench_schema::write_document(&path, &doc).unwrap();
    path
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

fn verdicts(json: &serde_json::Value) -> Vec<String> {
    json["rows"].as_array().unwrap().iter().map(|r| r["verdict"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_ten_percent_slower_latency_regresses_and_exits_1() {
    let dir = tmp_dir("ten");
    let base = write_doc(&dir, "base.json", vec![latency(100.0, 1)]);
    let new = write_doc(&dir, "new.json", vec![latency(110.0, 2)]);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 1);
    assert_eq!(verdicts(&json), ["regressed"]);
    let row = &json["rows"][0];
    assert!((row["change"].as_f64().unwrap() - 0.10).abs() < 0.01, "{row}");
    assert!(row["p_value"].as_f64().unwrap() < 1e-4, "{row}");
    assert!(row["ci"]["lower"].as_f64().unwrap() > 0.07 && row["ci"]["upper"].as_f64().unwrap() < 0.13, "{row}");
    assert_eq!(json["regressed"], 1);
    // The table says so too, in words.
    let out = compare(&base, &new, &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("regressed") && text.contains("+10."), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn identical_distributions_are_unchanged_and_exit_0() {
    let dir = tmp_dir("same");
    let base = write_doc(&dir, "base.json", vec![latency(100.0, 1), bandwidth(50.0, 3)]);
    let new = write_doc(&dir, "new.json", vec![latency(100.0, 2), bandwidth(50.0, 4)]);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 0);
    assert_eq!(verdicts(&json), ["unchanged", "unchanged"]);
    for row in json["rows"].as_array().unwrap() {
        assert!(row["change"].as_f64().unwrap().abs() < 0.01, "{row}");
        let ci = &row["ci"];
        assert!(ci["lower"].as_f64().unwrap() < 0.0 && ci["upper"].as_f64().unwrap() > 0.0, "{row}");
    }
}

#[test]
fn a_significant_three_percent_shift_is_within_a_five_percent_threshold() {
    let dir = tmp_dir("three");
    let base = write_doc(&dir, "base.json", vec![latency(100.0, 1)]);
    let new = write_doc(&dir, "new.json", vec![latency(103.0, 2)]);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 0);
    assert_eq!(verdicts(&json), ["unchanged"]);
    // Significant, so only the threshold keeps it unchanged...
    assert!(json["rows"][0]["p_value"].as_f64().unwrap() < 0.05);
    // ...and a tighter threshold calls it.
    let (code, json) = compare_json(&base, &new, &["--threshold", "2"]);
    assert_eq!(code, 1);
    assert_eq!(verdicts(&json), ["regressed"]);
}

#[test]
fn lower_is_better_metrics_are_inverted() {
    let dir = tmp_dir("direction");
    let base = write_doc(&dir, "base.json", vec![latency(100.0, 1), bandwidth(50.0, 3)]);
    // Latency down 10 %: better. Bandwidth up 10 %: better.
    let faster = write_doc(&dir, "faster.json", vec![latency(90.0, 2), bandwidth(55.0, 4)]);
    let (code, json) = compare_json(&base, &faster, &[]);
    assert_eq!((code, verdicts(&json)), (0, vec!["improved".to_string(), "improved".to_string()]));
    // Bandwidth down 10 %: worse, though its change is negative like the latency gain above.
    let slower = write_doc(&dir, "slower.json", vec![latency(100.0, 2), bandwidth(45.0, 4)]);
    let (code, json) = compare_json(&base, &slower, &[]);
    assert_eq!((code, verdicts(&json)), (1, vec!["unchanged".to_string(), "regressed".to_string()]));
}

#[test]
fn records_on_one_side_only_are_listed_not_errors() {
    let dir = tmp_dir("sides");
    let mut skipped = bandwidth(50.0, 5);
    skipped.id = "gpu.memory".into();
    skipped.status = RecordStatus::Skipped;
    skipped.reason = Some("no GPU adapter".into());
    skipped.metrics.clear();
    let base = write_doc(&dir, "base.json", vec![latency(100.0, 1), bandwidth(50.0, 3), skipped.clone()]);
    let mut only_new = latency(10.0, 6);
    only_new.id = "memory.latency.levels".into();
    let new = write_doc(&dir, "new.json", vec![latency(100.0, 2), only_new, skipped]);
    let (code, json) = compare_json(&base, &new, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["rows"].as_array().unwrap().len(), 1);
    assert_eq!(json["only_in_base"][0]["id"], "memory.bandwidth");
    assert_eq!(json["only_in_new"][0]["id"], "memory.latency.levels");
    assert_eq!(json["not_compared"][0]["id"], "gpu.memory");
    assert!(json["not_compared"][0]["reason"].as_str().unwrap().contains("no GPU adapter"));
}

#[test]
fn markdown_is_a_table_with_hostile_labels_escaped() {
    let dir = tmp_dir("markdown");
    let hostile = fixtures().join("hostile.json");
    let out = compare(&hostile, &hostile, &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("| benchmark | params | metric |"), "{text}");
    assert!(!text.contains("<b>") && !text.contains("<img") && !text.contains("<script"), "{text}");
    assert!(text.contains("&lt;b&gt;copy&lt;/b&gt;"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
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
}
