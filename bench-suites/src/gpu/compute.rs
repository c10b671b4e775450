//! `gpu.compute`: arithmetic throughput per precision and width through
//! multiply-add chains (kernel: fma.rs, compute.wgsl). The trip count is
//! calibrated so one dispatch lasts about 10 ms, a few workgroup sizes are
//! tried and the best kept, then fma() and a*b+c are each sampled and
//! checked on the host; the better form is the headline.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hwbench_schema::Better;

use super::context::GpuContext;
use super::fma::{FmaKernel, FmaSpec, Form, Precision, Width, CHAINS, ROUNDS};
use super::pass::TimedPass;
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, GpuSamples, Headline};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{median, median_metric, SamplerConfig, Workload};
use crate::params::{ParamKind, ParamSpec, Params};
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

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

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU arithmetic throughput: independent multiply-add chains per precision and width",
    metrics:
        "throughput GFLOP/s or GIOP/s (median, better of fma and mad), throughput_fma, throughput_mad, throughput_host",
    params: &[
        ADAPTER,
        ParamSpec {
            name: "precision",
            kind: ParamKind::Choice(&Precision::NAMES),
            default: "all",
            help: "arithmetic type",
        },
        ParamSpec {
            name: "width",
            kind: ParamKind::Choice(&Width::NAMES),
            default: "both",
            help: "a scalar or a vec4 per chain",
        },
        ParamSpec {
            name: "workgroup",
            kind: ParamKind::Count,
            default: "best of 64, 128, 256",
            help: "invocations per workgroup",
        },
    ],
    make: || Box::new(Compute),
};

/// The benchmark (stateless: devices are shared per adapter).
pub struct Compute;

impl Benchmark for Compute {
    fn points(&mut self, params: &Params, _ctx: &Context) -> Result<Vec<Params>, BenchError> {
        let workgroup = params.uint("workgroup");
        if let Some(w) = workgroup {
            if !(1..=1024).contains(&w) {
                return Err(BenchError::bad_param(ID, "workgroup", format!("{w} is not between 1 and 1024")));
            }
        }
        let mut points = Vec::new();
        for precision in choices(params, "precision", &Precision::NAMES) {
            for width in choices(params, "width", &Width::NAMES) {
                let p = Params::default().with("precision", precision).with("width", width);
                points.push(match workgroup {
                    Some(w) => p.with("workgroup", w),
                    None => p,
                });
            }
        }
        point::for_adapters(ID, params, points)
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let gpu = point::context_of(point)?;
        let precision = point.text("precision").and_then(Precision::parse).unwrap_or(Precision::F32);
        let width = point.text("width").and_then(Width::parse).unwrap_or(Width::Scalar);
        let workgroup = point.uint("workgroup").map(|w| w as u32);
        let mut measured = measure(&gpu, &timing::sampler(ctx), &ctx.stop, precision, width, workgroup)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }
}

/// Measures one precision and width on `gpu`: both forms sampled with
/// `cfg`, each validated, the better one as `throughput`.
pub fn measure(
    gpu: &GpuContext,
    cfg: &SamplerConfig,
    stop: &AtomicBool,
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

    let mut trial_kernels = candidates
        .iter()
        .map(|&w| FmaKernel::new(gpu, spec(forms[0], w), INVOCATIONS))
        .collect::<Result<Vec<_>, _>>()?;
    let (invocations, trip) = calibrate(gpu, &mut trial_kernels[0], DISPATCH_TARGET)?;

    let mut trials = serde_json::Map::new();
    let mut best = (0, f64::NEG_INFINITY);
    let trial_cfg = SamplerConfig { target: cfg.target / 4, samples: 3, ..*cfg };
    for (i, k) in trial_kernels.iter_mut().enumerate() {
        k.set_invocations(gpu, invocations)?;
        k.set_trip(gpu, trip);
        let s = sample(&trial_cfg, &mut TimedPass::new(gpu, &k.kernel).with_work(k.work_per_dispatch()), stop)?;
        let ops = k.ops_per_dispatch() * s.iterations as f64;
        let rate = median(&s.primary_values(|secs| ops / secs / 1e9));
        trials.insert(k.spec.workgroup.to_string(), rate.into());
        if rate > best.1 {
            best = (i, rate);
        }
    }
    let best_kernel = trial_kernels.swap_remove(best.0);
    let workgroup = best_kernel.spec.workgroup;

    // Each form's samples with the operations of one sample.
    let mut results: Vec<(Form, GpuSamples, f64)> = Vec::new();
    for &form in forms {
        let other;
        let k = if form == best_kernel.spec.form {
            &best_kernel
        } else {
            let mut k = FmaKernel::new(gpu, spec(form, workgroup), invocations)?;
            k.set_trip(gpu, trip);
            other = k;
            &other
        };
        let s = sample(cfg, &mut TimedPass::new(gpu, &k.kernel).with_work(k.work_per_dispatch()), stop)?;
        k.validate(gpu)?;
        let ops = k.ops_per_dispatch() * s.iterations as f64;
        results.push((form, s, ops));
    }
    let rates = |(_, s, ops): &(Form, GpuSamples, f64)| s.primary_values(|secs| ops / secs / 1e9);
    let (best_form, best_samples, best_ops) =
        results.iter().max_by(|a, b| median(&rates(a)).total_cmp(&median(&rates(b)))).expect("at least one form");
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
/// The kernel is warmed up first. Returns (invocations, trip count).
pub fn calibrate(gpu: &GpuContext, kernel: &mut FmaKernel, target: Duration) -> Result<(u32, u32), BenchError> {
    const MAX_TRIP: u32 = 1 << 24;
    kernel.set_trip(gpu, MIN_TRIP);
    kernel.kernel.run(gpu, 1)?;
    let mut trip = MIN_TRIP;
    loop {
        let took = TimedPass::new(gpu, &kernel.kernel).run(1)?;
        let factor = target.as_secs_f64() / took.as_secs_f64().max(1e-6);
        if factor < 1.0 && kernel.invocations > MIN_INVOCATIONS && trip == MIN_TRIP {
            let fewer = (f64::from(kernel.invocations) * factor.max(1.0 / 64.0)) as u32;
            kernel.set_invocations(gpu, (fewer.next_power_of_two() / 2).max(MIN_INVOCATIONS))?;
            continue;
        }
        if took >= target || trip >= MAX_TRIP {
            return Ok((kernel.invocations, trip));
        }
        trip = ((f64::from(trip) * factor.clamp(2.0, 16.0)).ceil() as u32).min(MAX_TRIP);
        kernel.set_trip(gpu, trip);
    }
}
