//! The sampler: calibrate the iteration count to a target sample time,
//! warm up, take N samples (first dropped), keep every sample.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hwbench_probes::energy::{instruments, Work};
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
}

impl SampleSet {
    /// Converts each sample to a per-unit figure: `f(seconds, iterations)`.
    pub fn map(&self, f: impl Fn(f64, u64) -> f64) -> Vec<f64> {
        self.seconds.iter().map(|&s| f(s, self.iterations)).collect()
    }
}

/// The smallest observable step of `Instant`, measured once.
pub fn timer_resolution() -> Duration {
    static RES: OnceLock<Duration> = OnceLock::new();
    *RES.get_or_init(|| {
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
    })
}

impl SamplerConfig {
    /// The effective target: at least `min_ticks` timer ticks.
    pub fn effective_target(&self) -> Duration {
        self.target.max(timer_resolution() * self.min_ticks)
    }

    /// Finds the iteration count whose run lasts about the target. The
    /// calibration runs double as warm-up (page faults, caches, clocks).
    pub fn calibrate(&self, workload: &mut dyn Workload, stop: &AtomicBool) -> Result<u64, BenchError> {
        let target = self.effective_target().as_secs_f64();
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

    /// Calibrates, then takes `samples` samples and drops the first.
    pub fn sample(&self, workload: &mut dyn Workload, stop: &AtomicBool) -> Result<SampleSet, BenchError> {
        let iterations = self.calibrate(workload, stop)?;
        let mut seconds = Vec::with_capacity(self.samples);
        let window = self.sampling_phase(workload, iterations, stop, |_, took| seconds.push(took.as_secs_f64()))?;
        seconds.remove(0);
        Ok(SampleSet { iterations, seconds, window })
    }

    /// Runs `samples` (at least 2) runs of `iterations`, handing each run's
    /// time to `keep`, and returns the phase's wall time. The phase is the
    /// window the run's instruments measure energy and counters over; one
    /// too short for the meters runs on, unsampled, until it is long enough.
    pub fn sampling_phase<W: Workload + ?Sized>(
        &self,
        workload: &mut W,
        iterations: u64,
        stop: &AtomicBool,
        mut keep: impl FnMut(&W, Duration),
    ) -> Result<Duration, BenchError> {
        let bracket = instruments::begin();
        let min_window = bracket.as_ref().map_or(Duration::ZERO, instruments::Bracket::min_window);
        let started = Instant::now();
        let (sampled, mut runs) = (self.samples.max(2) as u64, 0);
        while runs < sampled || started.elapsed() < min_window {
            if stop.load(Ordering::Relaxed) {
                return Err(BenchError::Interrupted);
            }
            let took = workload.run(iterations)?;
            if runs < sampled {
                keep(workload, took);
            }
            runs += 1;
        }
        let window = started.elapsed();
        if let Some(bracket) = bracket {
            bracket.end(workload.work_per_iteration().map(|w| w.times(iterations * runs)));
        }
        Ok(window)
    }
}

/// Beyond this many iterations a workload's time does not grow with its
/// iterations: the work was optimised away or is missing.
const MAX_ITERATIONS: u64 = 1 << 48;

fn scale(iterations: u64, factor: f64) -> u64 {
    ((iterations as f64 * factor).ceil() as u64).max(1)
}

/// The median of some values (mean of the middle two for even counts).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A metric whose value is the median of its samples.
pub fn median_metric(name: &str, unit: &str, samples: Vec<f64>, better: Better) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        value: median(&samples),
        statistic: "median".into(),
        samples,
        better,
        repetitions: Vec::new(),
    }
}

/// A metric whose value is the best sample (min for lower-is-better,
/// max for higher-is-better), as STREAM reports bandwidth.
pub fn best_metric(name: &str, unit: &str, samples: Vec<f64>, better: Better) -> Metric {
    let (value, statistic) = match better {
        Better::Lower => (samples.iter().copied().fold(f64::INFINITY, f64::min), "min"),
        Better::Higher => (samples.iter().copied().fold(f64::NEG_INFINITY, f64::max), "max"),
    };
    Metric {
        name: name.into(),
        unit: unit.into(),
        value,
        statistic: statistic.into(),
        samples,
        better,
        repetitions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workload whose time is a known function of its iterations: it
    /// reports `per_iteration * iterations` (plus a fixed cost) without
    /// spending it, so calibration is tested deterministically.
    struct Linear {
        per_iteration: Duration,
        fixed: Duration,
        runs: Vec<u64>,
    }

    impl Workload for Linear {
        fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
            self.runs.push(iterations);
            Ok(self.fixed + self.per_iteration * iterations as u32)
        }
    }

    #[test]
    fn calibration_reaches_the_target_without_overshooting() {
        let cfg = SamplerConfig::default();
        let stop = AtomicBool::new(false);
        for per_iteration in [Duration::from_nanos(3), Duration::from_micros(7), Duration::from_millis(9)] {
            let mut w = Linear { per_iteration, fixed: Duration::ZERO, runs: vec![] };
            let n = cfg.calibrate(&mut w, &stop).unwrap();
            let t = per_iteration * n as u32;
            assert!(t >= cfg.target && t < cfg.target * 2, "{per_iteration:?}: {n} iterations = {t:?}");
            assert!(w.runs.len() < 12, "{} calibration runs", w.runs.len());
        }
    }

    #[test]
    fn work_that_does_not_grow_with_iterations_fails_calibration() {
        let mut w = Linear { per_iteration: Duration::ZERO, fixed: Duration::from_nanos(40), runs: vec![] };
        let err = SamplerConfig::default().calibrate(&mut w, &AtomicBool::new(false)).unwrap_err();
        assert!(matches!(err, BenchError::Failed(ref m) if m.contains("not being done")), "{err}");
    }

    #[test]
    fn a_slow_single_iteration_is_taken_as_is() {
        let cfg = SamplerConfig::default();
        let mut w = Linear { per_iteration: Duration::from_millis(200), fixed: Duration::ZERO, runs: vec![] };
        assert_eq!(cfg.calibrate(&mut w, &AtomicBool::new(false)).unwrap(), 1);
    }

    #[test]
    fn sampling_drops_the_first_sample_and_keeps_the_rest() {
        let cfg = SamplerConfig { samples: 5, ..SamplerConfig::default() };
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        let set = cfg.sample(&mut w, &AtomicBool::new(false)).unwrap();
        assert_eq!(set.seconds.len(), 4);
        assert!(set.seconds.iter().all(|&s| s >= 0.05));
        assert_eq!(*w.runs.last().unwrap(), set.iterations);
    }

    #[test]
    fn a_stop_request_interrupts_sampling() {
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        let err = SamplerConfig::default().sample(&mut w, &AtomicBool::new(true)).unwrap_err();
        assert!(matches!(err, BenchError::Interrupted));
    }

    #[test]
    fn the_target_is_never_under_twenty_ticks() {
        let cfg = SamplerConfig { target: Duration::ZERO, ..SamplerConfig::default() };
        assert!(cfg.effective_target() >= timer_resolution() * 20);
        assert!(timer_resolution() > Duration::ZERO && timer_resolution() < Duration::from_millis(1));
    }

    #[test]
    fn medians_and_best_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(best_metric("bw", "GB/s", vec![1.0, 3.0, 2.0], Better::Higher).value, 3.0);
        assert_eq!(best_metric("lat", "ns", vec![1.0, 3.0, 2.0], Better::Lower).statistic, "min");
    }
}
