//! Selecting, planning and measuring benchmarks into records.
//!
//! Every point is measured `repeat` times. Repetitions are spread over the
//! run in rounds: each round measures every point once, the benchmarks and
//! their points in a seeded random order, and each benchmark releases its
//! buffers after its points of a round, so a repetition gets fresh memory
//! and meets the machine at another moment, as another run would
//! (docs/METHODS.md: the repetition is the unit of variance). The repetitions of
//! a point then become one record ([`merge`]).

mod merge;

use std::collections::BTreeMap;
use std::time::Instant;

use hwbench_schema::numbers::SplitMix64;
use hwbench_schema::{ParamValue, Record};

use crate::budget::{Deadline, Sweep};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Setting, Settings};
use crate::registry::{self, BenchmarkSpec, Planner};
use crate::session::Session;
use crate::suites::Suite;

pub use merge::MIN_ON_NODE_FRACTION;

/// One benchmark chosen for a run, with its points planned.
pub struct PlannedBenchmark {
    /// Its table row.
    pub spec: &'static BenchmarkSpec,
    /// The instance that measures.
    planner: Box<dyn Planner>,
    /// Every point's params, in plan order.
    pub points: Vec<BTreeMap<String, ParamValue>>,
}

impl PlannedBenchmark {
    /// Seconds measuring point `index` takes after point `previous` of
    /// the same repetition (the benchmark's cost model).
    pub fn estimate(&self, index: usize, previous: Option<usize>, cost: &CostModel) -> f64 {
        self.planner.estimate(index, previous, cost)
    }

    /// What a budget may thin, over the planned points.
    pub fn sweep(&self) -> Option<Sweep> {
        self.planner.sweep()
    }

    /// Keeps the points `keep` (indices, in plan order), drops the rest.
    pub fn retain(&mut self, keep: &[usize]) {
        self.planner.retain(keep);
        let mut index = 0;
        self.points.retain(|_| {
            index += 1;
            keep.contains(&(index - 1))
        });
    }
}

/// Chooses benchmarks by id, or from a suite, and applies `--set` values.
/// A setting that no chosen benchmark takes is an error.
pub fn select(
    ids: &[String],
    suite: Option<&Suite>,
    settings: &[Setting],
) -> Result<Vec<(&'static BenchmarkSpec, Settings)>, BenchError> {
    let mut chosen = Vec::new();
    if ids.is_empty() {
        if let Some(suite) = suite {
            for entry in &suite.benchmarks {
                let spec = lookup(&entry.id)?;
                let mut values = Settings::new(spec.id);
                for (key, value) in &entry.set {
                    let p = spec.params.iter().find(|p| p.name == key).ok_or_else(|| {
                        BenchError::BadInput(format!("suite {}: {}: no param '{key}'", suite.name, spec.id))
                    })?;
                    values.set(p, value)?;
                }
                chosen.push((spec, values));
            }
        }
    } else {
        for id in ids {
            let spec = lookup(id)?;
            chosen.push((spec, Settings::new(spec.id)));
        }
    }
    for setting in settings {
        if !chosen.iter().any(|(spec, _)| spec.params.iter().any(|p| p.name == setting.key)) {
            let takes: Vec<String> = chosen
                .iter()
                .map(|(s, _)| {
                    format!("{} takes {}", s.id, s.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", "))
                })
                .collect();
            return Err(BenchError::BadInput(format!(
                "--set {}: no selected benchmark has this param ({})",
                setting.key,
                takes.join("; ")
            )));
        }
    }
    for (spec, values) in &mut chosen {
        for setting in settings {
            if let Some(p) = spec.params.iter().find(|p| p.name == setting.key) {
                values.set(p, &setting.value)?;
            }
        }
    }
    Ok(chosen)
}

fn lookup(id: &str) -> Result<&'static BenchmarkSpec, BenchError> {
    registry::find(id).ok_or_else(|| {
        let known: Vec<&str> = registry::BENCHMARKS.iter().map(|b| b.id).collect();
        BenchError::BadInput(format!("unknown benchmark '{id}' (known: {})", known.join(", ")))
    })
}

