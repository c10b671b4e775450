//! A run's plan before anything is measured (`hwbench run --plan`): every
//! point with its estimated seconds, each benchmark's and the whole run's,
//! what happens before the first point, the machine the estimate was made
//! for and the assumptions it rests on; with a budget, what was shortened
//! to fit it.

use std::collections::BTreeMap;

use hwbench_schema::{ParamValue, Shortening};
use serde::Serialize;

use crate::budget::{self, Candidate, Fit};
use crate::cost::{CostModel, Rates};
use crate::host::Host;
use crate::runner::{self, PlannedBenchmark, Schedule};

/// The plan of a run, as `--plan --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The suite, or "custom".
    pub suite: String,
    /// Repetitions of every point.
    pub repeat: u32,
    /// Estimated seconds of the whole run: what comes before the first
    /// point, then every point of every repetition.
    pub estimated_seconds: f64,
    /// What comes before the first point.
    pub before_measuring: BeforeMeasuring,
    /// Every planned benchmark, in plan order.
    pub benchmarks: Vec<PlannedReport>,
    /// The machine the estimate was made for.
    pub machine: MachineSummary,
    /// The rates the estimate counts work at where the machine's speed
    /// matters, probed on this machine or assumed (and why).
    pub rates: Rates,
    /// Every rate the estimate rests on, in words.
    pub assumptions: Vec<String>,
    /// The budget and what was shortened to fit it; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetPlan>,
}

/// Seconds spent before the first point is measured.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BeforeMeasuring {
    /// Probing the machine and planning: measured, not estimated.
    pub startup_seconds: f64,
    /// Proving the energy meters count, and idle power, where a meter
    /// exists.
    pub energy_meters_seconds: f64,
    /// Opening the GPU devices, when a GPU benchmark runs.
    pub gpu_open_seconds: f64,
}

impl BeforeMeasuring {
    /// Their sum.
    pub fn seconds(&self) -> f64 {
        self.startup_seconds + self.energy_meters_seconds + self.gpu_open_seconds
    }
}

/// One planned benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedReport {
    /// Its id.
    pub id: &'static str,
    /// Estimated seconds of its points over every repetition.
    pub estimated_seconds: f64,
    /// Every point.
    pub points: Vec<PointPlan>,
}

/// One planned point.
#[derive(Debug, Clone, Serialize)]
pub struct PointPlan {
    /// The record's params.
    pub params: BTreeMap<String, ParamValue>,
    /// Estimated seconds over every repetition.
    pub estimated_seconds: f64,
}

/// What the estimate knew of the machine.
#[derive(Debug, Clone, Serialize)]
pub struct MachineSummary {
    /// CPUs this process may use.
    pub cpus: usize,
    /// Memory nodes it may allocate on.
    pub nodes: usize,
    /// Bytes of last-level cache.
    pub llc_bytes: u64,
    /// Bytes of memory over those nodes.
    pub memory_bytes: u64,
    /// The GPU adapters described, "(software)" after software ones.
    pub gpus: Vec<String>,
}

impl MachineSummary {
    /// What `host` is.
    pub fn of(host: &Host) -> Self {
        MachineSummary {
            cpus: host.allowed_cpus().len(),
            nodes: host.memory_nodes().count(),
            llc_bytes: hwbench_probes::topology::last_level_cache_bytes(&host.topology),
            memory_bytes: host.memory_nodes().map(|n| n.memory_bytes).sum(),
            gpus: host
                .topology
                .gpus
                .iter()
                .map(|g| if g.is_software() { format!("{} (software)", g.name) } else { g.name.clone() })
                .collect(),
        }
    }
}

/// The budget side of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetPlan {
    /// Seconds asked for.
    pub asked_seconds: f64,
    /// The estimate of the run as selected, before shortening.
    pub unshortened_seconds: f64,
    /// What was cut, and why no further.
    pub shortened: Vec<Shortening>,
    /// False when even the shortest valid run is estimated past the
    /// budget: the run then stops when its time is up.
    pub fits: bool,
}

