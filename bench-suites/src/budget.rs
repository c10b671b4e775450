//! Fitting a run into a time budget (docs/METHODS.md, "Plans and
//! budgets"): before anything runs, what to shorten ([`fit`]); while it
//! runs, whether the next point still fits the time left ([`Deadline`]).
//!
//! The levers, in the order they are pulled:
//! 1. repetitions above [`KEPT_REPETITIONS`], one at a time;
//! 2. each benchmark's sweep ([`Sweep`]: sweep points, thread counts,
//!    delays, chain counts, ratios, pairs), one value at a time, the
//!    benchmark with the longest estimate first, never below the fewest
//!    values its figures need;
//! 3. repetitions down to 1.
//!
//! Then every cut that is no longer needed is undone, latest first, so the
//! plan fills the budget. The sampler's samples are never cut: STREAM's
//! ten kept samples, the tails' batch counts and every figure's samples
//! stay as they are.

use hwbench_schema::Shortening;

/// Repetitions cut first down to this many: three still give a median
/// and a run-to-run spread.
pub const KEPT_REPETITIONS: u32 = 3;

/// A coordinate of a benchmark's points a budget may measure fewer values
/// of: a sweep's sizes, a thread sweep's counts, a curve's load levels, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// What its values are: "sweep points", "thread counts", "delays", ...
    pub lever: &'static str,
    /// Each planned point's value, in plan order, ordered along the sweep
    /// (smallest first); None for a point that is never dropped.
    pub keys: Vec<Option<u64>>,
    /// The fewest values a figure needs (both ends always among them).
    pub keep_at_least: usize,
    /// Why no fewer, in words.
    pub floor: &'static str,
}

impl Sweep {
    /// The sweep of `points` along `key` (None: a point never dropped),
    /// pulled as `lever`, keeping at least `keep_at_least` values because
    /// of `floor`.
    pub fn along<P>(
        points: &[P],
        key: impl Fn(&P) -> Option<u64>,
        lever: &'static str,
        keep_at_least: usize,
        floor: &'static str,
    ) -> Option<Sweep> {
        Some(Sweep { lever, keys: points.iter().map(key).collect(), keep_at_least, floor })
    }

    /// How many values the sweep has.
    pub fn values(&self) -> usize {
        self.distinct().len()
    }

    /// The fewest values it may keep: both ends at least.
    pub fn floor_values(&self) -> usize {
        self.keep_at_least.max(2).min(self.values())
    }

    fn distinct(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.keys.iter().flatten().copied().collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The indices of the points kept when `n` of its values are: the
    /// smallest, the largest and the rest spread evenly between them;
    /// points without a value always.
    pub fn keep(&self, n: usize) -> Vec<usize> {
        let all = self.distinct();
        let n = n.max(self.floor_values());
        let kept: Vec<u64> = if n >= all.len() {
            all
        } else {
            (0..n).map(|i| all[(i * (all.len() - 1) + (n - 1) / 2) / (n - 1)]).collect()
        };
        self.keys.iter().enumerate().filter(|(_, k)| k.is_none_or(|k| kept.contains(&k))).map(|(i, _)| i).collect()
    }
}

/// A planned benchmark as a budget sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Its id.
    pub id: &'static str,
    /// How many points it planned.
    pub points: usize,
    /// What may be thinned.
    pub sweep: Option<Sweep>,
}

/// The key of a pair of nodes or CPUs along a sweep of pairs.
pub fn pair_key(a: u32, b: u32) -> u64 {
    u64::from(a) << 32 | u64::from(b)
}

/// A run to fit: its benchmarks, the repetitions asked, and the cost of any
/// shortened form.
pub struct Candidate<'a> {
    /// Each planned benchmark, in plan order.
    pub benchmarks: Vec<Planned>,
    /// Repetitions asked for.
    pub repeat: u32,
    /// Seconds benchmark `b` takes measuring the points `kept` (indices)
    /// over `repeat` repetitions.
    pub cost: &'a dyn Fn(usize, &[usize], u32) -> f64,
}

