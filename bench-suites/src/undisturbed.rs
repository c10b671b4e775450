//! Time off the CPU, set aside (docs/METHODS.md, "Time off the CPU").
//!
//! Work whose time is the wall time of one thread, or of a few threads
//! that never sleep (a pointer chase, a ping-pong, a synchronous GPU round
//! trip), is sampled in slices of about [`SLICE`], much shorter than the
//! time a scheduler lets a task run before another, so that under
//! contention most slices still run whole. Between slices a [`Watch`] says
//! what the scheduler did to the threads the time depends on. A slice
//! during which they were off the CPU for more than [`TOLERANCE`] of it
//! is set aside, and so are the slices of the next [`SETTLE`] after any
//! time off the CPU (in a slice or between two), while the caches and TLB
//! another task emptied refill. A sample is [`Plan::slices_per_sample`]
//! undisturbed slices (as many as make the sampler's target), its time
//! theirs; the first sample is dropped as warm-up, as the sampler does.
//! Slices are taken until every sample is complete, for at most [`BOUND`]
//! times the samples' planned time (at least [`MIN_BOUND`]). When not even
//! one sample after the warm-up is complete by then, the undisturbed slices
//! taken since make one shorter sample, or with none the warm-up sample is
//! kept (the record says so); with no undisturbed slice at all, the point
//! has no undisturbed figure and fails saying so rather than report one.

use std::time::Duration;

use hwbench_probes::sched::{Evidence, SchedWatch};
use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric};
use serde_json::{json, Value};

use crate::error::BenchError;
use crate::harness::SamplerConfig;

/// The length of a slice: far shorter than the few milliseconds a
/// scheduler lets a task run (a 4 ms tick here), long enough that reading
/// the evidence between slices (a few microseconds) costs about 1% of the
/// run and none of the timed work.
pub const SLICE: Duration = Duration::from_micros(250);
/// Time off the CPU tolerated in a slice, as a fraction of it.
pub const TOLERANCE: f64 = 0.01;
/// Time off the CPU tolerated in a slice besides [`TOLERANCE`]: two
/// readings of a CPU clock a few microseconds apart disagree by this much.
pub const JITTER: Duration = Duration::from_micros(2);
/// After time off the CPU, the slices of this much time are set aside
/// while caches and TLB refill: one slice. Most of the refill falls in its
/// first 100 us; a longer time would leave nothing undisturbed beside a
/// task that preempts every millisecond (a real-time thread at 1 kHz).
pub const SETTLE: Duration = SLICE;
/// The wait for a CPU allowed each time a thread that sleeps is given one:
/// a wakeup on an idle vCPU takes microseconds; a wait behind another task
/// lasts what the scheduler gives that task (about a millisecond).
pub const WAKEUP: Duration = Duration::from_micros(20);
/// Wall time the slices of a phase may take at most, as a multiple of the
/// samples' planned time, and never less than [`MIN_BOUND`].
pub const BOUND: usize = 4;
/// The least wall time the slices of a phase may take: short samples
/// (a few ms) on a crowded machine still get a few hundred slices.
pub const MIN_BOUND: Duration = Duration::from_secs(1);
/// The statistic of a headline over undisturbed samples.
pub const STATISTIC: &str = "median of undisturbed samples";

/// What the scheduler did to the threads a workload's time depends on,
/// read between slices: the scheduler's own figures
/// ([`hwbench_probes::sched::SchedWatch`]) or a test's script.
pub trait Watch {
    /// Starts a stretch: the next [`Watch::since_last`] covers from now.
    fn start(&mut self);
    /// What happened since the last call or the start.
    fn since_last(&mut self) -> Evidence;
    /// What the watch sees, for records, or why it sees nothing.
    fn describe(&self) -> String;
}

impl Watch for SchedWatch {
    fn start(&mut self) {
        SchedWatch::start(self);
    }

    fn since_last(&mut self) -> Evidence {
        SchedWatch::since_last(self)
    }

    fn describe(&self) -> String {
        match self.unavailable() {
            Some(why) => format!("{} (run_delay unavailable: {why})", SchedWatch::describe(self)),
            None => SchedWatch::describe(self),
        }
    }
}

