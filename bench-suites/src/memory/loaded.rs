//! `memory.loaded_latency`: pointer-chase latency on a memory node while
//! other threads load the same node with traffic, swept over the delay
//! injected between traffic requests (Intel MLC --loaded_latency).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_schema::{Better, ParamValue};

use super::chase::{Chase, LOADS_PER_ITERATION};
use super::latency::PAGES;
use super::placed::{self, LINE};
use super::traffic::{self, Counter, Mix, MIXES, REQUEST_BYTES};
use super::{nodes, pinned};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{median_metric, Workload};
use crate::params::{ParamKind, ParamSpec, Params};
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

const ID: &str = "memory.loaded_latency";
const SEED: u64 = 0x6c6f_6164_6564;
/// The `delay` value of the zero-load point: no traffic threads at all.
pub const NO_TRAFFIC: &str = "none";
/// Intel MLC's default delays, in its order (MLC counts them in cycles;
/// here they are spin-loop iterations, see [`traffic::spin`]).
pub const MLC_DELAYS: &[u64] =
    &[0, 2, 8, 15, 50, 100, 200, 300, 400, 500, 700, 1000, 1300, 1700, 2500, 3500, 5000, 9000, 20000];

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "latency under load: a pointer chase on a node while other threads load it, over injected delays",
    metrics: "latency ns (median, of the chasing thread), bandwidth GB/s (median, of the traffic threads)",
    params: &[
        ParamSpec { name: "node", kind: ParamKind::Text, default: "local", help: "memory node: N, local, all or cpuless (one curve per node)" },
        ParamSpec { name: "cpu_node", kind: ParamKind::Node, default: "the node, else the nearest with CPUs", help: "node whose CPUs chase and make traffic" },
        ParamSpec { name: "delay", kind: ParamKind::Text, default: "sweep", help: "spin iterations between traffic requests: N, a list (0,50,none), none (zero load) or sweep (none + MLC's 19)" },
        ParamSpec { name: "mix", kind: ParamKind::Choice(MIXES), default: "read", help: "traffic reads:writes" },
        ParamSpec { name: "threads", kind: ParamKind::Count, default: "every other CPU of cpu_node", help: "traffic threads" },
        ParamSpec { name: "bytes", kind: ParamKind::Bytes, default: "4x the last-level cache (>= 64 MiB)", help: "chased working set" },
        ParamSpec { name: "traffic_bytes", kind: ParamKind::Bytes, default: "4x the last-level cache (>= 64 MiB)", help: "traffic buffer, split among the traffic threads" },
        ParamSpec { name: "page", kind: ParamKind::Choice(PAGES), default: "thp", help: "page size to ask for, both buffers" },
    ],
    make: || Box::new(LoadedLatency::default()),
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

/// One point's settings, resolved from its params.
struct Point {
    key: Key,
    cpu_node: u32,
    traffic_cpus: Vec<u32>,
    delay: Option<u64>,
    mix: Mix,
}

/// The delays a `delay` param names: None is the zero-load point.
fn delays(text: &str) -> Result<Vec<Option<u64>>, BenchError> {
    if text == "sweep" {
        return Ok(std::iter::once(None).chain(MLC_DELAYS.iter().map(|&d| Some(d))).collect());
    }
    text.split(',')
        .map(str::trim)
        .map(|d| match d {
            NO_TRAFFIC => Ok(None),
            n => n.parse().map(Some).map_err(|_| {
                BenchError::bad_param(ID, "delay", format!("'{n}' is not a number of iterations, none or sweep"))
            }),
        })
        .collect()
}