/// Plans every chosen benchmark; any bad input stops the run here.
pub fn plan(chosen: Vec<(&'static BenchmarkSpec, Settings)>, host: &Host) -> Result<Vec<PlannedBenchmark>, BenchError> {
    chosen
        .into_iter()
        .map(|(spec, settings)| {
            let mut planner = (spec.make)();
            let points = planner.plan(&settings, host)?;
            Ok(PlannedBenchmark { spec, planner, points })
        })
        .collect()
}

/// Selects, plans and measures benchmarks `ids` with `settings` on the
/// session's host, as `hwbench run` does without the command line and the
/// document (library users and tests). GPU adapters are described first
/// when a GPU benchmark is selected and the host has none listed yet.
pub fn measure(
    ids: &[&str],
    settings: &[Setting],
    session: &mut Session,
    schedule: Schedule,
) -> Result<Outcome, BenchError> {
    let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let chosen = select(&ids, None, settings)?;
    let host = session.host();
    if chosen.iter().any(|(spec, _)| spec.uses_gpu) && host.topology.gpus.is_empty() && host.topology.gpu_note.is_none()
    {
        let root = host.root.clone();
        let mut topology = host.topology.clone();
        crate::run::describe_gpus(&mut topology, session.gpus(), &root, true);
        session.host_mut().topology = topology;
    }
    let planned = plan(chosen, session.host())?;
    Ok(execute(planned, session, schedule, &mut |_| {}))
}

/// Seconds every point of `planned` takes, as `schedule` orders them:
/// `[round][benchmark][point]`, in plan order within each, each estimated
/// after the point measured before it in its round.
pub fn estimates(planned: &[PlannedBenchmark], schedule: Schedule, cost: &CostModel) -> Vec<Vec<Vec<f64>>> {
    (0..schedule.repeat.max(1))
        .map(|round| {
            planned
                .iter()
                .enumerate()
                .map(|(b, bench)| {
                    let mut seconds = vec![0.0; bench.points.len()];
                    let mut previous = None;
                    for p in schedule.order(round, b as u64 + 1, bench.points.len()) {
                        seconds[p] = bench.estimate(p, previous, cost);
                        previous = Some(p);
                    }
                    seconds
                })
                .collect()
        })
        .collect()
}

/// How often and in which order points are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Repetitions of every point (at least 1).
    pub repeat: u32,
    /// Seed of the order of the rounds; rounds of a run measured once keep
    /// the planned order.
    pub seed: u64,
}

impl Schedule {
    /// Every point once, in the planned order.
    pub const ONCE: Schedule = Schedule { repeat: 1, seed: 0 };

    /// The order of round `round` over `n` items: planned order when the
    /// run is not repeated, else a shuffle seeded by the round.
    pub fn order(&self, round: u32, salt: u64, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        if self.repeat > 1 {
            let mut rng = SplitMix64::new(self.seed ^ (u64::from(round) << 32) ^ salt);
            rng.shuffle(&mut order);
        }
        order
    }
}

/// What the runner reports while it works.
pub enum Event<'a> {
    /// A point is about to be measured.
    Measuring { id: &'static str, params: &'a BTreeMap<String, ParamValue>, repetition: u32, repeat: u32 },
    /// A point's repetition was measured (or failed): in `seconds`, where
    /// its cost model expected `estimated`.
    Measured { seconds: f64, estimated: f64 },
    /// A record is complete.
    Recorded { record: &'a Record },
}

/// The records of a run and how it ended.
pub struct Outcome {
    /// Every record, in plan order, summaries after their benchmark.
    pub records: Vec<Record>,
    /// True when Ctrl-C stopped the run early.
    pub interrupted: bool,
    /// Where and why the budget stopped the run, when it did.
    pub stopped: Option<String>,
    /// Wall seconds each planned benchmark's points took.
    pub used: Vec<f64>,
}

/// What keeps a run to its budget while it measures: the cost model that
/// estimates each point, the deadline, and the clock it is read by
/// (seconds since the run started).
pub struct Pacing<'a> {
    /// Estimates each point before it is measured.
    pub cost: &'a CostModel,
    /// The stop rule; None for a run without a budget.
    pub deadline: Option<Deadline>,
    /// Seconds since the run started.
    pub clock: &'a dyn Fn() -> f64,
}

/// Measures every planned point `schedule.repeat` times in rounds, with no
/// budget ([`execute_within`]).
pub fn execute(
    planned: Vec<PlannedBenchmark>,
    session: &mut Session,
    schedule: Schedule,
    on_event: &mut dyn FnMut(Event),
) -> Outcome {
    let cost = CostModel::new(session.host(), session.sampler);
    let started = Instant::now();
    let clock = move || started.elapsed().as_secs_f64();
    execute_within(planned, session, schedule, Pacing { cost: &cost, deadline: None, clock: &clock }, on_event)
}

