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

use hwbench_schema::numbers::SplitMix64;
use hwbench_schema::{ParamValue, Record};

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
    fn order(&self, round: u32, salt: u64, n: usize) -> Vec<usize> {
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
    /// A point's repetition was measured (or failed).
    Measured,
    /// A record is complete.
    Recorded { record: &'a Record },
}

/// The records of a run and whether it was interrupted.
pub struct Outcome {
    /// Every record, in plan order, summaries after their benchmark.
    pub records: Vec<Record>,
    /// True when Ctrl-C stopped the run early.
    pub interrupted: bool,
}

/// Measures every planned point `schedule.repeat` times in rounds. A point
/// that fails becomes a failed or skipped record and the run goes on; an
/// interruption stops it, keeping every point measured at least once (and
/// no summaries, which would rest on a partial sweep).
pub fn execute(
    mut planned: Vec<PlannedBenchmark>,
    session: &mut Session,
    schedule: Schedule,
    on_event: &mut dyn FnMut(Event),
) -> Outcome {
    let mut measured: Vec<Vec<Vec<merge::Repetition>>> =
        planned.iter().map(|b| b.points.iter().map(|_| Vec::new()).collect()).collect();
    let mut interrupted = false;
    'rounds: for round in 0..schedule.repeat.max(1) {
        for b in schedule.order(round, 0, planned.len()) {
            let bench = &mut planned[b];
            for p in schedule.order(round, b as u64 + 1, bench.points.len()) {
                on_event(Event::Measuring {
                    id: bench.spec.id,
                    params: &bench.points[p],
                    repetition: round + 1,
                    repeat: schedule.repeat,
                });
                let result = bench.planner.measure(p, session);
                let windows = session.take_windows();
                if matches!(result, Err(BenchError::Interrupted)) {
                    bench.planner.release();
                    interrupted = true;
                    break 'rounds;
                }
                measured[b][p].push(merge::Repetition { result, windows });
                on_event(Event::Measured);
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
        let summaries = if interrupted { Vec::new() } else { bench.planner.summarize(&own, &all, session) };
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
    Outcome { records, interrupted }
}

#[cfg(test)]
mod tests {
    use super::*;

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
