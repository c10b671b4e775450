//! `memory.matrix`: idle latency and read bandwidth from every initiator
//! node (one with CPUs) to every memory node, CPU-less ones included (Intel
//! MLC --latency_matrix and --bandwidth_matrix in one), with the firmware's
//! HMAT figures and the node's tier label beside the measured ones.

use std::collections::BTreeMap;

use hwbench_probes::placement::PagePolicy;
use hwbench_schema::{Better, Topology};
use serde_json::Value;

use super::chase::{Chase, LOADS_PER_ITERATION};
use super::latency::PAGE;
use super::placed::{self, LINE};
use super::{bandwidth, nodes, pinned};
use crate::context::Context;
use crate::error::BenchError;
use crate::harness::{median, median_metric};
use crate::params::{ParamKind, ParamSpec, Params};
use crate::registry::{Benchmark, BenchmarkSpec, Measured};

const ID: &str = "memory.matrix";
const SEED: u64 = 0x6d61_7472_6978;
/// The bandwidth kernel of the matrix: memory.bandwidth's read-only sum.
const KERNEL: &str = "read";

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "latency and read bandwidth from every node with CPUs to every memory node, beside the HMAT figures",
    metrics:
        "latency ns (median, pointer chase), bandwidth GB/s (best, memory.bandwidth read kernel), bandwidth_median GB/s",
    params: &[
        ParamSpec {
            name: "node",
            kind: ParamKind::Text,
            default: "all",
            help: "memory nodes: N, all, cpuless or local",
        },
        ParamSpec {
            name: "cpu_node",
            kind: ParamKind::Text,
            default: "all",
            help: "initiator nodes (with CPUs): N or all",
        },
        ParamSpec {
            name: "bytes",
            kind: ParamKind::Bytes,
            default: "4x the last-level cache (>= 64 MiB)",
            help: "chased working set, and the read kernel's array",
        },
        PAGE,
    ],
    make: || Box::new(Matrix::default()),
};

/// Instance state: idle latencies measured so far, by initiator then
/// memory node, for the tier labels.
#[derive(Default)]
pub struct Matrix {
    measured: BTreeMap<u32, BTreeMap<u32, f64>>,
}

impl Benchmark for Matrix {
    fn points(&mut self, params: &Params, ctx: &Context) -> Result<Vec<Params>, BenchError> {
        let text = params.text("node").unwrap_or("all");
        let targets = nodes::select(ID, "node", text, ctx)?;
        let initiators = nodes::select_initiators(ID, params.text("cpu_node").unwrap_or("all"), ctx)?;
        let bytes = placed::working_set(ID, "bytes", params, ctx)?;
        ctx.check_fits(ID, bytes)?;
        if targets.is_empty() {
            return Ok(vec![nodes::empty_selection(text)]);
        }
        let page = params.text("page").unwrap_or("thp");
        let mut points = Vec::new();
        for &cpu_node in &initiators {
            // The initiator's own node first: the reference of its tier labels.
            let mut ordered = targets.clone();
            ordered.sort_by_key(|&n| (n != cpu_node, n));
            for node in ordered {
                points.push(
                    Params::default()
                        .with("cpu_node", cpu_node)
                        .with("node", node)
                        .with("bytes", bytes)
                        .with("page", page),
                );
            }
        }
        Ok(points)
    }

    fn measure(&mut self, point: &Params, ctx: &mut Context) -> Result<Measured, BenchError> {
        let node = nodes::planned_node(point)?;
        let cpu_node =
            point.uint("cpu_node").and_then(|n| u32::try_from(n).ok()).expect("planned points name the CPU node");
        let bytes = point.uint("bytes").expect("planned points name the size");
        let page =
            PagePolicy::parse(point.text("page").unwrap_or("thp")).map_err(|e| BenchError::bad_param(ID, "page", e))?;
        let chaser = nodes::initiator_cpus(&ctx.topology, cpu_node)?[0];

        let (latency, placement) = idle_latency(ctx, node, chaser, bytes, page)?;
        let read = read_bandwidth(ctx, point)?;

        let mut info = hmat_info(&ctx.topology, cpu_node, node);
        info.insert("chaser_cpu".into(), chaser.into());
        info.insert("bandwidth_kernel".into(), KERNEL.into());
        info.extend(read.info.into_iter().map(|(k, v)| (format!("bandwidth_{k}"), v)));
        if let Some(p) = &read.placement {
            info.insert("bandwidth_placement".into(), serde_json::to_value(p).expect("placements serialize"));
            placed::check_second_buffer(ctx, ID, point, "bandwidth arrays", p.on_node_fraction, node);
        }
        let measured = self.measured.entry(cpu_node).or_default();
        measured.insert(node, median(&latency));
        if let Some(label) = nodes::tier_of(&ctx.topology, cpu_node, measured, node) {
            info.insert("tier".into(), serde_json::to_value(label).expect("labels serialize"));
        }
        let mut metrics = vec![median_metric("latency", "ns", latency, Better::Lower)];
        metrics.extend(read.metrics);
        Ok(Measured { metrics, placement: Some(placement), info })
    }
}

