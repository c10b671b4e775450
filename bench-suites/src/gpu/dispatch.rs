//! `gpu.dispatch`: the round-trip latency of an empty dispatch (encode,
//! submit, wait for completion: what an application pays per synchronous
//! kernel), and by timestamps the device time per dispatch when many empty
//! dispatches run back to back in one pass.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use hwbench_schema::Better;

use super::context::GpuContext;
use super::pass::{Kernel, TimedPass};
use super::point::{self, ADAPTER};
use super::timing::{self, sample};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{median_metric, SamplerConfig, Workload};
use crate::params::Params;
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

const ID: &str = "gpu.dispatch";
const SOURCE: &str = include_str!("empty.wgsl");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU dispatch latency: empty kernel round trip on the host, and per dispatch by timestamps",
    metrics:
        "latency us (median; encode + submit + wait), latency_device us (median; timestamps, back-to-back dispatches)",
    params: &[ADAPTER],
    make: || Box::new(Dispatch),
};

/// The benchmark (stateless).
pub struct Dispatch;

impl Benchmark for Dispatch {
    fn points(&mut self, params: &Params, _ctx: &Context) -> Result<Vec<Params>, BenchError> {
        point::for_adapters(ID, params, vec![Params::default()])
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let gpu = point::context_of(point)?;
        let mut measured = measure(&gpu, &timing::sampler(ctx), &ctx.stop)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }
}

/// One empty dispatch per submission, waited for: `run(k)` does k.
struct RoundTrips<'a> {
    gpu: &'a GpuContext,
    kernel: &'a Kernel,
}

impl Workload for RoundTrips<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let started = Instant::now();
        for _ in 0..iterations {
            self.kernel.run(self.gpu, 1)?;
        }
        Ok(started.elapsed())
    }
}

/// Measures both latencies on `gpu` with `cfg`.
pub fn measure(gpu: &GpuContext, cfg: &SamplerConfig, stop: &AtomicBool) -> Result<Measured, BenchError> {
    let module = gpu.shader(ID, SOURCE)?;
    let kernel = Kernel::new(gpu, &module, "main", &[], [1, 1, 1])?;
    let set = cfg.sample(&mut RoundTrips { gpu, kernel: &kernel }, stop)?;
    let mut metrics = vec![median_metric("latency", "us", set.map(|secs, n| secs * 1e6 / n as f64), Better::Lower)];
    let mut info = std::collections::BTreeMap::new();
    info.insert("round_trips_per_sample".into(), set.iterations.into());
    info.insert("latency".into(), "host time of encode + submit + wait for one empty 1x1x1 dispatch".into());
    let mut pass = TimedPass::new(gpu, &kernel);
    match pass.timestamp_period_ns() {
        Some(_) => {
            let s = sample(cfg, &mut pass, stop)?;
            let per = s.iterations as f64;
            metrics.push(median_metric(
                "latency_device",
                "us",
                s.primary_values(|secs| secs * 1e6 / per),
                Better::Lower,
            ));
            info.extend(s.info());
            info.insert(
                "latency_device".into(),
                "timestamps around one pass of back-to-back empty dispatches, per dispatch".into(),
            );
        }
        None => {
            info.insert("latency_device".into(), "unavailable: the device has no timestamp queries".into());
        }
    }
    Ok(Measured { metrics, placement: None, info })
}
