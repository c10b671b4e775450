//! The LLM-serving benchmarks on Mesa's lavapipe (mesa-vulkan-drivers):
//! every roofline, GEMM and GEMV kernel validated at small sizes, missing
//! work caught, the cooperative-matrix path skipped with its reason, and
//! host-node transfers placed on this machine's node 0 (and planned per
//! node on a fixture machine). Correctness only: no figure is asserted.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hwbench_probes::SysRoot;
use hwbench_schema::{ParamValue, Record, RecordStatus};
use hwbench_suites::error::BenchError;
use hwbench_suites::gpu::adapter::WANTED_FEATURES;
use hwbench_suites::gpu::fma::Precision;
use hwbench_suites::gpu::gemm::{self, Choice, GemmKernel, KernelKind};
use hwbench_suites::gpu::gemv::{Gemv, Layout};
use hwbench_suites::gpu::matmul::{Operands, Shape};
use hwbench_suites::gpu::roofline::RoofData;
use hwbench_suites::gpu::{GpuDevice, Gpus};
use hwbench_suites::harness::SamplerConfig;
use hwbench_suites::params::Setting;
use hwbench_suites::roofline::work::Work;
use hwbench_suites::runner::{self, Schedule};
use hwbench_suites::{Host, Session};

/// Short samples: correctness, not speed.
const QUICK: SamplerConfig = SamplerConfig { target: Duration::from_millis(10), samples: 3, min_ticks: 20 };

fn live_session(root: SysRoot) -> Session {
    let topology = hwbench_probes::topology::probe(&root).expect("topology");
    let mut host = Host::new(root.clone(), topology);
    let mut gpus = Gpus::new();
    hwbench_suites::run::describe_gpus(&mut host.topology, &mut gpus, &root, true);
    let mut session = Session::new(host, hwbench_probes::energy::Instruments::new(Vec::new()), gpus);
    session.sampler = QUICK;
    session
}

fn lavapipe(session: &mut Session) -> Arc<GpuDevice> {
    let index = session.host().topology.gpus.iter().find(|a| a.driver == "llvmpipe").map(|a| a.index);
    session.gpu(index.expect("lavapipe is installed (mesa-vulkan-drivers, `make deps`)")).expect("lavapipe opens")
}

/// Selects, plans and measures `id` with `settings` (adapter: lavapipe).
fn run(session: &mut Session, ids: &[&str], pairs: &[&str]) -> Result<Vec<Record>, BenchError> {
    let index = lavapipe(session).adapter.index;
    let mut settings: Vec<Setting> = pairs.iter().map(|s| s.parse().unwrap()).collect();
    settings.push(format!("adapter={index}").parse().unwrap());
    Ok(runner::measure(ids, &settings, session, Schedule::ONCE)?.records)
}

fn of<'a>(records: &'a [Record], id: &str) -> Vec<&'a Record> {
    records.iter().filter(|r| r.id == id).collect()
}

fn ok(record: &Record) {
    assert_eq!(record.status, RecordStatus::Ok, "{} {:?}: {:?}", record.id, record.params, record.reason);
}

#[test]
fn roofline_kernels_of_every_work_and_precision_validate() {
    let mut session = live_session(SysRoot::default());
    let gpu = lavapipe(&mut session);
    for precision in [Precision::F32, Precision::F16] {
        let data = RoofData::new(&gpu, precision, 2 << 20).unwrap();
        for work in [
            Work::Sparse { group: 2 },
            Work::Sparse { group: 4 },
            Work::Add,
            Work::Fma { steps: 2 },
            Work::Fma { steps: 16 },
        ] {
            let kernel = data.kernel(&gpu, work).unwrap();
            let trip = if let Work::Fma { steps } = work { steps / 8 } else { 0 };
            data.set(&gpu, data.max_elements, trip);
            kernel.run(&gpu, 2).unwrap();
            data.validate(&gpu, work, data.max_elements).unwrap_or_else(|e| panic!("{precision:?} {work:?}: {e}"));
        }
    }
}

/// A dispatch that did a period of multiply-adds fewer per element, or
/// read an element fewer per chain, fails the check.
#[test]
fn a_roofline_dispatch_missing_work_fails_validation() {
    let mut session = live_session(SysRoot::default());
    let gpu = lavapipe(&mut session);
    let data = RoofData::new(&gpu, Precision::F32, 2 << 20).unwrap();
    let work = Work::Fma { steps: 16 };
    let kernel = data.kernel(&gpu, work).unwrap();
    data.set(&gpu, data.max_elements, 1);
    kernel.run(&gpu, 1).unwrap();
    let err = data.validate(&gpu, work, data.max_elements).unwrap_err().to_string();
    assert!(err.contains("invocation 0 lane 0"), "{err}");
    let kernel = data.kernel(&gpu, Work::Add).unwrap();
    data.set(&gpu, data.max_elements - 1, 0);
    kernel.run(&gpu, 1).unwrap();
    assert!(data.validate(&gpu, Work::Add, data.max_elements).is_err());
}

