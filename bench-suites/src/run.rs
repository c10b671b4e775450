//! A run from request to result document, shared by `hwbench run` and
//! `hwbench check`: probe the host, select and plan (bad input stops here,
//! before anything is measured or written), estimate every point and fit
//! the plan to the budget when there is one, discover the instruments and
//! measure idle power, measure in rounds, and assemble the document.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hwbench_probes::energy::{self, DiscoverOptions, Found, Instruments};
use hwbench_probes::SysRoot;
use hwbench_schema::{
    time, Budget, BudgetShare, Fact, Machine, ResultDocument, Run, RunStatus, SensorStatus, Tool, Topology,
    SCHEMA_VERSION,
};

use crate::budget::Deadline;
use crate::cost::{CostModel, Rates};
use crate::error::BenchError;
use crate::gpu::Gpus;
use crate::host::Host;
use crate::params::Setting;
use crate::plan::{self, BeforeMeasuring, BudgetPlan, Plan};
use crate::runner::{self, Event, Pacing, PlannedBenchmark, Schedule};
use crate::session::Session;
use crate::suites;

/// The energy options of commands that measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyOptions {
    /// Seconds of idle power measured before the benchmarks (0: none).
    pub idle_seconds: f64,
    /// Also read whole-node power through IPMI.
    pub ipmi: bool,
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct Request {
    /// Benchmark ids; empty means the suite.
    pub benchmarks: Vec<String>,
    /// Suite used when no ids are given.
    pub suite: String,
    /// `--set` values.
    pub settings: Vec<Setting>,
    /// Repetitions of every point; None: the suite's, else 1.
    pub repeat: Option<u32>,
    /// Seed of the order of repetitions; None: a random one.
    pub order_seed: Option<u64>,
    /// Free-text label.
    pub label: Option<String>,
    /// `--tag KEY=VALUE` labels.
    pub tags: BTreeMap<String, String>,
    /// Energy options.
    pub energy: EnergyOptions,
    /// Seconds the run must fit into, from its start to its result
    /// written; None: no budget.
    pub budget: Option<f64>,
}

/// A run planned and ready to measure: its input was good.
pub struct PreparedRun {
    request: Request,
    started: SystemTime,
    clock: Instant,
    suite: String,
    planned: Vec<PlannedBenchmark>,
    session: Session,
    provenance: Machine,
    schedule: Schedule,
    warnings: Vec<String>,
    meters: Option<Found>,
    cost: CostModel,
    plan: Plan,
}

/// Probes the host under `root`, selects and plans what `request` asks
/// for, and probes the GPUs when a GPU benchmark is selected. `rustc` is
/// the compiler the binary was built with, for the provenance.
pub fn prepare(request: Request, root: SysRoot, rustc: Fact<String>) -> Result<PreparedRun, BenchError> {
    let (started, clock) = (SystemTime::now(), Instant::now());
    let topology = hwbench_probes::topology::probe_classified(&root)
        .map_err(|e| BenchError::Environment(format!("reading the topology: {e}")))?;
    let suite = if request.benchmarks.is_empty() { Some(suites::load(&request.suite)?) } else { None };
    let repeat = request.repeat.or(suite.as_ref().and_then(|s| s.repeat)).unwrap_or(1);
    if repeat == 0 {
        return Err(BenchError::BadInput("--repeat 0: every point needs at least one repetition".into()));
    }
    let chosen = runner::select(&request.benchmarks, suite.as_ref(), &request.settings)?;
    let mut gpus = Gpus::new();
    let mut host = Host::new(root.clone(), topology);
    describe_gpus(&mut host.topology, &mut gpus, &root, chosen.iter().any(|(spec, _)| spec.uses_gpu));
    let mut planned = runner::plan(chosen, &host)?;
    let provenance = hwbench_probes::provenance::probe(&root, &host.topology, rustc);
    let mut warnings = interference_warnings(&provenance);
    let meters = energy::find(&root, DiscoverOptions { ipmi: request.energy.ipmi });
    let session = Session::new(host, Instruments::new(Vec::new()), gpus);
    let cost = CostModel::new(session.host(), session.sampler).with_rates(Rates::of(session.host()));
    let mut schedule = Schedule { repeat, seed: request.order_seed.unwrap_or_else(random_u64) };
    let suite = suite.map_or_else(|| "custom".to_string(), |s| s.name);
    let mut before = BeforeMeasuring {
        startup_seconds: 0.0,
        energy_meters_seconds: meters_seconds(&meters, request.energy),
        gpu_open_seconds: cost.gpu_open(planned.iter().any(|b| b.spec.uses_gpu)),
    };
    before.startup_seconds = clock.elapsed().as_secs_f64();
    let fitted =
        request.budget.map(|b| fit_budget(b, &mut planned, &mut schedule, &cost, before.seconds(), &mut warnings));
    let mut plan = plan::plan(&suite, &planned, schedule, &cost, session.host(), before);
    plan.budget = fitted;
    Ok(PreparedRun {
        suite,
        request,
        started,
        clock,
        planned,
        session,
        provenance,
        schedule,
        warnings,
        meters: Some(meters),
        cost,
        plan,
    })
}

