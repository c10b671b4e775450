//! `memory.mlp`: memory-level parallelism. Each thread follows `chains`
//! independent pointer chains at once (multichase's parallel chases): the
//! chains split a random permutation of the thread's lines into `k`
//! cycles, and one step loads the next line of every chain, so up to `k`
//! misses per thread can be in flight. Delivered bandwidth rises with `k`
//! until the core (its miss buffers) or the memory (its queues) saturates;
//! far tiers such as CXL support fewer misses in flight than DRAM, so the
//! curves part well before idle latencies do.
//!
//! Little's law: misses in flight = rate x latency. With the latency a
//! chain sees at this `k` that is `k` by construction; with the idle
//! latency of the same buffer (one chain over all of thread 0's lines,
//! measured in the same point) it is the parallelism the memory delivered:
//! how many idle-latency misses must be in flight for the rate measured.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hwbench_probes::energy::Work;
use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_schema::numbers::SplitMix64;
use hwbench_schema::Better;
use serde::Serialize;

use super::bandwidth::threads::Pool;
use super::chase::Chase;
use super::placed::{self, LINE};
use super::rows::{self, CPU_NODE, PAGE};
use super::{latency, nodes, pinned};
use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, SamplerConfig, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "memory.mlp";
const SEED: u64 = 0x006d_6c70;
/// The most chains a thread follows.
pub const MAX_CHAINS: u32 = 32;
/// Chains of the default sweep.
const SWEEP: &[u32] = &[1, 2, 4, 8, 16, 32];

const NODES: Param<String> = rows::nodes("local");
const CHAINS: Param<String> = Param::new(
    "chains",
    ParamKind::Text,
    Unset::Value("sweep"),
    "independent chains per thread: N (1 to 32), a comma list, or sweep (1, 2, 4, 8, 16, 32)",
);
const THREADS: Param<String> =
    Param::new("threads", ParamKind::Text, Unset::Value("1"), "chasing threads: N, or all (one per core of cpu_node)");
const BYTES: Param<u64> = rows::working_set("bytes", "chased buffer, split evenly among the threads");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "memory-level parallelism: k independent pointer chains per thread, bandwidth and misses in flight by k",
    metrics: "bandwidth GB/s, latency ns (per chain step), latency_idle ns (undisturbed samples), latency_idle_all ns, in_flight_per_thread and in_flight_per_node (Little's law at the idle latency); medians",
    params: &[NODES.spec, CPU_NODE.spec, CHAINS.spec, THREADS.spec, BYTES.spec, PAGE.spec],
    uses_gpu: false,
    summaries: &[],
    make: || erase(Mlp::default()),
};

/// One point: `chains` chains on each of `threads` threads over a buffer
/// on `node`, or the stand-in for an empty selection.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum MlpPoint {
    /// A measured point.
    Chains {
        /// The memory node.
        node: u32,
        /// The node whose CPUs chase.
        cpu_node: u32,
        /// Chains per thread.
        chains: u32,
        /// Chasing threads.
        threads: u32,
        /// Bytes of the whole buffer.
        bytes: u64,
        /// Pages asked for.
        page: PagePolicy,
    },
    /// Nothing to measure: the selection as given.
    Empty {
        /// The selection that named no node.
        node: String,
    },
}

/// The buffer a point needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    node: u32,
    cpu_node: u32,
    threads: u32,
    bytes: u64,
    page: PagePolicy,
}

/// The buffer on its node, touched.
struct Prepared {
    key: Key,
    region: Arc<Region>,
}

/// Instance state: the buffer of the current node and thread count.
#[derive(Default)]
pub struct Mlp {
    prepared: Option<Prepared>,
}

/// The chain counts a `chains` param names.
fn chain_counts(text: &str) -> Result<Vec<u32>, BenchError> {
    if text == "sweep" {
        return Ok(SWEEP.to_vec());
    }
    text.split(',')
        .map(str::trim)
        .map(|k| match k.parse::<u32>() {
            Ok(k) if (1..=MAX_CHAINS).contains(&k) => Ok(k),
            _ => Err(BenchError::bad_param(
                ID,
                "chains",
                format!("'{k}' is not a number of chains from 1 to {MAX_CHAINS}"),
            )),
        })
        .collect()
}

