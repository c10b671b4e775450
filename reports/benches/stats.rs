//! Statistics at realistic sizes: a benchmark point keeps 5 to 20
//! repetitions of 10 to a few hundred samples each; compare bootstraps
//! every point of two runs at both levels.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hwbench_reports::stats::{mann_whitney_u, ratio_interval, Bootstrap, Parts, SplitMix64, Statistic, Unit};

/// `n` samples around `centre` with 1 % noise, seeded.
fn samples(n: usize, centre: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| centre * (1.0 + (rng.next_u64() as f64 / u64::MAX as f64 - 0.5) * 0.02)).collect()
}

/// `repetitions` units of `n` samples each, their figure the median.
fn units(repetitions: usize, n: usize, centre: f64, seed: u64) -> Vec<Unit> {
    (0..repetitions)
        .map(|r| {
            let values = samples(n, centre, seed * 1000 + r as u64);
            let figure = Statistic::Median.of(&mut values.clone());
            Unit { figure, parts: Parts::Samples { values, statistic: Statistic::Median } }
        })
        .collect()
}

fn bootstrap(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_level_bootstrap_2000_resamples");
    for (repetitions, n) in [(5, 10), (5, 200), (20, 10)] {
        let (base, new) = (units(repetitions, n, 100.0, 1), units(repetitions, n, 105.0, 2));
        let id = format!("{repetitions}x{n}");
        group.bench_with_input(BenchmarkId::from_parameter(id), &n, |b, _| {
            b.iter(|| ratio_interval(black_box(&base), black_box(&new), &Bootstrap::default()))
        });
    }
    group.finish();
}

fn mann_whitney(c: &mut Criterion) {
    let mut group = c.benchmark_group("mann_whitney");
    for n in [10, 200, 5000] {
        let (base, new) = (samples(n, 100.0, 1), samples(n, 105.0, 2));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| mann_whitney_u(black_box(&base), black_box(&new)))
        });
    }
    group.finish();
}

criterion_group!(benches, bootstrap, mann_whitney);
criterion_main!(benches);
