//! `memory.loaded_latency`: pointer-chase latency on a memory node while
//! other threads load the same node with traffic, swept over the delay
//! injected between traffic requests (Intel MLC --loaded_latency), for
//! several read:write mixes: a family of latency-bandwidth curves per node
//! ("Mess", MICRO 2024), each point with the chase's latency distribution
//! (p50 to p99.9, timed batches: see [`super::tails`]) and, where the
//! machine has them, the memory-side counters' bandwidth beside the
//! traffic threads' own count.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::uncore::{UncoreBytes, UncoreEvent};
use hwbench_schema::{Better, Metric};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::chase::Chase;
use super::placed::{self, LINE};
use super::rows::{self, CPU_NODE, PAGE};
use super::tails;
use super::traffic::{self, Counter, Mix, MIXES, REQUEST_BYTES};
use super::{latency, nodes, pinned};
use crate::budget::Sweep;
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{median_metric, Workload};
use crate::host::Host;
use crate::params::{describe, params_of, Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use crate::undisturbed::Undisturbed;

const ID: &str = "memory.loaded_latency";
const SEED: u64 = 0x6c6f_6164_6564;
/// The `delay` value of the zero-load point: no traffic threads at all.
pub const NO_TRAFFIC: &str = "none";
/// Intel MLC's default delays, in its order (MLC counts them in cycles;
/// here they are spin-loop iterations, see [`traffic::spin`]).
pub const MLC_DELAYS: &[u64] =
    &[0, 2, 8, 15, 50, 100, 200, 300, 400, 500, 700, 1000, 1300, 1700, 2500, 3500, 5000, 9000, 20000];

const NODES: Param<String> = rows::nodes("local");
const DELAY: Param<String> = Param::new(
    "delay",
    ParamKind::Text,
    Unset::Value("sweep"),
    "spin iterations between traffic requests: N, a list (0,50,none), none (zero load) or sweep (none + MLC's 19)",
);
const MIX: Param<String> = Param::new(
    "mix",
    ParamKind::Text,
    Unset::Value("all"),
    "traffic mixes, one curve each: read, 3:1, 2:1, 1:1 (reads:writes), nt_write (non-temporal whole-line stores), a comma list, or all",
);
const THREADS: Param<u64> =
    Param::new("threads", ParamKind::Count, Unset::Derived("every other CPU of cpu_node"), "traffic threads");
const BYTES: Param<u64> = rows::working_set("bytes", "chased working set");
const TRAFFIC_BYTES: Param<u64> = rows::working_set("traffic_bytes", "traffic buffer, split among the traffic threads");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "latency under load: a pointer chase on a node while other threads load it, over injected delays, per traffic mix",
    metrics: "latency ns (median of the chasing thread's undisturbed samples), latency_all ns, latency_p50/p90/p99/p999 ns (timed batches), bandwidth GB/s (median, of the traffic threads), uncore_bandwidth GB/s (memory-side counters, where they exist)",
    params: &[NODES.spec, CPU_NODE.spec, DELAY.spec, MIX.spec, THREADS.spec, BYTES.spec, TRAFFIC_BYTES.spec, PAGE.spec],
    uses_gpu: false,
    summaries: &[],
    make: || erase(LoadedLatency::default()),
};

/// What the chase and traffic buffers were prepared for.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    node: u32,
    chaser: u32,
    bytes: u64,
    traffic_bytes: u64,
    page: PagePolicy,
}

/// Buffers placed on one node, kept while consecutive points share them.
struct Prepared {
    key: Key,
    chase_region: Region,
    traffic_region: Region,
    chase: Chase,
    spin_ns: f64,
}

/// Instance state: the buffers of the node being measured.
#[derive(Default)]
pub struct LoadedLatency {
    prepared: Option<Prepared>,
}

/// The delay between traffic requests, or no traffic at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// The zero-load point: no traffic threads.
    NoTraffic,
    /// Spin iterations between requests.
    Spins(u64),
}

/// Written as the spin count, or "none".
impl Serialize for Delay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Delay::NoTraffic => serializer.serialize_str(NO_TRAFFIC),
            Delay::Spins(n) => serializer.serialize_u64(*n),
        }
    }
}

