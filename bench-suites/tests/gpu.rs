//! GPU benchmarks on Mesa's lavapipe (mesa-vulkan-drivers, installed by
//! `make deps`): real shaders, real devices, small sizes and short samples.

use std::sync::Arc;
use std::time::Duration;

use hwbench_probes::SysRoot;
use hwbench_schema::RecordStatus;
use hwbench_suites::error::BenchError;
use hwbench_suites::gpu::adapter::{default_selection, AdapterInfo, WANTED_FEATURES};
use hwbench_suites::gpu::fma::{FmaPipeline, FmaSpec, Precision, Width};
use hwbench_suites::gpu::memory::{Stream, StreamKernel, KERNELS};
use hwbench_suites::gpu::{compute, dispatch, transfer, GpuDevice, Gpus};
use hwbench_suites::harness::SamplerConfig;
use hwbench_suites::params::Setting;
use hwbench_suites::registry::Measured;
use hwbench_suites::runner::{self, Schedule};
use hwbench_suites::undisturbed;
use hwbench_suites::{Host, Session};

/// Short samples: these tests check correctness, not speed.
const QUICK: SamplerConfig = SamplerConfig { target: Duration::from_millis(20), samples: 3, min_ticks: 20 };

/// The adapters of this machine, described.
fn adapters() -> Vec<AdapterInfo> {
    Gpus::new().describe()
}

fn lavapipe_index() -> usize {
    adapters()
        .iter()
        .find(|a| a.driver == "llvmpipe")
        .map(|a| a.index)
        .expect("lavapipe is installed (mesa-vulkan-drivers, `make deps`)")
}

/// A session on this machine with 3 samples, its GPUs described.
fn session() -> Session {
    let root = SysRoot::default();
    let mut host = Host::new(root.clone(), hwbench_schema::Topology::default());
    let mut gpus = Gpus::new();
    hwbench_suites::run::describe_gpus(&mut host.topology, &mut gpus, &root, true);
    let mut session = Session::new(host, hwbench_probes::energy::Instruments::new(Vec::new()), gpus);
    session.sampler.samples = 3;
    session
}

fn lavapipe(session: &mut Session) -> Arc<GpuDevice> {
    session.gpu(lavapipe_index()).expect("lavapipe opens")
}

/// lavapipe opened with `without` taken away from the features hwbench asks for.
fn lavapipe_without(without: wgpu::Features) -> GpuDevice {
    let index = lavapipe_index();
    let mut gpus = Gpus::new();
    let a = &gpus.adapters()[index];
    GpuDevice::open_with(index, a, a.features() & (WANTED_FEATURES - without)).expect("lavapipe opens")
}

fn settings(pairs: &[&str]) -> Vec<Setting> {
    pairs.iter().map(|s| s.parse().unwrap()).collect()
}

/// Selects, plans and runs benchmark `id` through the harness.
fn run(id: &str, pairs: &[&str]) -> Result<Vec<hwbench_schema::Record>, BenchError> {
    Ok(runner::measure(&[id], &settings(pairs), &mut session(), Schedule::ONCE)?.records)
}

fn metric(m: &Measured, name: &str) -> f64 {
    m.metrics.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no metric {name}: {:?}", m.metrics)).value
}

#[test]
fn lavapipe_is_listed_with_its_limits_features_and_provenance() {
    let all = adapters();
    let lvp = &all[lavapipe_index()];
    assert_eq!((lvp.device_type.as_str(), lvp.backend.as_str(), lvp.vendor_name.as_str()), ("cpu", "vulkan", "Mesa"));
    assert!(lvp.name.starts_with("llvmpipe"), "{}", lvp.name);
    assert!(lvp.limits.max_storage_buffer_binding_size >= 128 << 20, "{:?}", lvp.limits);
    assert!(lvp.features.iter().any(|f| f == "timestamp-query"), "{:?}", lvp.features);
    let json = serde_json::to_value(lvp).unwrap();
    assert_eq!(json["driver"], "llvmpipe");
    assert!(json["limits"]["max_compute_invocations_per_workgroup"].as_u64().unwrap() >= 256);
    if all.iter().all(|a| a.is_software()) {
        assert!(default_selection(&all).contains(&lvp.index));
    }
}

