//! Benchmarks of hwbench's own hot paths: building a pointer chase (it
//! dominates the set-up of a latency sweep) and the sampler's overhead per
//! sample (what a measurement pays beyond its workload).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hwbench_probes::SysRoot;
use hwbench_schema::Topology;
use hwbench_suites::error::BenchError;
use hwbench_suites::harness::{SamplerConfig, Workload};
use hwbench_suites::memory::chase::{single_cycle, Chase};
use hwbench_suites::{Host, Session};

fn chase_construction(c: &mut Criterion) {
    let mut group = c.benchmark_group("chase_build");
    for lines in [1usize << 12, 1 << 16, 1 << 20] {
        group.throughput(Throughput::Elements(lines as u64));
        group.bench_with_input(BenchmarkId::new("sattolo", lines), &lines, |b, &lines| {
            b.iter(|| single_cycle(lines, 1))
        });
        let mut buf = vec![0u64; lines * 8];
        group.bench_with_input(BenchmarkId::new("write_chain", lines), &lines, |b, &lines| {
            // SAFETY: buf holds lines * 64 bytes, 8-aligned.
            b.iter(|| unsafe { Chase::build(buf.as_mut_ptr().cast(), lines, 64, 1) }.lines())
        });
    }
    group.finish();
}

/// The cheapest workload whose time grows with its iterations, so the
/// sampler's own cost (calibration, timing, bookkeeping) stands out.
struct Spin;

impl Workload for Spin {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let start = Instant::now();
        for i in 0..iterations {
            std::hint::black_box(i);
        }
        Ok(start.elapsed())
    }
}

fn sampler_overhead(c: &mut Criterion) {
    // A 10 us target: 11 samples are 110 us of work; the rest is overhead
    // (calibration, timing, the counters and interference watch around
    // the sampling phase).
    let mut session = Session::plain(Host::new(SysRoot::default(), Topology::default()));
    session.sampler = SamplerConfig { target: Duration::from_micros(10), samples: 11, min_ticks: 1 };
    c.bench_function("sampler_11_samples_of_10us", |b| {
        b.iter(|| {
            session.sample(&mut Spin).unwrap();
            session.take_windows()
        })
    });
}

criterion_group!(benches, chase_construction, sampler_overhead);
criterion_main!(benches);
