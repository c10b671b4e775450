//! `memory.c2c`: core-to-core latency (Intel MLC --c2c_latency). Two
//! threads pinned to two CPUs pass a counter back and forth in one cache
//! line: the initiator writes an odd value, the responder answers with the
//! next even one. One round trip moves the line twice; the record's
//! `latency` is one way (round trip / 2). Round trips are timed in batches
//! of [`TRIPS_PER_BATCH`]; a sample is its fastest batch, so time either
//! thread spends descheduled (a shared machine) does not count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hwbench_probes::sysroot::{format_list, parse_list};
use hwbench_schema::numbers::SplitMix64;
use hwbench_schema::Better;
use serde::Serialize;

use super::pinned;
use crate::budget::{pair_key, Sweep};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "memory.c2c";
const SEED: u64 = 0x0063_3263;
/// Round trips timed together: long enough that the clock's cost is
/// negligible, short enough that most batches run undisturbed.
pub const TRIPS_PER_BATCH: u64 = 64;
/// A run reports its fastest batch times the batches it ran, so it lasts
/// longer than reported (the batches that were slower): wall seconds per
/// reported second, as seen on the development VM.
const WALL_PER_REPORTED: f64 = 1.5;
/// What a sample is, for the record: the headline is their median.
const STATISTIC: &str = "median of per-sample minima (each sample is its fastest batch of round trips)";

const CPUS: Param<String> =
    Param::new("cpus", ParamKind::Text, Unset::Derived("every allowed CPU"), "CPUs to pair, as a list (0-3,8)");
const MAX_PAIRS: Param<u64> = Param::new(
    "max_pairs",
    ParamKind::Count,
    Unset::Value("240"),
    "ordered pairs at most; beyond, a seeded sample of CPU pairs, both orders",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "core-to-core latency: a cache line passed back and forth between two pinned threads, every pair of CPUs",
    metrics: "latency ns (one way = round trip / 2), round_trip ns; each the median of per-sample minima",
    params: &[CPUS.spec, MAX_PAIRS.spec],
    uses_gpu: false,
    summaries: &[],
    make: || erase(CoreToCore),
};

/// One point: an ordered pair of CPUs, or the stand-in for a process
/// with one CPU, which measures as skipped saying why.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PairPoint {
    /// `cpu_a` starts each round trip, `cpu_b` answers.
    Pair {
        /// The initiating CPU.
        cpu_a: u32,
        /// The responding CPU.
        cpu_b: u32,
    },
    /// Only one CPU to run on.
    Alone {},
}

/// Stateless: every point sets up its own pair of threads.
pub struct CoreToCore;

/// The line the two threads pass, alone on its cache lines.
#[derive(Default)]
#[repr(align(128))]
struct Line(AtomicU64);

/// The ordered pairs to measure among `cpus`: every pair in both orders,
/// or, when that exceeds `max_pairs`, a seeded random sample of unordered
/// pairs, each in both orders.
pub fn pairs(cpus: &[u32], max_pairs: u64) -> Vec<(u32, u32)> {
    let mut unordered: Vec<(u32, u32)> =
        cpus.iter().enumerate().flat_map(|(i, &a)| cpus[i + 1..].iter().map(move |&b| (a, b))).collect();
    let keep = (max_pairs / 2) as usize;
    if unordered.len() > keep {
        let mut rng = SplitMix64::new(SEED);
        for i in 0..keep {
            let j = i + rng.below((unordered.len() - i) as u64) as usize;
            unordered.swap(i, j);
        }
        unordered.truncate(keep);
        unordered.sort_unstable();
    }
    unordered.into_iter().flat_map(|(a, b)| [(a, b), (b, a)]).collect()
}

impl Benchmark for CoreToCore {
    type Point = PairPoint;

    fn plan(&mut self, settings: &Settings, _host: &Host) -> Result<Vec<PairPoint>, BenchError> {
        let allowed = hwbench_probes::binding::allowed_cpus();
        let cpus = match CPUS.get(settings)? {
            Some(text) => parse_list(&text).map_err(|why| BenchError::bad_param(ID, "cpus", why))?,
            // One CPU to run on: a skipped record says so (see measure).
            None if allowed.len() < 2 => return Ok(vec![PairPoint::Alone {}]),
            None => allowed.clone(),
        };
        if let Some(cpu) = cpus.iter().find(|c| !allowed.contains(c)) {
            return Err(BenchError::bad_param(
                ID,
                "cpus",
                format!("CPU {cpu} is not available (allowed: {})", format_list(&allowed)),
            ));
        }
        if cpus.len() < 2 {
            return Err(BenchError::bad_param(
                ID,
                "cpus",
                format!("needs two CPUs or more, got '{}'", format_list(&cpus)),
            ));
        }
        let max_pairs = MAX_PAIRS.value(settings)?;
        if max_pairs < 2 {
            return Err(BenchError::bad_param(
                ID,
                "max_pairs",
                format!("{max_pairs}: one pair in both orders needs 2"),
            ));
        }
        Ok(pairs(&cpus, max_pairs).into_iter().map(|(cpu_a, cpu_b)| PairPoint::Pair { cpu_a, cpu_b }).collect())
    }