/// One point: a load level on one node, or the stand-in for an empty
/// selection, which measures as skipped saying why.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LoadedPoint {
    /// The chase on `node` from `cpu_node` under traffic.
    Level {
        /// The memory node.
        node: u32,
        /// The node whose CPUs chase and make traffic.
        cpu_node: u32,
        /// Traffic reads:writes.
        mix: &'static str,
        /// Bytes chased.
        bytes: u64,
        /// Bytes of the traffic buffer.
        traffic_bytes: u64,
        /// Pages asked for, both buffers.
        page: PagePolicy,
        /// The injected delay.
        delay: Delay,
        /// Traffic threads (0 at zero load).
        threads: u64,
    },
    /// Nothing to measure: the selection as given.
    Empty {
        /// The selection that named no node.
        node: String,
    },
}

/// The delays a `delay` param names.
fn delays(text: &str) -> Result<Vec<Delay>, BenchError> {
    if text == "sweep" {
        return Ok(std::iter::once(Delay::NoTraffic).chain(MLC_DELAYS.iter().map(|&d| Delay::Spins(d))).collect());
    }
    text.split(',')
        .map(str::trim)
        .map(|d| match d {
            NO_TRAFFIC => Ok(Delay::NoTraffic),
            n => n.parse().map(Delay::Spins).map_err(|_| {
                BenchError::bad_param(ID, "delay", format!("'{n}' is not a number of iterations, none or sweep"))
            }),
        })
        .collect()
}

/// The mixes a `mix` param names.
fn mixes(text: &str) -> Result<Vec<&'static str>, BenchError> {
    if text == "all" {
        return Ok(MIXES.to_vec());
    }
    text.split(',')
        .map(str::trim)
        .map(|m| {
            MIXES.iter().copied().find(|known| *known == m).ok_or_else(|| {
                BenchError::bad_param(ID, "mix", format!("'{m}' is not one of {}, or all", MIXES.join(", ")))
            })
        })
        .collect()
}

/// The traffic threads a point on `cpu_node` runs: `threads`, or every CPU
/// of the node but the chaser's.
fn traffic_threads(settings: &Settings, cpu_node: u32, host: &Host) -> Result<u64, BenchError> {
    let available = nodes::cpus_of(&host.topology, cpu_node).len().saturating_sub(1) as u64;
    match THREADS.get(settings)? {
        Some(0) => {
            Err(BenchError::bad_param(ID, "threads", "0 traffic threads: use delay=none for the zero-load point"))
        }
        Some(t) if t > available => Err(BenchError::bad_param(
            ID,
            "threads",
            format!("{t} traffic threads, but node {cpu_node} has {available} CPUs besides the chaser's"),
        )),
        Some(t) => Ok(t),
        None => Ok(available),
    }
}

impl Benchmark for LoadedLatency {
    type Point = LoadedPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<LoadedPoint>, BenchError> {
        let text = NODES.value(settings)?;
        let targets = nodes::select(ID, "node", &text, host)?;
        let delays = delays(&DELAY.value(settings)?)?;
        let bytes = placed::working_set(&BYTES, settings, host)?;
        let traffic_bytes = placed::working_set(&TRAFFIC_BYTES, settings, host)?;
        host.check_fits(ID, bytes + traffic_bytes)?;
        let page = PAGE.value(settings)?;
        let mixes = mixes(&MIX.value(settings)?)?;
        let mut points = Vec::new();
        for node in targets {
            let cpu_node = nodes::cpu_node_for(ID, CPU_NODE.get(settings)?, node, host)?;
            let threads = traffic_threads(settings, cpu_node, host)?;
            if traffic_bytes / LINE < threads {
                return Err(BenchError::bad_param(
                    ID,
                    "traffic_bytes",
                    format!("{traffic_bytes} bytes is less than a line for each of {threads} traffic threads"),
                ));
            }
            for &mix in &mixes {
                for &delay in &delays {
                    let threads = if delay == Delay::NoTraffic { 0 } else { threads };
                    points.push(LoadedPoint::Level { node, cpu_node, mix, bytes, traffic_bytes, page, delay, threads });
                }
            }
        }
        if points.is_empty() {
            return Ok(vec![LoadedPoint::Empty { node: text }]);
        }
        Ok(points)
    }