/// The thread count a `threads` param names on `cpu_node`.
fn thread_count(text: &str, cpu_node: u32, host: &Host) -> Result<u32, BenchError> {
    let available = nodes::cpus_of(&host.topology, cpu_node).len() as u32;
    let threads = match text {
        "all" => available,
        n => n
            .parse::<u32>()
            .map_err(|_| BenchError::bad_param(ID, "threads", format!("'{n}' is not a number of threads or all")))?,
    };
    if threads == 0 {
        return Err(BenchError::bad_param(ID, "threads", "0 threads"));
    }
    if threads > available.max(1) {
        return Err(BenchError::bad_param(
            ID,
            "threads",
            format!("{threads} threads, but node {cpu_node} has {available} CPUs this process may use"),
        ));
    }
    Ok(threads)
}

impl Benchmark for Mlp {
    type Point = MlpPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<MlpPoint>, BenchError> {
        let text = NODES.value(settings)?;
        let targets = nodes::select(ID, "node", &text, host)?;
        let chains = chain_counts(&CHAINS.value(settings)?)?;
        let bytes = placed::working_set(&BYTES, settings, host)?;
        host.check_fits(ID, bytes)?;
        let page = PAGE.value(settings)?;
        let mut points = Vec::new();
        for node in targets {
            let cpu_node = nodes::cpu_node_for(ID, CPU_NODE.get(settings)?, node, host)?;
            let threads = thread_count(&THREADS.value(settings)?, cpu_node, host)?;
            let most = chains.iter().copied().max().unwrap_or(1) as u64;
            if bytes / LINE / u64::from(threads) < 2 * most {
                return Err(BenchError::bad_param(
                    ID,
                    "bytes",
                    format!(
                        "{bytes} bytes is under two lines per chain for {most} chains on each of {threads} threads"
                    ),
                ));
            }
            points.extend(chains.iter().map(|&k| MlpPoint::Chains { node, cpu_node, chains: k, threads, bytes, page }));
        }
        if points.is_empty() {
            return Ok(vec![MlpPoint::Empty { node: text }]);
        }
        Ok(points)
    }

