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
use hwbench_probes::sched::{SchedWatch, ThreadId};
use hwbench_schema::Interference;

use crate::error::BenchError;
use crate::gpu::{GpuDevice, Gpus};
use crate::harness::{measure_timer_resolution, SampleSet, SamplerConfig, Workload};
use crate::host::Host;
use crate::undisturbed::{Plan, Slicer, Undisturbed, Watch};

/// Slices timed after calibration to find the work's rate undisturbed
/// (the crowd probe of a plan sizes its slices the same way).
pub(crate) const TRIAL_SLICES: usize = 8;
/// The machine is looked at between runs at most this often (runs of a
/// millisecond would otherwise read /proc/stat a thousand times a second).
const OBSERVE_EVERY: Duration = Duration::from_millis(10);

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
        let window = self.phase(workload, iterations, |_, took| {
            seconds.push(took.as_secs_f64());
            seconds.len() < cfg.runs()
        })?;
        seconds.remove(0);
        let first_kept = runs + 1;
        Ok(SampleSet { iterations, kept_runs: first_kept..first_kept + seconds.len(), seconds, window })
    }

    /// Calibrates slices of `workload` ([`crate::undisturbed`]) and samples
    /// it slice by slice in one sampling phase, setting aside the slices
    /// `watch` shows the timed threads spent partly off the CPU; `cfg`
    /// gives the samples and their length. Slices are the workload's runs,
    /// counted from 0 at the start as [`SampleSet::kept_runs`] counts.
    pub fn sample_undisturbed<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
        watch: &mut dyn Watch,
    ) -> Result<Undisturbed, BenchError> {
        self.undisturbed(cfg, workload, watch, true)
    }

    /// [`Session::sample_undisturbed`] of work whose time is the calling
    /// thread's own wall time and which never sleeps while timed (a
    /// pointer chase), watched by its run_delay and CPU clock.
    pub fn sample_this_thread<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
    ) -> Result<Undisturbed, BenchError> {
        self.sample_undisturbed(cfg, workload, &mut SchedWatch::spinning(&[ThreadId::current()]))
    }

    /// As [`Session::sample_undisturbed`], outside the windows of the
    /// instruments and the interference watch (a phase whose energy is not
    /// the record's, such as the timed batches of the tails).
    pub fn sample_undisturbed_unwindowed<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
        watch: &mut dyn Watch,
    ) -> Result<Undisturbed, BenchError> {
        self.undisturbed(cfg, workload, watch, false)
    }

    /// Slices of `workload` judged by `watch`, in a window or not.
    fn undisturbed<W: Workload + ?Sized>(
        &mut self,
        cfg: SamplerConfig,
        workload: &mut W,
        watch: &mut dyn Watch,
        windowed: bool,
    ) -> Result<Undisturbed, BenchError> {
        let (mut slicer, iterations) = self.slicer(cfg, workload)?;
        watch.start();
        let mut keep = |took| slicer.push(took, watch.since_last());
        if windowed {
            self.phase(workload, iterations, |_, took| keep(took))?;
        } else {
            while keep(workload.run(iterations)?) {
                if self.stopped() {
                    return Err(BenchError::Interrupted);
                }
            }
        }
        Ok(slicer.finish(iterations, watch.describe()))
    }

    /// The slicer of `cfg`'s samples and the iterations of one slice: the
    /// samples are calibrated as [`Session::sample_with`] calibrates them
    /// (the calibration runs warm the workload up) and cut into slices.
    /// Calibration times wall time, so under contention it counts time off
    /// the CPU and gives too few iterations; the fastest of
    /// [`TRIAL_SLICES`] slices then sets the rate instead.
    fn slicer<W: Workload + ?Sized>(&self, cfg: SamplerConfig, workload: &mut W) -> Result<(Slicer, u64), BenchError> {
        let mut runs = 0;
        let calibrated = cfg.calibrate(workload, &self.stop, self.timer_resolution, &mut runs)?;
        let trial = Plan::new(&cfg, calibrated).slice_iterations;
        let mut fastest = f64::INFINITY;
        for _ in 0..TRIAL_SLICES {
            if self.stopped() {
                return Err(BenchError::Interrupted);
            }
            fastest = fastest.min(workload.run(trial)?.as_secs_f64() / trial as f64);
            runs += 1;
        }
        let at_fastest = (cfg.target.as_secs_f64() / fastest).ceil().min(u64::MAX as f64) as u64;
        let plan = Plan::new(&cfg, calibrated.max(at_fastest));
        Ok((Slicer::new(plan, runs), plan.slice_iterations))
    }

    /// The sampling phase: runs of `iterations`, each run's time handed to
    /// `keep` until it returns false, inside one window of the instruments
    /// and the interference watch. A phase too short for the energy meters
    /// runs on, unsampled, until it is long enough. Returns its wall time.
    pub fn phase<W: Workload + ?Sized>(
        &mut self,
        workload: &mut W,
        iterations: u64,
        mut keep: impl FnMut(&W, Duration) -> bool,
    ) -> Result<Duration, BenchError> {
        let Session { instruments, interference, stop, windows, .. } = self;
        let bracket = instruments.begin();
        let mut watch = interference.start();
        let min_window = bracket.min_window();
        let started = Instant::now();
        let (mut sampling, mut runs, mut observed) = (true, 0u64, started);
        while sampling || started.elapsed() < min_window {
            if stop.load(Ordering::Relaxed) {
                return Err(BenchError::Interrupted);
            }
            let took = workload.run(iterations)?;
            // Short runs (slices) are not each worth a look at the machine.
            if observed.elapsed() >= OBSERVE_EVERY {
                watch.observe();
                observed = Instant::now();
            }
            if sampling {
                sampling = keep(workload, took);
            }
            runs += 1;
        }
        let window = started.elapsed();
        windows.tally.add(bracket.end(workload.work_per_iteration().map(|w| w.times(iterations * runs))));
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
pub(crate) mod tests {
    use super::*;
    use crate::harness::tests::Linear;
    use crate::undisturbed::{SETTLE, STATISTIC};
    use hwbench_probes::sched::Evidence;
    use hwbench_probes::SysRoot;
    use hwbench_schema::{Better, Topology};
    use std::cell::Cell;

    fn session() -> Session {
        Session::plain(Host::new(SysRoot::default(), Topology::default()))
    }

    /// This machine, and a session on it that takes three samples of 5 ms:
    /// the real paths, quickly.
    pub(crate) fn quick_live() -> (Host, Session) {
        let host = Host::new(SysRoot::default(), hwbench_probes::topology::probe(&SysRoot::default()).unwrap());
        let mut session = Session::plain(host.clone());
        session.sampler.target = Duration::from_millis(5);
        session.sampler.samples = 3;
        (host, session)
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

    /// A workload that takes `per_iteration` a step and, every `every`-th
    /// run, was off the CPU for `wait` on top: what a thread preempted by
    /// another task reports. Its [`Preempted::watch`] tells the scheduler's
    /// side of the same runs: the wait as run_delay, and CPU time short of
    /// the run's time by as much.
    struct Preempted {
        per_iteration: Duration,
        every: usize,
        wait: Duration,
        runs: Cell<usize>,
        last: Cell<(Duration, Duration)>,
    }

    impl Preempted {
        fn waits_in(&self, run: usize) -> bool {
            run % self.every == self.every - 1
        }

        fn watch(&self) -> ScriptedWatch<'_> {
            ScriptedWatch(self)
        }
    }

    impl Workload for &Preempted {
        fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
            let run = self.runs.replace(self.runs.get() + 1);
            let waited = if self.waits_in(run) { self.wait } else { Duration::ZERO };
            let took = self.per_iteration * iterations as u32 + waited;
            self.last.set((took, waited));
            Ok(took)
        }
    }

    struct ScriptedWatch<'a>(&'a Preempted);

    impl Watch for ScriptedWatch<'_> {
        fn start(&mut self) {}

        fn since_last(&mut self) -> Evidence {
            let (took, waited) = self.0.last.get();
            // The readings around the run add 2 us, on the CPU.
            let wall = took + Duration::from_micros(2);
            Evidence {
                wall_ns: wall.as_nanos() as u64,
                run_delay_ns: Some(waited.as_nanos() as u64),
                switches_in: Some(u64::from(!waited.is_zero())),
                cpu_ns: Some((wall - waited).as_nanos() as u64),
            }
        }

        fn describe(&self) -> String {
            "scripted".into()
        }
    }

    /// Every 10th run waited 2 ms: those runs, and the runs of the next
    /// SETTLE after each, are set aside, so the headline is the undisturbed
    /// 1000 ns an iteration, while `_all` carries the waits.
    #[test]
    fn descheduled_runs_are_set_aside_and_counted() {
        let mut s = session();
        s.sampler.target = Duration::from_millis(5);
        s.sampler.samples = 3;
        let preempted = Preempted {
            per_iteration: Duration::from_micros(1),
            every: 10,
            wait: Duration::from_millis(2),
            runs: Cell::new(0),
            last: Cell::new((Duration::ZERO, Duration::ZERO)),
        };
        let set = s.sample_undisturbed(s.sampler, &mut &preempted, &mut preempted.watch()).unwrap();
        assert_eq!(set.samples.len(), 2, "the warm-up dropped");
        assert_eq!(set.slices_per_sample, 20, "5 ms in slices of 250 us");
        let per_iteration = |secs: f64, n: u64| secs * 1e9 / n as f64;
        let metrics = set.metrics("latency", "ns", Better::Lower, per_iteration).unwrap();
        assert_eq!(metrics[0].statistic, STATISTIC);
        assert!(metrics[0].samples.iter().all(|&ns| (ns - 1000.0).abs() < 1e-6), "{:?}", metrics[0].samples);
        assert!(metrics[1].samples.iter().all(|&ns| ns > 1500.0), "every slice: {:?}", metrics[1].samples);
        // The slices the workload waited in, and those settling after.
        let slice = set.iterations as u32 * preempted.per_iteration;
        let settling = SETTLE.as_nanos().div_ceil(slice.as_nanos()) as usize;
        let waited = (set.samples[0].runs[0]..=*set.samples[1].runs.last().unwrap())
            .filter(|&run| preempted.waits_in(run))
            .count();
        assert!(waited >= 4, "{waited} waits among the kept samples' slices");
        assert!(set.set_aside.descheduled >= waited, "{:?}", set.set_aside);
        assert_eq!(set.set_aside.settling, settling * set.set_aside.descheduled);
        for sample in &set.samples {
            for &run in &sample.runs {
                let since_wait = (0..=settling).find(|&back| run >= back && preempted.waits_in(run - back));
                assert_eq!(since_wait, None, "run {run} waited or was settling");
            }
        }
        assert_eq!(set.info("descheduling").1["evidence"], "scripted");
    }
}
