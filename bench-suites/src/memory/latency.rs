//! `memory.latency`: idle load-to-use latency over working-set sizes by a
//! random pointer chase, and `memory.latency.levels`, the latency
//! attributed to each cache level and DRAM.

use std::collections::BTreeMap;

use hwbench_probes::placement::{PagePolicy, Region};
use hwbench_probes::topology::{cache_levels_for_pu, last_level_cache_bytes};
use hwbench_schema::{Better, Metric, ParamValue, Record, RecordStatus};

use super::chase::{Chase, LOADS_PER_ITERATION};
use super::{levels, pinned, sweep};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{median, median_metric};
use crate::params::{ParamKind, ParamSpec, Params};
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

const ID: &str = "memory.latency";
/// Id of the summary record.
pub const LEVELS_ID: &str = "memory.latency.levels";
const SEED: u64 = 0x6877_6265_6e63_68;

/// Page policy names, shared with other memory benchmarks.
pub const PAGES: &[&str] = &PagePolicy::NAMES;

/// The `page` param of the memory benchmarks.
pub const PAGE: ParamSpec = ParamSpec {
    name: "page",
    kind: ParamKind::Choice(PAGES),
    default: "thp",
    help: "page size to ask for (obtained size is recorded)",
};

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "idle memory latency by random pointer chase over working-set sizes",
    metrics: "latency ns (median), latency_min ns; summary record memory.latency.levels: l1, l2, l3, dram ns",
    params: &[
        ParamSpec {
            name: "bytes",
            kind: ParamKind::Bytes,
            default: "sweep 4 KiB .. >= 4x LLC",
            help: "one working-set size instead of the sweep",
        },
        PAGE,
        ParamSpec {
            name: "node",
            kind: ParamKind::Node,
            default: "first touch near the CPU",
            help: "NUMA node to bind the memory to",
        },
        ParamSpec {
            name: "cpu",
            kind: ParamKind::Cpu,
            default: "first CPU near the node",
            help: "CPU the chasing thread runs on",
        },
        ParamSpec {
            name: "stride",
            kind: ParamKind::Count,
            default: "64",
            help: "bytes between chased lines (128 defeats adjacent-line prefetch)",
        },
        ParamSpec { name: "min_bytes", kind: ParamKind::Bytes, default: "4KiB", help: "smallest size of the sweep" },
        ParamSpec {
            name: "max_bytes",
            kind: ParamKind::Bytes,
            default: "4x the last-level cache",
            help: "largest size of the sweep (rounded up to a sweep step)",
        },
        ParamSpec {
            name: "per_octave",
            kind: ParamKind::Count,
            default: "3",
            help: "sweep points per doubling of size",
        },
    ],
    make: || Box::new(Latency::default()),
};

/// Instance state: the buffer is allocated once at the largest planned size
/// and each point chases its prefix.
#[derive(Default)]
pub struct Latency {
    region: Option<Region>,
    largest: u64,
}

struct Settings {
    page: PagePolicy,
    node: Option<u32>,
    cpu: u32,
    stride: u64,
}

fn settings(params: &Params, ctx: &Context) -> Result<Settings, BenchError> {
    let page =
        PagePolicy::parse(params.text("page").unwrap_or("thp")).map_err(|e| BenchError::bad_param(ID, "page", e))?;
    let node = params.uint("node").map(|n| ctx.check_node(ID, n)).transpose()?;
    let cpu = match params.uint("cpu") {
        Some(c) => ctx.check_cpu(ID, c)?,
        None => *ctx.cpus_near(node).first().ok_or_else(|| BenchError::BadInput(format!("{ID}: no CPU available")))?,
    };
    let stride = params.uint("stride").unwrap_or(64);
    if stride < 8 || !stride.is_power_of_two() {
        return Err(BenchError::bad_param(ID, "stride", format!("{stride} is not a power of two of at least 8")));
    }
    Ok(Settings { page, node, cpu, stride })
}

