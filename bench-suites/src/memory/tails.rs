//! Latency distributions of a pointer chase (tails): batches of 16
//! dependent loads (more where they are quick: enough 16-load steps for a
//! batch to last [`MIN_BATCH_NS`], at most 1024 loads) are
//! timed one by one, the timer's own cost (an empty batch, measured first)
//! is subtracted, and each batch's time per load goes into a log-linear
//! histogram (32 buckets per doubling: a bucket's
//! midpoint is within 1.6% of any value in it). Percentiles come from the
//! histogram of each run; a run's percentiles are one sample of each
//! metric. A batch is the unit because a single load is shorter than the
//! timer's own jitter; so the figures are of 16-load averages, which hide
//! variation inside a batch but not between batches (docs/METHODS.md,
//! "Memory tiers").
//!
//! Timer: on x86-64 the time-stamp counter, `lfence; rdtsc; lfence` before
//! a batch and `rdtscp; lfence` after it (rdtscp waits until the batch's
//! loads have completed), converted to ns by the run's wall time over its
//! ticks; elsewhere clock_gettime(CLOCK_MONOTONIC) in ns.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric};
use serde_json::{json, Value};

use super::chase::{self, Chase, LOADS_PER_ITERATION};
use crate::error::BenchError;
use crate::harness::{median_metric, SamplerConfig, Workload};
use crate::session::Session;
use hwbench_probes::sched::{SchedWatch, ThreadId};

/// Exact buckets below this many ticks; above, 32 per doubling.
const SUB_BUCKETS: u64 = 32;
/// Empty batches timed to find the timer's cost.
const OVERHEAD_BATCHES: usize = 20_000;
/// A batch lasts at least this long, so a timer that advances in coarse
/// steps (the time-stamp counter of some virtual machines moves 10 ns at a
/// time: half an L1 batch of 16 loads) is 2.5% of it at most.
pub const MIN_BATCH_NS: f64 = 400.0;
/// 16-load steps per batch at most (1024 loads).
const MAX_STEPS_PER_BATCH: u64 = 64;

/// How the batches are timed, for records.
pub const METHOD: &str = "batches of 16 dependent loads (or a multiple of 16, so that a batch lasts at least 400 ns) timed one by one; the median time of an empty batch (the timer's own cost) subtracted from each; per-load time = batch time / loads per batch; log-linear histogram, 32 buckets per doubling";

/// The timer, as named in records.
#[cfg(target_arch = "x86_64")]
pub const TIMER: &str = "time-stamp counter: lfence; rdtsc; lfence before a batch, rdtscp; lfence after it; ns per tick from each run's wall time";
/// The timer, as named in records.
#[cfg(not(target_arch = "x86_64"))]
pub const TIMER: &str = "clock_gettime(CLOCK_MONOTONIC) before and after each batch";

/// A stamp before a batch: no earlier instruction still running, no later
/// one started.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn stamp_before() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc and lfence only read the counter and order execution.
    // Not `nomem`: loads may not move across the stamp.
    unsafe { std::arch::asm!("lfence", "rdtsc", "lfence", out("eax") lo, out("edx") hi, options(nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// A stamp after a batch: rdtscp waits for every earlier load.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn stamp_after() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: as above; rdtscp also writes the processor id to ecx.
    unsafe { std::arch::asm!("rdtscp", "lfence", out("eax") lo, out("edx") hi, out("ecx") _, options(nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn stamp_before() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: fills the timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn stamp_after() -> u64 {
    stamp_before()
}

/// A log-linear histogram of tick counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        // Values up to 2^64: 32 exact buckets, then 32 per doubling.
        Histogram { counts: vec![0; (SUB_BUCKETS + (64 - 5) * SUB_BUCKETS) as usize], total: 0 }
    }
}

impl Histogram {
    /// The bucket of `v`.
    fn index(v: u64) -> usize {
        if v < SUB_BUCKETS {
            return v as usize;
        }
        let e = 63 - u64::from(v.leading_zeros());
        let sub = (v >> (e - 5)) & (SUB_BUCKETS - 1);
        (SUB_BUCKETS + (e - 5) * SUB_BUCKETS + sub) as usize
    }

    /// The smallest value of bucket `i` and the bucket's width.
    fn bounds(i: usize) -> (u64, u64) {
        let i = i as u64;
        if i < SUB_BUCKETS {
            return (i, 1);
        }
        let e = 5 + (i - SUB_BUCKETS) / SUB_BUCKETS;
        let sub = (i - SUB_BUCKETS) % SUB_BUCKETS;
        ((SUB_BUCKETS + sub) << (e - 5), 1 << (e - 5))
    }

    /// Counts one value.
    #[inline(always)]
    pub fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.total += 1;
    }

    /// Values counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// The value at quantile `q` (0 to 1): the midpoint of the bucket
    /// holding the rank-ceil(q n) value. None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (low, width) = Self::bounds(i);
                return Some(low as f64 + (width as f64 - 1.0) / 2.0);
            }
        }
        None
    }

    /// Non-empty buckets: (smallest value, count), in order.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| (Self::bounds(i).0, c))
    }
}

