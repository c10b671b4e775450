//! The report of a tiers run (tests/fixtures/results/tiers-vm.json: the
//! tiers-ci suite run by `hwbench` in a QEMU guest of
//! scripts/vm/topologies/cxl-expander, a DRAM node and a CPU-less CXL node;
//! TCG figures, not hardware ones) shows every tier view: the curve family
//! of each node with p50 and p99 per mix, the interference heatmap, the
//! interleave ratio curves with the best ratio marked, the MLP curves and
//! the migration bars.

use std::path::Path;
use std::process::Command;

fn fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results/tiers-vm.json").to_str().unwrap().to_string()
}

#[test]
fn a_tiers_run_shows_every_tier_view() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hwbench-tiers-report");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_hwbench"))
        .args(["report", &fixture(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let plots = out.join("plots");
    let svg = |name: &str| std::fs::read_to_string(plots.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let doc = hwbench_schema::load(Path::new(&fixture())).unwrap();
    let nodes: Vec<u32> = doc.topology.nodes.iter().map(|n| n.os_index).collect();
    assert_eq!(nodes, [0, 1], "the fixture is the two-node expander machine");
    for node in nodes {
        let family = svg(&format!("memory-loaded-family-run1-node{node}.svg"));
        for mix in ["read", "3:1", "2:1", "1:1", "nt_write"] {
            for statistic in ["p50", "p99"] {
                assert!(family.contains(&format!("{mix} {statistic}")), "node {node}: no {mix} {statistic} line");
            }
        }
    }
    let interference = svg("memory-interference-run1.svg");
    assert!(interference.contains("bandwidth lost") && interference.contains("p99 latency added"));
    let interleave = svg("memory-interleave-bandwidth-run1-split1.svg");
    assert!(interleave.contains("best triad: "), "the best ratio is marked");
    assert!(interleave.contains("fraction of pages on node 0"));
    svg("memory-interleave-latency-run1-split1.svg");
    svg("memory-mlp-bandwidth.svg");
    svg("memory-mlp-in-flight.svg");
    let migrate = svg("memory-migrate.svg");
    assert!(migrate.contains("0 → 1") && migrate.contains("1 → 0"), "both directions");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("memory-loaded-family-run1-node1.svg"));
    std::fs::remove_dir_all(&out).unwrap();
}
