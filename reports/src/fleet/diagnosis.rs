//! What is wrong with a flagged node: its flagged metrics grouped into
//! families (benchmark ids), and the provenance facts where it differs from
//! its cohort's majority.

use std::collections::{BTreeMap, HashMap};

use hwbench_schema::units::format_bytes;
use hwbench_schema::Better;

use super::judge::{Evidence, Judgement, Test};
use super::node::MetricInfo;
use super::{Cohort, Node};

/// Flagged metrics of one benchmark id on one node.
#[derive(Debug, Clone)]
pub struct Family {
    /// The benchmark id.
    pub id: String,
    /// Names of the flagged metrics.
    pub metrics: Vec<String>,
    /// Flagged (node, metric) tests of this id.
    pub flagged: usize,
    /// Tests of this id on the node, flagged or not.
    pub tested: usize,
    /// Median of the flagged metrics' changes against the cohort median.
    pub median_change: f64,
    /// "worse", "better" or "mixed", by each metric's better direction.
    pub direction: &'static str,
    /// The points flagged: params shared ("page=thp"), ranges ("bytes=16
    /// MiB..256 MiB") and alternatives ("kernel=add|copy").
    pub points: String,
    /// Flagged metrics whose every counted repetition is beyond the bounds
    /// (the others have no repetitions to count: their headline alone).
    pub persistent: usize,
}

impl Family {
    /// One line: "memory.bandwidth: 8 of 8 metrics worse, median -25.0%
    /// (bandwidth, bandwidth_median at kernel=add|copy ...); every
    /// repetition beyond the bounds".
    pub fn describe(&self) -> String {
        format!(
            "{}: {} of {} metrics {}, median {} ({} at {}); {}",
            self.id,
            self.flagged,
            self.tested,
            self.direction,
            crate::format::percent(self.median_change),
            self.metrics.join(", "),
            self.points,
            self.evidence()
        )
    }

    /// What the family's flags rest on, in words.
    pub fn evidence(&self) -> String {
        match self.persistent {
            0 => "headline only (no repetitions)".to_string(),
            p if p == self.flagged => "every repetition beyond the bounds".to_string(),
            p => format!(
                "every repetition beyond the bounds on {p} of {}, the headline only (no repetitions) on the rest",
                self.flagged
            ),
        }
    }
}

/// A provenance fact where a node differs from its cohort's majority.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub fact: String,
    /// The node's value.
    pub value: String,
    /// The value most of the cohort has.
    pub majority: String,
    /// How many nodes of the cohort have the majority value.
    pub majority_nodes: usize,
    pub cohort_nodes: usize,
}

impl Difference {
    /// One line: "microcode: 0x2b (cohort: 0x1 on 39 of 40 nodes)".
    pub fn describe(&self) -> String {
        format!(
            "{}: {} (cohort: {} on {} of {} nodes)",
            self.fact, self.value, self.majority, self.majority_nodes, self.cohort_nodes
        )
    }
}

/// A flagged node and why.
#[derive(Debug, Clone)]
pub struct Outlier {
    pub node: usize,
    /// Indexes of its flagged tests in the judgement, by |z| descending.
    pub tests: Vec<usize>,
    pub families: Vec<Family>,
    pub differences: Vec<Difference>,
}

/// One outlier per node with at least one flagged test, in node order.
pub fn outliers(
    nodes: &[Node],
    cohorts: &[Cohort],
    judgement: &Judgement,
    metrics: &[MetricInfo],
    facts: &[String],
) -> Vec<Outlier> {
    let info = |t: &Test| &metrics[judgement.distributions[t.cohort][t.distribution].metric as usize];
    let mut flagged: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in judgement.tests.iter().enumerate().filter(|(_, t)| t.flagged) {
        flagged.entry(t.node).or_default().push(i);
    }
    let mut tested: HashMap<(usize, &str), usize> = HashMap::new();
    for t in judgement.tests.iter().filter(|t| flagged.contains_key(&t.node)) {
        *tested.entry((t.node, info(t).key.id.as_str())).or_default() += 1;
    }
    let mut majorities: HashMap<usize, Vec<Option<(String, usize)>>> = HashMap::new();
    flagged
        .into_iter()
        .map(|(node, mut tests)| {
            tests.sort_by(|&a, &b| judgement.tests[b].z.abs().total_cmp(&judgement.tests[a].z.abs()));
            let mut by_id: BTreeMap<&str, Vec<&Test>> = BTreeMap::new();
            for &i in &tests {
                let t = &judgement.tests[i];
                by_id.entry(info(t).key.id.as_str()).or_default().push(t);
            }
            let families = by_id
                .into_iter()
                .map(|(id, ts)| {
                    let infos: Vec<&MetricInfo> = ts.iter().map(|t| info(t)).collect();
                    family(id, &ts, &infos, tested[&(node, id)])
                })
                .collect();
            let cohort = nodes[node].cohort;
            let majority =
                majorities.entry(cohort).or_insert_with(|| majority_facts(nodes, &cohorts[cohort], facts.len()));
            let differences = differences(&nodes[node], majority, facts, cohorts[cohort].members.len());
            Outlier { node, tests, families, differences }
        })
        .collect()
}