/// Measures every planned point `schedule.repeat` times in rounds. A point
/// that fails becomes a failed or skipped record and the run goes on. An
/// interruption stops it, and so does the deadline before a point whose
/// estimate would not fit the time left; either way every point measured
/// at least once is kept, and a benchmark's summaries are made when each
/// of its points was measured at least once (never over a partial sweep).
pub fn execute_within(
    mut planned: Vec<PlannedBenchmark>,
    session: &mut Session,
    schedule: Schedule,
    mut pacing: Pacing,
    on_event: &mut dyn FnMut(Event),
) -> Outcome {
    let mut measured: Vec<Vec<Vec<merge::Repetition>>> =
        planned.iter().map(|b| b.points.iter().map(|_| Vec::new()).collect()).collect();
    let mut used = vec![0.0; planned.len()];
    let (mut interrupted, mut stopped) = (false, None);
    'rounds: for round in 0..schedule.repeat.max(1) {
        for b in schedule.order(round, 0, planned.len()) {
            let bench = &mut planned[b];
            let mut previous = None;
            for p in schedule.order(round, b as u64 + 1, bench.points.len()) {
                let estimated = bench.estimate(p, previous, pacing.cost);
                previous = Some(p);
                if let Some(deadline) = &pacing.deadline {
                    let elapsed = (pacing.clock)();
                    if !deadline.allows(elapsed, estimated) {
                        stopped = Some(stop_reason(bench, p, round, schedule, elapsed, estimated, deadline));
                        bench.planner.release();
                        break 'rounds;
                    }
                }
                on_event(Event::Measuring {
                    id: bench.spec.id,
                    params: &bench.points[p],
                    repetition: round + 1,
                    repeat: schedule.repeat,
                });
                let started = (pacing.clock)();
                let result = bench.planner.measure(p, session);
                let windows = session.take_windows();
                if matches!(result, Err(BenchError::Interrupted)) {
                    bench.planner.release();
                    interrupted = true;
                    break 'rounds;
                }
                let seconds = (pacing.clock)() - started;
                used[b] += seconds;
                if let Some(deadline) = &mut pacing.deadline {
                    deadline.record(estimated, seconds);
                }
                measured[b][p].push(merge::Repetition { result, windows });
                on_event(Event::Measured { seconds, estimated });
            }
            bench.planner.release();
        }
    }
    let mut measured_records: Vec<Vec<Record>> = Vec::with_capacity(planned.len());
    for (bench, repetitions) in planned.iter().zip(measured) {
        let own: Vec<Record> = bench
            .points
            .iter()
            .zip(repetitions)
            .filter(|(_, reps)| !reps.is_empty())
            .map(|(params, reps)| merge::record(bench.spec.id, params, reps, session))
            .collect();
        measured_records.push(own);
    }
    let all: Vec<Record> = measured_records.iter().flatten().cloned().collect();
    let mut records = Vec::with_capacity(all.len());
    for (bench, own) in planned.iter().zip(measured_records) {
        // A summary of a sweep cut short would attribute a partial curve.
        let whole = own.len() == bench.points.len();
        let summaries = if whole { bench.planner.summarize(&own, &all, session) } else { Vec::new() };
        for record in own.into_iter().chain(summaries) {
            on_event(Event::Recorded { record: &record });
            records.push(record);
        }
    }
    let flagged = records.iter().filter(|r| r.interference.as_ref().is_some_and(|i| i.flagged)).count();
    if flagged > 0 {
        session.warn(format!(
            "{flagged} of {} records were measured under interference (steal time, preemption, crowding or throttling): see each record's interference",
            records.len()
        ));
    }
    Outcome { records, interrupted, stopped, used }
}

