//! The comparison statistics on synthetic documents of known run-to-run
//! variance, over many seeds: unchanged pairs are rarely called (a bounded
//! false-alarm count), 25% shifts are called, spreads above the threshold
//! are "unstable here", one repetition gives no run-to-run estimate, and a
//! report over five unchanged runs has relative intervals around 1.0.
//! Deterministic: every document comes from a fixed seed.

#[path = "support/synthetic.rs"]
mod synthetic;

use hwbench_reports::compare::{compare, Comparison, Options, Verdict};
use hwbench_schema::ResultDocument;
use synthetic::{document, machine, Spec};

const SEEDS: u64 = 200;

fn options(threshold: f64) -> Options {
    Options { threshold, ..Options::default() }
}

fn one(doc: ResultDocument) -> Vec<ResultDocument> {
    vec![doc]
}

/// Every spec made worse by `factor` (bandwidth divided, latency and energy multiplied).
fn worse(specs: &[Spec], factor: f64) -> Vec<Spec> {
    specs
        .iter()
        .map(|s| s.shifted(if s.better == hwbench_schema::Better::Higher { 1.0 / factor } else { factor }))
        .collect()
}

fn called(c: &Comparison) -> usize {
    c.count(Verdict::Regressed) + c.count(Verdict::Improved)
}

/// Comparisons (of `SEEDS`) in which anything was called, and metrics called.
fn false_alarms(specs: &[Spec], repetitions: usize, threshold: f64) -> (usize, usize, usize) {
    let (mut comparisons, mut metrics, mut gated) = (0, 0, 0);
    for seed in 0..SEEDS {
        let base = document("base", specs, repetitions, 2 * seed);
        let new = document("new", specs, repetitions, 2 * seed + 1);
        let c = compare(&one(base), &one(new), &options(threshold));
        assert!(c.gate_failures.is_empty() && c.not_compared.is_empty(), "{c:?}");
        comparisons += usize::from(called(&c) > 0);
        metrics += called(&c);
        gated += c.gated();
    }
    (comparisons, metrics, gated)
}

#[test]
fn unchanged_pairs_are_rarely_called() {
    // Quiet metrics (2% between repetitions, threshold 10%): never.
    let (comparisons, _, gated) = false_alarms(&machine(0.02), 5, 0.10);
    assert_eq!(comparisons, 0);
    assert!(gated > 7 * SEEDS as usize * 9 / 10, "most metrics gated: {gated}");
    // The worst gated case: spread near the threshold (5% between
    // repetitions, 2 SD = 10%). Measured: none of 200 comparisons (1600
    // metrics); without the band condition on the interval, 3. Bound: 5%.
    let (comparisons, metrics, _) = false_alarms(&machine(0.05), 5, 0.10);
    eprintln!("5% noise, threshold 10%: {comparisons} of {SEEDS} comparisons called {metrics} metrics");
    assert!(comparisons <= SEEDS as usize / 20, "{comparisons} false alarms");
}

#[test]
fn shifts_of_25_percent_are_called() {
    let specs = machine(0.02);
    let worse = worse(&specs, 1.25);
    let (mut detected, mut total) = (0, 0);
    for seed in 0..50 {
        let c = compare(
            &one(document("base", &specs, 5, 2 * seed)),
            &one(document("new", &worse, 5, 2 * seed + 1)),
            &options(0.10),
        );
        detected += c.count(Verdict::Regressed);
        total += c.rows.len();
        assert_eq!(c.count(Verdict::Improved), 0);
        assert!(c.fails_gate());
    }
    eprintln!("25% shifts: {detected} of {total} metrics called regressed");
    assert!(detected * 100 >= total * 98, "{detected} of {total}");
}