/// Why a slice was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAside {
    /// A watched thread was runnable but waiting for a CPU (the guest's
    /// scheduler ran another task).
    Descheduled,
    /// A thread that never sleeps got less CPU time than the slice lasted
    /// without waiting in the guest's run queue: the hypervisor ran
    /// something else on its vCPU (steal, where the guest accounts it).
    OffCpu,
    /// The slice after time off the CPU: caches refilling.
    Settling,
}

/// The verdict on one slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Why the slice itself is set aside, if it is.
    pub set_aside: Option<SetAside>,
    /// Whether the threads were off the CPU at some time since the last
    /// reading (in the slice, or in the reading between slices), so the
    /// next slice starts with caches another task may have emptied.
    pub unsettles: bool,
}

/// Judges a slice that lasted `took` by its evidence. Threads that never
/// sleep are judged by their CPU time: a slice set aside is one whose own
/// time exceeds the CPU time they got over the stretch around it (the
/// stretch holds the slice, so only time off the CPU inside the slice
/// can make it so); time lost between slices (a switch when a reading's
/// system call returns) only unsettles the next slice. Up to
/// [`TOLERANCE`] of the slice and [`JITTER`] is tolerated. Threads that sleep are judged
/// by run_delay over the stretch: every time one is given a CPU it may
/// have waited [`WAKEUP`] (a wakeup on a quiet machine waits too), and
/// the stretch [`TOLERANCE`] more.
pub fn judge(took: Duration, e: &Evidence) -> Verdict {
    let took_ns = took.as_nanos() as f64;
    let wall_ns = e.wall_ns as f64;
    let jitter = JITTER.as_nanos() as f64;
    match (e.cpu_ns, e.run_delay_ns) {
        (Some(cpu), delay) => {
            let inside = took_ns - cpu as f64 > TOLERANCE * took_ns + jitter;
            let waited = delay.is_some_and(|d| d > 0);
            let set_aside = inside.then_some(if waited { SetAside::Descheduled } else { SetAside::OffCpu });
            let unsettles = wall_ns - cpu as f64 > TOLERANCE * wall_ns + jitter;
            Verdict { set_aside, unsettles: unsettles || inside }
        }
        (None, Some(delay)) => {
            let allowed = TOLERANCE * wall_ns + e.switches_in.unwrap_or(0) as f64 * WAKEUP.as_nanos() as f64;
            let waited = delay as f64 > allowed;
            Verdict { set_aside: waited.then_some(SetAside::Descheduled), unsettles: waited }
        }
        (None, None) => Verdict { set_aside: None, unsettles: false },
    }
}

/// How a sampling phase is cut into slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Samples wanted, the warm-up one included.
    pub samples: usize,
    /// Undisturbed slices in a sample.
    pub slices_per_sample: usize,
    /// Iterations of the workload in a slice.
    pub slice_iterations: u64,
    /// Wall time the slices may take at most, readings included.
    pub max_wall: Duration,
}

impl Plan {
    /// The plan for the sampler `cfg` whose samples were calibrated to
    /// `sample_iterations`: its samples, each cut into slices of about
    /// [`SLICE`] (one iteration at least).
    pub fn new(cfg: &SamplerConfig, sample_iterations: u64) -> Plan {
        let wanted = (cfg.target.as_secs_f64() / SLICE.as_secs_f64()).round() as u64;
        let slices_per_sample = wanted.clamp(1, sample_iterations.max(1));
        let slice_iterations = (sample_iterations as f64 / slices_per_sample as f64).round().max(1.0) as u64;
        let samples = cfg.runs();
        let slices_per_sample = slices_per_sample as usize;
        let max_wall = (cfg.target * (BOUND * samples) as u32).max(MIN_BOUND);
        Plan { samples, slices_per_sample, slice_iterations, max_wall }
    }
}

/// One sample: its undisturbed slices, and every slice taken while it was
/// being filled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Seconds of its undisturbed slices.
    pub seconds: f64,
    /// Which runs of the workload they are (counted as
    /// [`crate::harness::SampleSet::kept_runs`] counts).
    pub runs: Vec<usize>,
    /// Seconds of every slice taken for it, set-aside ones included.
    pub all_seconds: f64,
    /// Slices taken for it.
    pub all_slices: usize,
}