/// What a budget chose.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The points each benchmark keeps (indices, plan order).
    pub keep: Vec<Vec<usize>>,
    /// Repetitions measured.
    pub repeat: u32,
    /// The estimate of the shortened run (its benchmarks).
    pub seconds: f64,
    /// The estimate of the run as selected.
    pub unshortened_seconds: f64,
    /// What was cut, and why no further.
    pub shortened: Vec<Shortening>,
    /// False when even the shortest valid run is estimated past the target.
    pub fits: bool,
}

/// One step of shortening: a lever and the value it moved from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lever {
    Repeat,
    Sweep(usize),
}

/// The state of every lever.
#[derive(Debug, Clone, PartialEq)]
struct Levels {
    repeat: u32,
    values: Vec<Option<usize>>,
}

/// Chooses what to cut so that `run`'s benchmarks are estimated to take at
/// most `target` seconds (module doc: the order), then undoes every cut
/// the budget leaves room for.
pub fn fit(run: &Candidate, target: f64) -> Fit {
    let sweeps: Vec<Option<&Sweep>> = run.benchmarks.iter().map(|b| b.sweep.as_ref()).collect();
    let full = Levels { repeat: run.repeat.max(1), values: sweeps.iter().map(|s| s.map(Sweep::values)).collect() };
    let kept = |levels: &Levels, b: usize| -> Vec<usize> {
        match (sweeps[b], levels.values[b]) {
            (Some(sweep), Some(n)) => sweep.keep(n),
            _ => (0..run.benchmarks[b].points).collect(),
        }
    };
    let cost_of = |levels: &Levels, b: usize| -> f64 { (run.cost)(b, &kept(levels, b), levels.repeat) };
    let total = |levels: &Levels| -> f64 { (0..sweeps.len()).map(|b| cost_of(levels, b)).sum() };
    let unshortened = total(&full);
    let mut levels = full.clone();
    let mut steps: Vec<(Lever, usize)> = Vec::new();
    while total(&levels) > target {
        let step = if levels.repeat > KEPT_REPETITIONS {
            Some(Lever::Repeat)
        } else if let Some(b) = longest_sweep(&levels, &sweeps, &|b| cost_of(&levels, b)) {
            Some(Lever::Sweep(b))
        } else if levels.repeat > 1 {
            Some(Lever::Repeat)
        } else {
            None
        };
        let Some(step) = step else { break };
        steps.push((step, move_lever(&mut levels, step, -1)));
    }
    let fits = total(&levels) <= target;
    if fits {
        for &(step, from) in steps.iter().rev() {
            if current(&levels, step) + 1 != from {
                continue;
            }
            let mut tried = levels.clone();
            move_lever(&mut tried, step, 1);
            if total(&tried) <= target {
                levels = tried;
            }
        }
    }
    let keep = (0..sweeps.len()).map(|b| kept(&levels, b)).collect();
    Fit {
        keep,
        repeat: levels.repeat,
        seconds: total(&levels),
        unshortened_seconds: unshortened,
        shortened: describe(run, &full, &levels, target),
        fits,
    }
}

/// The benchmark with the longest estimate whose sweep is above its floor.
fn longest_sweep(levels: &Levels, sweeps: &[Option<&Sweep>], cost: &dyn Fn(usize) -> f64) -> Option<usize> {
    (0..sweeps.len())
        .filter(|&b| matches!((sweeps[b], levels.values[b]), (Some(s), Some(n)) if n > s.floor_values()))
        .max_by(|&a, &b| cost(a).total_cmp(&cost(b)))
}

fn current(levels: &Levels, lever: Lever) -> usize {
    match lever {
        Lever::Repeat => levels.repeat as usize,
        Lever::Sweep(b) => levels.values[b].unwrap_or(0),
    }
}

