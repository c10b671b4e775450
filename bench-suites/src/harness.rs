//! The sampler's arithmetic: calibrate the iteration count to a target
//! sample time, then take N samples and drop the first. The session
//! ([`crate::session::Session::sample`]) runs it with the run's stop flag,
//! instruments and interference watch around the sampling phase.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hwbench_probes::energy::Work;
use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric};

use crate::error::BenchError;

/// Something that runs a number of iterations of its work.
pub trait Workload {
    /// Runs `iterations` iterations and returns how long the work took.
    /// Single-threaded workloads time themselves with `Instant`; parallel
    /// ones return last finish minus first start.
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError>;

    /// The work one iteration does, in the unit its energy per operation is
    /// quoted in (GB, FLOP, access); None when it has no such count.
    fn work_per_iteration(&self) -> Option<Work> {
        None
    }
}

/// How samples are taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplerConfig {
    /// Target duration of one sample.
    pub target: Duration,
    /// Samples taken, the first of which is dropped as warm-up.
    pub samples: usize,
    /// A sample never lasts fewer timer ticks than this.
    pub min_ticks: u32,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig { target: Duration::from_millis(50), samples: 11, min_ticks: 20 }
    }
}

/// The samples of one measured point.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSet {
    /// Iterations run in each sample.
    pub iterations: u64,
    /// Seconds taken by each kept sample (warm-up dropped), in order.
    pub seconds: Vec<f64>,
    /// Wall time of the sampling phase, warm-up sample included.
    pub window: Duration,
    /// Which calls of the workload's `run` the kept samples are, counted
    /// from 0 at the start of the sampling (calibration runs included), so
    /// a workload that records something per run can pick the kept ones.
    pub kept_runs: std::ops::Range<usize>,
}

impl SampleSet {
    /// Converts each sample to a per-unit figure: `f(seconds, iterations)`.
    pub fn map(&self, f: impl Fn(f64, u64) -> f64) -> Vec<f64> {
        self.seconds.iter().map(|&s| f(s, self.iterations)).collect()
    }
}

/// The smallest observable step of `Instant`, measured now.
pub fn measure_timer_resolution() -> Duration {
    let mut best = Duration::from_secs(1);
    for _ in 0..200 {
        let a = Instant::now();
        let mut b = Instant::now();
        while b == a {
            b = Instant::now();
        }
        best = best.min(b - a);
    }
    best
}

impl SamplerConfig {
    /// The effective target: at least `min_ticks` ticks of a timer of
    /// `resolution`.
    pub fn effective_target(&self, resolution: Duration) -> Duration {
        self.target.max(resolution * self.min_ticks)
    }

    /// Finds the iteration count whose run lasts about the target. The
    /// calibration runs double as warm-up (page faults, caches, clocks).
    /// `runs` counts the workload's runs.
    pub fn calibrate<W: Workload + ?Sized>(
        &self,
        workload: &mut W,
        stop: &AtomicBool,
        resolution: Duration,
        runs: &mut usize,
    ) -> Result<u64, BenchError> {
        let target = self.effective_target(resolution).as_secs_f64();
        let mut iterations: u64 = 1;
        loop {
            if iterations > MAX_ITERATIONS {
                return Err(BenchError::Failed(format!(
                    "calibration: {MAX_ITERATIONS} iterations still take under half the {target} s target; the work is not being done"
                )));
            }
            if stop.load(Ordering::Relaxed) {
                return Err(BenchError::Interrupted);
            }
            let took = workload.run(iterations)?.as_secs_f64();
            *runs += 1;
            if took >= target * 0.5 {
                return Ok(scale(iterations, target / took));
            }
            // Far below the target the time is mostly noise: grow fast;
            // closer, jump to the estimate (slightly over, to converge).
            iterations = if took < target * 0.01 {
                iterations.saturating_mul(16)
            } else {
                scale(iterations, 1.1 * target / took)
            };
        }
    }

    /// Runs taken in a sampling phase: every sample, warm-up included.
    pub fn runs(&self) -> usize {
        self.samples.max(2)
    }
}

/// Beyond this many iterations a workload's time does not grow with its
/// iterations: the work was optimised away or is missing.
const MAX_ITERATIONS: u64 = 1 << 48;

fn scale(iterations: u64, factor: f64) -> u64 {
    ((iterations as f64 * factor).ceil() as u64).max(1)
}