/// Nanoseconds per timer tick: the ticks of 2 ms of wall time.
pub fn tick_ns() -> f64 {
    let (wall, s0) = (Instant::now(), raw_stamp());
    while wall.elapsed() < Duration::from_millis(2) {
        std::hint::spin_loop();
    }
    let (s1, took) = (raw_stamp(), wall.elapsed());
    took.as_nanos() as f64 / s1.wrapping_sub(s0).max(1) as f64
}

/// A reading of the timer without fences.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn raw_stamp() -> u64 {
    // SAFETY: reads the time-stamp counter.
    unsafe { std::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn raw_stamp() -> u64 {
    stamp_before()
}

/// The timer's own cost in ticks: the median of empty batches.
pub fn timer_overhead() -> u64 {
    let mut ticks: Vec<u64> = (0..OVERHEAD_BATCHES)
        .map(|_| {
            let t0 = stamp_before();
            let t1 = stamp_after();
            t1.wrapping_sub(t0)
        })
        .collect();
    ticks.sort_unstable();
    ticks[ticks.len() / 2]
}

/// Walks `batches` batches of `steps` x 16 loads from `p`, timing each.
///
/// # Safety
/// `p` must be on a built chase.
#[inline(never)]
unsafe fn timed_walk(
    mut p: *const usize,
    batches: u64,
    steps: u64,
    overhead: u64,
    hist: &mut Histogram,
) -> *const usize {
    for _ in 0..batches {
        let t0 = stamp_before();
        for _ in 0..steps {
            p = chase::step(p);
        }
        let t1 = stamp_after();
        hist.record(t1.wrapping_sub(t0).saturating_sub(overhead));
    }
    p
}

/// 16-load steps per batch for a batch of at least [`MIN_BATCH_NS`] at
/// `tick_ns`: from the median ticks of single-step batches of `chase`.
fn steps_per_batch(chase: &mut Chase, overhead: u64, tick_ns: f64) -> u64 {
    let mut probe = Histogram::default();
    let at = chase.cursor();
    // SAFETY: the cursor is on the built chase.
    *at = unsafe { timed_walk(*at, 2048, 1, overhead, &mut probe) };
    let step = probe.quantile(0.5).unwrap_or(1.0).max(1.0);
    ((MIN_BATCH_NS / tick_ns / step).ceil() as u64).clamp(1, MAX_STEPS_PER_BATCH)
}

/// One run's histogram (ticks per batch) and its tick length.
#[derive(Debug, Clone)]
struct RunTails {
    hist: Histogram,
    ns_per_tick: f64,
}

/// The chase as a workload of timed batches: one iteration is one batch.
pub struct TimedChase<'a> {
    chase: &'a mut Chase,
    overhead: u64,
    steps: u64,
    runs: Vec<RunTails>,
}

impl<'a> TimedChase<'a> {
    /// Times batches of `chase`, after measuring the timer's cost and
    /// choosing the batch length.
    pub fn new(chase: &'a mut Chase) -> Self {
        let overhead = timer_overhead();
        let steps = steps_per_batch(chase, overhead, tick_ns());
        TimedChase { chase, overhead, steps, runs: Vec::new() }
    }

    /// Loads in one timed batch.
    pub fn loads_per_batch(&self) -> u64 {
        self.steps * LOADS_PER_ITERATION
    }
}

impl Workload for TimedChase<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let mut hist = Histogram::default();
        let (wall, s0) = (Instant::now(), stamp_before());
        let at = self.chase.cursor();
        // SAFETY: the cursor is on the built chase.
        *at = unsafe { timed_walk(*at, iterations, self.steps, self.overhead, &mut hist) };
        let (s1, took) = (stamp_after(), wall.elapsed());
        std::hint::black_box(*at);
        let ns_per_tick = took.as_nanos() as f64 / s1.wrapping_sub(s0).max(1) as f64;
        self.runs.push(RunTails { hist, ns_per_tick });
        Ok(took)
    }
}

