//! `gpu.compute`: arithmetic throughput per precision and width through
//! multiply-add chains (pipeline: fma.rs, compute.wgsl). The trip count is
//! calibrated so one dispatch lasts about 10 ms, a few workgroup sizes are
//! tried and the best kept, then fma() and a*b+c are each sampled and
//! checked on the host; the better form is the headline.

use std::time::Duration;

use hwbench_schema::Better;
use serde::Serialize;

use super::device::GpuDevice;
use super::fma::{FmaPipeline, FmaSpec, Form, Precision, Width, CHAINS, ROUNDS};
use super::pass::TimedPass;
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, GpuSamples, Headline};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, SamplerConfig, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use hwbench_schema::numbers::median;

const ID: &str = "gpu.compute";
/// Invocations per dispatch at most: enough to fill the largest GPUs.
pub const INVOCATIONS: u32 = 1 << 20;
/// Invocations per dispatch at least (software devices get few).
pub const MIN_INVOCATIONS: u32 = 1 << 14;
/// Loop trips per invocation at least, so the chains dominate its cost.
pub const MIN_TRIP: u32 = 64;
/// Workgroup sizes tried when none is given.
pub const WORKGROUPS: [u32; 3] = [64, 128, 256];
/// The trip count is raised until one dispatch lasts this long.
pub const DISPATCH_TARGET: Duration = Duration::from_millis(10);

const PRECISION: Param<String> =
    Param::new("precision", ParamKind::Choice(&Precision::NAMES), Unset::Derived("all"), "arithmetic type");
const WIDTH: Param<String> =
    Param::new("width", ParamKind::Choice(&Width::NAMES), Unset::Derived("both"), "a scalar or a vec4 per chain");
const WORKGROUP: Param<u32> =
    Param::new("workgroup", ParamKind::Count, Unset::Derived("best of 64, 128, 256"), "invocations per workgroup");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU arithmetic throughput: independent multiply-add chains per precision and width",
    metrics:
        "throughput GFLOP/s or GIOP/s (median, better of fma and mad), throughput_fma, throughput_mad, throughput_host",
    params: &[ADAPTER.spec, PRECISION.spec, WIDTH.spec, WORKGROUP.spec],
    uses_gpu: true,
    summaries: &[],
    make: || erase(Compute),
};

/// The benchmark (stateless: devices are shared per adapter).
pub struct Compute;

/// One point: an arithmetic type and width on one adapter.
#[derive(Debug, Clone, Serialize)]
pub struct ComputePoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// The arithmetic type.
    pub precision: Precision,
    /// Scalar or vec4 chains.
    pub width: Width,
    /// The workgroup size asked for; None: the best of [`WORKGROUPS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workgroup: Option<u32>,
}