#[test]
fn the_roofline_through_the_harness_records_every_intensity_and_its_ceilings() {
    let mut session = live_session(SysRoot::default());
    let records = run(&mut session, &["gpu.roofline"], &["precision=f32", "intensity=1/8,1,64", "bytes=8MiB"]).unwrap();
    let points = of(&records, "gpu.roofline");
    assert_eq!(points.len(), 3);
    for r in &points {
        ok(r);
        let names: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["throughput", "throughput_host", "bandwidth", "bandwidth_host", "bandwidth_best"]);
        assert_eq!(r.metrics[4].statistic, "max");
        let (flops, bytes) = (r.metrics[0].value, r.metrics[2].value);
        let intensity = match r.params["intensity"] {
            ParamValue::Float(i) => i,
            ParamValue::Int(i) => i as f64,
            ref other => panic!("{other:?}"),
        };
        assert!((flops / bytes - intensity).abs() < 1e-9 * intensity, "FLOP/s = intensity x bytes/s");
    }
    let ceilings = of(&records, "gpu.roofline.ceilings");
    assert_eq!(ceilings.len(), 1);
    ok(ceilings[0]);
    assert!(ceilings[0].metrics.iter().any(|m| m.name == "ridge"));
    let why = ceilings[0].info["compute_ceiling_of_peak"].as_str().unwrap();
    assert!(why.starts_with("unavailable: no gpu.compute record"), "{why}");
}

/// Every GEMM kernel lavapipe can run validates at an awkward shape (m,
/// n not multiples of the tiles, k not a multiple of the k-tile), in f32
/// and f16; skipping the last k-tile fails validation.
#[test]
fn every_gemm_kernel_validates_and_a_missing_k_tile_fails() {
    let mut session = live_session(SysRoot::default());
    let gpu = lavapipe(&mut session);
    let kinds = [
        KernelKind::Tiled { columns: 1 },
        KernelKind::Tiled { columns: 4 },
        gemm::subgroup_fit(&gpu).expect("lavapipe has fixed-size subgroups"),
        KernelKind::Skinny,
    ];
    for precision in [Precision::F32, Precision::F16] {
        for kind in &kinds {
            let m = if *kind == KernelKind::Skinny { 5 } else { 37 };
            let operands = Operands::new(&gpu, precision, m, Shape { n: 100, k: 72 }).unwrap();
            let mut kernel = GemmKernel::new(&gpu, &operands, &Choice { kind: kind.clone(), coop_note: None }).unwrap();
            operands.clear(&gpu);
            kernel.pipeline().run(&gpu, 1).unwrap();
            operands.validate(&gpu, kernel.partial).unwrap_or_else(|e| panic!("{precision:?} {kind:?}: {e}"));
            if *kind == KernelKind::Skinny {
                continue;
            }
            kernel.set_k_tiles(&gpu, 72u32.div_ceil(gemm::TILE_K) - 1);
            operands.clear(&gpu);
            kernel.pipeline().run(&gpu, 1).unwrap();
            let err = operands.validate(&gpu, kernel.partial).unwrap_err().to_string();
            assert!(err.contains("of 37x100 (k 72)"), "{precision:?} {kind:?}: {err}");
        }
    }
}

#[test]
fn gemm_through_the_harness_is_validated_and_cooperative_matrices_are_skipped_with_the_reason() {
    let mut session = live_session(SysRoot::default());
    let records =
        run(&mut session, &["gpu.gemm"], &["precision=f32", "m=4,40", "shapes=64x128", "kernel=auto"]).unwrap();
    let gemms = of(&records, "gpu.gemm");
    assert_eq!(gemms.len(), 2);
    for r in &gemms {
        ok(r);
        assert_eq!(r.metrics[0].unit, "TFLOP/s");
        assert!(r.info["validated"].as_str().unwrap().contains("elements of C"));
        let coop = r.info["cooperative_matrix"].as_str().unwrap();
        assert!(coop.starts_with("not used:"), "{coop}");
    }
    assert_eq!(gemms[0].info["kernel"], "skinny");
    assert_eq!(gemms[1].info["kernel"], "subgroup");
    for e in of(&records, "gpu.gemm.efficiency") {
        assert_eq!(e.status, RecordStatus::Skipped);
        assert!(e.reason.as_deref().unwrap().starts_with("no gpu.compute record"), "{:?}", e.reason);
    }
    let coop = run(&mut session, &["gpu.gemm"], &["m=16", "shapes=64x64", "kernel=coop", "precision=f16"]).unwrap();
    let r = &of(&coop, "gpu.gemm")[0];
    assert_eq!(r.status, RecordStatus::Skipped);
    let reason = r.reason.as_deref().unwrap();
    assert!(reason.starts_with("cooperative matrices:") && reason.contains("wgpu-cooperative-matrix"), "{reason}");
}