impl Benchmark for Latency {
    fn points(&mut self, params: &Params, ctx: &Context) -> Result<Vec<Params>, BenchError> {
        let s = settings(params, ctx)?;
        let sizes = match params.uint("bytes") {
            Some(bytes) => {
                if bytes < 2 * s.stride {
                    return Err(BenchError::bad_param(
                        ID,
                        "bytes",
                        format!("{bytes} bytes is less than two lines of {} bytes", s.stride),
                    ));
                }
                vec![bytes / s.stride * s.stride]
            }
            None => {
                let caches: Vec<u64> = cache_levels_for_pu(&ctx.topology, s.cpu).iter().map(|l| l.1).collect();
                let llc = last_level_cache_bytes(&ctx.topology).max(caches.last().copied().unwrap_or(0));
                let min = params.uint("min_bytes").unwrap_or(4096).max(2 * s.stride);
                let max = params.uint("max_bytes").unwrap_or((4 * llc).max(64 << 20));
                if max < min {
                    return Err(BenchError::bad_param(ID, "max_bytes", format!("{max} is below min_bytes {min}")));
                }
                let per_octave = params.uint("per_octave").unwrap_or(3).clamp(1, 16) as u32;
                sweep::sizes(min, max, per_octave, &caches, s.stride)
            }
        };
        self.largest = sizes.iter().copied().max().unwrap_or(0);
        ctx.check_fits(ID, self.largest)?;
        Ok(sizes
            .into_iter()
            .map(|bytes| {
                let mut p = Params::default()
                    .with("bytes", bytes)
                    .with("page", s.page.name())
                    .with("cpu", s.cpu)
                    .with("stride", s.stride);
                if let Some(node) = s.node {
                    p = p.with("node", node);
                }
                p
            })
            .collect())
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let s = settings(point, ctx)?;
        let bytes = point.uint("bytes").unwrap_or(4096);
        let lines = (bytes / s.stride) as usize;
        let (largest, root, sampler, stop) = (self.largest, &ctx.root, ctx.sampler, &ctx.stop);
        let slot = &mut self.region;
        // On a thread of its own pinned to the CPU: first touch happens
        // there, and the caller's thread stays free for later benchmarks.
        let (set, placement) = pinned::run_on(s.cpu, || {
            if slot.is_none() {
                let region = Region::allocate(root, largest as usize, s.page, s.node)?;
                region.first_touch(0, region.len());
                *slot = Some(region);
            }
            let region = slot.as_ref().expect("allocated above");
            // SAFETY: the region holds `largest` >= bytes bytes, page aligned.
            let mut chase = unsafe { Chase::build(region.as_ptr(), lines, s.stride as usize, SEED ^ bytes) };
            Ok((sampler.sample(&mut chase, stop)?, region.placement(bytes as usize)))
        })?;
        let loads = (set.iterations * LOADS_PER_ITERATION) as f64;
        let ns = set.map(|secs, _| secs * 1e9 / loads);
        let min = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let mut info = BTreeMap::new();
        info.insert("loads_per_sample".into(), (set.iterations * LOADS_PER_ITERATION).into());
        info.insert("lines".into(), lines.into());
        info.insert("pattern".into(), "single random cycle over lines (Sattolo), dependent loads".into());
        Ok(Measured {
            metrics: vec![
                median_metric("latency", "ns", ns, Better::Lower),
                Metric {
                    name: "latency_min".into(),
                    unit: "ns".into(),
                    value: min,
                    statistic: "min".into(),
                    samples: Vec::new(),
                    better: Better::Lower,
                    repetitions: Vec::new(),
                },
            ],
            placement: Some(placement),
            info,
        })
    }

    fn summarize(&self, records: &[Record], ctx: &Context) -> Vec<Record> {
        let ok: Vec<&Record> = records.iter().filter(|r| r.status == RecordStatus::Ok).collect();
        let Some(first) = ok.first() else { return Vec::new() };
        let curve: Vec<(u64, f64)> = ok
            .iter()
            .filter_map(|r| {
                let bytes = match r.params.get("bytes") {
                    Some(ParamValue::Int(b)) => *b as u64,
                    _ => return None,
                };
                Some((bytes, r.metrics.iter().find(|m| m.name == "latency")?.value))
            })
            .collect();
        let cpu = match first.params.get("cpu") {
            Some(ParamValue::Int(c)) => *c as u32,
            _ => 0,
        };
        let mut params = first.params.clone();
        params.remove("bytes");
        let mut record = Record {
            id: LEVELS_ID.into(),
            params,
            status: RecordStatus::Ok,
            reason: None,
            metrics: Vec::new(),
            placement: None,
            info: BTreeMap::new(),
            energy: None,
            counters: None,
            interference: None,
        };
        if curve.len() < 2 {
            // A single size (bytes=) is not a curve: nothing to attribute.
            return Vec::new();
        }
        let found = levels::attribute(&cache_levels_for_pu(&ctx.topology, cpu), &curve);
        if found.is_empty() {
            record.status = RecordStatus::Skipped;
            record.reason = Some("no sweep point lies well inside any cache level (widen min_bytes..max_bytes)".into());
            return vec![record];
        }
        for level in found {
            let samples: Vec<f64> = curve.iter().filter(|(b, _)| level.sizes.contains(b)).map(|(_, l)| *l).collect();
            debug_assert_eq!(median(&samples), level.latency_ns);
            record.info.insert(format!("{}_sizes", level.name), level.sizes.clone().into());
            record.metrics.push(Metric {
                name: level.name,
                unit: "ns".into(),
                value: level.latency_ns,
                statistic: "median of plateau points".into(),
                samples,
                better: Better::Lower,
                repetitions: Vec::new(),
            });
        }
        vec![record]
    }
}