impl Benchmark for Compute {
    type Point = ComputePoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<ComputePoint>, BenchError> {
        let workgroup = WORKGROUP.get(settings)?;
        if let Some(w) = workgroup.filter(|w| !(1..=1024).contains(w)) {
            return Err(BenchError::bad_param(ID, "workgroup", format!("{w} is not between 1 and 1024")));
        }
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            for precision in choices(&PRECISION, &Precision::NAMES, settings)? {
                for width in choices(&WIDTH, &Width::NAMES, settings)? {
                    let (precision, width) = (Precision::parse(&precision), Width::parse(&width));
                    let (Some(precision), Some(width)) = (precision, width) else {
                        return Err(BenchError::BadInput(format!("{ID}: precision or width is not a known choice")));
                    };
                    points.push(ComputePoint { adapter, precision, width, workgroup });
                }
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &ComputePoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let cfg = timing::sampler(session);
        let mut measured = measure(&gpu, session, cfg, p.precision, p.width, p.workgroup)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// A pipeline per workgroup size tried, each sampled briefly, then each
    /// form (fma, mad) compiled and sampled at full length.
    fn estimate(&self, p: &ComputePoint, _previous: Option<&ComputePoint>, cost: &CostModel) -> f64 {
        if !cost.has_gpu(p.adapter) {
            return 0.0;
        }
        let cfg = timing::config(&cost.sampler);
        let trial_cfg = trial_config(&cfg);
        let tried = if p.workgroup.is_some() { 1 } else { WORKGROUPS.len() };
        let forms = p.precision.forms().len();
        let compile = cost.gpu_compile(p.adapter);
        (tried + forms) as f64 * compile
            + tried as f64 * cost.phase(trial_cfg, DISPATCH_TARGET.as_secs_f64())
            + forms as f64 * cost.phase(cfg, DISPATCH_TARGET.as_secs_f64())
    }
}

/// The short phases that choose the workgroup size.
fn trial_config(cfg: &SamplerConfig) -> SamplerConfig {
    SamplerConfig { target: cfg.target / 4, samples: 3, ..*cfg }
}

/// Measures one precision and width on `gpu`: both forms sampled with
/// `cfg`, each validated, the better one as `throughput`.
pub fn measure(
    gpu: &GpuDevice,
    session: &mut Session,
    cfg: SamplerConfig,
    precision: Precision,
    width: Width,
    workgroup: Option<u32>,
) -> Result<Measured, BenchError> {
    let forms = precision.forms();
    let limit = gpu.limits.max_compute_invocations_per_workgroup.min(gpu.limits.max_compute_workgroup_size_x);
    let candidates: Vec<u32> = match workgroup {
        Some(w) if w > limit => {
            return Err(BenchError::Unavailable(format!(
                "{}: workgroup {w} exceeds the device's {limit}",
                gpu.adapter.name
            )))
        }
        Some(w) => vec![w],
        None => WORKGROUPS.iter().copied().filter(|&w| w <= limit).collect(),
    };
    let spec = |form, workgroup| FmaSpec { precision, width, form, workgroup };

    let mut trials_by_workgroup = candidates
        .iter()
        .map(|&w| FmaPipeline::new(gpu, spec(forms[0], w), INVOCATIONS))
        .collect::<Result<Vec<_>, _>>()?;
    let (invocations, trip) = calibrate(gpu, &mut trials_by_workgroup[0], DISPATCH_TARGET)?;

    let mut trials = serde_json::Map::new();
    let mut best = (0, f64::NEG_INFINITY);
    let trial_cfg = trial_config(&cfg);
    for (i, k) in trials_by_workgroup.iter_mut().enumerate() {
        k.set_invocations(gpu, invocations)?;
        k.set_trip(gpu, trip);
        let s = sample(session, trial_cfg, &mut TimedPass::new(gpu, &k.pipeline).with_work(k.work_per_dispatch()))?;
        let ops = k.ops_per_dispatch() * s.iterations as f64;
        let rate = median(&s.primary_values(|secs| ops / secs / 1e9)).unwrap_or(0.0);
        trials.insert(k.spec.workgroup.to_string(), rate.into());
        if rate > best.1 {
            best = (i, rate);
        }
    }
    let best_pipeline = trials_by_workgroup.swap_remove(best.0);
    let workgroup = best_pipeline.spec.workgroup;

    // Each form's samples with the operations of one sample.
    let mut results: Vec<(Form, GpuSamples, f64)> = Vec::new();
    for &form in forms {
        let other;
        let k = if form == best_pipeline.spec.form {
            &best_pipeline
        } else {
            let mut k = FmaPipeline::new(gpu, spec(form, workgroup), invocations)?;
            k.set_trip(gpu, trip);
            other = k;
            &other
        };
        let s = sample(session, cfg, &mut TimedPass::new(gpu, &k.pipeline).with_work(k.work_per_dispatch()))?;
        k.validate(gpu)?;
        let ops = k.ops_per_dispatch() * s.iterations as f64;
        results.push((form, s, ops));
    }
    let rates = |(_, s, ops): &(Form, GpuSamples, f64)| s.primary_values(|secs| ops / secs / 1e9);
    let rate_of = |r: &(Form, GpuSamples, f64)| median(&rates(r)).unwrap_or(0.0);
    let (best_form, best_samples, best_ops) =
        results.iter().max_by(|a, b| rate_of(a).total_cmp(&rate_of(b))).ok_or_else(|| {
            BenchError::Failed(format!("{}: {} has no form to measure", gpu.adapter.name, precision.name()))
        })?;
    let unit = precision.unit();
    let mut metrics =
        best_samples.metrics("throughput", unit, Better::Higher, Headline::Median, |secs| best_ops / secs / 1e9);
    for r in &results {
        metrics.push(median_metric(&format!("throughput_{}", r.0.name()), unit, rates(r), Better::Higher));
    }

    let mut info = best_samples.info();
    info.insert("form_reported".into(), best_form.name().into());
    if !precision.is_float() {
        info.insert("fma".into(), "not measured: WGSL defines fma() for floating point only".into());
    }
    info.insert("workgroup_size".into(), workgroup.into());
    info.insert("workgroup_trials".into(), serde_json::Value::Object(trials));
    info.insert("trip_count".into(), trip.into());
    info.insert("invocations".into(), invocations.into());
    info.insert(
        "operations".into(),
        format!("a multiply-add counts 2; per dispatch: 2 x {} lanes x {CHAINS} chains x {ROUNDS} rounds x trip count x invocations", width.lanes()).into(),
    );
    info.insert("validated".into(), "every invocation's sum checked against the host's closed form".into());
    Ok(Measured { metrics, placement: None, info })
}

/// Sizes the work of one dispatch to about `target`: the trip count starts
/// at [`MIN_TRIP`] (so per-invocation costs stay small), the invocations
/// shrink (not below [`MIN_INVOCATIONS`]) while one dispatch takes longer,
/// then the trip count grows until one dispatch lasts `target` on the host.
/// The pipeline is warmed up first. Returns (invocations, trip count).
pub fn calibrate(gpu: &GpuDevice, fma: &mut FmaPipeline, target: Duration) -> Result<(u32, u32), BenchError> {
    const MAX_TRIP: u32 = 1 << 24;
    fma.set_trip(gpu, MIN_TRIP);
    fma.pipeline.run(gpu, 1)?;
    let mut trip = MIN_TRIP;
    loop {
        let took = TimedPass::new(gpu, &fma.pipeline).run(1)?;
        let factor = target.as_secs_f64() / took.as_secs_f64().max(1e-6);
        if factor < 1.0 && fma.invocations > MIN_INVOCATIONS && trip == MIN_TRIP {
            let fewer = (f64::from(fma.invocations) * factor.max(1.0 / 64.0)) as u32;
            fma.set_invocations(gpu, (fewer.next_power_of_two() / 2).max(MIN_INVOCATIONS))?;
            continue;
        }
        if took >= target || trip >= MAX_TRIP {
            return Ok((fma.invocations, trip));
        }
        trip = ((f64::from(trip) * factor.clamp(2.0, 16.0)).ceil() as u32).min(MAX_TRIP);
        fma.set_trip(gpu, trip);
    }
}