    fn measure(&mut self, point: &MlpPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let &MlpPoint::Chains { node, cpu_node, chains, threads, bytes, page } = point else {
            return Err(BenchError::Unavailable(nodes::no_cpuless_node(session.host())));
        };
        let all = nodes::initiator_cpus(&session.host().topology, cpu_node)?;
        if all.len() < threads as usize {
            return Err(BenchError::Unavailable(format!(
                "{threads} threads but only {} CPUs of node {cpu_node} are available",
                all.len()
            )));
        }
        let cpus = all[..threads as usize].to_vec();
        let key = Key { node, cpu_node, threads, bytes, page };
        let region = self.prepare(key, cpus[0], session.host())?;
        let lines_per_thread = (bytes / LINE / u64::from(threads)) as usize;
        let portion = lines_per_thread * LINE as usize;

        let walkers = Arc::new(Walkers::build(&region, threads as usize, portion, chains as usize));
        let shared = Arc::clone(&walkers);
        let pool: Pool<u64, ()> = Pool::start(&cpus, move |worker, steps| shared.walk(worker, steps))?;
        let mut walk = MlpWalk { pool: &pool, lines_per_step: u64::from(chains * threads) };
        let set = session.sample(&mut walk)?;
        drop(pool);
        let lines_per_step = u64::from(chains * threads);
        let bandwidth = set.map(|secs, n| (n * lines_per_step * LINE) as f64 / secs / 1e9);
        let latency = set.map(|secs, n| secs * 1e9 / n as f64);

        // The idle latency: one chain over every line of thread 0, in the
        // second word of each line, walked alone.
        let idle_cfg = idle_config(&session.sampler);
        let idle = pinned::run_on(cpus[0], || {
            // SAFETY: the region holds `portion` bytes for thread 0; word 1
            // of each line is the idle chain's alone.
            let mut chase = unsafe { Chase::build(region.as_ptr().add(8), lines_per_thread, LINE as usize, SEED ^ 1) };
            session.sample_this_thread(idle_cfg, &mut chase)
        })?;
        let idle_metrics = idle.metrics("latency_idle", "ns", Better::Lower, latency::ns_per_load)?;
        let idle_ns = idle_metrics[0].value;
        // Little's law at the idle latency: per thread, chains / latency of
        // a step (lines per ns) x idle ns.
        let per_thread: Vec<f64> = latency.iter().map(|&step_ns| f64::from(chains) / step_ns * idle_ns).collect();
        let per_node: Vec<f64> = per_thread.iter().map(|t| t * f64::from(threads)).collect();

        let mut info = BTreeMap::new();
        info.insert("cpus".into(), cpus.clone().into());
        info.insert("lines_per_thread".into(), lines_per_thread.into());
        info.insert("lines_per_chain".into(), (lines_per_thread / chains as usize).into());
        info.insert("steps_per_sample".into(), set.iterations.into());
        info.insert(
            "method".into(),
            "each thread splits a random permutation of its lines into `chains` cycles and loads the next line of every chain per step; bandwidth = lines loaded x 64 B / time (last finish - first start)".into(),
        );
        info.insert(
            "littles_law".into(),
            "in flight = lines per ns x latency_idle (the idle latency of one chain over every line of thread 0, measured in the same point); per node = per thread x threads".into(),
        );
        info.extend([idle.info("latency_idle_descheduling")]);
        let mut metrics = vec![
            median_metric("bandwidth", "GB/s", bandwidth, Better::Higher),
            median_metric("latency", "ns", latency, Better::Lower),
        ];
        metrics.extend(idle_metrics);
        metrics.extend([
            median_metric("in_flight_per_thread", "lines", per_thread, Better::Higher),
            median_metric("in_flight_per_node", "lines", per_node, Better::Higher),
        ]);
        Ok(Measured { metrics, placement: Some(region.placement(bytes as usize)), info })
    }

    /// The buffer is placed and touched when the node, threads or size
    /// change; every point builds its chains, starts its threads, samples
    /// them, then builds and samples the idle chase.
    fn estimate(&self, point: &MlpPoint, previous: Option<&MlpPoint>, cost: &CostModel) -> f64 {
        let MlpPoint::Chains { threads, bytes, page, .. } = *point else { return 0.0 };
        let key = |p: &MlpPoint| match *p {
            MlpPoint::Chains { node, cpu_node, threads, bytes, page, .. } => {
                Some((node, cpu_node, threads, bytes, page))
            }
            MlpPoint::Empty { .. } => None,
        };
        let touch = if previous.and_then(key) == key(point) { 0.0 } else { cost.touch(bytes, 1, page) };
        let portion = bytes / u64::from(threads.max(1));
        touch
            + cost.chase_build(bytes, LINE)
            + cost.threads(threads as usize)
            + cost.sample()
            + cost.chase_build(portion, LINE)
            + cost.sliced(idle_config(&cost.sampler), false)
            + cost.page_census(bytes)
    }

    fn sweep(&self, points: &[MlpPoint]) -> Option<Sweep> {
        let chains = |p: &MlpPoint| match *p {
            MlpPoint::Chains { chains, .. } => Some(u64::from(chains)),
            MlpPoint::Empty { .. } => None,
        };
        Sweep::along(points, chains, "chain counts", 3, "one chain, the most and one between: where the curve bends")
    }

    fn release(&mut self) {
        self.prepared = None;
    }
}

/// The idle chase of a point: runs of up to 20 ms, 5 kept.
fn idle_config(run: &SamplerConfig) -> SamplerConfig {
    SamplerConfig { target: run.target.min(Duration::from_millis(20)), samples: 6, ..*run }
}

