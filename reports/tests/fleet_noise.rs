//! The fleet's outlier test on seeded synthetic cohorts of known spread:
//! nodes whose levels differ as like machines do, each metric measured five
//! times with its own scatter between repetitions. Clean cohorts have no
//! node flagged at the false discovery rate; a node degraded in every
//! repetition is flagged on the headline and every repetition; a metric too
//! variable to judge stays unjudged, since a sound node at the edge of its
//! distribution is off in every repetition too. Deterministic: every
//! document comes from a fixed seed.

#[path = "support/synthetic.rs"]
mod synthetic;

#[path = "../../tests/support/tmp.rs"]
mod tmp;

use std::path::PathBuf;

use hwbench_reports::fleet::judge::{Evidence, Verdict};
use hwbench_reports::fleet::{analyse, Fleet, Options};
use hwbench_reports::stats::SplitMix64;
use synthetic::{machine, normal, write, Spec};

const NODES: usize = 30;
const REPETITIONS: usize = 5;

fn tmp_dir(name: &str) -> PathBuf {
    tmp::dir("fleet-noise", name)
}

/// The ci-like machine with repetitions scattered 2%, plus a metric whose
/// nodes differ by 25% (too variable to judge from headlines).
fn specs() -> Vec<Spec> {
    let mut specs = machine(0.02);
    specs.push(Spec { metric: "variable", ..Spec::bandwidth(1 << 28, 12.0, 0.02) });
    specs
}

/// A cohort of `NODES` nodes: each node's level of each metric is the
/// spec's centre times exp(3% x Z) (25% for the variable metric); node
/// `faulty`, when given, has every bandwidth point 40% down.
fn cohort(seed: u64, faulty: Option<usize>) -> Fleet {
    let dir = tmp_dir(&format!("{seed}-{faulty:?}"));
    let mut rng = SplitMix64::new(seed);
    for node in 0..NODES {
        let specs: Vec<Spec> = specs()
            .iter()
            .map(|s| {
                let spread = if s.metric == "variable" { 0.25 } else { 0.03 };
                let fault = if faulty == Some(node) && s.metric == "bandwidth" { 0.6 } else { 1.0 };
                s.shifted(fault * (spread * normal(&mut rng)).exp())
            })
            .collect();
        write(&dir, &format!("node-{node:02}"), &specs, REPETITIONS, seed * 1000 + node as u64);
    }
    let fleet = analyse(std::slice::from_ref(&dir), Options::default()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    fleet
}

#[test]
fn clean_seeded_cohorts_with_repetitions_flag_no_node() {
    let mut flagged = 0;
    for seed in 1..=20 {
        let fleet = cohort(seed, None);
        let verdicts: Vec<Verdict> = fleet.judgement.distributions[0].iter().map(|d| d.verdict).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::TooVariable).count(), 1, "seed {seed}: {verdicts:?}");
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Judged).count(), 8, "seed {seed}: {verdicts:?}");
        assert_eq!(fleet.judgement.tests.len(), 8 * NODES, "seed {seed}: every node tested on every judged metric");
        flagged += fleet.outliers.len();
    }
    assert_eq!(flagged, 0, "no node of 20 clean cohorts flagged at 1%");
}

#[test]
fn a_node_down_in_every_repetition_is_flagged_on_that_evidence() {
    let fleet = cohort(7, Some(11));
    let flagged: Vec<&str> = fleet.outliers.iter().map(|o| fleet.nodes[o.node].name.as_str()).collect();
    assert_eq!(flagged, ["node-11"]);
    let tests: Vec<_> = fleet.judgement.tests.iter().filter(|t| t.flagged).collect();
    assert_eq!(tests.len(), 2, "both bandwidth points: {tests:?}");
    assert!(tests.iter().all(|t| t.evidence() == Evidence::EveryRepetition && (t.change + 0.4).abs() < 0.1));
    // What a cohort of this spread could have shown: about k x 3% of the
    // median, k the t quantile at the fleet's cut-off.
    for d in fleet.judgement.distributions[0].iter().filter(|d| d.verdict == Verdict::Judged) {
        let shift = d.detectable.unwrap();
        let want = d.k.unwrap() * d.sigma / d.summary.median;
        assert!((shift.headline - want.max(0.05)).abs() < 1e-12, "{shift:?}");
        assert!(shift.every_repetition.unwrap() > shift.headline, "persistence asks more: {shift:?}");
    }
}

#[test]
fn a_sound_node_at_the_edge_of_a_too_variable_metric_is_off_in_every_repetition() {
    // Seed 5's clean cohort: one node's level of the 25%-spread metric is
    // 2.4 times the median (exp(0.25 Z), Z about 3.5), and every one of its
    // repetitions lies beyond what judging the metric would take. Judged on
    // persistence it would be a false flag: the metric stays unjudged.
    let fleet = cohort(5, None);
    let d = fleet.judgement.distributions[0].iter().find(|d| d.verdict == Verdict::TooVariable).unwrap();
    assert_eq!(fleet.metrics[d.metric as usize].key.metric, "variable");
    let reach = d.summary.median * (1.0 + d.detectable.unwrap().headline);
    let persistent: Vec<&str> = fleet
        .nodes
        .iter()
        .filter(|n| n.figure(d.metric).is_some_and(|f| f.repetitions.iter().all(|&r| r > reach)))
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(persistent, ["node-25"]);
    assert!(fleet.outliers.is_empty());
}
