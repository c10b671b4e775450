//! `memory.c2c`: core-to-core latency (Intel MLC --c2c_latency). Two
//! threads pinned to two CPUs pass a counter back and forth in one cache
//! line: the initiator writes an odd value, the responder answers with the
//! next even one. One round trip moves the line twice; the record's
//! `latency` is one way (round trip / 2). Round trips are sampled in
//! slices with time off the CPU set aside ([`crate::undisturbed`]), both
//! threads watched: a round trip waits for whichever side is switched out.

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
use crate::harness::Workload;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use crate::undisturbed::Undisturbed;
use hwbench_probes::sched::{SchedWatch, ThreadId};

const ID: &str = "memory.c2c";
const SEED: u64 = 0x0063_3263;
/// Round trips in one iteration of the initiator's workload (a slice is
/// as many iterations as last about a millisecond).
pub const TRIPS_PER_ITERATION: u64 = 64;

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
    metrics: "latency ns (one way = round trip / 2), round_trip ns: medians of undisturbed samples; latency_all, round_trip_all ns: medians over every slice",
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
        let set = ping_pong(cpu_a, cpu_b, session)?;
        let round_trip_ns = |secs: f64, n: u64| secs * 1e9 / (n * TRIPS_PER_ITERATION) as f64;
        let mut metrics = set.metrics("latency", "ns", Better::Lower, |secs, n| round_trip_ns(secs, n) / 2.0)?;
        metrics.extend(set.metrics("round_trip", "ns", Better::Lower, round_trip_ns)?);
        let mut info = BTreeMap::new();
        info.insert(
            "method".into(),
            "cpu_a writes an odd value to one cache line, cpu_b answers with the next; latency = round trip / 2".into(),
        );
        info.insert("trips_per_sample".into(), (set.iterations_per_sample() * TRIPS_PER_ITERATION).into());
        info.extend([set.info("descheduling")]);
        Ok(Measured { metrics, placement: None, info })
    }

    /// Two threads and one sampling phase.
    fn estimate(&self, point: &PairPoint, _previous: Option<&PairPoint>, cost: &CostModel) -> f64 {
        match point {
            PairPoint::Pair { .. } => cost.threads(2) + cost.sliced(cost.sampler, true),
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

/// The initiator's side: each iteration is [`TRIPS_PER_ITERATION`] round
/// trips; a run lasts their wall time.
struct Initiator<'a> {
    line: &'a Line,
    next: u64,
    /// Ctrl-C.
    stop: &'a AtomicBool,
    /// Set when the responder will not answer (it could not be pinned).
    responder_gone: &'a AtomicBool,
}

impl Workload for Initiator<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let start = Instant::now();
        for _ in 0..iterations * TRIPS_PER_ITERATION {
            self.round_trip()?;
        }
        Ok(start.elapsed())
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

/// Samples round trips from `a` to `b`, time either thread spent off the
/// CPU set aside.
fn ping_pong(a: u32, b: u32, session: &mut Session) -> Result<Undisturbed, BenchError> {
    let line = Line::default();
    let (done, gone) = (AtomicBool::new(false), AtomicBool::new(false));
    // The responder names itself, so the initiator can watch it too.
    let (tell, told) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|s| {
        let (line, done, gone) = (&line, &done, &gone);
        let responder = s.spawn(move || {
            let pinned = pinned::pin(b);
            if pinned.is_ok() && tell.send(ThreadId::current()).is_ok() {
                respond(line, done);
            }
            gone.store(true, Ordering::Relaxed);
            pinned
        });
        let stop = session.stop_flag();
        let measured = pinned::run_on(a, move || {
            let responder = told.recv().map_err(|_| BenchError::Failed("the responding thread stopped".into()))?;
            let mut watch = SchedWatch::spinning(&[ThreadId::current(), responder]);
            let mut initiator = Initiator { line, next: 1, stop: &stop, responder_gone: gone };
            session.sample_undisturbed(session.sampler, &mut initiator, &mut watch)
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

    /// On this machine: both threads are watched, and the headlines are
    /// over undisturbed samples with every slice's figures beside them.
    #[test]
    fn a_real_ping_pong_watches_both_threads() {
        let (host, mut session) = crate::session::tests::quick_live();
        let points = CoreToCore.plan(&Settings::new(ID), &host).unwrap();
        let measured = CoreToCore.measure(&points[0], &mut session);
        if hwbench_probes::binding::allowed_cpus().len() < 2 {
            assert!(matches!(measured, Err(BenchError::Unavailable(_))), "{measured:?}");
            return;
        }
        let m = measured.unwrap();
        let names: Vec<(&str, &str)> = m.metrics.iter().map(|x| (x.name.as_str(), x.statistic.as_str())).collect();
        let undisturbed = crate::undisturbed::STATISTIC;
        assert_eq!(
            names,
            [
                ("latency", undisturbed),
                ("latency_all", "median"),
                ("round_trip", undisturbed),
                ("round_trip_all", "median")
            ]
        );
        let (one_way, round_trip) = (&m.metrics[0], &m.metrics[2]);
        assert_eq!(one_way.samples.iter().map(|ns| ns * 2.0).collect::<Vec<_>>(), round_trip.samples);
        assert!(m.info["descheduling"]["evidence"].as_str().unwrap().contains("2 timed threads"), "{:?}", m.info);
    }
}
