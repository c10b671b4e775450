//! The host a run plans for: its sysfs root and topology (GPU adapters
//! included once probed), with the checks planning makes against them.

use hwbench_probes::SysRoot;
use hwbench_schema::{units::format_bytes, NumaNode, Topology};

use crate::error::BenchError;

/// The host measured, as probed at the start of a run: the machine under test.
#[derive(Debug, Clone)]
pub struct Host {
    /// The sysfs/procfs root (a fixture in tests).
    pub root: SysRoot,
    /// The machine's topology; `gpus` is filled when a GPU benchmark runs.
    pub topology: Topology,
}

impl Host {
    /// The machine under `root` with `topology`.
    pub fn new(root: SysRoot, topology: Topology) -> Self {
        Host { root, topology }
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
    pub fn check_node(&self, id: &str, param: &str, node: u32) -> Result<u32, BenchError> {
        self.node(node.into()).map(|n| n.os_index).map_err(|why| BenchError::bad_param(id, param, why))
    }

    /// Checks that `cpu` is one this process may run on.
    pub fn check_cpu(&self, id: &str, cpu: u32) -> Result<u32, BenchError> {
        let allowed = hwbench_probes::binding::allowed_cpus();
        if allowed.contains(&cpu) {
            return Ok(cpu);
        }
        Err(BenchError::bad_param(
            id,
            "cpu",
            format!("CPU {cpu} is not available (allowed: {})", hwbench_probes::sysroot::format_list(&allowed)),
        ))
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
        info.totalram.saturating_mul(u64::from(info.mem_unit))
    }
}