impl Mlp {
    /// The buffer for `key`, placed on its node and touched from `toucher`.
    fn prepare(&mut self, key: Key, toucher: u32, host: &Host) -> Result<Arc<Region>, BenchError> {
        if let Some(p) = self.prepared.as_ref().filter(|p| p.key == key) {
            return Ok(Arc::clone(&p.region));
        }
        self.prepared = None;
        let region = placed::place(host, key.bytes, key.page, key.node)?;
        pinned::run_on(toucher, || {
            region.first_touch(0, region.len());
            Ok(())
        })?;
        let region = Arc::new(region);
        self.prepared = Some(Prepared { key, region: Arc::clone(&region) });
        Ok(region)
    }
}

/// Where each chain of a thread is.
struct Cursors(Vec<*const usize>);

// SAFETY: the pointers are into the region the walkers keep alive, and
// each thread's cursors are only used under their mutex.
unsafe impl Send for Cursors {}

/// The chains of every thread, over a region they keep alive.
struct Walkers {
    _region: Arc<Region>,
    cursors: Vec<Mutex<Cursors>>,
}

impl Walkers {
    /// Writes `chains` chains into each thread's `portion` bytes of `region`.
    fn build(region: &Arc<Region>, threads: usize, portion: usize, chains: usize) -> Walkers {
        let cursors = (0..threads)
            .map(|t| {
                // SAFETY: thread t's portion lies inside the region.
                let base = unsafe { region.as_ptr().add(t * portion) };
                // SAFETY: `portion` bytes at base, 64-byte lines.
                Mutex::new(Cursors(unsafe { build_chains(base, portion / LINE as usize, chains, SEED ^ t as u64) }))
            })
            .collect();
        Walkers { _region: Arc::clone(region), cursors }
    }

    /// Worker `worker` steps each of its chains `steps` times.
    fn walk(&self, worker: usize, steps: u64) {
        let mut cursors = self.cursors[worker].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: the cursors are on chains built in the live region.
        unsafe { walk_chains(&mut cursors.0, steps) };
        std::hint::black_box(&cursors.0);
    }
}

/// Splits a random permutation of `lines` lines at `base` into `chains`
/// cycles (word 0 of each line points at the next line of its chain) and
/// returns each chain's first line.
///
/// # Safety
/// `base` must be valid for writes of `lines * 64` bytes, 8-byte aligned.
unsafe fn build_chains(base: *mut u8, lines: usize, chains: usize, seed: u64) -> Vec<*const usize> {
    let mut order: Vec<usize> = (0..lines).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let line = |i: usize| base.add(i * LINE as usize);
    (0..chains)
        .map(|c| {
            let segment = &order[c * lines / chains..(c + 1) * lines / chains];
            for (i, &at) in segment.iter().enumerate() {
                let next = segment[(i + 1) % segment.len()];
                line(at).cast::<usize>().write(line(next) as usize);
            }
            line(segment[0]) as *const usize
        })
        .collect()
}

/// `steps` steps of every chain in `cursors`, with the chain count known
/// at compile time so the cursors stay in registers where they fit.
///
/// # Safety
/// Every cursor must be on a built chain.
unsafe fn walk_chains(cursors: &mut [*const usize], steps: u64) {
    macro_rules! by_count {
        ($($k:literal)*) => {
            match cursors.len() {
                $($k => walk_k::<$k>(cursors, steps),)*
                _ => {}
            }
        };
    }
    by_count!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

#[inline(never)]
unsafe fn walk_k<const K: usize>(cursors: &mut [*const usize], steps: u64) {
    let mut p = [std::ptr::null::<usize>(); K];
    p.copy_from_slice(&cursors[..K]);
    for _ in 0..steps {
        for c in p.iter_mut() {
            *c = **c as *const usize;
        }
    }
    cursors[..K].copy_from_slice(&p);
}

/// The sampled workload: a step of every chain on every thread.
struct MlpWalk<'a> {
    pool: &'a Pool<u64, ()>,
    lines_per_step: u64,
}