/// The traffic threads a point on `cpu_node` runs: `threads`, or every CPU
/// of the node but the chaser's.
fn traffic_threads(params: &Params, cpu_node: u32, ctx: &Context) -> Result<u64, BenchError> {
    let available = nodes::cpus_of(&ctx.topology, cpu_node).len().saturating_sub(1) as u64;
    match params.uint("threads") {
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

fn resolve(point: &Params, ctx: &Context) -> Result<Point, BenchError> {
    let node = nodes::planned_node(point)?;
    let cpu_node =
        point.uint("cpu_node").and_then(|n| u32::try_from(n).ok()).expect("planned points name the CPU node");
    let cpus = nodes::initiator_cpus(&ctx.topology, cpu_node)?;
    let threads = point.uint("threads").unwrap_or(0) as usize;
    let delay = match point.0.get("delay") {
        Some(ParamValue::Int(d)) => Some(*d as u64),
        _ => None,
    };
    if delay.is_some() && cpus.len() < 2 {
        return Err(BenchError::Unavailable(format!(
            "loaded latency needs two CPUs on node {cpu_node} (a chaser and a traffic thread); it has {}",
            cpus.len()
        )));
    }
    let page =
        PagePolicy::parse(point.text("page").unwrap_or("thp")).map_err(|e| BenchError::bad_param(ID, "page", e))?;
    Ok(Point {
        key: Key {
            node,
            chaser: cpus[0],
            bytes: placed::working_set(ID, "bytes", point, ctx)?,
            traffic_bytes: placed::working_set(ID, "traffic_bytes", point, ctx)?,
            page,
        },
        cpu_node,
        traffic_cpus: cpus[1..].iter().copied().take(threads).collect(),
        delay,
        mix: Mix::parse(point.text("mix").unwrap_or("read")).expect("mix is a checked choice"),
    })
}

impl Benchmark for LoadedLatency {
    fn points(&mut self, params: &Params, ctx: &Context) -> Result<Vec<Params>, BenchError> {
        let targets = nodes::select(ID, "node", params.text("node").unwrap_or("local"), ctx)?;
        let delays = delays(params.text("delay").unwrap_or("sweep"))?;
        let (bytes, traffic_bytes) =
            (placed::working_set(ID, "bytes", params, ctx)?, placed::working_set(ID, "traffic_bytes", params, ctx)?);
        ctx.check_fits(ID, bytes + traffic_bytes)?;
        let page = params.text("page").unwrap_or("thp");
        let mix = params.text("mix").unwrap_or("read");
        let mut points = Vec::new();
        for node in targets {
            let cpu_node = match params.uint("cpu_node") {
                Some(n) => nodes::select_initiators(ID, &n.to_string(), ctx)?[0],
                None => nodes::initiator_for(&ctx.topology, node)
                    .ok_or_else(|| BenchError::BadInput(format!("{ID}: no node has CPUs")))?,
            };
            let threads = traffic_threads(params, cpu_node, ctx)?;
            if traffic_bytes / LINE < threads {
                return Err(BenchError::bad_param(
                    ID,
                    "traffic_bytes",
                    format!("{traffic_bytes} bytes is less than a line for each of {threads} traffic threads"),
                ));
            }
            for &delay in &delays {
                let base = Params::default()
                    .with("node", node)
                    .with("cpu_node", cpu_node)
                    .with("mix", mix)
                    .with("bytes", bytes)
                    .with("traffic_bytes", traffic_bytes)
                    .with("page", page);
                points.push(match delay {
                    Some(d) => base.with("delay", d).with("threads", threads),
                    None => base.with("delay", NO_TRAFFIC).with("threads", 0u64),
                });
            }
        }
        if points.is_empty() {
            return Ok(vec![nodes::empty_selection(params.text("node").unwrap_or("cpuless"))]);
        }
        Ok(points)
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let p = resolve(point, ctx)?;
        let prepared = self.prepare(p.key, ctx)?;
        let (latency, bandwidth) = under_load(&mut *prepared, &p, ctx)?;
        let mut info = BTreeMap::new();
        info.insert("chaser_cpu".into(), p.key.chaser.into());
        info.insert("latency_clock".into(), "CPU time of the chasing thread (time descheduled not counted)".into());
        info.insert("traffic_cpus".into(), p.traffic_cpus.clone().into());
        info.insert("spin_ns_per_iteration".into(), prepared.spin_ns.into());
        if let Some(d) = p.delay {
            info.insert("delay_ns".into(), (d as f64 * prepared.spin_ns).into());
        }
        info.insert("delay_unit".into(), "iterations of a one-add dependent loop (MLC counts cycles)".into());
        info.insert(
            "bandwidth_counting".into(),
            format!("{REQUEST_BYTES} B per traffic request, reads and writes alike; read-for-ownership of written lines and the chaser's own loads not counted").into(),
        );
        let traffic_fraction =
            prepared.traffic_region.verify_node(prepared.traffic_region.len(), p.key.node).map(|c| c.fraction()).ok();
        placed::check_second_buffer(ctx, ID, point, "traffic buffer", traffic_fraction, p.key.node);
        info.insert("traffic_on_node_fraction".into(), traffic_fraction.into());
        if let Some(label) = nodes::tier_of(&ctx.topology, p.cpu_node, &BTreeMap::new(), p.key.node) {
            info.insert("tier".into(), serde_json::to_value(label).expect("labels serialize"));
        }
        Ok(Measured {
            metrics: vec![
                median_metric("latency", "ns", latency, Better::Lower),
                median_metric("bandwidth", "GB/s", bandwidth, Better::Higher),
            ],
            placement: Some(prepared.chase_region.placement(p.key.bytes as usize)),
            info,
        })
    }
}

impl LoadedLatency {
    /// Places, touches and builds the buffers for `key` unless they are ready.
    fn prepare(&mut self, key: Key, ctx: &Context) -> Result<&mut Prepared, BenchError> {
        if self.prepared.as_ref().is_some_and(|p| p.key == key) {
            return Ok(self.prepared.as_mut().expect("checked"));
        }
        self.prepared = None;
        let chase_region = placed::place(ctx, key.bytes, key.page, key.node)?;
        let traffic_region = placed::place(ctx, key.traffic_bytes, key.page, key.node)?;
        let (chase, spin_ns) = pinned::run_on(key.chaser, || {
            chase_region.first_touch(0, chase_region.len());
            traffic_region.first_touch(0, traffic_region.len());
            let lines = (key.bytes / LINE) as usize;
            // SAFETY: the region holds `bytes` bytes, page aligned.
            let chase = unsafe { Chase::build(chase_region.as_ptr(), lines, LINE as usize, SEED ^ key.bytes) };
            Ok((chase, traffic::spin_ns_per_iteration()))
        })?;
        Ok(self.prepared.insert(Prepared { key, chase_region, traffic_region, chase, spin_ns }))
    }
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec; this clock always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The chase as a workload that also samples the traffic counters. Each
/// run is timed by the chasing thread's CPU time, so time it spends
/// descheduled (other processes on a shared machine) is not taken for
/// memory latency; on an otherwise idle machine this equals wall time.
/// The traffic bandwidth of a run is its requests over the run's wall time.
/// `runs` holds (CPU seconds, GB/s) per run.
struct ChaseUnderLoad<'a> {
    chase: &'a mut Chase,
    counters: &'a [Counter],
    runs: Vec<(f64, f64)>,
}

impl ChaseUnderLoad<'_> {
    /// The bandwidth of each kept sample: the kept samples are consecutive
    /// runs, found by their times (the sampler may run more before, for
    /// calibration, and after, to fill an energy window).
    fn bandwidth_of(&self, kept: &[f64]) -> Vec<f64> {
        let last_start = self.runs.len().saturating_sub(kept.len());
        let start = (0..=last_start)
            .rev()
            .find(|&i| self.runs[i..].iter().map(|r| r.0).take(kept.len()).eq(kept.iter().copied()))
            .expect("every kept sample is a run");
        self.runs[start..start + kept.len()].iter().map(|r| r.1).collect()
    }
}

impl Workload for ChaseUnderLoad<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let before = traffic::total(self.counters);
        let (wall, cpu) = (Instant::now(), thread_cpu_time());
        std::hint::black_box(self.chase.walk(iterations));
        let (cpu, wall) = (thread_cpu_time() - cpu, wall.elapsed());
        let requests = traffic::total(self.counters) - before;
        self.runs.push((cpu.as_secs_f64(), (requests * REQUEST_BYTES) as f64 / wall.as_secs_f64() / 1e9));
        Ok(cpu)
    }
}

