//! The session: everything a benchmark uses while it measures, passed to
//! it explicitly. It holds the machine, the sampler, the stop flag, the
//! run's warnings, the instruments (energy meters and counters) and the
//! interference probe bracketed around every sampling phase, and the GPU
//! devices opened so far. What the windows of the point being measured
//! gave is kept here until the runner takes it ([`Session::take_windows`]),
//! so nothing is read back from a global and several sessions can live in
//! one process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hwbench_probes::energy::instruments::{Instruments, Tally};
use hwbench_probes::interference::{self, InterferenceProbe};
use hwbench_schema::Interference;

use crate::error::BenchError;
use crate::gpu::{GpuDevice, Gpus};
use crate::harness::{measure_timer_resolution, SampleSet, SamplerConfig, Workload};
use crate::host::Host;

/// What the sampling phases of one measured point gave.
#[derive(Debug, Default)]
pub struct Windows {
    /// Energy, counters and work of the phases.
    pub tally: Tally,
    /// What else the machine did meanwhile; None when no phase ran.
    pub interference: Option<Interference>,
}

/// The state of one run that benchmarks measure with.
pub struct Session {
    host: Host,
    /// How samples are taken.
    pub sampler: SamplerConfig,
    stop: Arc<AtomicBool>,
    warnings: Vec<String>,
    instruments: Instruments,
    interference: InterferenceProbe,
    windows: Windows,
    gpus: Gpus,
    timer_resolution: Duration,
}

impl Session {
    /// A session on `host` with these instruments and GPU devices, the
    /// default sampler and a stop flag nobody sets.
    pub fn new(host: Host, instruments: Instruments, gpus: Gpus) -> Self {
        let cpus = host.topology.cores.iter().flat_map(|c| c.pus.iter().copied()).collect();
        let interference = InterferenceProbe::new(host.root.clone(), cpus);
        Session {
            host,
            sampler: SamplerConfig::default(),
            stop: Arc::new(AtomicBool::new(false)),
            warnings: Vec::new(),
            instruments,
            interference,
            windows: Windows::default(),
            gpus,
            timer_resolution: measure_timer_resolution(),
        }
    }

    /// A session on `host` with counters only and no GPU probed yet:
    /// what tests and library users need most often.
    pub fn plain(host: Host) -> Self {
        Session::new(host, Instruments::new(Vec::new()), Gpus::new())
    }

    /// Uses `stop` as the stop flag (set by Ctrl-C).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// The host measured.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host, to add what is probed later (GPU adapters).
    pub fn host_mut(&mut self) -> &mut Host {
        &mut self.host
    }

    /// The stop flag, shared: set, the current point stops after its
    /// sample (work that waits in loops of its own checks it too).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// True once a stop was asked for.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Adds a warning to the run's.
    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// The warnings so far, taken.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The instruments (idle power lives there).
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// Uses `instruments` for the windows from now on.
    pub fn set_instruments(&mut self, instruments: Instruments) {
        self.instruments = instruments;
    }

    /// The GPU devices of the run.
    pub fn gpus(&mut self) -> &mut Gpus {
        &mut self.gpus
    }

    /// The device of adapter `index`, opened on first use and shared after.
    pub fn gpu(&mut self, index: usize) -> Result<Arc<GpuDevice>, BenchError> {
        self.gpus.open(index)
    }

    /// Calibrates `workload` with the run's sampler and samples it.
    pub fn sample<W: Workload + ?Sized>(&mut self, workload: &mut W) -> Result<SampleSet, BenchError> {
        let cfg = self.sampler;
        self.sample_with(cfg, workload)
    }

    /// The iteration count whose run of `workload` lasts about `cfg`'s target
    /// (the calibration runs warm it up).
    pub fn calibrate<W: Workload + ?Sized>(&self, cfg: SamplerConfig, workload: &mut W) -> Result<u64, BenchError> {
        cfg.calibrate(workload, &self.stop, self.timer_resolution, &mut 0)
    }