impl Workload for MlpWalk<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        Ok(self.pool.run(iterations)?.span)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        Some(Work { amount: (self.lines_per_step * LINE) as f64 / 1e9, unit: "GB" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    fn fixture_host() -> Host {
        Host::new(SysRoot::default(), fixture("two-socket-cxl"))
    }

    #[test]
    fn chains_split_every_line_into_separate_cycles() {
        let (lines, chains) = (1000, 7);
        let mut buf = vec![0u64; lines * 8];
        let base = buf.as_mut_ptr().cast::<u8>();
        // SAFETY: buf holds `lines` lines.
        let starts = unsafe { build_chains(base, lines, chains, 5) };
        let mut seen = vec![false; lines];
        for &start in &starts {
            let mut at = start;
            let mut length = 0;
            loop {
                let index = (at as usize - base as usize) / 64;
                assert!(!seen[index], "line {index} in two chains");
                seen[index] = true;
                length += 1;
                // SAFETY: inside buf.
                at = unsafe { *at } as *const usize;
                if at == start {
                    break;
                }
            }
            assert!((lines / chains..=lines / chains + 1).contains(&length), "a chain of {length} lines");
        }
        assert!(seen.iter().all(|&s| s), "every line is on a chain");
        // Walking k chains k steps at once moves each chain on by k lines.
        let mut cursors = starts.clone();
        // SAFETY: cursors on built chains.
        unsafe { walk_chains(&mut cursors, 3) };
        for (c, s) in cursors.iter().zip(&starts) {
            let mut at = *s;
            for _ in 0..3 {
                // SAFETY: inside buf.
                at = unsafe { *at } as *const usize;
            }
            assert_eq!(*c, at);
        }
    }

    #[test]
    fn the_sweep_plans_one_point_per_chain_count_on_the_node_with_cpus() {
        let host = fixture_host();
        let settings = Settings::new(ID).with(&BYTES.spec, 64u64 << 20).with(&NODES.spec, "2");
        let points = Mlp::default().plan(&settings, &host).unwrap();
        let chains: Vec<u32> = points
            .iter()
            .map(|p| match p {
                MlpPoint::Chains { chains, cpu_node, node, threads, .. } => {
                    assert_eq!((*node, *cpu_node, *threads), (2, 0, 1));
                    *chains
                }
                MlpPoint::Empty { .. } => panic!("empty"),
            })
            .collect();
        assert_eq!(chains, SWEEP);
    }

    #[test]
    fn bad_chain_counts_and_thread_counts_are_refused() {
        assert!(chain_counts("0").is_err());
        assert!(chain_counts("33").is_err());
        assert_eq!(chain_counts("3, 5").unwrap(), vec![3, 5]);
        let host = fixture_host();
        let too_small = Settings::new(ID).with(&BYTES.spec, 1024u64).with(&NODES.spec, "0");
        let err = Mlp::default().plan(&too_small, &host).unwrap_err().to_string();
        assert!(err.contains("under two lines per chain"), "{err}");
    }

    /// On this machine, node 0: every metric present and Little's law as
    /// stated: in flight per thread = chains x idle latency / step latency.
    #[test]
    fn a_measured_point_derives_its_misses_in_flight_from_its_own_figures() {
        let (host, mut session) = crate::session::tests::quick_live();
        let settings = Settings::new(ID).with(&BYTES.spec, 2u64 << 20).with(&CHAINS.spec, "4");
        let mut mlp = Mlp::default();
        let points = mlp.plan(&settings, &host).unwrap();
        let m = mlp.measure(&points[0], &mut session).unwrap();
        let metric = |name: &str| m.metrics.iter().find(|x| x.name == name).unwrap();
        let (latency, idle, in_flight) = (metric("latency"), metric("latency_idle"), metric("in_flight_per_thread"));
        for (step, flight) in latency.samples.iter().zip(&in_flight.samples) {
            let expected = 4.0 * idle.value / step;
            assert!((flight - expected).abs() <= 1e-9 * expected, "{flight} vs {expected}");
        }
        assert_eq!(metric("in_flight_per_node").samples, in_flight.samples, "one thread");
        assert_eq!(m.placement.unwrap().on_node_fraction, Some(1.0));
        assert_eq!(m.info["lines_per_chain"], (2 << 20) / 64 / 4);
    }
}