/// Runs the traffic threads and samples the chase meanwhile. Returns the
/// kept samples: latency (ns per load) and traffic bandwidth (GB/s).
fn under_load(prepared: &mut Prepared, p: &Point, ctx: &Context) -> Result<(Vec<f64>, Vec<f64>), BenchError> {
    let counters: Vec<Counter> = p.traffic_cpus.iter().map(|_| Counter::default()).collect();
    let stop_traffic = AtomicBool::new(false);
    let Prepared { traffic_region: region, chase, .. } = prepared;
    let words = region.len() / 8;
    // SAFETY: the traffic region is only touched through this slice while
    // it lives, and the chunks handed to the workers are disjoint.
    let all = unsafe { std::slice::from_raw_parts_mut(region.as_ptr().cast::<u64>(), words) };
    let per_thread = (words / p.traffic_cpus.len().max(1)) / 8 * 8;
    let (sampler, stop) = (ctx.sampler, &ctx.stop);
    std::thread::scope(|s| {
        let workers: Vec<_> = p
            .traffic_cpus
            .iter()
            .zip(all.chunks_mut(per_thread.max(8)))
            .zip(&counters)
            .map(|((&cpu, chunk), counter)| {
                let stop_traffic = &stop_traffic;
                s.spawn(move || {
                    let pinned = pinned::pin(cpu);
                    if pinned.is_ok() {
                        traffic::generate(chunk, p.mix, p.delay.unwrap_or(0), counter, stop_traffic);
                    } else {
                        stop_traffic.store(true, Ordering::Relaxed);
                    }
                    pinned
                })
            })
            .collect();
        let measured = pinned::run_on(p.key.chaser, || {
            let mut workload = ChaseUnderLoad { chase, counters: &counters, runs: Vec::new() };
            let set = sampler.sample(&mut workload, stop)?;
            let loads = (set.iterations * LOADS_PER_ITERATION) as f64;
            Ok((set.map(|secs, _| secs * 1e9 / loads), workload.bandwidth_of(&set.seconds)))
        });
        stop_traffic.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        }
        measured
    })
}
