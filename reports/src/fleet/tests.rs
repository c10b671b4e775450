//! The judging rules on drafts made by hand: what is flagged, what never
//! is, and how cohorts form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hwbench_schema::Better;

use super::judge::{Evidence, Verdict};
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

/// A draft of node `i` whose figures are each metric's repetitions, the
/// headline their median (as `hwbench run --repeat` writes them).
fn repeated(table: &mut MetricTable, i: usize, figures: &[(&str, &[f64])]) -> Draft {
    let headlines: Vec<(&str, f64)> =
        figures.iter().map(|(name, reps)| (*name, crate::stats::median(reps).unwrap())).collect();
    let mut d = draft(table, i, &headlines, "24 GiB", &[], &[]);
    for (figure, (_, reps)) in d.figures.iter_mut().zip(figures) {
        figure.repetitions = reps.to_vec().into_boxed_slice();
    }
    d
}

/// Five repetitions around `level`, each `width` apart in relative terms.
fn readings(level: f64, width: f64) -> [f64; 5] {
    [-2.0, -1.0, 0.0, 1.0, 2.0].map(|s| level * (1.0 + width * s))
}

#[test]
fn persistence_flags_a_node_off_in_every_repetition_and_not_one_off_in_some() {
    // 20 nodes, spread 1%: node 2 is 30% down in every repetition, node 4
    // in three of five (its headline too: a discovery, off intermittently),
    // node 7 in one only (its headline is not); node 6 has no repetitions
    // and is 30% down (flagged on its headline, as before repetitions).
    let fleet = judge(Options::default(), |t| {
        (0..20)
            .map(|i| match i {
                2 => repeated(t, i, &[("m", &readings(70.0, 0.005))]),
                4 => repeated(t, i, &[("m", &[70.0, 71.0, 69.0, 99.0, 100.0])]),
                6 => draft(t, i, &[("m", 70.0)], "24 GiB", &[], &[]),
                7 => repeated(t, i, &[("m", &[100.0, 101.0, 70.0, 99.0, 100.5])]),
                _ => repeated(t, i, &[("m", &readings(100.0 * wobble(i, 0.01), 0.005))]),
            })
            .collect()
    })
    .unwrap();
    let d = &fleet.judgement.distributions[0][0];
    assert_eq!((d.verdict, d.repeated), (Verdict::Judged, 19));
    let flagged: Vec<(&str, Evidence)> = fleet
        .judgement
        .tests
        .iter()
        .filter(|t| t.flagged)
        .map(|t| (fleet.nodes[t.node].name.as_str(), t.evidence()))
        .collect();
    assert_eq!(flagged, [("n2", Evidence::EveryRepetition), ("n6", Evidence::Headline)]);
    let test = |node: usize| fleet.judgement.tests.iter().find(|t| t.node == node).unwrap();
    let p = test(2).persistence.unwrap();
    assert_eq!((p.counted, p.set_aside, p.beyond), (5, false, 5));
    let four = test(4);
    let p = four.persistence.unwrap();
    assert_eq!((p.counted, p.set_aside, p.beyond), (5, false, 3));
    assert!(four.discovery && !four.flagged && four.intermittent(), "{four:?}");
    assert_eq!(four.evidence(), Evidence::Intermittent);
    assert_eq!((d.flagged, d.intermittent, fleet.judgement.intermittent()), (2, 1, 1));
    assert_eq!(test(6).persistence, None);
    let seven = test(7);
    let p = seven.persistence.unwrap();
    assert_eq!((p.counted, p.set_aside, p.beyond), (4, true, 0), "its one low repetition is set aside");
    assert!(!seven.discovery && !seven.flagged);
    let evidence: Vec<String> = fleet.outliers.iter().map(|o| o.families[0].evidence()).collect();
    assert_eq!(evidence, ["every repetition beyond the bounds", "headline only (no repetitions)"]);
}

#[test]
fn the_detectable_shift_of_a_small_cohort_is_the_hand_computed_one() {
    // Ten nodes, one metric, no repetitions. Median 100; absolute
    // deviations 0 0 2 2 3 3 4 4 6 6, MAD 3; spread 1.4826 x 3 x sqrt(1 +
    // pi/20) = 4.784393. Ten tests and no discovery: the Benjamini-Hochberg
    // cut-off is 0.01 / 10 = 0.001; t with 0.37 x 10 = 3.7 degrees of
    // freedom has P(|T| > 9.474240) = 0.001 (numerical integration of the
    // density, done apart from this crate); 9.474240 x 4.784393 / 100 =
    // 45.33%, above the 5% minimum effect.
    let values = [94.0, 96.0, 97.0, 98.0, 100.0, 100.0, 102.0, 103.0, 104.0, 106.0];
    let fleet = judge(Options::default(), |t| {
        values.iter().enumerate().map(|(i, v)| draft(t, i, &[("m", *v)], "24 GiB", &[], &[])).collect()
    })
    .unwrap();
    let d = &fleet.judgement.distributions[0][0];
    assert!((d.sigma - 4.784393316523334).abs() < 1e-9, "{}", d.sigma);
    assert!((fleet.judgement.p_threshold - 0.001).abs() < 1e-15);
    assert!((d.k.unwrap() - 9.474240137124363).abs() < 1e-6, "{:?}", d.k);
    let shift = d.detectable.unwrap();
    assert!((shift.headline - 0.4532849119119492).abs() < 1e-7, "{shift:?}");
    assert_eq!(shift.every_repetition, None, "no node has repetitions");
    let (lo, hi) = d.bounds.unwrap();
    assert!((lo - 54.67150880880508).abs() < 1e-5 && (hi - 145.32849119119492).abs() < 1e-5, "{lo} {hi}");
    // With five repetitions a node, scattered 2% (SD of logs): the shift at
    // which all five are beyond the bound half the time, z = 1.128998
    // (the normal quantile of 0.5^(1/5)): 1 - (1 - 0.453285) e^(-z 0.02).
    let fleet = judge(Options::default(), |t| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| repeated(t, i, &[("m", &[v * 0.98, *v, *v, *v, v / 0.98][..])]))
            .collect()
    })
    .unwrap();
    let d = &fleet.judgement.distributions[0][0];
    let sd = (2.0 * 0.98f64.ln().powi(2) / 4.0).sqrt();
    let want = 1.0 - (1.0 - 0.4532849119119492) * (-1.1289975352961017 * sd).exp();
    assert!((d.detectable.unwrap().every_repetition.unwrap() - want).abs() < 1e-6, "{:?} {want}", d.detectable);
}