/// A percentile the tails report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile {
    /// The metric name.
    pub name: &'static str,
    /// The quantile, 0 to 1.
    pub q: f64,
}

/// p50, p90, p99 and p99.9.
pub const ALL: &[Quantile] = &[
    Quantile { name: "latency_p50", q: 0.50 },
    Quantile { name: "latency_p90", q: 0.90 },
    Quantile { name: "latency_p99", q: 0.99 },
    Quantile { name: "latency_p999", q: 0.999 },
];

/// p50, p99 and p99.9: the cheap idle tails of memory.latency.
pub const IDLE: &[Quantile] = &[ALL[0], ALL[2], ALL[3]];

impl RunTails {
    /// Several slices as one run: their histograms together, at their
    /// median tick.
    fn merged<'a>(all: impl Iterator<Item = &'a RunTails>) -> RunTails {
        let mut hist = Histogram::default();
        let mut ticks = Vec::new();
        for r in all {
            hist.merge(&r.hist);
            ticks.push(r.ns_per_tick);
        }
        RunTails { hist, ns_per_tick: median(&ticks).unwrap_or(f64::NAN) }
    }
}

/// What a tail phase measured: each kept run's histogram, and how its
/// slices were judged.
#[derive(Debug, Clone)]
pub struct Tails {
    runs: Vec<RunTails>,
    overhead_ticks: u64,
    loads_per_batch: u64,
    statistic: &'static str,
    descheduling: (String, Value),
}

impl Tails {
    /// How the tail phase's slices were judged (info `tails_descheduling`).
    pub fn descheduling(&self) -> Value {
        self.descheduling.1.clone()
    }

    /// Ns per load at quantile `q` of each run.
    pub fn per_run(&self, q: f64) -> Vec<f64> {
        self.runs
            .iter()
            .filter_map(|r| Some(r.hist.quantile(q)? * r.ns_per_tick / self.loads_per_batch as f64))
            .collect()
    }

    /// One metric per quantile: each run's figure a sample, the median the
    /// value (of undisturbed runs, where the scheduler could be watched).
    pub fn metrics(&self, which: &[Quantile]) -> Vec<Metric> {
        which
            .iter()
            .map(|q| Metric {
                statistic: self.statistic.into(),
                ..median_metric(q.name, "ns", self.per_run(q.q), Better::Lower)
            })
            .collect()
    }

    /// The method, the timer and its cost, the batches, and the histogram
    /// of every kept run together (ns per load, at the runs' median tick).
    pub fn info(&self) -> BTreeMap<String, Value> {
        let ns_per_tick = median(&self.runs.iter().map(|r| r.ns_per_tick).collect::<Vec<_>>()).unwrap_or(f64::NAN);
        let mut all = Histogram::default();
        for r in &self.runs {
            all.merge(&r.hist);
        }
        let per_load = |ticks: u64| ticks as f64 * ns_per_tick / self.loads_per_batch as f64;
        let (lower, counts): (Vec<f64>, Vec<u64>) = all.buckets().map(|(low, c)| (per_load(low), c)).unzip();
        BTreeMap::from([
            ("tails_method".to_string(), METHOD.into()),
            ("tails_timer".to_string(), TIMER.into()),
            ("tails_timer_overhead_ns".to_string(), (self.overhead_ticks as f64 * ns_per_tick).into()),
            ("tails_batches".to_string(), all.total().into()),
            ("tails_loads_per_batch".to_string(), self.loads_per_batch.into()),
            ("tails_timer_tick_ns".to_string(), ns_per_tick.into()),
            (
                "latency_histogram".to_string(),
                json!({ "unit": "ns per load", "bucket_lower": lower, "counts": counts, "buckets_per_doubling": SUB_BUCKETS }),
            ),
            self.descheduling.clone(),
        ])
    }
}