#[test]
fn every_float_precision_and_width_stores_what_the_host_computes() {
    let gpu = lavapipe(&mut session());
    for precision in [Precision::F32, Precision::F16, Precision::F64, Precision::I32] {
        for width in [Width::Scalar, Width::Vec4] {
            for &form in precision.forms() {
                let mut k = FmaPipeline::new(&gpu, FmaSpec { precision, width, form, workgroup: 64 }, 1024).unwrap();
                k.set_trip(&gpu, 3);
                k.pipeline.run(&gpu, 1).unwrap();
                k.validate(&gpu).unwrap_or_else(|e| panic!("{precision:?} {width:?} {form:?}: {e}"));
            }
        }
    }
}

/// Missing work cannot validate: a dispatch of n - 1 trips fails the check
/// for n trips, for every precision (the float chains' addend follows the
/// trip, so they do not settle on a fixed point).
#[test]
fn a_dispatch_of_one_trip_fewer_fails_validation_for_every_precision() {
    let gpu = lavapipe(&mut session());
    for precision in [Precision::F32, Precision::F16, Precision::F64, Precision::I32] {
        let form = precision.forms()[0];
        let spec = FmaSpec { precision, width: Width::Scalar, form, workgroup: 64 };
        let mut k = FmaPipeline::new(&gpu, spec, 256).unwrap();
        k.set_trip(&gpu, 199);
        k.pipeline.run(&gpu, 1).unwrap();
        k.validate_trips(&gpu, 199).unwrap_or_else(|e| panic!("{precision:?}: 199 trips ran and were expected: {e}"));
        let err = k.validate_trips(&gpu, 200).expect_err(&format!("{precision:?}: 199 trips ran, 200 expected"));
        assert!(
            matches!(err, BenchError::Failed(ref m) if m.contains("invocation 0") && m.contains("after 200 trips")),
            "{precision:?}: {err}"
        );
    }
}

#[test]
fn compute_reports_the_better_form_and_the_workgroup_kept() {
    let records =
        run("gpu.compute", &["precision=f32", "width=vec4", &format!("adapter={}", lavapipe_index())]).unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.status, RecordStatus::Ok, "{:?}", r.reason);
    let value = |n: &str| r.metrics.iter().find(|m| m.name == n).unwrap_or_else(|| panic!("{n}")).value;
    assert!(value("throughput") > 1.0, "{}", value("throughput"));
    assert_eq!(value("throughput"), value("throughput_fma").max(value("throughput_mad")));
    assert!(value("throughput_host") > 0.0);
    assert!(r.metrics.iter().all(|m| m.unit == "GFLOP/s" && m.samples.len() == 2));
    let trials = r.info["workgroup_trials"].as_object().unwrap();
    assert_eq!(trials.keys().collect::<Vec<_>>(), ["128", "256", "64"]);
    assert!(trials.contains_key(&r.info["workgroup_size"].to_string()));
    assert_eq!(r.info["adapter"]["driver"], "llvmpipe");
    assert_eq!(r.info["timestamp_period_ns"], 1.0);
    assert!(r.info["timing"].as_str().unwrap().starts_with("timestamps"));
}

#[test]
fn without_timestamps_compute_is_timed_on_the_host() {
    let gpu = lavapipe_without(wgpu::Features::TIMESTAMP_QUERY);
    let m = compute::measure(&gpu, &mut session(), QUICK, Precision::I32, Width::Scalar, Some(64)).unwrap();
    let names: Vec<&str> = m.metrics.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["throughput", "throughput_mad"]);
    assert_eq!(m.metrics[0].unit, "GIOP/s");
    assert!(m.info["timing"].as_str().unwrap().starts_with("host"));
    assert!(!m.info.contains_key("timestamp_period_ns"));
}

#[test]
fn a_precision_the_device_lacks_is_skipped_with_the_reason() {
    let gpu = lavapipe_without(wgpu::Features::SHADER_F64);
    let err = compute::measure(&gpu, &mut session(), QUICK, Precision::F64, Width::Scalar, None).unwrap_err();
    assert!(matches!(err, BenchError::Unavailable(ref m) if m.contains("shader-f64")), "{err}");
}

