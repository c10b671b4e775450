//! `memory.matrix`: idle latency and read bandwidth from every initiator
//! node (one with CPUs) to every memory node, CPU-less ones included (Intel
//! MLC --latency_matrix and --bandwidth_matrix in one), with the firmware's
//! HMAT figures and the node's tier label beside the measured ones.

use std::collections::BTreeMap;

use hwbench_probes::placement::PagePolicy;
use hwbench_schema::{Better, Topology};
use serde::Serialize;
use serde_json::Value;

use super::bandwidth::kernels::{Isa, StreamKernel};
use super::bandwidth::{engine_cost, kernel_cost, Bandwidth, BandwidthPoint};
use super::placed::{self, LINE};
use super::rows::{self, PAGE};
use super::{latency, nodes, pinned};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{describe, params_of, Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;
use crate::undisturbed::Undisturbed;

const ID: &str = "memory.matrix";
const SEED: u64 = 0x6d61_7472_6978;
/// The bandwidth kernel of the matrix: memory.bandwidth's read-only sum.
const KERNEL: StreamKernel = StreamKernel::Read;

const NODES: Param<String> = rows::nodes("all");
const CPU_NODES: Param<String> =
    Param::new("cpu_node", ParamKind::Text, Unset::Value("all"), "initiator nodes (with CPUs): N or all");
const BYTES: Param<u64> = rows::working_set("bytes", "chased working set, and the read kernel's array");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "latency and read bandwidth from every node with CPUs to every memory node, beside the HMAT figures",
    metrics:
        "latency ns (median of undisturbed samples, pointer chase), latency_all ns, bandwidth GB/s (best, memory.bandwidth read kernel), bandwidth_median GB/s",
    params: &[NODES.spec, CPU_NODES.spec, BYTES.spec, PAGE.spec],
    uses_gpu: false,
    summaries: &[],
    make: || erase(Matrix::default()),
};

/// Instance state: idle latencies measured so far, by initiator then
/// memory node, for the tier labels.
#[derive(Default)]
pub struct Matrix {
    measured: BTreeMap<u32, BTreeMap<u32, f64>>,
}

/// One point: a cell of the matrix, or the stand-in for an empty
/// selection (`cpuless` on a machine without CPU-less nodes), which
/// measures as skipped saying why.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum MatrixPoint {
    /// Memory on `node` measured from the CPUs of `cpu_node`.
    Cell {
        /// The initiator node.
        cpu_node: u32,
        /// The memory node.
        node: u32,
        /// Bytes chased, and of the read kernel's array.
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

impl Benchmark for Matrix {
    type Point = MatrixPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<MatrixPoint>, BenchError> {
        let text = NODES.value(settings)?;
        let targets = nodes::select(ID, "node", &text, host)?;
        let initiators = nodes::select_initiators(ID, &CPU_NODES.value(settings)?, host)?;
        let bytes = placed::working_set(&BYTES, settings, host)?;
        host.check_fits(ID, bytes)?;
        if targets.is_empty() {
            return Ok(vec![MatrixPoint::Empty { node: text }]);
        }
        let page = PAGE.value(settings)?;
        let mut points = Vec::new();
        for &cpu_node in &initiators {
            // The initiator's own node first: the reference of its tier labels.
            let mut ordered = targets.clone();
            ordered.sort_by_key(|&n| (n != cpu_node, n));
            points.extend(ordered.into_iter().map(|node| MatrixPoint::Cell { cpu_node, node, bytes, page }));
        }
        Ok(points)
    }

    fn measure(&mut self, point: &MatrixPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let &MatrixPoint::Cell { cpu_node, node, bytes, page } = point else {
            return Err(BenchError::Unavailable(nodes::no_cpuless_node(session.host())));
        };
        let chaser = nodes::initiator_cpus(&session.host().topology, cpu_node)?[0];
        let (chased, placement) = idle_latency(session, node, chaser, bytes, page)?;
        let chase_metrics = chased.metrics("latency", "ns", Better::Lower, latency::ns_per_load)?;
        let read = read_bandwidth(session, node, cpu_node, bytes, page)?;

        let mut info = hmat_info(&session.host().topology, cpu_node, node);
        info.insert("chaser_cpu".into(), chaser.into());
        info.extend([chased.info("descheduling")]);
        info.insert("bandwidth_kernel".into(), KERNEL.spec().name.into());
        info.extend(read.info.into_iter().map(|(k, v)| (format!("bandwidth_{k}"), v)));
        if let Some(p) = &read.placement {
            info.insert("bandwidth_placement".into(), serde_json::to_value(p).unwrap_or(Value::Null));
            let what = format!("{ID} {}", params_of(point).map(|p| describe(&p)).unwrap_or_default());
            placed::check_second_buffer(session, &what, "bandwidth arrays", p.on_node_fraction, node);
        }
        let measured = self.measured.entry(cpu_node).or_default();
        measured.insert(node, chase_metrics[0].value);
        if let Some(label) = nodes::tier_of(&session.host().topology, cpu_node, measured, node) {
            info.insert("tier".into(), serde_json::to_value(label).unwrap_or(Value::Null));
        }
        let mut metrics = chase_metrics;
        metrics.extend(read.metrics);
        Ok(Measured { metrics, placement: Some(placement), info })
    }

    /// A cell places, touches and chases its buffer, then maps, touches
    /// and reads an array with every CPU of the initiator; both placements
    /// are looked up page by page.
    fn estimate(&self, point: &MatrixPoint, _previous: Option<&MatrixPoint>, cost: &CostModel) -> f64 {
        let &MatrixPoint::Cell { cpu_node, bytes, page, .. } = point else { return 0.0 };
        let threads = cost.cpus_of(cpu_node);
        let latency = cost.touch(bytes, 1, page) + cost.chase_build(bytes, LINE) + cost.sliced(cost.sampler, false);
        let read = engine_cost(bytes, 1, threads, page, cost)
            + kernel_cost(KERNEL, bytes, threads, 1, Isa::candidates(KERNEL).len(), cost);
        latency + read + cost.page_census(2 * bytes)
    }
}

/// The idle chase over `bytes` bound to `node`, walked from `chaser`
/// (its samples with time off the CPU set aside), and the verified
/// placement of its pages.
fn idle_latency(
    session: &mut Session,
    node: u32,
    chaser: u32,
    bytes: u64,
    page: PagePolicy,
) -> Result<(Undisturbed, hwbench_schema::Placement), BenchError> {
    let region = placed::place(session.host(), bytes, page, node)?;
    let latency = pinned::run_on(chaser, || {
        region.first_touch(0, region.len());
        latency::chase(session, &region, bytes, LINE, SEED ^ bytes)
    })?;
    Ok((latency, region.placement(bytes as usize)))
}

/// memory.bandwidth's read kernel with every core of `cpu_node` on an
/// array of `bytes` bound to `node`: validated, placement verified.
fn read_bandwidth(
    session: &mut Session,
    node: u32,
    cpu_node: u32,
    bytes: u64,
    page: PagePolicy,
) -> Result<Measured, BenchError> {
    let point = BandwidthPoint::on_nodes(session.host(), KERNEL, node, cpu_node, bytes, page)?;
    Bandwidth::default().measure(&point, session).map_err(|e| match e {
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