#[test]
fn a_spread_above_the_threshold_is_unstable_here_and_not_gated() {
    // 15% between repetitions: 2 SD about 30%, far above 10%. A metric is
    // unstable exactly when its measured spread is above the threshold, and
    // then not gated even though it is 25% worse.
    let specs = machine(0.15);
    let worse = worse(&specs, 1.25);
    let (mut unstable, mut rows) = (0, 0);
    for seed in 0..50 {
        let c = compare(
            &one(document("base", &specs, 5, 2 * seed)),
            &one(document("new", &worse, 5, 2 * seed + 1)),
            &options(0.10),
        );
        for row in &c.rows {
            let spread = row.spread.unwrap();
            assert_eq!(row.verdict == Verdict::Unstable, spread > 0.10, "{row:?}");
            if row.verdict == Verdict::Unstable {
                let want = format!("unstable here (run-to-run spread {:.1}%)", spread * 100.0);
                assert_eq!(row.note.as_deref(), Some(want.as_str()));
            }
        }
        unstable += c.count(Verdict::Unstable);
        rows += c.rows.len();
    }
    // A sample SD of 5 units under a third of the true one is rare (2%).
    eprintln!("15% noise: {unstable} of {rows} metrics unstable here");
    assert!(unstable * 100 >= rows * 95, "{unstable} of {rows}");
}

#[test]
fn one_repetition_gives_no_run_to_run_estimate() {
    let specs = machine(0.02);
    let worse: Vec<Spec> = specs.iter().map(|s| s.shifted(2.0)).collect();
    let c = compare(&one(document("base", &specs, 1, 1)), &one(document("new", &worse, 5, 2)), &options(0.10));
    assert_eq!(c.gated(), 0);
    assert_eq!(c.count(Verdict::NoEstimate), c.rows.len());
    assert!(c.rows.iter().all(|r| r.note.as_deref() == Some("one repetition: no run-to-run estimate (base)")));
    assert!(c.rows.iter().all(|r| r.ci.is_none() && r.p_value.is_none()));
}

#[test]
fn three_repetitions_a_side_cannot_reach_significance() {
    let specs = machine(0.02);
    let worse: Vec<Spec> = specs.iter().map(|s| s.shifted(2.0)).collect();
    let c = compare(&one(document("base", &specs, 3, 1)), &one(document("new", &worse, 3, 2)), &options(0.10));
    assert_eq!(c.count(Verdict::TooFewUnits), c.rows.len(), "{c:?}");
    assert_eq!(c.rows[0].note.as_deref(), Some("3 and 3 units: Mann-Whitney cannot reach p < 0.05"));
    // Four a side can (2/70 < 0.05).
    let c = compare(&one(document("base", &specs, 4, 1)), &one(document("new", &worse, 4, 2)), &options(0.10));
    assert_eq!(c.count(Verdict::Regressed) + c.count(Verdict::Improved), c.rows.len(), "{c:?}");
}

#[test]
fn figures_without_samples_are_compared_on_their_repetitions() {
    let specs = vec![Spec::energy(1 << 28, 3.0, 0.02)];
    let doubled = vec![specs[0].shifted(2.0)];
    let c = compare(&one(document("base", &specs, 5, 1)), &one(document("new", &doubled, 5, 2)), &options(0.10));
    assert_eq!(c.rows.len(), 1);
    let row = &c.rows[0];
    assert_eq!((row.metric.as_str(), row.verdict), ("energy_per_op", Verdict::Regressed));
    assert!(row.ci.unwrap().lower > 0.8, "{row:?}");
    // Without repetitions (documents before them): one unit, no verdict, said why.
    let c = compare(&one(document("base", &specs, 1, 1)), &one(document("new", &doubled, 1, 2)), &options(0.10));
    assert_eq!(c.rows[0].verdict, Verdict::NoEstimate);
}