/// Moves `lever` by `by`; returns its value before.
fn move_lever(levels: &mut Levels, lever: Lever, by: i32) -> usize {
    let before = current(levels, lever);
    let after = (before as i64 + i64::from(by)).max(1) as usize;
    match lever {
        Lever::Repeat => levels.repeat = after as u32,
        Lever::Sweep(b) => levels.values[b] = Some(after),
    }
    before
}

/// Every lever that moved, from where to where, and why.
fn describe(run: &Candidate, full: &Levels, levels: &Levels, target: f64) -> Vec<Shortening> {
    let mut out = Vec::new();
    if levels.repeat < full.repeat {
        let why = if levels.repeat >= KEPT_REPETITIONS {
            format!("to fit {target:.0} s; three repetitions still give a median and a run-to-run spread")
        } else {
            format!("to fit {target:.0} s with every sweep at its floor; fewer repetitions give less or no run-to-run spread, every figure stays valid")
        };
        out.push(Shortening {
            benchmark: None,
            lever: "repetitions".into(),
            from: u64::from(full.repeat),
            to: u64::from(levels.repeat),
            why,
        });
    }
    for (b, planned) in run.benchmarks.iter().enumerate() {
        let (Some(sweep), Some(from), Some(to)) = (&planned.sweep, full.values[b], levels.values[b]) else { continue };
        if to < from {
            let floor = if to == sweep.floor_values() { format!("; no fewer: {}", sweep.floor) } else { String::new() };
            out.push(Shortening {
                benchmark: Some(planned.id.to_string()),
                lever: sweep.lever.into(),
                from: from as u64,
                to: to as u64,
                why: format!("to fit {target:.0} s, spread evenly with both ends kept{floor}"),
            });
        }
    }
    out
}

/// The stop rule of a budgeted run: before each point, the time used plus
/// the point's estimate (scaled by how much slower than planned the run
/// has been so far) must stay within the limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    /// Seconds from the run's start by which measuring must end.
    pub limit: f64,
    estimated: f64,
    actual: f64,
}

/// Seconds of measured points before the run's own pace is trusted.
const PACE_AFTER: f64 = 2.0;
/// The most the pace may scale an estimate.
const MAX_PACE: f64 = 4.0;

impl Deadline {
    /// Measuring ends `limit` seconds after the run's start.
    pub fn new(limit: f64) -> Self {
        Deadline { limit, estimated: 0.0, actual: 0.0 }
    }

    /// How much slower than estimated the points so far took (at least 1:
    /// a faster machine gets no credit).
    pub fn pace(&self) -> f64 {
        if self.estimated < PACE_AFTER {
            return 1.0;
        }
        (self.actual / self.estimated).clamp(1.0, MAX_PACE)
    }

    /// Whether a point estimated at `estimate` seconds, started `elapsed`
    /// seconds into the run, ends within the limit.
    pub fn allows(&self, elapsed: f64, estimate: f64) -> bool {
        elapsed + estimate * self.pace() <= self.limit
    }

    /// A point estimated at `estimate` seconds took `actual`.
    pub fn record(&mut self, estimate: f64, actual: f64) {
        self.estimated += estimate;
        self.actual += actual;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(values: u64, floor: usize) -> Sweep {
        Sweep { lever: "sweep points", keys: (1..=values).map(Some).collect(), keep_at_least: floor, floor: "a curve" }
    }

    #[test]
    fn thinning_keeps_both_ends_spread_evenly_and_never_below_the_floor() {
        let s = sweep(10, 3);
        assert_eq!(s.keep(10), (0..10).collect::<Vec<_>>());
        assert_eq!(s.keep(3), vec![0, 5, 9]);
        assert_eq!(s.keep(5), vec![0, 2, 5, 7, 9]);
        assert_eq!(s.keep(1), vec![0, 5, 9], "the floor holds");
        // Points without a value stay; keys repeat over curves.
        let curves = Sweep { keys: vec![None, Some(7), Some(3), Some(5), Some(7), Some(3), Some(5)], ..sweep(0, 2) };
        assert_eq!(curves.values(), 3);
        assert_eq!(curves.keep(2), vec![0, 1, 2, 4, 5]);
    }

    /// Three benchmarks of 1 s a point: 20 sweep points (floor 5), 8
    /// thread counts (floor 2), 4 fixed points; 5 repetitions asked.
    fn run(cost: &dyn Fn(usize, &[usize], u32) -> f64) -> Candidate<'_> {
        let planned = |id, points, sweep| Planned { id, points, sweep };
        Candidate {
            benchmarks: vec![
                planned("memory.latency", 20, Some(sweep(20, 5))),
                planned("memory.bandwidth", 8, Some(sweep(8, 2))),
                planned("gpu.compute", 4, None),
            ],
            repeat: 5,
            cost,
        }
    }