    fn measure(&mut self, point: &LoadedPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let &LoadedPoint::Level { node, cpu_node, mix, bytes, traffic_bytes, page, delay, threads } = point else {
            return Err(BenchError::Unavailable(nodes::no_cpuless_node(session.host())));
        };
        let cpus = nodes::initiator_cpus(&session.host().topology, cpu_node)?;
        let mix = Mix::parse(mix).ok_or_else(|| BenchError::Failed(format!("unknown mix {mix}")))?;
        if mix.nontemporal && !traffic::HAS_NONTEMPORAL {
            return Err(BenchError::Unavailable(format!("no non-temporal store path on {}", std::env::consts::ARCH)));
        }
        if delay != Delay::NoTraffic && cpus.len() < 2 {
            return Err(BenchError::Unavailable(format!(
                "loaded latency needs two CPUs on node {cpu_node} (a chaser and a traffic thread); it has {}",
                cpus.len()
            )));
        }
        let key = Key { node, chaser: cpus[0], bytes, traffic_bytes, page };
        let load = Load {
            traffic_cpus: cpus[1..].iter().copied().take(threads as usize).collect(),
            delay: match delay {
                Delay::NoTraffic => 0,
                Delay::Spins(n) => n,
            },
            mix,
        };
        let uncore = hwbench_probes::uncore::discover(&session.host().root);
        let prepared = self.prepare(key, session.host())?;
        let seen = under_load(prepared, key.chaser, &load, uncore.as_deref().unwrap_or(&[]), session)?;
        let mut info = BTreeMap::new();
        info.insert("chaser_cpu".into(), key.chaser.into());
        info.insert("traffic_cpus".into(), load.traffic_cpus.clone().into());
        info.insert("spin_ns_per_iteration".into(), prepared.spin_ns.into());
        if let Delay::Spins(d) = delay {
            info.insert("delay_ns".into(), (d as f64 * prepared.spin_ns).into());
        }
        info.insert("delay_unit".into(), "iterations of a one-add dependent loop (MLC counts cycles)".into());
        info.insert(
            "bandwidth_counting".into(),
            format!("{REQUEST_BYTES} B per traffic request, reads and writes alike; read-for-ownership of written lines and the chaser's own loads not counted").into(),
        );
        info.extend([seen.chased.info("descheduling")]);
        info.extend(seen.tails.info());
        let mut metrics = seen.chased.metrics("latency", "ns", Better::Lower, latency::ns_per_load)?;
        metrics.push(Metric {
            statistic: seen.chased.statistic().into(),
            ..median_metric("bandwidth", "GB/s", seen.bandwidth, Better::Higher)
        });
        metrics.extend(seen.tails.metrics(tails::ALL));
        match uncore.and(seen.uncore) {
            Ok(bytes) => {
                metrics.push(Metric::new(
                    "uncore_bandwidth",
                    "GB/s",
                    bytes.gbs(),
                    "window",
                    Vec::new(),
                    Better::Higher,
                ));
                info.insert(
                    "uncore_window".into(),
                    "the chaser's sampling phase, calibration included; every process on the memory counted".into(),
                );
            }
            Err(why) => {
                info.insert("uncore_bandwidth".into(), format!("unavailable: {why}").into());
            }
        }
        let traffic_fraction =
            prepared.traffic_region.verify_node(prepared.traffic_region.len(), node).map(|c| c.fraction()).ok();
        let what = format!("{ID} {}", params_of(point).map(|p| describe(&p)).unwrap_or_default());
        placed::check_second_buffer(session, &what, "traffic buffer", traffic_fraction, node);
        info.insert("traffic_on_node_fraction".into(), traffic_fraction.into());
        if let Some(label) = nodes::tier_of(&session.host().topology, cpu_node, &BTreeMap::new(), node) {
            info.insert("tier".into(), serde_json::to_value(label).unwrap_or(Value::Null));
        }
        Ok(Measured { metrics, placement: Some(prepared.chase_region.placement(bytes as usize)), info })
    }

    /// The buffers are placed, touched and the chase built when the node or
    /// sizes change; every point starts its traffic threads, samples the
    /// chase, times its tails and looks up the traffic buffer's pages.
    fn estimate(&self, point: &LoadedPoint, previous: Option<&LoadedPoint>, cost: &CostModel) -> f64 {
        let LoadedPoint::Level { bytes, traffic_bytes, page, threads, .. } = *point else { return 0.0 };
        let key = |p: &LoadedPoint| match *p {
            LoadedPoint::Level { node, cpu_node, bytes, traffic_bytes, page, .. } => {
                Some((node, cpu_node, bytes, traffic_bytes, page))
            }
            LoadedPoint::Empty { .. } => None,
        };
        let prepare = if previous.and_then(key) == key(point) {
            0.0
        } else {
            cost.touch(bytes + traffic_bytes, 1, page) + cost.chase_build(bytes, LINE)
        };
        prepare
            + cost.threads(threads as usize)
            + cost.sliced(cost.sampler, threads > 0)
            + cost.tails(tails::loaded_config(&cost.sampler), threads > 0)
            + cost.page_census(bytes + traffic_bytes)
    }