/// Several baseline runs are the noise model; one new run is judged
/// against their spread (prediction test).
#[test]
fn several_baseline_runs_judge_one_new_run() {
    let specs = machine(0.02);
    let worse = worse(&specs, 1.25);
    let (mut alarms, mut detected, mut rows) = (0, 0, 0);
    for seed in 0..50 {
        let base: Vec<ResultDocument> =
            (0..5).map(|k| document(&format!("base{k}"), &specs, 3, 100 * seed + k)).collect();
        let same = compare(&base, &one(document("new", &specs, 3, 100 * seed + 50)), &options(0.10));
        assert_eq!(same.level, hwbench_reports::compare::Level::Runs);
        assert!(same
            .rows
            .iter()
            .all(|r| r.base_units + usize::from(r.base_set_aside.is_some()) == 5 && r.new_units == 1));
        alarms += called(&same);
        let worse = compare(&base, &one(document("new", &worse, 3, 100 * seed + 51)), &options(0.10));
        detected += worse.count(Verdict::Regressed);
        rows += worse.rows.len();
    }
    eprintln!("5 baseline runs vs 1: {alarms} false calls; {detected} of {rows} 25% shifts called");
    assert_eq!(alarms, 0);
    assert!(detected * 100 >= rows * 95, "{detected} of {rows}");
}

/// Baseline runs whose figures are all equal (a quantile read from the
/// same histogram bucket in every run) leave no spread to judge one new run
/// against: no estimate, never a call, whatever the new bucket.
#[test]
fn equal_baseline_runs_give_no_estimate_for_one_new_run() {
    let specs: Vec<Spec> = machine(0.0).into_iter().map(|s| Spec { within: 0.0, ..s }).collect();
    let base: Vec<ResultDocument> = (0..3).map(|k| document(&format!("base{k}"), &specs, 1, k)).collect();
    let new = compare(&base, &one(document("new", &worse(&specs, 1.3), 1, 9)), &options(0.10));
    assert_eq!(new.level, hwbench_reports::compare::Level::Runs);
    assert!(!new.rows.is_empty());
    for row in &new.rows {
        assert_eq!(row.spread, Some(0.0), "{row:?}");
        assert_eq!(row.verdict, Verdict::NoEstimate, "{row:?}");
        assert!(row.note.as_deref().unwrap().contains("all equal"), "{row:?}");
    }
}

/// Over five unchanged runs, every benchmark's relative-performance
/// interval contains 1.0 (the intervals are simultaneous over the table).
#[test]
fn five_unchanged_runs_have_relative_intervals_around_one() {
    let specs = machine(0.03);
    let mut reports_with_a_miss = 0;
    for seed in 0..40 {
        let loaded = (0..5)
            .map(|k| hwbench_reports::inputs::Loaded {
                path: format!("run{k}.json").into(),
                doc: document(&format!("run{k}"), &specs, 5, 10 * seed + k),
            })
            .collect();
        let runs = hwbench_reports::runs::RunSet::new(loaded, None).unwrap();
        let rel = hwbench_reports::relative::relative(&runs);
        let intervals: Vec<_> = rel.per_id.iter().chain([&rel.overall]).flat_map(|g| g.intervals[1..].iter()).collect();
        assert_eq!(intervals.len(), 3 * 4);
        assert!(intervals.iter().all(|i| i.is_some()));
        reports_with_a_miss += usize::from(intervals.iter().any(|i| !i.unwrap().contains(1.0)));
    }
    eprintln!("five unchanged runs: {reports_with_a_miss} of 40 reports with an interval missing 1.0");
    assert!(reports_with_a_miss <= 2, "{reports_with_a_miss}");
}

/// `doc` with repetition `index` of every metric scaled by `factor`, its
/// samples with it: a transient repetition (a neighbour, a vCPU moved).
fn with_transient(mut doc: ResultDocument, index: usize, factor: f64) -> ResultDocument {
    for record in &mut doc.benchmarks {
        for metric in &mut record.metrics {
            let start: usize = metric.repetitions[..index].iter().map(|r| r.sample_count).sum();
            let count = metric.repetitions[index].sample_count;
            metric.repetitions[index].value *= factor;
            metric.samples[start..start + count].iter_mut().for_each(|s| *s *= factor);
        }
    }
    doc
}