fn family(id: &str, tests: &[&Test], infos: &[&MetricInfo], tested: usize) -> Family {
    let mut changes: Vec<f64> = tests.iter().map(|t| t.change).collect();
    changes.sort_by(f64::total_cmp);
    let worse = tests
        .iter()
        .zip(infos)
        .filter(|(t, i)| match i.better {
            Better::Higher => t.change < 0.0,
            Better::Lower => t.change > 0.0,
        })
        .count();
    let mut metrics: Vec<String> = infos.iter().map(|i| i.key.metric.clone()).collect();
    metrics.sort();
    metrics.dedup();
    Family {
        id: id.to_string(),
        metrics,
        flagged: tests.len(),
        tested,
        median_change: crate::stats::median_of_sorted(&changes).unwrap_or(0.0),
        direction: match worse {
            0 => "better",
            w if w == tests.len() => "worse",
            _ => "mixed",
        },
        points: points(infos),
        persistent: tests.iter().filter(|t| t.evidence() == Evidence::EveryRepetition).count(),
    }
}

/// The params of the flagged points, each name once: one value as is,
/// several numbers as a range, several words as alternatives.
fn points(infos: &[&MetricInfo]) -> String {
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for info in infos {
        for (name, value) in &info.param_values {
            let seen = values.entry(name).or_default();
            if !seen.contains(&value.as_str()) {
                seen.push(value);
            }
        }
    }
    values
        .into_iter()
        .map(|(name, vals)| {
            let bytes = name == "bytes" || name.ends_with("_bytes");
            let show = |v: f64| if bytes { format_bytes(v as u64) } else { crate::format::value(v) };
            let numbers: Vec<f64> = vals.iter().filter_map(|v| v.parse().ok()).collect();
            match vals.len() {
                1 if bytes && numbers.len() == 1 => format!("{name}={}", show(numbers[0])),
                1 => format!("{name}={}", vals[0]),
                n if numbers.len() == n => {
                    let lo = numbers.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    format!("{name}={}..{}", show(lo), show(hi))
                }
                _ => {
                    let mut words = vals.clone();
                    words.sort_unstable();
                    format!("{name}={}", words.join("|"))
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Per fact, the value more than half of the cohort has, with its count.
fn majority_facts(nodes: &[Node], cohort: &Cohort, facts: usize) -> Vec<Option<(String, usize)>> {
    (0..facts)
        .map(|f| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for &m in &cohort.members {
                *counts.entry(nodes[m].facts[f].as_str()).or_default() += 1;
            }
            let (value, count) = counts.into_iter().max_by_key(|(_, count)| *count)?;
            (count * 2 > cohort.members.len()).then(|| (value.to_string(), count))
        })
        .collect()
}

fn differences(node: &Node, majority: &[Option<(String, usize)>], facts: &[String], members: usize) -> Vec<Difference> {
    facts
        .iter()
        .zip(majority)
        .zip(&node.facts)
        .filter_map(|((fact, majority), value)| {
            let (majority, count) = majority.as_ref()?;
            (value != majority).then(|| Difference {
                fact: fact.clone(),
                value: value.clone(),
                majority: majority.clone(),
                majority_nodes: *count,
                cohort_nodes: members,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::node::MetricKey;

    fn info(params: &[(&str, &str)]) -> MetricInfo {
        MetricInfo {
            key: MetricKey { id: "memory.latency".into(), params: String::new(), metric: "latency".into() },
            param_values: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            unit: "ns".into(),
            better: Better::Lower,
        }
    }

    #[test]
    fn points_show_shared_params_ranges_and_alternatives() {
        let a = info(&[("bytes", "16777216"), ("page", "thp"), ("kernel", "copy")]);
        let b = info(&[("bytes", "268435456"), ("page", "thp"), ("kernel", "add")]);
        assert_eq!(points(&[&a, &b]), "bytes=16 MiB..256 MiB kernel=add|copy page=thp");
        assert_eq!(points(&[&a]), "bytes=16 MiB kernel=copy page=thp");
    }
}