#[test]
fn gemv_validates_with_and_without_subgroups_and_bounds_decode() {
    let mut session = live_session(SysRoot::default());
    let records = run(&mut session, &["gpu.gemv"], &["batch=1,3", "shapes=96x64", "model_bytes=1GB"]).unwrap();
    let gemvs = of(&records, "gpu.gemv");
    assert_eq!(gemvs.len(), 4, "two precisions x two batches");
    for r in &gemvs {
        ok(r);
        assert_eq!(r.metrics[0].name, "bandwidth");
        assert_eq!(
            r.info["weight_bytes"],
            96 * 64 * if r.params["precision"] == ParamValue::Str("f16".into()) { 2 } else { 4 }
        );
    }
    let decode = of(&records, "gpu.gemv.decode");
    assert_eq!(decode.len(), 4);
    for d in &decode {
        ok(d);
        assert_eq!(d.metrics[0].statistic, "bound");
        assert!(d.info["joules_per_token"].as_str().unwrap().starts_with("unavailable"));
    }
    let efficiency = of(&records, "gpu.gemv.efficiency");
    assert!(efficiency.iter().all(|e| e.status == RecordStatus::Skipped));
    // Both layouts on lavapipe, in both precisions, at a k that is not a
    // multiple of the subgroup's steps.
    let gpu = lavapipe(&mut session);
    for precision in [Precision::F32, Precision::F16] {
        let operands = Operands::new(&gpu, precision, 3, Shape { n: 100, k: 84 }).unwrap();
        for layout in [Layout::AlongRows { subgroups: true }, Layout::RowPerInvocation { subgroup: 8 }] {
            let gemv = Gemv::with_layout(&gpu, &operands, layout).unwrap();
            operands.clear(&gpu);
            gemv.pipeline().run(&gpu, 1).unwrap();
            operands.validate(&gpu, gemv.partial).unwrap_or_else(|e| panic!("{precision:?} {layout:?}: {e}"));
        }
    }
    // The workgroup-memory reduction, as on adapters without subgroups.
    let index = gpu.adapter.index;
    let mut gpus = Gpus::new();
    let adapter = &gpus.adapters()[index];
    let plain = GpuDevice::open_with(index, adapter, adapter.features() & (WANTED_FEATURES - wgpu::Features::SUBGROUP))
        .unwrap();
    let operands = Operands::new(&plain, Precision::F32, 3, Shape { n: 96, k: 64 }).unwrap();
    let gemv = Gemv::new(&plain, &operands).unwrap();
    assert!(gemv.reduction.contains("no subgroup operations"));
    gemv.pipeline().run(&plain, 1).unwrap();
    operands.validate(&plain, gemv.partial).unwrap();
}

/// Host buffers on this machine's node 0: placed, verified, and the
/// staging buffer's pages located; the data arrive both ways.
#[test]
fn transfers_with_the_host_buffer_on_node_zero_are_placed_and_verified() {
    let mut session = live_session(SysRoot::default());
    let records = run(&mut session, &["gpu.transfer"], &["host_node=0", "bytes=1MiB"]).unwrap();
    assert_eq!(records.len(), 2);
    for r in &records {
        ok(r);
        assert_eq!(r.params["host_node"], ParamValue::Int(0));
        let placement = r.placement.as_ref().expect("placement");
        assert_eq!((placement.node, placement.on_node_fraction, placement.pages_checked), (Some(0), Some(1.0), 256));
        let staging = &r.info["staging_placement"];
        assert_eq!(staging["node"], 0);
        assert!(staging["pages_checked"].as_u64().unwrap() >= 256, "{staging}");
    }
    let err = run(&mut session, &["gpu.transfer"], &["host_node=99"]).unwrap_err().to_string();
    assert!(err.starts_with("gpu.transfer: host_node: node 99 does not exist"), "{err}");
}

/// On a fixture machine of two sockets and a CXL expander, host_node=all
/// plans one record per node, CPU-less node included, each saying why it
/// could not measure there (a fixture is not this machine's GPU).
#[test]
fn host_node_all_makes_a_record_per_node_of_a_fixture_machine() {
    let root = SysRoot::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/two-socket-cxl"));
    let mut session = live_session(root);
    let settings: Vec<Setting> =
        ["host_node=all", "bytes=1MiB", "direction=d2h"].iter().map(|s| s.parse().unwrap()).collect();
    let records = runner::measure(&["gpu.transfer"], &settings, &mut session, Schedule::ONCE).unwrap().records;
    let nodes: Vec<&ParamValue> = records.iter().map(|r| &r.params["host_node"]).collect();
    assert_eq!(nodes, [&ParamValue::Int(0), &ParamValue::Int(1), &ParamValue::Int(2)]);
    let cpu_less: Vec<u32> = session.host().topology.nodes.iter().filter(|n| n.cpu_less).map(|n| n.os_index).collect();
    assert_eq!(cpu_less, [2]);
    for r in &records {
        assert_eq!(r.status, RecordStatus::Skipped);
        assert!(r.reason.as_deref().unwrap().contains("is not the live machine"), "{:?}", r.reason);
    }
}