    fn sweep(&self, points: &[LoadedPoint]) -> Option<Sweep> {
        let load = |p: &LoadedPoint| match *p {
            LoadedPoint::Level { delay: Delay::NoTraffic, .. } => Some(0),
            LoadedPoint::Level { delay: Delay::Spins(n), .. } => Some(u64::MAX - n),
            LoadedPoint::Empty { .. } => None,
        };
        Sweep::along(points, load, "delays", 3, "zero load, saturation and a level between: a curve")
    }

    fn release(&mut self) {
        self.prepared = None;
    }
}

/// The traffic of one point.
struct Load {
    traffic_cpus: Vec<u32>,
    delay: u64,
    mix: Mix,
}

impl LoadedLatency {
    /// Places, touches and builds the buffers for `key` unless they are ready.
    fn prepare(&mut self, key: Key, host: &Host) -> Result<&mut Prepared, BenchError> {
        if self.prepared.as_ref().is_none_or(|p| p.key != key) {
            // The old buffers go before the new ones are placed.
            self.prepared = None;
            self.prepared = Some(Prepared::place(key, host)?);
        }
        self.prepared.as_mut().ok_or_else(|| BenchError::Failed("the buffers were not placed".into()))
    }
}

impl Prepared {
    /// Places, touches and builds the buffers for `key`.
    fn place(key: Key, host: &Host) -> Result<Prepared, BenchError> {
        let chase_region = placed::place(host, key.bytes, key.page, key.node)?;
        let traffic_region = placed::place(host, key.traffic_bytes, key.page, key.node)?;
        let (chase, spin_ns) = pinned::run_on(key.chaser, || {
            chase_region.first_touch(0, chase_region.len());
            traffic_region.first_touch(0, traffic_region.len());
            let lines = (key.bytes / LINE) as usize;
            // SAFETY: the region holds `bytes` bytes, page aligned.
            let chase = unsafe { Chase::build(chase_region.as_ptr(), lines, LINE as usize, SEED ^ key.bytes) };
            Ok((chase, traffic::spin_ns_per_iteration()))
        })?;
        Ok(Prepared { key, chase_region, traffic_region, chase, spin_ns })
    }
}

/// The chase as a workload that also samples the traffic counters: each
/// run is timed by wall time, and `runs` holds the traffic requests and
/// seconds of every run, in order, so that a sample's bandwidth is the
/// traffic over its own (undisturbed) slices.
struct ChaseUnderLoad<'a> {
    chase: &'a mut Chase,
    counters: &'a [Counter],
    runs: Vec<(u64, f64)>,
}

impl Workload for ChaseUnderLoad<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let before = traffic::total(self.counters);
        let started = Instant::now();
        std::hint::black_box(self.chase.walk(iterations));
        let took = started.elapsed();
        self.runs.push((traffic::total(self.counters) - before, took.as_secs_f64()));
        Ok(took)
    }
}

impl ChaseUnderLoad<'_> {
    /// GB/s of the traffic over the runs of each sample.
    fn bandwidth(&self, set: &Undisturbed) -> Vec<f64> {
        set.samples
            .iter()
            .map(|s| {
                let (requests, seconds) = s
                    .runs
                    .iter()
                    .filter_map(|&i| self.runs.get(i))
                    .fold((0, 0.0), |(r, t), &(n, secs)| (r + n, t + secs));
                (requests * REQUEST_BYTES) as f64 / seconds / 1e9
            })
            .collect()
    }
}

/// What the chaser saw under one load.
struct UnderLoad {
    /// The chase's samples, time off the CPU set aside.
    chased: Undisturbed,
    /// The traffic's GB/s over each of the same samples.
    bandwidth: Vec<f64>,
    /// The latency distribution of a second phase under the same load.
    tails: tails::Tails,
    /// What the memory-side counters saw over the first phase, or why not.
    uncore: Result<UncoreBytes, String>,
}