/// A metric whose value is the median of its samples (at least one: the
/// sampler keeps every sample but the first of two or more).
pub fn median_metric(name: &str, unit: &str, samples: Vec<f64>, better: Better) -> Metric {
    let value = median(&samples).unwrap_or(f64::NAN);
    Metric::new(name, unit, value, "median", samples, better)
}

/// A metric whose value is the best sample (min for lower-is-better,
/// max for higher-is-better), as STREAM reports bandwidth.
pub fn best_metric(name: &str, unit: &str, samples: Vec<f64>, better: Better) -> Metric {
    let (value, statistic) = match better {
        Better::Lower => (samples.iter().copied().fold(f64::INFINITY, f64::min), "min"),
        Better::Higher => (samples.iter().copied().fold(f64::NEG_INFINITY, f64::max), "max"),
    };
    Metric::new(name, unit, value, statistic, samples, better)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A workload whose time is a known function of its iterations: it
    /// reports `per_iteration * iterations` (plus a fixed cost) without
    /// spending it, so calibration is tested deterministically.
    pub(crate) struct Linear {
        pub(crate) per_iteration: Duration,
        pub(crate) fixed: Duration,
        pub(crate) runs: Vec<u64>,
    }

    impl Workload for Linear {
        fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
            self.runs.push(iterations);
            Ok(self.fixed + self.per_iteration * iterations as u32)
        }
    }

    const TICK: Duration = Duration::from_nanos(100);

    fn calibrate(cfg: &SamplerConfig, w: &mut Linear, stop: bool) -> Result<u64, BenchError> {
        cfg.calibrate(w, &AtomicBool::new(stop), TICK, &mut 0)
    }

    #[test]
    fn calibration_reaches_the_target_without_overshooting() {
        let cfg = SamplerConfig::default();
        for per_iteration in [Duration::from_nanos(3), Duration::from_micros(7), Duration::from_millis(9)] {
            let mut w = Linear { per_iteration, fixed: Duration::ZERO, runs: vec![] };
            let mut runs = 0;
            let n = cfg.calibrate(&mut w, &AtomicBool::new(false), TICK, &mut runs).unwrap();
            let t = per_iteration * n as u32;
            assert!(t >= cfg.target && t < cfg.target * 2, "{per_iteration:?}: {n} iterations = {t:?}");
            assert!(w.runs.len() < 12, "{} calibration runs", w.runs.len());
            assert_eq!(runs, w.runs.len());
        }
    }

    #[test]
    fn work_that_does_not_grow_with_iterations_fails_calibration() {
        let mut w = Linear { per_iteration: Duration::ZERO, fixed: Duration::from_nanos(40), runs: vec![] };
        let err = calibrate(&SamplerConfig::default(), &mut w, false).unwrap_err();
        assert!(matches!(err, BenchError::Failed(ref m) if m.contains("not being done")), "{err}");
    }

    #[test]
    fn a_slow_single_iteration_is_taken_as_is() {
        let mut w = Linear { per_iteration: Duration::from_millis(200), fixed: Duration::ZERO, runs: vec![] };
        assert_eq!(calibrate(&SamplerConfig::default(), &mut w, false).unwrap(), 1);
    }

    #[test]
    fn a_stop_request_interrupts_calibration() {
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        assert!(matches!(calibrate(&SamplerConfig::default(), &mut w, true), Err(BenchError::Interrupted)));
    }

    #[test]
    fn the_target_is_never_under_twenty_ticks() {
        let cfg = SamplerConfig { target: Duration::ZERO, ..SamplerConfig::default() };
        assert_eq!(cfg.effective_target(TICK), TICK * 20);
        let resolution = measure_timer_resolution();
        assert!(resolution > Duration::ZERO && resolution < Duration::from_millis(1), "{resolution:?}");
    }

    #[test]
    fn medians_and_best_values() {
        assert_eq!(median_metric("lat", "ns", vec![3.0, 1.0, 2.0], Better::Lower).value, 2.0);
        assert_eq!(best_metric("bw", "GB/s", vec![1.0, 3.0, 2.0], Better::Higher).value, 3.0);
        assert_eq!(best_metric("lat", "ns", vec![1.0, 3.0, 2.0], Better::Lower).statistic, "min");
    }
}
