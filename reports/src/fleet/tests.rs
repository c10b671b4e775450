//! The judging rules on drafts made by hand: what is flagged, what never
//! is, and how cohorts form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hwbench_schema::Better;

use super::judge::Verdict;
use super::node::{Draft, Figure, GroupValue, MetricInfo, MetricKey, MetricTable, FINGERPRINT};
use super::{build, Fleet, Options};
use crate::ReportError;

/// A draft of node `i` with the given (metric name, value) figures of one
/// benchmark point, a memory size and tags; its metrics numbered in `table`.
fn draft(
    table: &mut MetricTable,
    i: usize,
    figures: &[(&str, f64)],
    memory: &str,
    tags: &[(&str, &str)],
    group_by: &[&str],
) -> Draft {
    let tags: BTreeMap<String, String> = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Draft {
        path: PathBuf::from(format!("n{i}.json")),
        run_id: format!("run-{i}"),
        label: Some(format!("n{i}")),
        groups: group_by.iter().map(|k| GroupValue::Tag(tags.get(*k).cloned())).collect(),
        tags,
        facts: super::node::fact_names()
            .iter()
            .map(|f| if *f == "hostname" { format!("n{i}") } else { "same".into() })
            .collect(),
        fingerprint: FINGERPRINT.iter().map(|p| if *p == "memory" { memory.to_string() } else { "x".into() }).collect(),
        figures: figures
            .iter()
            .map(|(name, value)| {
                let key = MetricKey { id: "bench".into(), params: "p=1".into(), metric: name.to_string() };
                let info = |key| MetricInfo {
                    key,
                    param_values: vec![("p".into(), "1".into())],
                    unit: "GB/s".into(),
                    better: Better::Higher,
                };
                Figure { metric: table.number(key, info), value: *value, repetitions: Box::new([]) }
            })
            .collect(),
        unmeasured: 0,
    }
}

/// Judges drafts made by `make`, which numbers metrics in the table it gets.
fn judge(options: Options, make: impl FnOnce(&mut MetricTable) -> Vec<Draft>) -> Result<Fleet, ReportError> {
    let mut table = MetricTable::default();
    let drafts = make(&mut table).into_iter().map(|d| (0, d)).collect();
    build(drafts, &[table], options)
}

/// A deterministic spread around 1 of relative width `width` for node `i`.
fn wobble(i: usize, width: f64) -> f64 {
    1.0 + width * (((i * 37) % 21) as f64 / 10.0 - 1.0)
}

#[test]
fn flags_the_outlier_of_a_tight_metric_and_never_one_of_a_variable_metric() {
    let fleet = judge(Options::default(), |t| {
        (0..20)
            .map(|i| {
                let tight = if i == 3 { 70.0 } else { 100.0 * wobble(i, 0.01) };
                let variable = if i == 5 { 160.0 } else { 100.0 * wobble(i, 0.4) };
                draft(t, i, &[("tight", tight), ("variable", variable)], "24 GiB", &[], &[])
            })
            .collect()
    })
    .unwrap();
    let verdicts: Vec<Verdict> = fleet.judgement.distributions[0].iter().map(|d| d.verdict).collect();
    assert_eq!(verdicts, [Verdict::Judged, Verdict::TooVariable]);
    assert!(fleet.judgement.distributions[0][1].summary.relative_spread().unwrap() > 0.10);
    assert_eq!(fleet.outliers.len(), 1);
    let outlier = &fleet.outliers[0];
    assert_eq!(fleet.nodes[outlier.node].name, "n3");
    assert_eq!(outlier.families[0].metrics, ["tight"]);
    assert_eq!(outlier.families[0].direction, "worse");
    assert!(outlier.differences.is_empty(), "hostnames differ everywhere: no majority, no difference");
    assert_eq!(fleet.judgement.tests.len(), 20, "only the judged metric is tested");
}

#[test]
fn a_significant_deviation_below_the_minimum_effect_is_not_flagged() {
    let drafts = |t: &mut MetricTable| -> Vec<Draft> {
        let value = |i: usize| if i == 0 { 97.0 } else { 100.0 * wobble(i, 0.001) };
        (0..30).map(|i| draft(t, i, &[("m", value(i))], "24 GiB", &[], &[])).collect()
    };
    let fleet = judge(Options::default(), drafts).unwrap();
    let test = fleet.judgement.tests.iter().find(|t| t.node == 0).unwrap();
    assert!(test.q <= Options::default().fdr, "significant at the false discovery rate: {test:?}");
    assert!(fleet.outliers.is_empty(), "3% is under the 5% minimum effect");
    let fleet = judge(Options { min_effect: 0.02, ..Options::default() }, drafts).unwrap();
    assert_eq!(fleet.outliers.len(), 1);
}

#[test]
fn small_cohorts_are_described_not_judged_and_say_how_they_differ() {
    let fleet = judge(Options::default(), |t| {
        let mut drafts: Vec<Draft> =
            (0..12).map(|i| draft(t, i, &[("m", 100.0 * wobble(i, 0.01))], "24 GiB", &[], &[])).collect();
        drafts.extend((12..15).map(|i| draft(t, i, &[("m", 50.0)], "23 GiB", &[], &[])));
        drafts
    })
    .unwrap();
    assert_eq!(fleet.cohorts.len(), 2);
    assert_eq!(fleet.cohorts[0].members.len(), 12);
    assert!(fleet.cohorts[1].unjudged.as_deref().unwrap().contains("fewer than 8"));
    assert_eq!(fleet.cohorts[1].differs_from_largest, [("memory", "23 GiB".to_string(), "24 GiB".to_string())]);
    assert_eq!(fleet.judgement.distributions[1][0].verdict, Verdict::CohortTooSmall);
    assert!(fleet.outliers.is_empty());
    // Cohort 2 has 3 nodes: it is compared with cohort 1, clearly worse.
    assert_eq!(fleet.comparisons.len(), 1);
    let row = &fleet.comparisons[0].rows[0];
    assert_eq!(row.verdict, "worse");
    assert!((row.change + 0.5).abs() < 0.01, "{row:?}");
}

#[test]
fn group_by_a_tag_forms_its_cohorts_and_an_unknown_key_is_refused() {
    let tags = |i: usize| if i.is_multiple_of(2) { "a" } else { "b" };
    let grouped = |key: &'static str| {
        let options = Options { group_by: vec![key.to_string()], ..Options::default() };
        judge(options, |t| (0..10).map(|i| draft(t, i, &[("m", 1.0)], "24 GiB", &[("sku", tags(i))], &[key])).collect())
    };
    let fleet = grouped("sku").unwrap();
    let keys: Vec<&str> = fleet.cohorts.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["sku=a", "sku=b"]);
    assert!(fleet.facts.contains(&"tag sku".to_string()));
    match grouped("rack") {
        Err(ReportError::UnknownGroupKey { key, tags }) => assert_eq!((key.as_str(), tags.as_str()), ("rack", "sku")),
        other => panic!("{other:?}"),
    }
}