/// How many slices were set aside, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// [`SetAside::Descheduled`].
    pub descheduled: usize,
    /// [`SetAside::OffCpu`].
    pub off_cpu: usize,
    /// [`SetAside::Settling`].
    pub settling: usize,
}

impl Counts {
    fn add(&mut self, why: SetAside) {
        match why {
            SetAside::Descheduled => self.descheduled += 1,
            SetAside::OffCpu => self.off_cpu += 1,
            SetAside::Settling => self.settling += 1,
        }
    }

    /// Slices set aside in all.
    pub fn total(&self) -> usize {
        self.descheduled + self.off_cpu + self.settling
    }
}

/// Assembles samples from slices as they are judged.
#[derive(Debug)]
pub struct Slicer {
    plan: Plan,
    first_run: usize,
    slices: usize,
    complete: Vec<Sample>,
    current: Sample,
    settle_left: Duration,
    set_aside: Counts,
    judged: bool,
    wall: Duration,
}

impl Slicer {
    /// A slicer for `plan` whose first slice is run `first_run` of the
    /// workload (the calibration runs come before).
    pub fn new(plan: Plan, first_run: usize) -> Slicer {
        Slicer {
            plan,
            first_run,
            slices: 0,
            complete: Vec::new(),
            current: Sample::default(),
            settle_left: Duration::ZERO,
            set_aside: Counts::default(),
            judged: false,
            wall: Duration::ZERO,
        }
    }

    /// Takes one slice that lasted `took` with its evidence; returns true
    /// while more slices are wanted.
    pub fn push(&mut self, took: Duration, evidence: Evidence) -> bool {
        let run = self.first_run + self.slices;
        self.slices += 1;
        self.wall += Duration::from_nanos(evidence.wall_ns);
        self.judged |= evidence.run_delay_ns.is_some() || evidence.cpu_ns.is_some();
        self.current.all_seconds += took.as_secs_f64();
        self.current.all_slices += 1;
        let verdict = judge(took, &evidence);
        let settling = self.settle_left > Duration::ZERO;
        self.settle_left = if verdict.unsettles { SETTLE } else { self.settle_left.saturating_sub(took) };
        match verdict.set_aside.or(settling.then_some(SetAside::Settling)) {
            Some(why) => self.set_aside.add(why),
            None => {
                self.current.seconds += took.as_secs_f64();
                self.current.runs.push(run);
                if self.current.runs.len() == self.plan.slices_per_sample {
                    self.complete.push(std::mem::take(&mut self.current));
                }
            }
        }
        self.complete.len() < self.plan.samples && self.wall < self.plan.max_wall
    }

    /// The samples, the warm-up one dropped; `iterations` is the work of
    /// one slice, `watch` what the evidence was.
    pub fn finish(self, iterations: u64, watch: String) -> Undisturbed {
        let all_seconds = self.complete.iter().map(|s| s.all_seconds).sum::<f64>() + self.current.all_seconds;
        let mut complete = self.complete.into_iter();
        let warm_up = complete.next();
        let mut samples: Vec<Sample> = complete.collect();
        // Out of slices without a sample after the warm-up: the undisturbed
        // slices taken since make one shorter sample, or, with none, the
        // warm-up sample is the one.
        let mut short = false;
        if samples.is_empty() {
            samples.extend(Some(self.current).filter(|s| !s.runs.is_empty()).or(warm_up));
            short = !samples.is_empty();
        }
        Undisturbed {
            iterations,
            slices_per_sample: self.plan.slices_per_sample,
            samples,
            short,
            slices: self.slices,
            wall: self.wall,
            all_seconds,
            set_aside: self.set_aside,
            bound_reached: self.wall >= self.plan.max_wall,
            watch: self.judged.then_some(watch),
        }
    }
}

