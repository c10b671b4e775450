//! The multiply-add loop is really executed: halving the uniform trip
//! count halves the time (lavapipe, whose LLVM would delete a loop it could
//! prove useless). On lavapipe the "device" is this process's worker
//! threads, so the time asserted on is the CPU time they spend per dispatch
//! (getrusage): unlike wall time it is not stretched when other processes
//! share the cores. The timestamp (wall) ratio is reported beside it.
//! Alone in its test binary so no other test shares the CPU with it.

use std::time::Duration;

use hwbench_suites::gpu::compute::calibrate;
use hwbench_suites::gpu::fma::{FmaKernel, FmaSpec, Form, Precision, Width};
use hwbench_suites::gpu::pass::TimedPass;
use hwbench_suites::gpu::{adapters, GpuContext};
use hwbench_suites::harness::Workload;

/// User + system CPU time of every thread of this process.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills a plain struct.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut u), 0);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

#[test]
fn halving_the_trip_count_halves_the_time() {
    let index = adapters().iter().find(|a| a.driver == "llvmpipe").expect("lavapipe is installed (`make deps`)").index;
    let gpu = GpuContext::shared(index).unwrap();
    let spec = FmaSpec { precision: Precision::F32, width: Width::Scalar, form: Form::Fma, workgroup: 64 };
    let mut k = FmaKernel::new(&gpu, spec, 1 << 16).unwrap();
    let (_, trip) = calibrate(&gpu, &mut k, Duration::from_millis(20)).unwrap();
    let trip = trip.max(64) / 2 * 2;
    // (CPU seconds, timestamp seconds) of one dispatch at `trip`.
    let time = |k: &mut FmaKernel, trip: u32| {
        k.set_trip(&gpu, trip);
        let mut pass = TimedPass::new(&gpu, &k.kernel);
        let before = cpu_seconds();
        pass.run(1).unwrap();
        (cpu_seconds() - before, pass.device.expect("lavapipe has timestamps").as_secs_f64())
    };
    // Alternate the two and keep the least of each: noise only adds time.
    let least = |a: (f64, f64), b: (f64, f64)| (a.0.min(b.0), a.1.min(b.1));
    let (mut full, mut half) = ((f64::INFINITY, f64::INFINITY), (f64::INFINITY, f64::INFINITY));
    for _ in 0..9 {
        full = least(full, time(&mut k, trip));
        half = least(half, time(&mut k, trip / 2));
    }
    let (cpu, wall) = (half.0 / full.0, half.1 / full.1);
    let report = format!(
        "trip {trip} -> {}: CPU {:.4} -> {:.4} s (ratio {cpu:.3}), timestamps {:.4} -> {:.4} s (ratio {wall:.3})",
        trip / 2,
        full.0,
        half.0,
        full.1,
        half.1
    );
    eprintln!("{report}");
    assert!((0.4..=0.6).contains(&cpu), "{report}");
    k.validate(&gpu).unwrap();
}