#[test]
fn every_babelstream_kernel_is_validated_and_counts_its_bytes() {
    let mut session = session();
    let gpu = lavapipe(&mut session);
    let stream = Stream::new(&gpu, 1 << 20).unwrap();
    assert_eq!(stream.elements(), 1 << 18);
    for kernel in KERNELS {
        let samples = stream.sample(&gpu, &mut session, QUICK, kernel).unwrap();
        let m = stream.finish(&gpu, kernel, &samples).unwrap_or_else(|e| panic!("{}: {e}", kernel.name));
        assert!(metric(&m, "bandwidth") > 0.0 && metric(&m, "bandwidth_host") > 0.0);
        assert_eq!(m.metrics[0].statistic, "max");
        assert_eq!(stream.bytes_moved(kernel), f64::from(kernel.arrays_moved) * 4.0 * f64::from(1u32 << 18));
    }
}

/// A corrupted element of the output fails gpu.memory's check.
#[test]
fn a_corrupted_memory_output_fails_validation() {
    let mut session = session();
    let gpu = lavapipe(&mut session);
    let stream = Stream::new(&gpu, 1 << 20).unwrap();
    let triad = StreamKernel::named("triad").unwrap();
    let samples = stream.sample(&gpu, &mut session, QUICK, triad).unwrap();
    gpu.queue.write_buffer(stream.output(triad), 4 * 1234, bytemuck::bytes_of(&0.5f32));
    let err = stream.finish(&gpu, triad, &samples).unwrap_err();
    assert!(err.to_string().contains("triad output element 1234 of 262144 is 0.5"), "{err}");
}

#[test]
fn memory_through_the_harness_is_ok_with_provenance() {
    let records = run("gpu.memory", &["kernel=copy", "bytes=1MiB", &format!("adapter={}", lavapipe_index())]).unwrap();
    let r = &records[0];
    assert_eq!(r.status, RecordStatus::Ok, "{:?}", r.reason);
    assert_eq!(r.params["bytes"], hwbench_schema::ParamValue::Int(1 << 20));
    assert!(r.metrics[0].value > 0.0 && r.metrics[0].samples.len() == 2);
    assert_eq!(r.info["adapter"]["backend"], "vulkan");
    assert_eq!(r.info["elements"], 1 << 18);
}

#[test]
fn transfers_arrive_intact_both_ways() {
    let mut session = session();
    let gpu = lavapipe(&mut session);
    for to_device in [true, false] {
        let m = transfer::measure(&gpu, &mut session, QUICK, to_device, 1 << 20).unwrap();
        assert!(metric(&m, "bandwidth") > 0.0, "to_device {to_device}");
        assert!(m.info["transfers_per_sample"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn dispatch_latency_by_host_and_by_timestamps() {
    let mut session = session();
    let gpu = lavapipe(&mut session);
    let m = dispatch::measure(&gpu, &mut session, QUICK).unwrap();
    for name in ["latency", "latency_all", "latency_device"] {
        let us = metric(&m, name);
        assert!(us > 0.0 && us < 100_000.0, "{name} {us} us");
    }
    let statistics: Vec<(&str, &str)> = m.metrics.iter().map(|x| (x.name.as_str(), x.statistic.as_str())).collect();
    assert_eq!(
        statistics,
        [("latency", undisturbed::STATISTIC), ("latency_all", "median"), ("latency_device", "median")]
    );
    // The host round trip: undisturbed samples (fewer when too few slices
    // ran undisturbed before the bound), the driver's threads watched too.
    let d = &m.info["descheduling"];
    assert_eq!(d["samples"], m.metrics[0].samples.len());
    assert!(m.metrics[0].samples.len() == 2 || d["bound_reached"] == true, "{d}");
    assert!(d["evidence"].as_str().unwrap().contains("every thread of the process"), "{d}");
    assert_eq!(m.metrics[2].samples.len(), 2);
    assert!(m.info["round_trips_per_sample"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_adapter_and_size_are_refused_before_measuring() {
    let err = run("gpu.compute", &["adapter=no-such-gpu"]).unwrap_err();
    assert!(
        matches!(err, BenchError::BadInput(ref m) if m.starts_with("gpu.compute: adapter: no adapter named 'no-such-gpu'")),
        "{err}"
    );
    let err = run("gpu.memory", &["bytes=1TiB"]).unwrap_err();
    assert!(matches!(err, BenchError::BadInput(ref m) if m.contains("allows per array")), "{err}");
    let err = run("gpu.compute", &["workgroup=0"]).unwrap_err();
    assert!(matches!(err, BenchError::BadInput(ref m) if m.contains("workgroup")), "{err}");
}