/// The samples of one phase with time off the CPU set aside.
#[derive(Debug, Clone, PartialEq)]
pub struct Undisturbed {
    /// Iterations of the workload in one slice.
    pub iterations: u64,
    /// Undisturbed slices in a sample as planned.
    pub slices_per_sample: usize,
    /// The kept samples (the warm-up dropped), in order.
    pub samples: Vec<Sample>,
    /// True when too few slices ran undisturbed before the bound for a
    /// sample after the warm-up: the one sample kept is the undisturbed
    /// slices taken since the warm-up, or the warm-up sample itself.
    pub short: bool,
    /// Slices taken in all.
    pub slices: usize,
    /// Wall time of the slices, readings between them included.
    pub wall: Duration,
    /// Seconds of every slice taken.
    pub all_seconds: f64,
    /// Slices set aside, by reason.
    pub set_aside: Counts,
    /// True when the slices ran out before every sample was complete.
    pub bound_reached: bool,
    /// What the evidence was; None when there was none to judge by (every
    /// slice kept).
    pub watch: Option<String>,
}

impl Undisturbed {
    /// Iterations in one sample as planned.
    pub fn iterations_per_sample(&self) -> u64 {
        self.iterations * self.slices_per_sample as u64
    }

    /// `f(seconds, iterations)` of each sample's undisturbed slices.
    pub fn map(&self, f: impl Fn(f64, u64) -> f64) -> Vec<f64> {
        self.samples.iter().map(|s| f(s.seconds, self.iterations * s.runs.len() as u64)).collect()
    }

    /// `f(seconds, iterations)` of every slice taken for each sample.
    pub fn map_all(&self, f: impl Fn(f64, u64) -> f64) -> Vec<f64> {
        self.samples.iter().map(|s| f(s.all_seconds, self.iterations * s.all_slices as u64)).collect()
    }

