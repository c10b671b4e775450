//! End-to-end tests of plans and budgets: `hwbench run --plan` on fixture
//! machines (measures nothing, adds up), `--budget` input, and a budgeted
//! run's result. No test asserts how long anything took.

#[path = "support/tmp.rs"]
mod tmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hwbench_schema::{load, RecordStatus, RunStatus};
use serde_json::Value;

fn hwbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwbench")).args(args).env_remove("HWBENCH_SYSFS_ROOT").output().unwrap()
}

fn fixture_root(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs").join(name).to_str().unwrap().to_string()
}

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("plan", name)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The plan of the tiers-ci suite on the two-socket CXL fixture.
fn tiers_ci_plan(extra: &[&str]) -> (Output, PathBuf) {
    let dir = tmp_dir(&format!("tiers-ci{}", extra.len()));
    let root = fixture_root("two-socket-cxl");
    let mut args = vec!["run", "--suite", "tiers-ci", "--plan", "--sysfs-root", &root, "--out", dir.to_str().unwrap()];
    args.extend(extra);
    (hwbench(&args), dir)
}

#[test]
fn a_plan_as_data_lists_every_point_adds_up_and_measures_nothing() {
    let (out, dir) = tiers_ci_plan(&["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = plan["estimated_seconds"].as_f64().unwrap();
    let before: f64 = ["startup_seconds", "energy_meters_seconds", "gpu_open_seconds"]
        .iter()
        .map(|k| plan["before_measuring"][k].as_f64().unwrap())
        .sum();
    let benchmarks = plan["benchmarks"].as_array().unwrap();
    let points: Vec<usize> = benchmarks.iter().map(|b| b["points"].as_array().unwrap().len()).collect();
    assert_eq!(points, [1, 1, 45, 9, 9, 8, 36]);
    let sum: f64 = benchmarks.iter().map(|b| b["estimated_seconds"].as_f64().unwrap()).sum();
    assert!((total - before - sum).abs() < 1e-6, "{total} != {before} + {sum}");
    for b in benchmarks {
        let points: f64 =
            b["points"].as_array().unwrap().iter().map(|p| p["estimated_seconds"].as_f64().unwrap()).sum();
        assert!((b["estimated_seconds"].as_f64().unwrap() - points).abs() < 1e-6, "{}", b["id"]);
    }
    assert_eq!(plan["repeat"], 1);
    assert_eq!(plan["machine"]["nodes"], 3);
    assert_eq!(plan["machine"]["cpus"], 4);
    assert!(plan["assumptions"].as_array().unwrap().len() >= 5);
    assert!(plan.get("budget").is_none());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a plan wrote something");
}

#[test]
fn a_plan_as_text_has_a_line_per_point_and_the_total() {
    let (out, _) = tiers_ci_plan(&["--repeat", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("plan: suite tiers-ci, 2 repetitions, on 4 CPUs, 3 memory node(s)"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("      ")).count(), 109, "{text}");
    assert!(text.contains("  memory.loaded_latency") && text.contains("45 point(s)"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("estimated: ")), "{text}");
}

/// A budget below the shortest valid plan: every lever at its floor, the
/// plan says so, and nothing is measured.
#[test]
fn a_plan_with_a_budget_says_what_it_cut_and_why() {
    let (out, _) = tiers_ci_plan(&["--json", "--budget", "1m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let budget = &plan["budget"];
    assert_eq!(budget["asked_seconds"], 60.0);
    assert_eq!(budget["fits"], false);
    assert!(budget["unshortened_seconds"].as_f64().unwrap() > plan["estimated_seconds"].as_f64().unwrap());
    let cuts: Vec<(String, String, u64, u64)> = budget["shortened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (field("benchmark"), field("lever"), c["from"].as_u64().unwrap(), c["to"].as_u64().unwrap())
        })
        .collect();
    let expected = [
        ("memory.interference", "pairs", 9, 2),
        ("memory.interleave", "ratios", 4, 3),
        ("memory.migrate", "pairs", 6, 2),
    ];
    let expected: Vec<(String, String, u64, u64)> =
        expected.iter().map(|&(b, l, f, t)| (b.to_string(), l.to_string(), f, t)).collect();
    assert_eq!(cuts, expected);
    assert!(budget["shortened"][0]["why"].as_str().unwrap().contains("no fewer: two (victim, aggressor) pairs"));
    let points: Vec<usize> =
        plan["benchmarks"].as_array().unwrap().iter().map(|b| b["points"].as_array().unwrap().len()).collect();
    assert_eq!(points, [1, 1, 45, 9, 2, 6, 12]);
}

#[test]
fn a_budget_that_is_no_duration_is_one_line_exit_2() {
    for (budget, says) in
        [("abc", "'abc' is not a duration"), ("0", "not a positive time"), ("5m1h", "units out of order")]
    {
        let out = hwbench(&["run", "memory.latency", "--budget", budget, "--plan"]);
        assert_eq!(out.status.code(), Some(2), "{budget}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("hwbench: error: --budget ") && err.contains(says), "{err}");
    }
}

/// A latency sweep of 4 KiB to 8 MiB (12 doublings) in 5 s: thinned to
/// one size per doubling at most, then either complete or ended by the
/// budget with every finished record kept; exit 0 both ways.
#[test]
fn a_budgeted_run_records_its_budget_and_keeps_every_finished_record() {
    let file = tmp_dir("budgeted").join("r.json");
    let out = hwbench(&[
        "run",
        "memory.latency",
        "--set",
        "max_bytes=8MiB",
        "--budget",
        "5s",
        "--quiet",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = load(&file).unwrap();
    let budget = doc.run.budget.as_ref().expect("the result records its budget");
    assert_eq!(budget.asked_seconds, 5.0);
    assert!(budget.planned_seconds < budget.unshortened_seconds);
    let cut = &budget.shortened[0];
    assert_eq!((cut.benchmark.as_deref(), cut.lever.as_str()), (Some("memory.latency"), "sweep points"));
    assert_eq!(cut.to, 12, "{cut:?}");
    assert_eq!(budget.benchmarks.len(), 1);
    let sweep: Vec<&_> = doc.benchmarks.iter().filter(|r| r.id == "memory.latency").collect();
    assert!(sweep.iter().all(|r| r.status == RecordStatus::Ok && r.metrics[0].samples.len() == 10));
    match doc.run.status {
        RunStatus::Complete => {
            assert_eq!(sweep.len(), 12);
            assert!(budget.stopped.is_none());
        }
        RunStatus::BudgetEnded => {
            assert!(sweep.len() < 12);
            let why = budget.stopped.as_deref().unwrap();
            assert!(why.contains("before memory.latency bytes="), "{why}");
        }
        RunStatus::Interrupted => panic!("nobody interrupted it"),
    }
}
