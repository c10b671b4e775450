//! The fleet for a terminal: cohorts in a line each with the smallest
//! shift each family could show, then every flagged node with its metric
//! families, what their flags rest on and provenance differences.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::super::judge::{Distribution, Verdict};
use super::super::Fleet;
use crate::format::percent_unsigned;

/// The summary as UTF-8 bytes.
pub fn render(fleet: &Fleet) -> Vec<u8> {
    let mut t = String::new();
    let j = &fleet.judgement;
    let _ = writeln!(
        t,
        "hwbench fleet: {} run(s) in {} cohort(s), grouped by {}; {} (node, metric) tests",
        fleet.nodes.len(),
        fleet.cohorts.len(),
        fleet.grouping(),
        j.tests.len()
    );
    for (c, cohort) in fleet.cohorts.iter().enumerate() {
        let count = |v: Verdict| j.distributions[c].iter().filter(|d| d.verdict == v).count();
        let _ = write!(t, "cohort {}: {} node(s), ", c + 1, cohort.members.len());
        match &cohort.unjudged {
            Some(why) => {
                let _ = write!(t, "not judged ({why})");
            }
            None => {
                let _ = write!(
                    t,
                    "{} metric(s) judged, {} too variable, {} measured by too few nodes",
                    count(Verdict::Judged),
                    count(Verdict::TooVariable),
                    count(Verdict::TooFewNodes)
                );
            }
        }
        let _ = writeln!(t, " [{}]", cohort.key);
        for (part, mine, theirs) in &cohort.differs_from_largest {
            let _ = writeln!(t, "  differs from cohort 1 in {part}: {mine} (cohort 1: {theirs})");
        }
        let reach = detectable_by_family(fleet, &j.distributions[c]);
        if !reach.is_empty() {
            let _ = writeln!(
                t,
                "  smallest shift it could flag, per family (not flagged means within this, not fine): {}",
                reach.join(", ")
            );
        }
    }
    let o = &fleet.options;
    let _ = writeln!(
        t,
        "not judged: a metric whose robust spread exceeds {}% of its median in the cohort, one measured by fewer than {} nodes, cohorts under {} nodes",
        o.max_spread * 100.0,
        o.min_nodes,
        o.min_nodes
    );
    let intermittent = j.intermittent();
    if intermittent > 0 {
        let mut nodes: Vec<usize> = j.tests.iter().filter(|t| t.intermittent()).map(|t| t.node).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let _ = writeln!(
            t,
            "not flagged: {intermittent} (node, metric) pair(s) on {} node(s) whose headline is beyond the bounds but not every repetition (off intermittently; fleet.json's intermittent and values.csv list them)",
            nodes.len()
        );
    }
    if fleet.outliers.is_empty() {
        let _ = writeln!(
            t,
            "no node flagged (false discovery rate {}%): every node is within the shifts each cohort could flag, above",
            o.fdr * 100.0
        );
        return t.into_bytes();
    }
    let _ = writeln!(
        t,
        "flagged: {} node(s) (Benjamini-Hochberg at a false discovery rate of {}% over every test: p <= {:.2e}, outside median +- k x robust spread, in every repetition where a node has repetitions, and at least {}% off the median)",
        fleet.outliers.len(),
        fleet.options.fdr * 100.0,
        j.p_threshold,
        fleet.options.min_effect * 100.0
    );
    for o in &fleet.outliers {
        let node = &fleet.nodes[o.node];
        let _ = writeln!(t, "  {} (run {}, cohort {})", node.name, node.run_id, node.cohort + 1);
        for family in &o.families {
            let _ = writeln!(t, "    {}", family.describe());
        }
        if o.differences.is_empty() {
            let _ = writeln!(t, "    provenance: no fact differs from the cohort majority");
        }
        for d in &o.differences {
            let _ = writeln!(t, "    provenance: {}", d.describe());
        }
    }
    t.into_bytes()
}

/// Per benchmark id, the range of the shifts its judged metrics could flag
/// ("memory.bandwidth 9.1%..14.0%"; in every repetition where the nodes
/// carry repetitions); a family none of whose metrics is judged shows what
/// judging its too variable ones would take.
fn detectable_by_family(fleet: &Fleet, distributions: &[Distribution]) -> Vec<String> {
    let mut families: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for d in distributions {
        let Some(reach) = d.detectable else { continue };
        let (judged, variable) = families.entry(&fleet.metrics[d.metric as usize].key.id).or_default();
        if d.verdict == Verdict::Judged { judged } else { variable }.push(reach.to_flag());
    }
    families
        .into_iter()
        .map(|(id, (judged, variable))| {
            let (shifts, note) = if judged.is_empty() { (variable, " if judged (too variable)") } else { (judged, "") };
            let lo = shifts.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = shifts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = if hi - lo < 0.0005 {
                percent_unsigned(lo)
            } else {
                format!("{}..{}", percent_unsigned(lo), percent_unsigned(hi))
            };
            format!("{id} {range}{note}")
        })
        .collect()
}