/// Shortens `planned` and `schedule` to fit `budget` seconds of which
/// `before` go before the first point; warns when even the shortest valid
/// plan does not fit.
fn fit_budget(
    budget: f64,
    planned: &mut [PlannedBenchmark],
    schedule: &mut Schedule,
    cost: &CostModel,
    before: f64,
    warnings: &mut Vec<String>,
) -> BudgetPlan {
    let fit = plan::fit_budget(planned, *schedule, cost, budget, before);
    schedule.repeat = fit.repeat;
    if !fit.fits {
        warnings.push(format!(
            "the shortest valid plan ({:.0} s) does not fit the budget of {budget:.0} s: the run stops before the first point that would not fit",
            fit.seconds + before
        ));
    }
    BudgetPlan {
        asked_seconds: budget,
        unshortened_seconds: fit.unshortened_seconds + before,
        shortened: fit.shortened,
        fits: fit.fits,
    }
}

/// Seconds the energy meters `found` take before the first point: proving
/// they count, then idle power (taken when one does; assumed here).
fn meters_seconds(found: &Found, options: EnergyOptions) -> f64 {
    let calibration = found.calibration().as_secs_f64();
    if calibration > 0.0 {
        calibration + options.idle_seconds
    } else {
        0.0
    }
}

/// Lists the GPU adapters in `topology` when `wanted` (a GPU benchmark
/// runs, or a listing asks) on the live machine, or says why they are not.
pub fn describe_gpus(topology: &mut Topology, gpus: &mut Gpus, root: &SysRoot, wanted: bool) {
    if !wanted {
        topology.gpu_note = Some("not probed: no GPU benchmark in this run".into());
    } else if !root.is_live() {
        topology.gpu_note = Some(format!("not probed: --sysfs-root {} is not the live machine", root.root().display()));
    } else {
        topology.gpus = gpus.describe();
        if topology.gpus.is_empty() {
            topology.gpu_note = Some(crate::gpu::no_adapter_reason());
        }
    }
}

/// Page migration during a run moves memory off the node it was placed on.
fn interference_warnings(m: &Machine) -> Vec<String> {
    let mut out = Vec::new();
    if matches!(m.numa_balancing, Fact::Known(v) if v != 0) {
        out.push(
            "numa_balancing is on: pages may migrate during the run (echo 0 > /proc/sys/kernel/numa_balancing)".into(),
        );
    }
    if matches!(m.demotion_enabled, Fact::Known(true)) {
        out.push("tier demotion is on: pages may be demoted to slower tiers (echo false > /sys/kernel/mm/numa/demotion_enabled)".into());
    }
    out
}

/// A fresh random 64-bit value from the kernel (getrandom(2)); the clock
/// mixed with the process id only if the kernel refuses.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if got == bytes.len() as isize {
        return u64::from_le_bytes(bytes);
    }
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}

impl PreparedRun {
    /// The suite's name, or "custom".
    pub fn suite(&self) -> &str {
        &self.suite
    }

    /// The machine's provenance (hostname for the result's file name).
    pub fn provenance(&self) -> &Machine {
        &self.provenance
    }

    /// Measurements the run will make: every point of every benchmark,
    /// times the repetitions.
    pub fn measurements(&self) -> usize {
        self.planned.iter().map(|b| b.points.len()).sum::<usize>() * self.schedule.repeat as usize
    }

    /// Repetitions of every point.
    pub fn repeat(&self) -> u32 {
        self.schedule.repeat
    }

    /// The plan: every point with its estimate, and the budget's choices.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Seconds since the run started.
    pub fn elapsed(&self) -> f64 {
        self.clock.elapsed().as_secs_f64()
    }

