//! What a benchmark sees of the run: the machine, the sampler, the stop flag.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use hwbench_probes::SysRoot;
use hwbench_schema::{units::format_bytes, NumaNode, Topology};

use crate::error::BenchError;
use crate::harness::SamplerConfig;

/// Shared state of one run.
#[derive(Debug)]
pub struct Context {
    /// The sysfs/procfs root (a fixture in tests).
    pub root: SysRoot,
    /// The machine's topology.
    pub topology: Topology,
    /// How samples are taken.
    pub sampler: SamplerConfig,
    /// Set by Ctrl-C: stop after the current sample.
    pub stop: Arc<AtomicBool>,
    /// Warnings for the result document (placement, interference).
    pub warnings: Vec<String>,
}

impl Context {
    /// A context for `topology` under `root` with default sampling.
    pub fn new(root: SysRoot, topology: Topology) -> Self {
        Context {
            root,
            topology,
            sampler: SamplerConfig::default(),
            stop: Arc::new(AtomicBool::new(false)),
            warnings: Vec::new(),
        }
    }

    /// Refuses, before allocating, a working set the machine cannot hold.
    pub fn check_fits(&self, id: &str, bytes: u64) -> Result<(), BenchError> {
        let total = physical_memory_bytes();
        if bytes > total / 10 * 9 {
            return Err(BenchError::BadInput(format!(
                "{id}: needs {} ({bytes} bytes) but this machine has {} of memory",
                format_bytes(bytes),
                format_bytes(total)
            )));
        }
        Ok(())
    }

    /// The node with OS index `n`, or why there is none.
    pub fn node(&self, n: u64) -> Result<&NumaNode, String> {
        self.topology.nodes.iter().find(|x| u64::from(x.os_index) == n).ok_or_else(|| {
            let ids: Vec<u32> = self.topology.nodes.iter().map(|x| x.os_index).collect();
            format!("node {n} does not exist (this machine has nodes {})", hwbench_probes::sysroot::format_list(&ids))
        })
    }

    /// Checks that `node` exists in the topology.
    pub fn check_node(&self, id: &str, node: u64) -> Result<u32, BenchError> {
        self.node(node).map(|n| n.os_index).map_err(|why| BenchError::bad_param(id, "node", why))
    }

    /// Checks that `cpu` is one this process may run on.
    pub fn check_cpu(&self, id: &str, cpu: u64) -> Result<u32, BenchError> {
        let allowed = hwbench_probes::binding::allowed_cpus();
        match u32::try_from(cpu).ok().filter(|c| allowed.contains(c)) {
            Some(c) => Ok(c),
            None => Err(BenchError::bad_param(
                id,
                "cpu",
                format!("CPU {cpu} is not available (allowed: {})", hwbench_probes::sysroot::format_list(&allowed)),
            )),
        }
    }

    /// The CPUs of `node` this process may use; all allowed CPUs when the
    /// node has none (CPU-less memory is measured from anywhere).
    pub fn cpus_near(&self, node: Option<u32>) -> Vec<u32> {
        let allowed = hwbench_probes::binding::allowed_cpus();
        let local: Vec<u32> = node
            .and_then(|n| self.topology.nodes.iter().find(|x| x.os_index == n))
            .map(|n| n.cpus.iter().copied().filter(|c| allowed.contains(c)).collect())
            .unwrap_or_default();
        if local.is_empty() {
            allowed
        } else {
            local
        }
    }
}

/// Physical memory of the running system (sysinfo).
pub fn physical_memory_bytes() -> u64 {
    // SAFETY: sysinfo fills a plain struct.
    unsafe {
        let mut info: libc::sysinfo = std::mem::zeroed();
        if libc::sysinfo(&mut info) != 0 {
            return u64::MAX;
        }
        u64::from(info.totalram).saturating_mul(u64::from(info.mem_unit))
    }
}