    fn one_second_a_point(_: usize, kept: &[usize], repeat: u32) -> f64 {
        kept.len() as f64 * f64::from(repeat)
    }

    #[test]
    fn a_budget_the_run_fits_cuts_nothing() {
        let fit = fit(&run(&one_second_a_point), 160.0);
        assert_eq!((fit.repeat, fit.seconds, fit.unshortened_seconds), (5, 160.0, 160.0));
        assert!(fit.shortened.is_empty() && fit.fits);
        assert_eq!(fit.keep[0].len(), 20);
    }

    #[test]
    fn repetitions_above_three_go_first_then_the_longest_sweep_and_the_plan_fills_the_budget() {
        // 3 repetitions: 96 s; 80 s needs 16 s off: 6 sweep points x 3.
        let fit = fit(&run(&one_second_a_point), 80.0);
        assert_eq!(fit.repeat, 3);
        assert!(fit.fits && fit.seconds <= 80.0 && fit.seconds > 80.0 - 3.0, "{}", fit.seconds);
        assert_eq!(fit.shortened[0].lever, "repetitions");
        assert_eq!((fit.shortened[0].from, fit.shortened[0].to), (5, 3));
        let latency = &fit.shortened[1];
        assert_eq!((latency.benchmark.as_deref(), latency.lever.as_str()), (Some("memory.latency"), "sweep points"));
        assert_eq!(latency.from, 20);
        // The longer sweep gave every point: the thread counts are whole.
        assert_eq!(fit.shortened.len(), 2, "{:?}", fit.shortened);
        assert_eq!(fit.keep[1].len(), 8);
    }

    #[test]
    fn sweeps_at_their_floor_then_repetitions_down_to_one() {
        // Floors: 5 + 2 + 4 = 11 s a repetition.
        let fit = fit(&run(&one_second_a_point), 25.0);
        assert_eq!((fit.repeat, fit.fits), (2, true));
        assert!(fit.seconds <= 25.0 && fit.seconds >= 22.0, "{}", fit.seconds);
        let too_small = super::fit(&run(&one_second_a_point), 5.0);
        assert_eq!((too_small.repeat, too_small.fits, too_small.seconds), (1, false, 11.0));
        assert!(too_small.shortened.iter().any(|s| s.why.contains("no fewer: a curve")), "{:?}", too_small.shortened);
    }

    #[test]
    fn the_stop_rule_leaves_room_for_the_next_point_at_the_pace_seen() {
        let mut d = Deadline::new(100.0);
        assert!(d.allows(90.0, 10.0) && !d.allows(90.1, 10.0));
        // Faster than planned earns no credit; slower scales the estimate.
        d.record(10.0, 5.0);
        assert_eq!(d.pace(), 1.0);
        d.record(10.0, 35.0);
        assert_eq!(d.pace(), 2.0);
        assert!(d.allows(80.0, 10.0) && !d.allows(80.1, 10.0));
        d.record(1.0, 100.0);
        assert_eq!(d.pace(), MAX_PACE);
        // Too little measured to judge the pace by.
        let mut early = Deadline::new(10.0);
        early.record(1.0, 5.0);
        assert_eq!(early.pace(), 1.0);
    }
}
