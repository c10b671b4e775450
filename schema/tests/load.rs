//! Loading result documents: the good one, and every kind of bad file.

use std::path::{Path, PathBuf};

use hwbench_schema::{
    load, write_document, Budget, BudgetShare, LoadError, RecordStatus, RunStatus, Shortening, SCHEMA_VERSION,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/minimal-v1.json")
}

fn write_tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hwbench-schema");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn loads_the_minimal_fixture() {
    let doc = load(&fixture()).unwrap();
    assert_eq!(doc.schema_version, SCHEMA_VERSION);
    assert_eq!(doc.benchmarks[0].id, "memory.latency");
    assert_eq!(doc.benchmarks[0].status, RecordStatus::Ok);
    assert_eq!(doc.benchmarks[0].metrics[0].samples, vec![1.0, 1.1, 1.2]);
    assert_eq!(doc.machine.microcode.known(), None);
    assert_eq!(doc.topology.nodes[0].distances[&0], 10);
}

#[test]
fn a_written_document_loads_back_identically() {
    let doc = load(&fixture()).unwrap();
    let path = write_tmp("roundtrip.json", b"");
    write_document(&path, &doc).unwrap();
    assert_eq!(load(&path).unwrap(), doc);
}

fn error_for(name: &str, bytes: &[u8]) -> (PathBuf, LoadError) {
    let path = write_tmp(name, bytes);
    let err = load(&path).unwrap_err();
    (path, err)
}

#[test]
fn empty_file_is_named_and_explained() {
    let (path, err) = error_for("empty.json", b"");
    assert!(matches!(err, LoadError::Empty { .. }));
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
}

#[test]
fn truncated_json_is_reported_as_truncated() {
    let full = std::fs::read(fixture()).unwrap();
    let (_, err) = error_for("truncated.json", &full[..full.len() / 2]);
    assert!(matches!(err, LoadError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn a_json_array_is_not_a_result() {
    let (_, err) = error_for("array.json", b"[1, 2, 3]");
    assert!(matches!(err, LoadError::NotAResult { .. }), "{err}");
    assert!(err.to_string().contains("an array"), "{err}");
}

#[test]
fn garbage_is_not_json() {
    let (_, err) = error_for("garbage.json", b"hello world");
    assert!(matches!(err, LoadError::NotJson { .. }), "{err}");
}

#[test]
fn a_newer_schema_version_is_refused_with_both_versions() {
    let text = std::fs::read_to_string(fixture()).unwrap().replace("\"schema_version\": 1", "\"schema_version\": 999");
    let (_, err) = error_for("v999.json", text.as_bytes());
    assert!(matches!(err, LoadError::NewerVersion { found: 999, .. }), "{err}");
    assert!(err.to_string().contains("999"));
}

#[test]
fn another_tools_json_is_refused() {
    let text = std::fs::read_to_string(fixture()).unwrap().replace("\"name\": \"hwbench\"", "\"name\": \"stream\"");
    let (_, err) = error_for("other-tool.json", text.as_bytes());
    assert!(err.to_string().contains("written by 'stream'"), "{err}");
    let (_, err) = error_for("no-version.json", br#"{"hello": 1}"#);
    assert!(err.to_string().contains("no schema_version"), "{err}");
}

#[test]
fn a_missing_required_field_is_named() {
    let text = std::fs::read_to_string(fixture()).unwrap().replace("\"suite\": \"custom\",", "");
    let (_, err) = error_for("no-suite.json", text.as_bytes());
    assert!(matches!(err, LoadError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("suite"), "{err}");
}

#[test]
fn a_metric_without_unit_is_invalid() {
    let text = std::fs::read_to_string(fixture()).unwrap().replace("\"unit\": \"ns\"", "\"unit\": \"\"");
    let (_, err) = error_for("no-unit.json", text.as_bytes());
    assert!(err.to_string().contains("has no unit"), "{err}");
}

#[test]
fn repetitions_split_the_samples_and_must_add_up() {
    let good = std::fs::read_to_string(fixture()).unwrap();
    let doc = hwbench_schema::parse(Path::new("good.json"), good.as_bytes()).unwrap();
    let metric = &doc.benchmarks[0].metrics[0];
    // Without repetitions: one repetition of the headline over every sample.
    assert_eq!(metric.repetition_count(), 1);
    assert_eq!(metric.repetition_samples().unwrap(), vec![(metric.value, metric.samples.as_slice())]);

    let mut repeated = metric.clone();
    repeated.samples = vec![1.0, 2.0, 3.0, 10.0, 11.0];
    repeated.repetitions = vec![
        hwbench_schema::Repetition { value: 2.0, sample_count: 3 },
        hwbench_schema::Repetition { value: 10.5, sample_count: 2 },
    ];
    let split = repeated.repetition_samples().unwrap();
    assert_eq!(split, vec![(2.0, &[1.0, 2.0, 3.0][..]), (10.5, &[10.0, 11.0][..])]);
    repeated.repetitions[1].sample_count = 3;
    assert!(repeated.repetition_samples().is_none());

    let mut doc = doc;
    doc.benchmarks[0].metrics[0] = repeated;
    let text = serde_json::to_string(&doc).unwrap();
    let (_, err) = error_for("bad-repetitions.json", text.as_bytes());
    assert!(err.to_string().contains("repetitions do not add up"), "{err}");
}

/// A budgeted run's `budget` and its `budget_ended` status are written and
/// read back as they were; a document from before budgets reads as none.
#[test]
fn a_budget_and_a_run_the_budget_ended_round_trip() {
    let mut doc = load(&fixture()).unwrap();
    assert_eq!(doc.run.budget, None, "documents before budgets have none");
    doc.run.status = RunStatus::BudgetEnded;
    doc.run.budget = Some(Budget {
        asked_seconds: 600.0,
        unshortened_seconds: 1500.5,
        planned_seconds: 570.0,
        used_seconds: 598.25,
        shortened: vec![
            Shortening { benchmark: None, lever: "repetitions".into(), from: 3, to: 2, why: "to fit".into() },
            Shortening {
                benchmark: Some("memory.latency".into()),
                lever: "sweep points".into(),
                from: 69,
                to: 23,
                why: "no fewer".into(),
            },
        ],
        stopped: Some("stopped before memory.bandwidth kernel=triad".into()),
        benchmarks: vec![BudgetShare { id: "memory.latency".into(), estimated_seconds: 20.0, used_seconds: 22.5 }],
    });
    let text = serde_json::to_value(&doc).unwrap();
    assert_eq!(text["run"]["status"], "budget_ended");
    assert_eq!(text["run"]["budget"]["shortened"][1]["benchmark"], "memory.latency");
    assert!(text["run"]["budget"]["shortened"][0].get("benchmark").is_none());
    let path = write_tmp("budget.json", b"");
    write_document(&path, &doc).unwrap();
    assert_eq!(load(&path).unwrap(), doc);
    for status in [RunStatus::Complete, RunStatus::Interrupted, RunStatus::BudgetEnded] {
        assert_eq!(serde_json::to_value(status).unwrap(), status.name());
    }
}