/// Samples the tails of `chase` with `cfg` on the calling thread (pinned
/// by the caller), in slices with time off the CPU set aside
/// ([`crate::undisturbed`]): a run is the batches of one sample's
/// undisturbed slices; `cfg.samples` runs, the first dropped. The phase
/// stays outside the session's energy and counter windows, so a record's
/// energy per access is that of its untimed headline phase.
pub fn sample(session: &mut Session, chase: &mut Chase, cfg: SamplerConfig) -> Result<Tails, BenchError> {
    let mut timed = TimedChase::new(chase);
    let mut watch = SchedWatch::spinning(&[ThreadId::current()]);
    let set = session.sample_undisturbed_unwindowed(cfg, &mut timed, &mut watch)?;
    let loads_per_batch = timed.loads_per_batch();
    set.enough("tails", "ns per load", |secs, batches| secs * 1e9 / (batches * loads_per_batch) as f64)?;
    let runs = set.samples.iter().map(|s| RunTails::merged(s.runs.iter().map(|&i| &timed.runs[i]))).collect();
    Ok(Tails {
        runs,
        overhead_ticks: timed.overhead,
        loads_per_batch,
        statistic: set.statistic(),
        descheduling: set.info("tails_descheduling"),
    })
}

/// The tail phase of memory.latency: short (runs of 5 ms, 5 kept), so the
/// sweep stays cheap; a run still holds over 3000 batches at 100 ns a load.
pub fn idle_config(run: &SamplerConfig) -> SamplerConfig {
    SamplerConfig { target: run.target.min(Duration::from_millis(5)), samples: 6, ..*run }
}

/// The tail phase under load: runs of up to 20 ms, 5 kept; over 10000
/// batches a run at 100 ns a load, so p99.9 rests on at least 10 batches
/// of each run.
pub fn loaded_config(run: &SamplerConfig) -> SamplerConfig {
    SamplerConfig { target: run.target.min(Duration::from_millis(20)), samples: 6, ..*run }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_then_32_per_doubling() {
        for v in [0u64, 1, 31, 32, 33, 63, 64, 65, 1000, 123_456_789, u64::MAX] {
            let (low, width) = Histogram::bounds(Histogram::index(v));
            assert!(low <= v && v - low < width, "{v}: bucket [{low}, {low}+{width})");
            assert!(width == 1 || (width as f64) / (low as f64) <= 1.0 / 32.0, "{v}: width {width} at {low}");
        }
        assert_eq!(Histogram::index(64) - Histogram::index(32), 32);
    }

    #[test]
    fn quantiles_pick_the_ranked_bucket() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v);
        }
        // The median (rank 500) lies in the bucket [496, 504) of width 8.
        assert_eq!(h.quantile(0.5), Some(496.0 + 3.5));
        assert_eq!(h.quantile(0.0), Some(1.0));
        let p999 = h.quantile(0.999).unwrap();
        assert!((p999 - 999.0).abs() <= 16.0, "{p999}");
        assert_eq!(Histogram::default().quantile(0.5), None);
        let mut twice = h.clone();
        twice.merge(&h);
        assert_eq!(twice.total(), 2000);
        assert_eq!(twice.quantile(0.5), h.quantile(0.5));
    }

    #[test]
    fn percentiles_are_ordered_and_every_batch_is_counted() {
        let mut buf = vec![0u64; 4096 / 8];
        // SAFETY: buf holds 64 lines of 64 bytes.
        let mut chase = unsafe { Chase::build(buf.as_mut_ptr().cast(), 64, 64, 1) };
        let mut timed = TimedChase::new(&mut chase);
        timed.run(5000).unwrap();
        timed.run(3000).unwrap();
        let tails = Tails {
            runs: timed.runs.clone(),
            overhead_ticks: timed.overhead,
            loads_per_batch: timed.loads_per_batch(),
            statistic: "median",
            descheduling: ("tails_descheduling".into(), Value::Null),
        };
        assert_eq!(tails.runs.iter().map(|r| r.hist.total()).collect::<Vec<_>>(), vec![5000, 3000]);
        let m = tails.metrics(ALL);
        assert_eq!(
            m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            ALL.iter().map(|q| q.name).collect::<Vec<_>>()
        );
        for run in 0..2 {
            let at: Vec<f64> = m.iter().map(|m| m.samples[run]).collect();
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "run {run}: {at:?}");
        }
        let info = tails.info();
        assert_eq!(info["tails_batches"], 8000);
        let counts: u64 =
            info["latency_histogram"]["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
        assert_eq!(counts, 8000);
        assert_eq!(info["tails_loads_per_batch"], timed.loads_per_batch());
        // The chase went on where the timed walk stopped: the probe's 2048
        // batches of 16 loads and 8000 batches of a multiple of 16 loads,
        // over a 64-line cycle, are whole cycles.
        drop(timed);
        assert_eq!(chase.walk(0), buf.as_ptr().cast());
    }
}
