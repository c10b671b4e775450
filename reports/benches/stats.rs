//! Statistics at realistic sample counts: a benchmark point keeps 10 to a
//! few hundred samples; compare bootstraps every point of two runs.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hwbench_reports::stats::{mann_whitney_u, relative_change_ci, Bootstrap, SplitMix64};

/// `n` samples around `centre` with 1 % noise, seeded.
fn samples(n: usize, centre: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| centre * (1.0 + (rng.next_u64() as f64 / u64::MAX as f64 - 0.5) * 0.02)).collect()
}

fn bootstrap(c: &mut Criterion) {
    let mut group = c.benchmark_group("bootstrap_2000_resamples");
    for n in [10, 50, 200] {
        let (base, new) = (samples(n, 100.0, 1), samples(n, 105.0, 2));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| relative_change_ci(black_box(&base), black_box(&new), &Bootstrap::default()))
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