/// Why the deadline stopped the run before point `p` of `bench`.
fn stop_reason(
    bench: &PlannedBenchmark,
    p: usize,
    round: u32,
    schedule: Schedule,
    elapsed: f64,
    estimated: f64,
    deadline: &Deadline,
) -> String {
    format!(
        "stopped {elapsed:.1} s into the run, before {} {} (repetition {} of {}): estimated {:.1} s at this run's pace, {:.1} s left of the budget",
        bench.spec.id,
        crate::params::describe(&bench.points[p]),
        round + 1,
        schedule.repeat,
        estimated * deadline.pace(),
        (deadline.limit - elapsed).max(0.0)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use hwbench_probes::SysRoot;
    use hwbench_schema::{Better, Metric, Topology};

    use super::*;
    use crate::registry::{erase, Benchmark, Measured};

    /// A benchmark whose points are their estimated seconds; measuring one
    /// moves a shared clock by its seconds times `slowdown`.
    struct Timed {
        clock: Arc<Mutex<f64>>,
        slowdown: f64,
        seconds: Vec<f64>,
    }

    #[derive(serde::Serialize)]
    struct Secs {
        seconds: f64,
    }

    impl Benchmark for Timed {
        type Point = Secs;
        fn plan(&mut self, _: &crate::params::Settings, _: &Host) -> Result<Vec<Secs>, BenchError> {
            Ok(self.seconds.iter().map(|&seconds| Secs { seconds }).collect())
        }
        fn measure(&mut self, p: &Secs, _: &mut Session) -> Result<Measured, BenchError> {
            *self.clock.lock().unwrap() += p.seconds * self.slowdown;
            let metric = Metric::new("t", "s", p.seconds, "value", vec![p.seconds], Better::Lower);
            Ok(Measured { metrics: vec![metric], ..Measured::default() })
        }
        fn estimate(&self, p: &Secs, _: Option<&Secs>, _: &CostModel) -> f64 {
            p.seconds
        }
        fn summarize(&self, own: &[Record], _: &[Record], _: &Host) -> Vec<Record> {
            vec![Record::new("test.timed.summary", own[0].params.clone())]
        }
    }

    static TIMED: BenchmarkSpec = BenchmarkSpec {
        id: "test.timed",
        summary: "",
        metrics: "",
        params: &[],
        uses_gpu: false,
        summaries: &["test.timed.summary"],
        make: || unreachable!("planned by hand"),
    };

    /// Runs points of `seconds` each, `slowdown` times slower than
    /// estimated, with a deadline at `limit` s on the benchmark's clock.
    fn run_timed(seconds: &[f64], slowdown: f64, limit: Option<f64>) -> Outcome {
        let clock = Arc::new(Mutex::new(0.0));
        let host = Host::new(SysRoot::default(), Topology::default());
        let mut planner = erase(Timed { clock: Arc::clone(&clock), slowdown, seconds: seconds.to_vec() });
        let points = planner.plan(&crate::params::Settings::new("test.timed"), &host).unwrap();
        let planned = vec![PlannedBenchmark { spec: &TIMED, planner, points }];
        let cost = CostModel::new(&host, crate::harness::SamplerConfig::default());
        let mut session = Session::plain(host);
        let read = move || *clock.lock().unwrap();
        let pacing = Pacing { cost: &cost, deadline: limit.map(Deadline::new), clock: &read };
        execute_within(planned, &mut session, Schedule::ONCE, pacing, &mut |_| {})
    }

    #[test]
    fn the_deadline_stops_before_the_first_point_that_would_not_fit_keeping_the_finished_ones() {
        let outcome = run_timed(&[1.0; 5], 1.0, Some(3.5));
        assert_eq!(outcome.records.len(), 3, "three points of 1 s fit 3.5 s; no summary of a partial sweep");
        assert!(outcome.records.iter().all(|r| r.id == "test.timed"));
        let why = outcome.stopped.unwrap();
        assert!(why.contains("before test.timed seconds=1") && why.contains("0.5 s left"), "{why}");
        assert!(!outcome.interrupted);
        assert_eq!(outcome.used, vec![3.0]);
    }

    #[test]
    fn a_run_slower_than_planned_stops_at_its_own_pace_instead_of_overrunning() {
        // Twice as slow: after 6 s for two points, the third (1.5 s
        // estimated, 3 s at this pace) would end past 7.5 s.
        let outcome = run_timed(&[1.5; 4], 2.0, Some(7.5));
        assert_eq!(outcome.records.len(), 2);
        assert!(outcome.stopped.unwrap().contains("estimated 3.0 s at this run's pace, 1.5 s left"));
    }

    #[test]
    fn without_a_deadline_every_point_runs_and_the_summary_is_made() {
        let outcome = run_timed(&[1.0; 5], 3.0, None);
        assert_eq!(outcome.records.len(), 6);
        assert_eq!(outcome.records[5].id, "test.timed.summary");
        assert!(outcome.stopped.is_none());
        assert_eq!(outcome.used, vec![15.0]);
    }

    #[test]
    fn a_run_measured_once_keeps_the_planned_order() {
        assert_eq!(Schedule::ONCE.order(0, 3, 5), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn repeated_rounds_are_seeded_permutations_that_differ() {
        let s = Schedule { repeat: 3, seed: 42 };
        let rounds: Vec<Vec<usize>> = (0..3).map(|r| s.order(r, 1, 20)).collect();
        assert_eq!(rounds[0], s.order(0, 1, 20), "the same seed gives the same order");
        assert_ne!(rounds[0], rounds[1]);
        for mut round in rounds {
            round.sort_unstable();
            assert_eq!(round, (0..20).collect::<Vec<_>>());
        }
        assert_ne!(s.order(0, 1, 20), s.order(0, 2, 20), "benchmarks' points get their own orders");
    }
}