/// Idle latency samples (ns per load) of a chase over `bytes` bound to
/// `node`, walked from `chaser`, and the verified placement of its pages.
fn idle_latency(
    ctx: &Context,
    node: u32,
    chaser: u32,
    bytes: u64,
    page: PagePolicy,
) -> Result<(Vec<f64>, hwbench_schema::Placement), BenchError> {
    let region = placed::place(ctx, bytes, page, node)?;
    let (sampler, stop) = (ctx.sampler, &ctx.stop);
    let latency = pinned::run_on(chaser, || {
        region.first_touch(0, region.len());
        // SAFETY: the region holds `bytes` bytes, page aligned.
        let mut chase = unsafe { Chase::build(region.as_ptr(), (bytes / LINE) as usize, LINE as usize, SEED ^ bytes) };
        let set = sampler.sample(&mut chase, stop)?;
        let loads = (set.iterations * LOADS_PER_ITERATION) as f64;
        Ok(set.map(|secs, _| secs * 1e9 / loads))
    })?;
    Ok((latency, region.placement(bytes as usize)))
}

/// memory.bandwidth's read kernel with every core of `cpu_node` on an
/// array of `bytes` bound to `node`: validated, placement verified.
fn read_bandwidth(ctx: &mut Context, point: &Params) -> Result<Measured, BenchError> {
    let mut params = Params::default().with("kernel", KERNEL);
    for name in ["node", "cpu_node", "bytes", "page"] {
        params.set(name, point.0[name].clone());
    }
    let mut bench = (bandwidth::SPEC.make)();
    let planned = bench.points(&params, ctx)?;
    let only = planned.first().ok_or_else(|| BenchError::Failed("memory.bandwidth planned no point".into()))?;
    bench.measure(only, ctx).map_err(|e| match e {
        BenchError::Failed(why) => BenchError::Failed(format!("bandwidth: {why}")),
        BenchError::Unavailable(why) => BenchError::Unavailable(format!("bandwidth: {why}")),
        other => other,
    })
}

/// The HMAT figures sysfs gives for memory `node` from `initiator` (the
/// CPU-initiator access class 1 when present, else class 0), as info.
fn hmat_info(topology: &Topology, initiator: u32, node: u32) -> BTreeMap<String, Value> {
    let figures = topology
        .nodes
        .iter()
        .find(|n| n.os_index == node)
        .and_then(|n| n.hmat.iter().filter(|h| h.initiators.contains(&initiator)).max_by_key(|h| h.access_class));
    let mut info = BTreeMap::new();
    match figures {
        Some(h) => {
            info.insert("hmat_access_class".into(), h.access_class.into());
            info.insert("hmat_read_latency_ns".into(), h.read_latency_ns.into());
            info.insert("hmat_write_latency_ns".into(), h.write_latency_ns.into());
            info.insert("hmat_read_bandwidth_mbps".into(), h.read_bandwidth_mbps.into());
            info.insert("hmat_write_bandwidth_mbps".into(), h.write_bandwidth_mbps.into());
        }
        None => {
            info.insert(
                "hmat".into(),
                format!("unavailable: sysfs gives no HMAT figures of node {node} for initiator node {initiator} (node{node}/access0|access1/initiators)").into(),
            );
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::nodes::tests::fixture;

    #[test]
    fn hmat_figures_are_those_of_the_initiator_asked_for() {
        let t = fixture("two-socket-cxl");
        let cxl = hmat_info(&t, 1, 2);
        assert_eq!(cxl["hmat_read_latency_ns"], 250);
        assert_eq!(cxl["hmat_read_bandwidth_mbps"], 30000);
        assert_eq!(cxl["hmat_access_class"], 1);
        let remote = hmat_info(&t, 0, 1);
        assert!(remote["hmat"]
            .as_str()
            .unwrap()
            .starts_with("unavailable: sysfs gives no HMAT figures of node 1 for initiator node 0"));
    }
}
