//! The benchmark table, the result document's reference (results/SCHEMA.md)
//! and the report's charts agree: every benchmark and summary id is
//! documented and drawn by some chart, or listed as chartless with the
//! reason; no chart or chartless entry names an id that does not exist.

use std::collections::BTreeSet;

use hwbench_reports::charts::{charted_ids, CHARTLESS};
use hwbench_suites::registry::BENCHMARKS;

fn known_ids() -> BTreeSet<&'static str> {
    BENCHMARKS.iter().flat_map(|b| std::iter::once(b.id).chain(b.summaries.iter().copied())).collect()
}

#[test]
fn every_benchmark_and_summary_has_a_chart_or_says_why_not() {
    let charted: BTreeSet<&str> = charted_ids().into_iter().collect();
    let chartless: BTreeSet<&str> = CHARTLESS.iter().map(|(id, _)| *id).collect();
    for id in known_ids() {
        assert!(
            charted.contains(id) || chartless.contains(id),
            "{id} has no chart: draw it in reports/src/charts or list it in CHARTLESS with the reason"
        );
    }
    for id in charted.iter().chain(&chartless) {
        assert!(known_ids().contains(id), "{id} is charted or listed chartless but no benchmark makes it");
    }
    assert!(CHARTLESS.iter().all(|(_, why)| !why.trim().is_empty()));
    assert!(charted.is_disjoint(&chartless), "an id is both charted and chartless");
}

#[test]
fn every_id_and_param_is_in_the_schema_reference() {
    let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/results/SCHEMA.md")).unwrap();
    for id in known_ids() {
        assert!(schema.contains(&format!("### `{id}`")), "results/SCHEMA.md has no section for {id}");
    }
    for b in BENCHMARKS {
        for p in b.params {
            assert!(schema.contains(&format!("`{}`", p.name)), "{}: param {} undocumented", b.id, p.name);
        }
    }
}