    fn measure(&mut self, point: &PairPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let &PairPoint::Pair { cpu_a, cpu_b } = point else {
            let allowed = format_list(&hwbench_probes::binding::allowed_cpus());
            return Err(BenchError::Unavailable(format!(
                "core-to-core latency needs two CPUs; this process may use {allowed}"
            )));
        };
        let round_trips = ping_pong(cpu_a, cpu_b, session)?;
        let mut info = BTreeMap::new();
        info.insert(
            "method".into(),
            "cpu_a writes an odd value to one cache line, cpu_b answers with the next; latency = round trip / 2".into(),
        );
        info.insert("trips_per_batch".into(), TRIPS_PER_BATCH.into());
        info.insert("sample".into(), "the fastest batch of round trips of the sample".into());
        let mut latency =
            median_metric("latency", "ns", round_trips.iter().map(|rt| rt / 2.0).collect(), Better::Lower);
        let mut round_trip = median_metric("round_trip", "ns", round_trips, Better::Lower);
        latency.statistic = STATISTIC.into();
        round_trip.statistic = STATISTIC.into();
        Ok(Measured { metrics: vec![latency, round_trip], placement: None, info })
    }

    /// Two threads and one sampling phase, longer than reported.
    fn estimate(&self, point: &PairPoint, _previous: Option<&PairPoint>, cost: &CostModel) -> f64 {
        match point {
            PairPoint::Pair { .. } => cost.threads(2) + cost.sample() * WALL_PER_REPORTED,
            PairPoint::Alone {} => 0.0,
        }
    }

    fn sweep(&self, points: &[PairPoint]) -> Option<Sweep> {
        let pair = |p: &PairPoint| match *p {
            PairPoint::Pair { cpu_a, cpu_b } => Some(pair_key(cpu_a.min(cpu_b), cpu_a.max(cpu_b))),
            PairPoint::Alone {} => None,
        };
        Sweep::along(points, pair, "pairs", 4, "four pairs of CPUs, both orders of each")
    }
}

/// The initiator's side: each iteration is a batch of round trips, and a
/// run lasts, as reported, its fastest batch times the batches run.
struct Initiator<'a> {
    line: &'a Line,
    next: u64,
    /// Ctrl-C.
    stop: &'a AtomicBool,
    /// Set when the responder will not answer (it could not be pinned).
    responder_gone: &'a AtomicBool,
}

impl Workload for Initiator<'_> {
    fn run(&mut self, batches: u64) -> Result<Duration, BenchError> {
        let mut fastest = Duration::MAX;
        for _ in 0..batches {
            let start = Instant::now();
            for _ in 0..TRIPS_PER_BATCH {
                self.round_trip()?;
            }
            fastest = fastest.min(start.elapsed());
        }
        Ok(fastest * batches as u32)
    }
}

impl Initiator<'_> {
    fn round_trip(&mut self) -> Result<(), BenchError> {
        let sent = self.next;
        self.line.0.store(sent, Ordering::Release);
        while self.line.0.load(Ordering::Acquire) != sent + 1 {
            if self.stop.load(Ordering::Relaxed) {
                return Err(BenchError::Interrupted);
            }
            if self.responder_gone.load(Ordering::Relaxed) {
                return Err(BenchError::Failed("the responding thread stopped".into()));
            }
        }
        self.next = sent + 2;
        Ok(())
    }
}

/// Answers every odd value with the next even one until `done`.
fn respond(line: &Line, done: &AtomicBool) {
    let mut expected = 1;
    loop {
        while line.0.load(Ordering::Acquire) != expected {
            if done.load(Ordering::Relaxed) {
                return;
            }
        }
        line.0.store(expected + 1, Ordering::Release);
        expected += 2;
    }
}

/// Samples round trips from `a` to `b`: ns per round trip, warm-up dropped.
fn ping_pong(a: u32, b: u32, session: &mut Session) -> Result<Vec<f64>, BenchError> {
    let line = Line::default();
    let (done, gone) = (AtomicBool::new(false), AtomicBool::new(false));
    std::thread::scope(|s| {
        let responder = s.spawn(|| {
            let pinned = pinned::pin(b);
            if pinned.is_ok() {
                respond(&line, &done);
            }
            gone.store(true, Ordering::Relaxed);
            pinned
        });
        let stop = session.stop_flag();
        let measured = pinned::run_on(a, || {
            let mut initiator = Initiator { line: &line, next: 1, stop: &stop, responder_gone: &gone };
            let set = session.sample(&mut initiator)?;
            Ok(set.map(|secs, batches| secs * 1e9 / (batches * TRIPS_PER_BATCH) as f64))
        });
        done.store(true, Ordering::Relaxed);
        responder.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        measured
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_cpus_give_every_ordered_pair() {
        assert_eq!(pairs(&[0, 1], 240), [(0, 1), (1, 0)]);
        assert_eq!(pairs(&[0, 1, 2], 240).len(), 6);
    }

    #[test]
    fn many_cpus_give_a_seeded_sample_in_both_orders() {
        let cpus: Vec<u32> = (0..64).collect();
        let sample = pairs(&cpus, 100);
        assert_eq!(sample.len(), 100);
        assert_eq!(sample, pairs(&cpus, 100), "the sample is reproducible");
        for &(a, b) in &sample {
            assert_ne!(a, b);
            assert!(sample.contains(&(b, a)), "({a},{b}) without its reverse");
        }
        let distinct: std::collections::BTreeSet<u32> = sample.iter().map(|p| p.0).collect();
        assert!(distinct.len() > 30, "the sample covers {} CPUs", distinct.len());
    }
}
