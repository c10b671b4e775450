//! The host a run plans for: its sysfs root and topology (GPU adapters
//! included once probed), with the checks planning makes against them.

use hwbench_probes::sysroot::format_list;
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

    /// The node with OS index `n` when this process may allocate on it, or
    /// why not: it does not exist, or it is outside the process's cpuset.
    pub fn node(&self, n: u64) -> Result<&NumaNode, String> {
        let node = self.topology.nodes.iter().find(|x| u64::from(x.os_index) == n).ok_or_else(|| {
            let ids: Vec<u32> = self.topology.nodes.iter().map(|x| x.os_index).collect();
            format!("node {n} does not exist (this machine has nodes {})", format_list(&ids))
        })?;
        if !self.topology.node_allowed(node.os_index) {
            return Err(format!("node {n} is not allowed here: {}", self.limits()));
        }
        Ok(node)
    }

    /// The nodes this process may allocate on, in OS index order.
    pub fn memory_nodes(&self) -> impl Iterator<Item = &NumaNode> {
        self.topology.nodes.iter().filter(|n| self.topology.node_allowed(n.os_index))
    }

    /// The CPUs this process may run on: the topology's allowed CPUs (its
    /// cgroup cpuset and affinity), or the affinity where the topology does
    /// not record them.
    pub fn allowed_cpus(&self) -> Vec<u32> {
        allowed_cpus(&self.topology)
    }

    /// The process's limits in words, for the reason a node or CPU is refused.
    fn limits(&self) -> String {
        match &self.topology.allowed {
            Some(a) => format!(
                "this process may use memory nodes {} and CPUs {}{}",
                format_list(&a.nodes),
                format_list(&a.cpus),
                a.cgroup.as_deref().map(|c| format!(" (cpuset of cgroup {c})")).unwrap_or_default()
            ),
            None => format!("this process may use CPUs {}", format_list(&self.allowed_cpus())),
        }
    }

    /// Checks that `node` exists in the topology.
    pub fn check_node(&self, id: &str, param: &str, node: u32) -> Result<u32, BenchError> {
        self.node(node.into()).map(|n| n.os_index).map_err(|why| BenchError::bad_param(id, param, why))
    }

    /// Checks that `cpu` is one this process may run on.
    pub fn check_cpu(&self, id: &str, cpu: u32) -> Result<u32, BenchError> {
        if self.allowed_cpus().contains(&cpu) {
            return Ok(cpu);
        }
        Err(BenchError::bad_param(id, "cpu", format!("CPU {cpu} is not available: {}", self.limits())))
    }

    /// The CPUs of `node` this process may use; all allowed CPUs when the
    /// node has none (CPU-less memory is measured from anywhere).
    pub fn cpus_near(&self, node: Option<u32>) -> Vec<u32> {
        let allowed = self.allowed_cpus();
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

/// The CPUs this process may run on in `topology`: its allowed CPUs, or
/// the process's affinity where the topology does not record them.
pub fn allowed_cpus(topology: &Topology) -> Vec<u32> {
    match &topology.allowed {
        Some(a) => a.cpus.clone(),
        None => hwbench_probes::binding::allowed_cpus(),
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