/// Seconds left for writing the result after measuring stops: 1 s, or 1%
/// of the budget for long runs (large documents).
pub fn write_reserve(budget: f64) -> f64 {
    (budget * 0.01).max(1.0)
}

/// The share of the time left the plan is fitted into: the rest absorbs
/// estimates that were low (a machine slower than the cost models assume
/// stops at the deadline; this keeps that rare).
const PLANNED_SHARE: f64 = 0.95;

/// Fits `planned` into `budget` seconds of which `before` are spent before
/// the first point: shortens it in place ([`budget::fit`]) and returns the
/// repetitions to measure with what was done.
pub fn fit_budget(
    planned: &mut [PlannedBenchmark],
    schedule: Schedule,
    cost: &CostModel,
    budget: f64,
    before: f64,
) -> Fit {
    let candidate_cost = |b: usize, kept: &[usize], repeat: u32| -> f64 {
        let bench = &planned[b];
        let rounds = Schedule { repeat, ..schedule };
        (0..repeat)
            .map(|round| {
                let mut previous = None;
                rounds
                    .order(round, b as u64 + 1, kept.len())
                    .into_iter()
                    .map(|i| {
                        let seconds = bench.estimate(kept[i], previous, cost);
                        previous = Some(kept[i]);
                        seconds
                    })
                    .sum::<f64>()
            })
            .sum()
    };
    let candidate = Candidate {
        benchmarks: planned
            .iter()
            .map(|b| budget::Planned { id: b.spec.id, points: b.points.len(), sweep: b.sweep() })
            .collect(),
        repeat: schedule.repeat,
        cost: &candidate_cost,
    };
    let target = (budget - before - write_reserve(budget)).max(0.0) * PLANNED_SHARE;
    let fit = budget::fit(&candidate, target);
    for (bench, keep) in planned.iter_mut().zip(&fit.keep) {
        if keep.len() < bench.points.len() {
            bench.retain(keep);
        }
    }
    fit
}