    /// Uses `stop` as the run's stop flag (Ctrl-C).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.session = self.session.with_stop(stop);
        self
    }

    /// Discovers the energy meters and counters, measuring idle power when
    /// a meter exists (after `before_idle` is told how long that takes).
    /// Returns each source's status, the document's `sensors`.
    pub fn instruments(&mut self, before_idle: impl FnOnce(f64)) -> BTreeMap<String, SensorStatus> {
        let options = self.request.energy;
        let root = self.session.host().root.clone();
        let sensors = match self.meters.take() {
            Some(found) => found.prove(&root),
            None => energy::discover(&root, DiscoverOptions { ipmi: options.ipmi }),
        };
        let status = sensors.report();
        let mut instruments = Instruments::new(sensors.sources);
        if instruments.has_meters() && options.idle_seconds > 0.0 {
            before_idle(options.idle_seconds);
            if let Some(idle) = instruments.measure_idle(Duration::from_secs_f64(options.idle_seconds)) {
                self.warnings.extend(idle.errors.iter().map(|e| format!("idle power: {e}")));
            }
        }
        self.session.set_instruments(instruments);
        status
    }

    /// Measures every point and assembles the result document.
    pub fn execute(
        mut self,
        tool: Tool,
        command: Vec<String>,
        sensors: BTreeMap<String, SensorStatus>,
        on_event: &mut dyn FnMut(Event),
    ) -> ResultDocument {
        let clock = self.clock;
        let elapsed = move || clock.elapsed().as_secs_f64();
        let deadline = self.request.budget.map(|b| Deadline::new(b - plan::write_reserve(b)));
        let pacing = Pacing { cost: &self.cost, deadline, clock: &elapsed };
        let mut outcome = runner::execute_within(self.planned, &mut self.session, self.schedule, pacing, on_event);
        crate::limits::Limits::probe(self.session.host(), &self.provenance).attach(&mut outcome.records);
        let mut warnings = self.warnings;
        warnings.extend(self.session.take_warnings());
        let status = match (outcome.interrupted, &outcome.stopped) {
            (true, _) => RunStatus::Interrupted,
            (false, Some(_)) => RunStatus::BudgetEnded,
            (false, None) => RunStatus::Complete,
        };
        let budget = self.plan.budget.as_ref().map(|asked| Budget {
            asked_seconds: asked.asked_seconds,
            unshortened_seconds: asked.unshortened_seconds,
            planned_seconds: self.plan.estimated_seconds,
            used_seconds: elapsed(),
            shortened: asked.shortened.clone(),
            stopped: outcome.stopped.clone(),
            benchmarks: self
                .plan
                .benchmarks
                .iter()
                .zip(&outcome.used)
                .map(|(b, &used)| BudgetShare {
                    id: b.id.to_string(),
                    estimated_seconds: b.estimated_seconds,
                    used_seconds: used,
                })
                .collect(),
        });
        let request = self.request;
        ResultDocument {
            schema_version: SCHEMA_VERSION,
            tool,
            run: Run {
                id: run_id(self.started),
                label: request.label,
                suite: self.suite,
                command,
                benchmarks: request.benchmarks,
                settings: request.settings.iter().map(|s| format!("{}={}", s.key, s.value)).collect(),
                started_at: time::rfc3339(self.started),
                finished_at: time::rfc3339(SystemTime::now()),
                status,
                warnings,
                repeat: self.schedule.repeat,
                order_seed: (self.schedule.repeat > 1).then_some(self.schedule.seed),
                tags: request.tags,
                budget,
            },
            machine: self.provenance,
            topology: self.session.host().topology.clone(),
            sensors,
            benchmarks: outcome.records,
        }
    }

    /// Where a result goes for `--out`: the file itself when it ends in
    /// .json, else `<out>/<host>/<start time>-<suite>.json`.
    pub fn output_path(&self, out: &Path) -> PathBuf {
        if out.extension().is_some_and(|e| e == "json") {
            return out.to_path_buf();
        }
        let host = self.provenance.hostname.known().cloned().unwrap_or_else(|| "unknown-host".into());
        let host: String =
            host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        out.join(host).join(format!("{}-{}.json", time::file_stamp(self.started), self.suite))
    }
}

/// Creates the directory of `path` and checks, before anything is
/// measured, that a file can be written there.
pub fn check_writable(path: &Path) -> Result<(), std::io::Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".hwbench-write-test-{:016x}", random_u64()));
    std::fs::write(&probe, b"")?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A run id: the start time, then 64 random bits (two runs started in the
/// same second, as pods of one job are, still differ).
fn run_id(started: SystemTime) -> String {
    format!("{}-{:016x}", time::file_stamp(started), random_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_of_one_second_differ() {
        let now = SystemTime::now();
        let ids: std::collections::BTreeSet<String> = (0..100).map(|_| run_id(now)).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids.iter().all(|id| id.starts_with(&time::file_stamp(now))));
    }
}
