//! The example reference-check workflow (scripts/ci/reference-check.yml):
//! it never runs a pull request's code on the self-hosted reference
//! machine, and its baseline is a file in the repository.

use std::path::Path;

fn workflow() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ci/reference-check.yml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The keys under `on:` (top-level triggers), in order.
fn triggers(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != "on:")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.trim().trim_end_matches(':').to_string())
        .collect()
}

#[test]
fn runs_on_main_on_a_schedule_and_by_hand_never_on_pull_requests() {
    let text = workflow();
    assert_eq!(triggers(&text), ["push", "schedule", "workflow_dispatch"]);
    assert!(!text.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("pull_request")), "{text}");
    let push = text.lines().skip_while(|l| l.trim() != "push:").nth(1).unwrap();
    assert_eq!(push.trim(), "branches: [main]");
}

#[test]
fn the_baseline_is_a_committed_result() {
    let text = workflow();
    let baseline = text.lines().find_map(|l| l.trim().strip_prefix("BASELINE: ")).expect("a BASELINE");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(baseline);
    let doc = hwbench_schema::load(&path).unwrap_or_else(|e| panic!("BASELINE {baseline}: {e}"));
    assert_eq!(doc.run.suite, "ci");
}