/// The plan of `planned` measured as `schedule` orders it on the machine
/// `cost` describes.
pub fn plan(
    suite: &str,
    planned: &[PlannedBenchmark],
    schedule: Schedule,
    cost: &CostModel,
    host: &Host,
    before_measuring: BeforeMeasuring,
) -> Plan {
    let seconds = runner::estimates(planned, schedule, cost);
    let benchmarks: Vec<PlannedReport> = planned
        .iter()
        .enumerate()
        .map(|(b, bench)| {
            let points: Vec<PointPlan> = bench
                .points
                .iter()
                .enumerate()
                .map(|(p, params)| PointPlan {
                    params: params.clone(),
                    estimated_seconds: seconds.iter().map(|round| round[b][p]).sum(),
                })
                .collect();
            PlannedReport {
                id: bench.spec.id,
                estimated_seconds: points.iter().map(|p| p.estimated_seconds).sum(),
                points,
            }
        })
        .collect();
    Plan {
        suite: suite.to_string(),
        repeat: schedule.repeat,
        estimated_seconds: before_measuring.seconds() + benchmarks.iter().map(|b| b.estimated_seconds).sum::<f64>(),
        before_measuring,
        benchmarks,
        machine: MachineSummary::of(host),
        rates: cost.rates().clone(),
        assumptions: cost.assumptions(),
        budget: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::SamplerConfig;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    /// The tiers-ci suite planned on the two-socket CXL fixture (nodes 0
    /// and 1 with two CPUs each, CPU-less node 2).
    fn tiers_ci() -> (Host, Vec<PlannedBenchmark>, CostModel) {
        let host = Host::new(SysRoot::default(), fixture("two-socket-cxl"));
        let suite = crate::suites::load("tiers-ci").unwrap();
        let planned = runner::plan(runner::select(&[], Some(&suite), &[]).unwrap(), &host).unwrap();
        let cost = CostModel::new(&host, SamplerConfig::default());
        (host, planned, cost)
    }

    const BEFORE: BeforeMeasuring =
        BeforeMeasuring { startup_seconds: 0.5, energy_meters_seconds: 4.0, gpu_open_seconds: 0.0 };

    #[test]
    fn a_plan_lists_every_point_and_its_totals_are_the_sums() {
        let (host, planned, cost) = tiers_ci();
        let once = plan("tiers-ci", &planned, Schedule::ONCE, &cost, &host, BEFORE);
        let counts: Vec<usize> = once.benchmarks.iter().map(|b| b.points.len()).collect();
        // Latency twice; 3 nodes x 5 mixes x 3 delays; 3 nodes x 3 chain
        // counts; 3 x 3 pairs; 2 node sets x 4 ratios; 6 pairs x 2 pages x 3 calls.
        assert_eq!(counts, [1, 1, 45, 9, 9, 8, 36]);
        for b in &once.benchmarks {
            let sum: f64 = b.points.iter().map(|p| p.estimated_seconds).sum();
            assert!((b.estimated_seconds - sum).abs() < 1e-9, "{}", b.id);
            assert!(b.points.iter().all(|p| p.estimated_seconds > 0.0), "{}: a point costs nothing", b.id);
        }
        let total: f64 = once.benchmarks.iter().map(|b| b.estimated_seconds).sum::<f64>() + 4.5;
        assert!((once.estimated_seconds - total).abs() < 1e-9);
        let json = serde_json::to_value(&once).unwrap();
        assert_eq!(json["estimated_seconds"].as_f64(), Some(once.estimated_seconds));
        assert_eq!(json["benchmarks"][2]["points"].as_array().unwrap().len(), 45);
        assert_eq!(json["benchmarks"][2]["points"][0]["params"]["delay"], "none");
        assert!(json.get("budget").is_none());
        // Three repetitions: each round pays its own setup again.
        let thrice = plan("tiers-ci", &planned, Schedule { repeat: 3, seed: 7 }, &cost, &host, BEFORE);
        let measured = |p: &Plan| p.estimated_seconds - BEFORE.seconds();
        assert!(measured(&thrice) >= 3.0 * measured(&once) - 1e-6, "{} {}", measured(&thrice), measured(&once));
    }

    #[test]
    fn a_budget_thins_the_plan_to_fit_it_and_says_what_it_cut() {
        let (host, mut planned, cost) = tiers_ci();
        let whole = plan("tiers-ci", &planned, Schedule::ONCE, &cost, &host, BEFORE).estimated_seconds;
        let budget = whole * 0.8;
        let fit = fit_budget(&mut planned, Schedule::ONCE, &cost, budget, BEFORE.seconds());
        let target = (budget - BEFORE.seconds() - write_reserve(budget)) * PLANNED_SHARE;
        assert!(fit.fits && fit.seconds <= target, "{} > {target}", fit.seconds);
        assert!((fit.unshortened_seconds - (whole - BEFORE.seconds())).abs() < 1e-6);
        let shortened = plan("tiers-ci", &planned, Schedule::ONCE, &cost, &host, BEFORE);
        assert!((shortened.estimated_seconds - BEFORE.seconds() - fit.seconds).abs() < 1e-6);
        // Within one point of the target: the cuts were undone where they
        // could be.
        let longest =
            shortened.benchmarks.iter().flat_map(|b| &b.points).map(|p| p.estimated_seconds).fold(0.0, f64::max);
        assert!(fit.seconds > target - 2.0 * longest, "{} left of {target}", target - fit.seconds);
        assert!(!fit.shortened.is_empty());
        for cut in &fit.shortened {
            let b = planned.iter().find(|b| Some(b.spec.id) == cut.benchmark.as_deref()).unwrap();
            let sweep = b.sweep().unwrap();
            assert_eq!(sweep.values() as u64, cut.to, "{cut:?}");
            assert!(cut.to < cut.from && sweep.values() >= sweep.floor_values(), "{cut:?}");
        }
        let migrate = shortened.benchmarks.iter().find(|b| b.id == "memory.migrate").unwrap();
        let cut = fit.shortened.iter().find(|c| c.benchmark.as_deref() == Some("memory.migrate")).unwrap();
        assert_eq!(migrate.points.len() as u64, cut.to * 6, "each pair kept with its pages and calls");
    }
}
