//! `gpu.dispatch`: the round-trip latency of an empty dispatch (encode,
//! submit, wait for completion: what an application pays per synchronous
//! kernel), and by timestamps the device time per dispatch when many empty
//! dispatches run back to back in one pass.

use std::path::Path;
use std::time::{Duration, Instant};

use hwbench_schema::Better;
use serde::Serialize;

use super::device::GpuDevice;
use super::pass::{Pipeline, TimedPass};
use super::point::{self, ADAPTER};
use super::timing::{self, sample};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, SamplerConfig, Workload};
use crate::host::Host;
use crate::params::Settings;
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use hwbench_probes::idle::{ShallowIdle, PM_QOS};
use hwbench_probes::sched::SchedWatch;

const ID: &str = "gpu.dispatch";
const SOURCE: &str = include_str!("empty.wgsl");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU dispatch latency: empty kernel round trip on the host, and per dispatch by timestamps",
    metrics:
        "latency us (median of undisturbed samples; encode + submit + wait), latency_all us, latency_device us (median; timestamps, back-to-back dispatches)",
    params: &[ADAPTER.spec],
    uses_gpu: true,
    summaries: &[],
    make: || erase(Dispatch),
};

/// The benchmark (stateless).
pub struct Dispatch;

/// One point: an adapter.
#[derive(Debug, Clone, Serialize)]
pub struct DispatchPoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
}

impl Benchmark for Dispatch {
    type Point = DispatchPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<DispatchPoint>, BenchError> {
        Ok(point::adapters(settings, host)?.into_iter().map(|adapter| DispatchPoint { adapter }).collect())
    }

    fn measure(&mut self, p: &DispatchPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let cfg = timing::sampler(session);
        let mut measured = measure(&gpu, session, cfg)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// One pipeline, a phase of round trips and one of timed dispatches.
    fn estimate(&self, p: &DispatchPoint, _previous: Option<&DispatchPoint>, cost: &CostModel) -> f64 {
        if !cost.has_gpu(p.adapter) {
            return 0.0;
        }
        cost.gpu_compile(p.adapter) + 2.0 * cost.gpu_phase(p.adapter, 0.0, 0.0)
    }
}

/// One empty dispatch per submission, waited for: `run(k)` does k.
struct RoundTrips<'a> {
    gpu: &'a GpuDevice,
    pipeline: &'a Pipeline,
}

impl Workload for RoundTrips<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let started = Instant::now();
        for _ in 0..iterations {
            self.pipeline.run(self.gpu, 1)?;
        }
        Ok(started.elapsed())
    }
}

/// Measures both latencies on `gpu` with `cfg`. The device latency comes
/// from timestamps only: without them (or when they read zero) it is left
/// out with the reason, never replaced by host time.
pub fn measure(gpu: &GpuDevice, session: &mut Session, cfg: SamplerConfig) -> Result<Measured, BenchError> {
    let module = gpu.shader(ID, SOURCE)?;
    let pipeline = Pipeline::new(gpu, &module, "main", &[], [1, 1, 1])?;
    // The round trip is the calling thread's time, but the work runs on
    // the driver's threads (lavapipe's, on a CPU): every thread is watched.
    // Each trip wakes a sleeping thread: the CPUs are kept out of deep idle
    // states while it is timed, where this process may ask.
    let idle = ShallowIdle::hold(Path::new(PM_QOS));
    let mut watch = SchedWatch::process();
    let set = session.sample_undisturbed(cfg, &mut RoundTrips { gpu, pipeline: &pipeline }, &mut watch)?;
    let mut metrics = set.metrics("latency", "us", Better::Lower, |secs, n| secs * 1e6 / n as f64)?;
    let mut info = std::collections::BTreeMap::new();
    info.insert("round_trips_per_sample".into(), set.iterations_per_sample().into());
    info.insert("latency".into(), "host time of encode + submit + wait for one empty 1x1x1 dispatch".into());
    info.insert("idle_states".into(), idle.describe().into());
    info.extend([set.info("descheduling")]);
    let mut pass = TimedPass::new(gpu, &pipeline);
    if pass.timestamp_period_ns().is_none() {
        info.insert("latency_device".into(), "unavailable: the device has no timestamp queries".into());
        return Ok(Measured { metrics, placement: None, info });
    }
    let s = sample(session, cfg, &mut pass)?;
    let per = s.iterations as f64;
    match &s.device {
        Some(device) => {
            let per_dispatch = device.iter().map(|secs| secs * 1e6 / per).collect();
            metrics.push(median_metric("latency_device", "us", per_dispatch, Better::Lower));
            info.extend(s.info());
            info.insert(
                "latency_device".into(),
                "timestamps around one pass of back-to-back empty dispatches, per dispatch".into(),
            );
        }
        None => {
            info.insert(
                "latency_device".into(),
                "unavailable: the device's timestamps read zero or ran backwards (host time is not a device latency)"
                    .into(),
            );
        }
    }
    Ok(Measured { metrics, placement: None, info })
}
