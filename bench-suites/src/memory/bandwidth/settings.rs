//! The params of `memory.bandwidth` and its points: checked and resolved
//! once, while planning, before anything is allocated or run.

use hwbench_probes::placement::PagePolicy;
use hwbench_probes::sysroot::format_list;
use hwbench_probes::topology::last_level_cache_bytes;
use serde::Serialize;

use super::kernels::{self, Isa, StreamKernel};
use super::threads::cpus;
use super::ID;
use crate::error::BenchError;
use crate::host::Host;
use crate::memory::rows::{CPU_NODE, NODE, PAGE};
use crate::params::{CountOrSweep, Param, ParamKind, Settings, Unset};

/// Default array size when the last-level cache is small or unknown.
const MIN_DEFAULT_BYTES: u64 = 256 << 20;
/// Arrays are whole multiples of this (the chunk alignment).
const GRANULE: u64 = 64;

const KERNEL: Param<String> = Param::new(
    "kernel",
    ParamKind::Choice(kernels::CHOICES),
    Unset::Value("all"),
    "one kernel, stream (the four STREAM kernels) or all; one record per kernel",
);
const THREADS: Param<CountOrSweep> = Param::new(
    "threads",
    ParamKind::CountOrSweep,
    Unset::Derived("one per core"),
    "worker threads, or sweep: 1, 2, 4, ..., one per core",
);
const BYTES: Param<u64> = Param::new(
    "bytes",
    ParamKind::Bytes,
    Unset::Derived("4x the last-level cache, at least 256 MiB"),
    "size of EACH array",
);
const OVERSUBSCRIBE: Param<String> =
    Param::new("oversubscribe", ParamKind::Choice(&["no", "yes"]), Unset::Value("no"), "allow more threads than CPUs");
const ISA: Param<String> = Param::new(
    "isa",
    ParamKind::Choice(kernels::ISA_CHOICES),
    Unset::Value("auto"),
    "kernel instruction set; auto: the widest within 3% of the fastest on a trial pass of each",
);

/// The params of `memory.bandwidth`, in the order `hwbench list` shows them.
pub const PARAMS: &[crate::params::ParamSpec] =
    &[KERNEL.spec, THREADS.spec, BYTES.spec, PAGE.spec, NODE.spec, CPU_NODE.spec, OVERSUBSCRIBE.spec, ISA.spec];

/// One point: a kernel with some threads over arrays of some size. The
/// serialised fields are the record's params; the CPUs and instruction
/// set are resolved here for measuring.
#[derive(Debug, Clone, Serialize)]
pub struct BandwidthPoint {
    /// The kernel.
    pub kernel: StreamKernel,
    /// Worker threads.
    pub threads: usize,
    /// Bytes of each array (a multiple of 64).
    pub bytes: u64,
    /// Pages asked for.
    pub page: PagePolicy,
    /// "yes" when threads may share CPUs.
    pub oversubscribe: &'static str,
    /// The instruction set asked for, or "auto".
    pub isa: &'static str,
    /// The node the arrays are bound to, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The node whose CPUs run the threads, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_node: Option<u32>,
    /// The CPU of each worker.
    #[serde(skip)]
    pub cpus: Vec<u32>,
    /// The instruction sets to try: the one asked for, or every candidate.
    #[serde(skip)]
    pub candidates: Vec<Isa>,
}