/// Runs the traffic threads and samples the chase on `chaser` meanwhile:
/// first the latency and bandwidth samples, then the tail phase, with the
/// memory-side counters of `uncore` around the first.
fn under_load(
    prepared: &mut Prepared,
    chaser: u32,
    p: &Load,
    uncore: &[UncoreEvent],
    session: &mut Session,
) -> Result<UnderLoad, BenchError> {
    let Prepared { traffic_region: region, chase, .. } = prepared;
    traffic::run_with(&p.traffic_cpus, region, p.mix, p.delay, |counters| {
        pinned::run_on(chaser, || {
            let window = hwbench_probes::uncore::UncoreWindow::start(&session.host().root, uncore);
            let mut workload = ChaseUnderLoad { chase: &mut *chase, counters, runs: Vec::new() };
            let chased = session.sample_this_thread(session.sampler, &mut workload)?;
            let uncore = window.and_then(|w| w.stop());
            let bandwidth = workload.bandwidth(&chased);
            let cfg = tails::loaded_config(&session.sampler);
            let tails = tails::sample(session, chase, cfg)?;
            Ok(UnderLoad { chased, bandwidth, tails, uncore })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;
    use hwbench_probes::SysRoot;

    #[test]
    fn the_family_is_every_mix_over_every_delay_of_each_node() {
        let host = Host::new(SysRoot::default(), fixture("two-socket-cxl"));
        let s = Settings::new(ID).with(&NODES.spec, "all").with(&BYTES.spec, 64u64 << 20);
        let points = LoadedLatency::default().plan(&s, &host).unwrap();
        // 3 nodes x 5 mixes x (zero load + 19 delays).
        assert_eq!(points.len(), 3 * 5 * 20);
        let curve: Vec<&LoadedPoint> =
            points.iter().filter(|p| matches!(p, LoadedPoint::Level { node: 2, mix: "nt_write", .. })).collect();
        assert_eq!(curve.len(), 20);
        assert!(matches!(curve[0], LoadedPoint::Level { delay: Delay::NoTraffic, threads: 0, cpu_node: 0, .. }));
        let one = Settings::new(ID).with(&MIX.spec, "3:1, read").with(&DELAY.spec, "none,0");
        let mixes: Vec<&str> = LoadedLatency::default()
            .plan(&one.with(&BYTES.spec, 64u64 << 20), &host)
            .unwrap()
            .iter()
            .map(|p| match p {
                LoadedPoint::Level { mix, .. } => *mix,
                LoadedPoint::Empty { .. } => "",
            })
            .collect();
        assert_eq!(mixes, ["3:1", "3:1", "read", "read"]);
        let bad = Settings::new(ID).with(&MIX.spec, "4:1");
        assert!(LoadedLatency::default().plan(&bad, &host).unwrap_err().to_string().contains("'4:1' is not one of"));
    }

    /// On this machine: a zero-load and a loaded point of two mixes, each
    /// with ordered tails and the memory-side counters' figure or reason.
    #[test]
    fn every_point_has_ordered_tails_and_says_what_the_memory_counters_saw() {
        let (host, mut session) = crate::session::tests::quick_live();
        let s = Settings::new(ID)
            .with(&MIX.spec, "read,nt_write")
            .with(&DELAY.spec, "none,50")
            .with(&BYTES.spec, 4u64 << 20)
            .with(&TRAFFIC_BYTES.spec, 4u64 << 20);
        let mut bench = LoadedLatency::default();
        for point in bench.plan(&s, &host).unwrap() {
            let m = match bench.measure(&point, &mut session) {
                Err(BenchError::Unavailable(why)) => {
                    assert!(why.contains("two CPUs") || why.contains("non-temporal"), "{why}");
                    continue;
                }
                other => other.unwrap(),
            };
            let value = |name: &str| m.metrics.iter().find(|x| x.name == name).map(|x| x.value).unwrap();
            let tails = [value("latency_p50"), value("latency_p90"), value("latency_p99"), value("latency_p999")];
            assert!(tails.windows(2).all(|w| w[0] <= w[1]), "{point:?}: {tails:?}");
            let counted = m.metrics.iter().any(|x| x.name == "uncore_bandwidth");
            let reason = m.info.get("uncore_bandwidth").and_then(|v| v.as_str()).unwrap_or("");
            assert!(counted != reason.starts_with("unavailable: "), "{point:?}: {reason}");
            assert!(m.info.contains_key("latency_histogram"));
        }
    }
}