    /// The statistic of a headline from these samples.
    pub fn statistic(&self) -> &'static str {
        if self.watch.is_some() {
            STATISTIC
        } else {
            "median"
        }
    }

    /// `name`, the median of the undisturbed samples' `f(seconds,
    /// iterations)`, and `<name>_all`, the median over every slice of the
    /// same samples. With no undisturbed slice, the point failed: the
    /// error says so and what every slice gave.
    pub fn metrics(
        &self,
        name: &str,
        unit: &str,
        better: Better,
        f: impl Fn(f64, u64) -> f64,
    ) -> Result<Vec<Metric>, BenchError> {
        self.enough(name, unit, &f)?;
        let undisturbed = self.map(&f);
        let all = self.map_all(&f);
        Ok(vec![
            Metric::new(name, unit, median(&undisturbed).unwrap_or(f64::NAN), self.statistic(), undisturbed, better),
            Metric::new(&format!("{name}_all"), unit, median(&all).unwrap_or(f64::NAN), "median", all, better),
        ])
    }

    /// Ok when there is a sample; else the failure saying why not.
    pub fn enough(&self, name: &str, unit: &str, f: impl Fn(f64, u64) -> f64) -> Result<(), BenchError> {
        if !self.samples.is_empty() {
            return Ok(());
        }
        let every = f(self.all_seconds, self.iterations * self.slices as u64);
        Err(BenchError::Failed(format!(
            "{name}: descheduled: none of {} slices ran undisturbed ({} waiting for a CPU, {} off the CPU otherwise, {} settling after); over every slice {every:.4} {unit}, time off the CPU included",
            self.slices, self.set_aside.descheduled, self.set_aside.off_cpu, self.set_aside.settling,
        )))
    }

    /// The facts of the slicing for a record's info, under `key`.
    pub fn info(&self, key: &str) -> (String, Value) {
        let evidence = match &self.watch {
            Some(watch) => Value::from(watch.clone()),
            None => "unavailable: no scheduler figures could be read; every slice kept".into(),
        };
        let value = json!({
            "evidence": evidence,
            "slice_iterations": self.iterations,
            "slices_per_sample": self.slices_per_sample,
            "slices": self.slices,
            "wall_s": self.wall.as_secs_f64(),
            "set_aside": {
                "descheduled": self.set_aside.descheduled,
                "off_cpu": self.set_aside.off_cpu,
                "settling": self.set_aside.settling,
            },
            "samples": self.samples.len(),
            "short_sample": self.short,
            "tolerance": TOLERANCE,
            "settle_s": SETTLE.as_secs_f64(),
            "bound_reached": self.bound_reached,
        });
        (key.to_string(), value)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Evidence around a slice of `took_us` of which `waited_us` were spent
    /// waiting for a CPU; the readings around it add 2 us on the CPU.
    pub(crate) fn waited(took_us: u64, waited_us: u64) -> Evidence {
        Evidence {
            wall_ns: (took_us + 2) * 1000,
            run_delay_ns: Some(waited_us * 1000),
            switches_in: Some(u64::from(waited_us > 0)),
            cpu_ns: Some((took_us + 2 - waited_us) * 1000),
        }
    }

    /// Evidence around an undisturbed slice of `took_us` after which the
    /// thread waited `gap_us` for a CPU in the reading.
    fn lost_between(took_us: u64, gap_us: u64) -> Evidence {
        Evidence {
            wall_ns: (took_us + 2 + gap_us) * 1000,
            run_delay_ns: Some(gap_us * 1000),
            switches_in: Some(1),
            cpu_ns: Some((took_us + 2) * 1000),
        }
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    const KEPT: Verdict = Verdict { set_aside: None, unsettles: false };

    #[test]
    fn slices_are_judged_by_time_off_the_cpu_beyond_the_tolerance() {
        assert_eq!(judge(us(1000), &waited(1000, 0)), KEPT);
        assert_eq!(judge(us(1000), &waited(1000, 9)), KEPT, "9 us of a 1 ms slice is within 1%");
        let descheduled = Verdict { set_aside: Some(SetAside::Descheduled), unsettles: true };
        assert_eq!(judge(us(1000), &waited(1000, 50)), descheduled);
        // No wait in the run queue, yet 300 us without CPU time: steal.
        let stolen =
            Evidence { wall_ns: 1_002_000, run_delay_ns: Some(0), switches_in: Some(0), cpu_ns: Some(700_000) };
        assert_eq!(judge(us(1000), &stolen), Verdict { set_aside: Some(SetAside::OffCpu), unsettles: true });
        // A wait in the reading after the slice: the slice ran whole, the
        // next one starts cold.
        assert_eq!(judge(us(1000), &lost_between(1000, 3000)), Verdict { set_aside: None, unsettles: true });
        // Threads that sleep are judged by run_delay alone, a wakeup's wait
        // allowed each time they are given a CPU: 10 wakeups, 200 us + 1%.
        let sleeping = |delay_us: u64| Evidence {
            wall_ns: 1_000_000,
            run_delay_ns: Some(delay_us * 1000),
            switches_in: Some(10),
            cpu_ns: None,
        };
        assert_eq!(judge(us(1000), &sleeping(205)), KEPT);
        assert_eq!(judge(us(1000), &sleeping(215)), descheduled);
        let blind = Evidence { wall_ns: 1_000_000, ..Evidence::default() };
        assert_eq!(judge(us(1000), &blind), KEPT);
    }

    #[test]
    fn a_plan_cuts_each_calibrated_sample_into_slices() {
        let cfg = SamplerConfig::default();
        let plan = Plan::new(&cfg, 100_000);
        let max_wall = Duration::from_millis(4 * 11 * 50);
        assert_eq!(plan, Plan { samples: 11, slices_per_sample: 200, slice_iterations: 500, max_wall });
        let quick = SamplerConfig { target: Duration::from_millis(5), samples: 3, ..cfg };
        assert_eq!(Plan::new(&quick, 5000).max_wall, MIN_BOUND, "4 x 15 ms, but never under a second");
        // A sample of fewer iterations than slices: one iteration a slice.
        assert_eq!((Plan::new(&cfg, 7).slices_per_sample, Plan::new(&cfg, 7).slice_iterations), (7, 1));
        // A target under a slice: the sample is one slice.
        let short = SamplerConfig { target: Duration::from_micros(300), samples: 3, ..cfg };
        assert_eq!((Plan::new(&short, 99).slices_per_sample, Plan::new(&short, 99).slice_iterations), (1, 99));
    }

    /// Three samples of two slices; slice 2 waited, so it and slice 3 are
    /// set aside, and the samples are slices (0, 1), (4, 5), (6, 7).
    #[test]
    fn disturbed_slices_and_the_next_one_are_set_aside() {
        let plan = Plan { samples: 3, slices_per_sample: 2, slice_iterations: 1000, max_wall: Duration::from_secs(1) };
        let mut slicer = Slicer::new(plan, 10);
        let script = [(1000, 0), (1000, 0), (9000, 8000), (2000, 0), (1000, 0), (1000, 0), (1000, 0), (1000, 0)];
        let more: Vec<bool> = script.iter().map(|&(took, wait)| slicer.push(us(took), waited(took, wait))).collect();
        assert_eq!(more, [true, true, true, true, true, true, true, false]);
        let set = slicer.finish(1000, "test".into());
        assert_eq!(set.set_aside, Counts { descheduled: 1, off_cpu: 0, settling: 1 });
        assert_eq!(set.samples.len(), 2, "the warm-up sample is dropped");
        assert_eq!(set.samples[0].runs, vec![14, 15]);
        assert_eq!(set.samples[0].all_slices, 4, "slices 2 to 5 were taken for it");
        assert!((set.samples[0].seconds - 0.002).abs() < 1e-12);
        assert!((set.samples[0].all_seconds - 0.013).abs() < 1e-12);
        assert_eq!(set.samples[1].runs, vec![16, 17]);
        assert_eq!(set.iterations_per_sample(), 2000);
        // ns per iteration: 1000 undisturbed, 13 ms / 4000 with the wait.
        let per = |s: f64, n: u64| s * 1e9 / n as f64;
        let metrics = set.metrics("latency", "ns", Better::Lower, per).unwrap();
        assert_eq!(metrics[0].name, "latency");
        assert_eq!(metrics[0].statistic, STATISTIC);
        assert_eq!(metrics[0].samples, vec![1000.0, 1000.0]);
        assert_eq!(metrics[1].name, "latency_all");
        assert_eq!(metrics[1].statistic, "median");
        let close = |got: &[f64], want: &[f64]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9);
        assert!(close(&metrics[1].samples, &[3250.0, 1000.0]), "{:?}", metrics[1].samples);
        assert!(close(&[metrics[1].value], &[2125.0]), "{}", metrics[1].value);
        let (key, info) = set.info("descheduling");
        assert_eq!(key, "descheduling");
        assert_eq!(info["set_aside"]["descheduled"], 1);
        assert_eq!(info["slices"], 8);
        assert_eq!(info["evidence"], "test");
        assert_eq!(info["bound_reached"], false);
    }

    /// A wait between two slices leaves both timed intervals whole: the
    /// slice before is kept, the one after settles.
    #[test]
    fn a_wait_between_slices_sets_aside_only_the_next() {
        let plan = Plan { samples: 2, slices_per_sample: 2, slice_iterations: 1, max_wall: Duration::from_secs(1) };
        let mut slicer = Slicer::new(plan, 0);
        let script = [waited(1000, 0), waited(1000, 0), lost_between(1000, 3000), waited(1000, 0), waited(1000, 0)];
        for e in script {
            slicer.push(us(1000), e);
        }
        let set = slicer.finish(1, "test".into());
        assert_eq!(set.set_aside, Counts { descheduled: 0, off_cpu: 0, settling: 1 });
        assert_eq!(set.samples[0].runs, vec![2, 4]);
    }

    /// Steal seen by the CPU clock alone sets a slice aside too.
    #[test]
    fn time_not_running_without_waiting_is_set_aside() {
        let plan = Plan { samples: 2, slices_per_sample: 1, slice_iterations: 1, max_wall: Duration::from_secs(1) };
        let mut slicer = Slicer::new(plan, 0);
        let stolen =
            Evidence { wall_ns: 1_002_000, run_delay_ns: Some(0), switches_in: Some(0), cpu_ns: Some(500_000) };
        for e in [waited(1000, 0), stolen, waited(1000, 0), waited(1000, 0)] {
            slicer.push(us(1000), e);
        }
        let set = slicer.finish(1, "test".into());
        assert_eq!(set.set_aside, Counts { descheduled: 0, off_cpu: 1, settling: 1 });
        assert_eq!(set.samples.len(), 1);
        assert_eq!(set.samples[0].runs, vec![3]);
    }

    /// Disturbed most of the time: the bound stops the slices before a
    /// sample after the warm-up is complete, and the one undisturbed slice
    /// makes a shorter sample, said so.
    #[test]
    fn too_few_undisturbed_slices_make_one_short_sample() {
        // 16 ms of wall time: eight stretches of 2.002 ms.
        let plan =
            Plan { samples: 2, slices_per_sample: 2, slice_iterations: 1_000_000, max_wall: Duration::from_millis(16) };
        let mut slicer = Slicer::new(plan, 0);
        let mut pushed = 0;
        // Slices 0 and 4 undisturbed, but 4 still settling after 3.
        while slicer.push(us(2000), if pushed % 4 == 0 { waited(2000, 0) } else { waited(2000, 500) }) {
            pushed += 1;
        }
        let set = slicer.finish(1_000_000, "test".into());
        assert_eq!(set.slices, 8);
        assert!(set.bound_reached && set.short);
        assert_eq!(set.set_aside, Counts { descheduled: 6, off_cpu: 0, settling: 1 });
        assert_eq!(set.samples.len(), 1);
        assert_eq!(set.samples[0].runs, vec![0]);
        let metrics = set.metrics("latency", "ns", Better::Lower, |s, n| s * 1e9 / n as f64).unwrap();
        assert_eq!(metrics[0].samples, vec![2.0], "2 ms over the 1e6 iterations of one slice");
        let (_, info) = set.info("x");
        assert_eq!(
            (info["bound_reached"].clone(), info["short_sample"].clone(), info["samples"].clone()),
            (true.into(), true.into(), 1.into())
        );
    }

    /// Undisturbed only while warming up: the warm-up sample is the one.
    #[test]
    fn with_nothing_undisturbed_after_the_warm_up_the_warm_up_is_kept() {
        let plan =
            Plan { samples: 2, slices_per_sample: 2, slice_iterations: 1_000_000, max_wall: Duration::from_millis(16) };
        let mut slicer = Slicer::new(plan, 0);
        let mut pushed = 0;
        while slicer.push(us(2000), if pushed < 2 { waited(2000, 0) } else { waited(2000, 500) }) {
            pushed += 1;
        }
        let set = slicer.finish(1_000_000, "test".into());
        assert!(set.bound_reached && set.short);
        assert_eq!(set.samples.iter().map(|s| s.runs.clone()).collect::<Vec<_>>(), [vec![0, 1]]);
    }

    /// Disturbed throughout: no figure, and the failure says why and what
    /// every slice gave, time off the CPU included.
    #[test]
    fn no_undisturbed_slice_fails_with_what_every_slice_gave() {
        // 16 ms of wall time: eight stretches of 2.002 ms.
        let plan =
            Plan { samples: 2, slices_per_sample: 2, slice_iterations: 1_000_000, max_wall: Duration::from_millis(16) };
        let mut slicer = Slicer::new(plan, 0);
        while slicer.push(us(2000), waited(2000, 500)) {}
        let set = slicer.finish(1_000_000, "test".into());
        assert!(set.samples.is_empty() && !set.short);
        let err = set.metrics("latency", "ns", Better::Lower, |s, n| s * 1e9 / n as f64).unwrap_err();
        let BenchError::Failed(why) = err else { panic!("{err:?}") };
        assert!(why.starts_with("latency: descheduled: none of 8 slices ran undisturbed"), "{why}");
        assert!(why.contains("(8 waiting for a CPU, 0 off the CPU otherwise, 0 settling after)"), "{why}");
        assert!(why.contains("over every slice 2.0000 ns"), "{why}");
    }

    /// Without evidence every slice is kept and the statistic says median.
    #[test]
    fn without_evidence_every_slice_counts() {
        let plan = Plan { samples: 2, slices_per_sample: 1, slice_iterations: 1, max_wall: Duration::from_secs(1) };
        let mut slicer = Slicer::new(plan, 0);
        let blind = Evidence { wall_ns: 1_000_000, ..Evidence::default() };
        while slicer.push(us(1000), blind) {}
        let set = slicer.finish(1, "never shown".into());
        assert_eq!(set.watch, None);
        assert_eq!(set.statistic(), "median");
        assert_eq!(set.samples.len(), 1);
        assert!(set.info("d").1["evidence"].as_str().unwrap().starts_with("unavailable"));
    }
}