    /// Calibrates `workload` with `cfg`, then takes `cfg.samples` samples
    /// in one sampling phase and drops the first.
    pub fn sample_with<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
    ) -> Result<SampleSet, BenchError> {
        let mut runs = 0;
        let iterations = cfg.calibrate(workload, &self.stop, self.timer_resolution, &mut runs)?;
        let mut seconds = Vec::with_capacity(cfg.runs());
        let window = self.phase(cfg, workload, iterations, |_, took| seconds.push(took.as_secs_f64()))?;
        seconds.remove(0);
        let first_kept = runs + 1;
        Ok(SampleSet { iterations, kept_runs: first_kept..first_kept + seconds.len(), seconds, window })
    }

    /// The sampling phase: `cfg.runs()` runs of `iterations`, each run's
    /// time handed to `keep`, inside one window of the instruments and the
    /// interference watch. A phase too short for the energy meters runs
    /// on, unsampled, until it is long enough. Returns its wall time.
    pub fn phase<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
        iterations: u64,
        mut keep: impl FnMut(&W, Duration),
    ) -> Result<Duration, BenchError> {
        let Session { instruments, interference, stop, windows, .. } = self;
        let bracket = instruments.begin();
        let mut watch = interference.start();
        let min_window = bracket.min_window();
        let started = Instant::now();
        let (sampled, mut runs) = (cfg.runs(), 0);
        while runs < sampled || started.elapsed() < min_window {
            if stop.load(Ordering::Relaxed) {
                return Err(BenchError::Interrupted);
            }
            let took = workload.run(iterations)?;
            watch.observe();
            if runs < sampled {
                keep(workload, took);
            }
            runs += 1;
        }
        let window = started.elapsed();
        windows.tally.add(bracket.end(workload.work_per_iteration().map(|w| w.times(iterations * runs as u64))));
        let seen = watch.finish();
        match &mut windows.interference {
            Some(total) => interference::merge(total, seen),
            None => windows.interference = Some(seen),
        }
        Ok(window)
    }

    /// What the windows since the last call gave, taken: the runner calls
    /// it after each measured point.
    pub fn take_windows(&mut self) -> Windows {
        std::mem::take(&mut self.windows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::tests::Linear;
    use hwbench_probes::SysRoot;
    use hwbench_schema::Topology;

    fn session() -> Session {
        Session::plain(Host::new(SysRoot::default(), Topology::default()))
    }

    #[test]
    fn sampling_drops_the_first_sample_and_says_which_runs_it_kept() {
        let mut s = session();
        s.sampler.samples = 5;
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        let set = s.sample(&mut w).unwrap();
        assert_eq!(set.seconds.len(), 4);
        assert!(set.seconds.iter().all(|&secs| secs >= 0.05));
        // Calibration runs, then the dropped warm-up, then the four kept.
        assert_eq!(set.kept_runs.end, w.runs.len());
        assert_eq!(set.kept_runs.len(), 4);
        assert!(w.runs[set.kept_runs.clone()].iter().all(|&n| n == set.iterations));
    }

    #[test]
    fn a_stop_request_interrupts_sampling() {
        let mut s = session();
        s.stop.store(true, Ordering::Relaxed);
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        assert!(matches!(s.sample(&mut w), Err(BenchError::Interrupted)));
        assert!(s.stopped());
    }

    /// Each phase adds a window and interference evidence to the point's;
    /// taking them leaves the next point empty. Two sessions never share.
    #[test]
    fn windows_belong_to_their_session_until_taken() {
        let (mut a, mut b) = (session(), session());
        let mut w = Linear { per_iteration: Duration::from_micros(10), fixed: Duration::ZERO, runs: vec![] };
        a.sample(&mut w).unwrap();
        a.sample(&mut w).unwrap();
        let taken = a.take_windows();
        assert!(!taken.tally.is_empty());
        let seen = taken.interference.unwrap();
        assert!(seen.window_s > 0.0 && seen.steal_percent.is_some(), "{seen:?}");
        assert!(a.take_windows().tally.is_empty());
        assert!(b.take_windows().interference.is_none());
        b.warn("w");
        assert_eq!(b.take_warnings(), vec!["w".to_string()]);
        assert!(a.take_warnings().is_empty());
    }
}