/// Resolves the settings into points: every thread count times every kernel.
pub fn plan(settings: &Settings, host: &Host) -> Result<Vec<BandwidthPoint>, BenchError> {
    let choice = KERNEL.value(settings)?;
    let kernels = kernels::select(&choice).ok_or_else(|| {
        BenchError::bad_param(ID, "kernel", format!("'{choice}' is not one of {}", kernels::CHOICES.join(", ")))
    })?;
    let isa_name = ISA.value(settings)?;
    let isa = match isa_name.as_str() {
        "auto" => None,
        name => Some(Isa::available_named(name).ok_or_else(|| {
            let here: Vec<&str> = Isa::available().iter().map(|i| i.name()).collect();
            BenchError::bad_param(
                ID,
                "isa",
                format!("'{name}' does not run on this CPU (it runs auto, {})", here.join(", ")),
            )
        })?),
    };
    let page = PAGE.value(settings)?;
    let node = NODE.get(settings)?.map(|n| host.check_node(ID, "node", n)).transpose()?;
    let cpu_node = CPU_NODE.get(settings)?.map(|n| check_cpu_node(host, n)).transpose()?;
    let usable = host.cpus_near(cpu_node.or(node));
    let order = cpus::spread(&host.topology, &usable);
    let oversubscribe = OVERSUBSCRIBE.value(settings)? == "yes";
    let per_core = cpus::cores(&host.topology, &usable);
    let threads = match THREADS.get(settings)? {
        Some(CountOrSweep::Sweep) => cpus::sweep(per_core),
        Some(CountOrSweep::Count(t)) => vec![t as usize],
        None => vec![per_core],
    };
    let line = host.topology.caches.iter().map(|c| u64::from(c.line_bytes)).max().unwrap_or(0).max(GRANULE);
    let bytes = match BYTES.get(settings)? {
        Some(b) if b < line => {
            return Err(BenchError::bad_param(
                ID,
                "bytes",
                format!("{b} bytes is smaller than a cache line ({line} bytes)"),
            ));
        }
        Some(b) => b / GRANULE * GRANULE,
        None => (4 * last_level_cache_bytes(&host.topology)).max(MIN_DEFAULT_BYTES).div_ceil(GRANULE) * GRANULE,
    };
    let mut points = Vec::new();
    for &t in &threads {
        let cpus = cpus::assign(&order, t, oversubscribe).map_err(|e| BenchError::bad_param(ID, "threads", e))?;
        for &kernel in &kernels {
            points.push(BandwidthPoint {
                kernel,
                threads: t,
                bytes,
                page,
                oversubscribe: if oversubscribe { "yes" } else { "no" },
                isa: isa.map_or("auto", Isa::name),
                node,
                cpu_node,
                cpus: cpus.clone(),
                candidates: isa.map_or_else(|| Isa::candidates(kernel), |i| vec![i]),
            });
        }
    }
    Ok(points)
}

/// A `cpu_node` must exist and have CPUs this process may run on.
fn check_cpu_node(host: &Host, node: u32) -> Result<u32, BenchError> {
    let ids: Vec<u32> = host.topology.nodes.iter().map(|n| n.os_index).collect();
    let allowed = host.allowed_cpus();
    match host.topology.nodes.iter().find(|n| n.os_index == node) {
        None => Err(BenchError::bad_param(
            ID,
            "cpu_node",
            format!("node {node} does not exist (this machine has nodes {})", format_list(&ids)),
        )),
        Some(n) if !n.cpus.iter().any(|c| allowed.contains(c)) => {
            Err(BenchError::bad_param(ID, "cpu_node", format!("node {node} has no CPU this process may run on")))
        }
        Some(n) => Ok(n.os_index),
    }
}

impl BandwidthPoint {
    /// The point measuring `kernel` with one thread per core of `cpu_node`
    /// on arrays of `bytes` bound to `node`: how memory.matrix measures a
    /// cell's bandwidth.
    pub fn on_nodes(
        host: &Host,
        kernel: StreamKernel,
        node: u32,
        cpu_node: u32,
        bytes: u64,
        page: PagePolicy,
    ) -> Result<BandwidthPoint, BenchError> {
        let usable = host.cpus_near(Some(cpu_node));
        let order = cpus::spread(&host.topology, &usable);
        let threads = cpus::cores(&host.topology, &usable);
        let cpus = cpus::assign(&order, threads, false).map_err(|e| BenchError::bad_param(ID, "threads", e))?;
        Ok(BandwidthPoint {
            kernel,
            threads,
            bytes: bytes / GRANULE * GRANULE,
            page,
            oversubscribe: "no",
            isa: "auto",
            node: Some(node),
            cpu_node: Some(cpu_node),
            cpus,
            candidates: Isa::candidates(kernel),
        })
    }
}