/// One transient repetition (1.7x) in a baseline of five is set aside
/// (Grubbs' test), so the metric stays gated and a 25% shift is still
/// called; two transients leave it unstable here. One in the new run does
/// not hide the shift either.
#[test]
fn one_transient_repetition_leaves_a_metric_gated_two_do_not() {
    let specs = machine(0.02);
    let worse = worse(&specs, 1.25);
    let (mut set_aside, mut gated, mut detected, mut new_detected, mut rows) = (0, 0, 0, 0, 0);
    for seed in 0..50 {
        let base = with_transient(document("base", &specs, 5, 2 * seed), 3, 1.7);
        let c = compare(&one(base.clone()), &one(document("new", &worse, 5, 2 * seed + 1)), &options(0.10));
        let transients: Vec<f64> =
            base.benchmarks.iter().flat_map(|r| &r.metrics).map(|m| m.repetitions[3].value).collect();
        for (row, transient) in c.rows.iter().zip(&transients) {
            // Only ever the transient; when it is, four units are compared.
            if let Some(figure) = row.base_set_aside {
                assert_eq!((figure, row.base_units), (*transient, 4), "{row:?}");
                set_aside += 1;
            }
        }
        gated += c.gated();
        detected += c.count(Verdict::Regressed);
        rows += c.rows.len();
        let noisy_new = with_transient(document("new", &worse, 5, 2 * seed + 1), 2, 1.7);
        let c = compare(&one(document("base", &specs, 5, 2 * seed)), &one(noisy_new), &options(0.10));
        new_detected += c.count(Verdict::Regressed);
        let twice = with_transient(base, 1, 1.7);
        let c = compare(&one(twice), &one(document("new", &worse, 5, 2 * seed + 1)), &options(0.10));
        assert_eq!(c.count(Verdict::Unstable), c.rows.len(), "{c:?}");
    }
    eprintln!(
        "one transient in five: {set_aside} set aside, {gated} of {rows} gated, {detected} 25% shifts called; \
         transient in the new run: {new_detected} called"
    );
    // The test at 1% misses a 1.7x transient when the other four happen to
    // spread wide (measured: 1 of 400).
    assert!(set_aside * 100 >= rows * 98, "{set_aside} of {rows}");
    assert!(gated * 100 >= rows * 98 && detected * 100 >= rows * 98, "{gated} {detected} of {rows}");
    assert!(new_detected * 100 >= rows * 98, "{new_detected} of {rows}");
}

/// Baseline runs whose headlines agree exactly but whose repetitions spread
/// (here: three copies of one run) are judged with the spread the
/// repetitions imply for a headline: an unchanged new run is not called, a
/// 25% worse one is.
#[test]
fn agreeing_baseline_runs_keep_the_spread_of_their_repetitions() {
    let specs = machine(0.02);
    let (mut alarms, mut detected, mut rows, mut floored) = (0, 0, 0, 0);
    for seed in 0..50 {
        let base: Vec<ResultDocument> = (0..3).map(|k| document(&format!("base{k}"), &specs, 5, 3 * seed)).collect();
        let same = compare(&base, &one(document("new", &specs, 5, 3 * seed + 1)), &options(0.10));
        for row in &same.rows {
            // Three equal headlines: without the floor no spread at all.
            // 2% between repetitions: about 2 x 1.2533 x 0.02 / sqrt(5) = 2.2%
            // (less when Grubbs' test set one of five aside and the other
            // four happen to agree closely).
            let spread = row.spread.unwrap();
            assert!(spread > 0.0 && row.verdict.gated(), "{row:?}");
            floored += usize::from(spread > 0.01);
        }
        alarms += called(&same);
        let worse = compare(&base, &one(document("new", &worse(&specs, 1.25), 5, 3 * seed + 2)), &options(0.10));
        detected += worse.count(Verdict::Regressed);
        rows += worse.rows.len();
    }
    eprintln!(
        "3 agreeing baseline runs vs 1: spread over 1% in {floored} of {rows}; {alarms} false calls; \
         {detected} of {rows} 25% shifts called"
    );
    // Measured: 376 of 400 (an SD of four or five repetitions is itself noisy).
    assert!(floored * 100 >= rows * 90, "{floored} of {rows}");
    assert_eq!(alarms, 0);
    assert!(detected * 100 >= rows * 95, "{detected} of {rows}");
}
