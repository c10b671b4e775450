//! The machine's topology: hwloc for packages, cores, caches and nodes;
//! sysfs for distances, CPU-less nodes, HMAT figures and memory tiers.

mod hwloc;
mod sysfs;

pub use hwloc::live as live_hwloc;
pub use sysfs::meminfo_field;

use hwbench_schema::{Cache, NumaNode, Topology};

use crate::sysroot::SysRoot;
use crate::ProbeError;

/// Reads the topology of the machine under `root`.
pub fn probe(root: &SysRoot) -> Result<Topology, ProbeError> {
    let hw = hwloc::read(root)?;
    let tiers = sysfs::memory_tiers(root)?;
    let mut ids = sysfs::node_ids(root);
    if ids.is_empty() {
        // No NUMA support in the kernel: hwloc's single node is the machine.
        ids = hw.nodes.iter().map(|n| n.os_index).collect();
    }
    let mut nodes = Vec::new();
    for id in ids {
        let from_hwloc = hw.nodes.iter().find(|n| n.os_index == id);
        let from_sysfs = if root.exists(&format!("/sys/devices/system/node/node{id}")) {
            Some(sysfs::read_node(root, id)?)
        } else {
            None
        };
        let cpus = match (&from_sysfs, from_hwloc) {
            (Some(s), _) => s.cpus.clone(),
            (None, Some(h)) => h.cpus.clone(),
            (None, None) => Vec::new(),
        };
        let memory_bytes = from_hwloc
            .map(|h| h.memory_bytes)
            .filter(|&m| m > 0)
            .or_else(|| from_sysfs.as_ref().and_then(|s| s.memory_bytes))
            .unwrap_or(0);
        nodes.push(NumaNode {
            os_index: id,
            memory_bytes,
            cpu_less: cpus.is_empty(),
            cpus,
            distances: from_sysfs.as_ref().map(|s| s.distances.clone()).unwrap_or_default(),
            hmat: from_sysfs.map(|s| s.hmat).unwrap_or_default(),
            memory_tier: tiers.iter().find(|t| t.nodes.contains(&id)).map(|t| t.id),
            subtype: from_hwloc.and_then(|h| h.subtype.clone()),
            tier: None,
        });
    }
    let mut topology = Topology {
        source: format!("hwloc API {}; sysfs under {}", hwloc_version(), root.root().display()),
        packages: hw.packages,
        cores: hw.cores,
        caches: hw.caches,
        nodes,
        memory_tiers: tiers,
        // GPUs are found through wgpu by the benchmarks crate.
        gpus: Vec::new(),
        gpu_note: None,
    };
    topology.caches.sort_by_key(|c| (c.level, c.kind as u8, c.shared_by_pus.first().copied()));
    Ok(topology)
}

/// Reads the topology and labels each node's tier as seen from the node
/// hwbench runs on (no measured latencies yet).
pub fn probe_classified(root: &SysRoot) -> Result<Topology, ProbeError> {
    let mut topology = probe(root)?;
    let reference = crate::tiers::reference_node(&topology);
    crate::tiers::classify(&mut topology, reference, &Default::default());
    Ok(topology)
}

/// hwloc's API version as "major.minor.patch".
fn hwloc_version() -> String {
    let v = hwlocality::hwloc_api_version();
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// Total size of the last-level cache: the sum over the instances of the
/// highest cache level (data or unified).
pub fn last_level_cache_bytes(topology: &Topology) -> u64 {
    let data = data_caches(topology);
    let top = data.iter().map(|c| c.level).max().unwrap_or(0);
    data.iter().filter(|c| c.level == top).map(|c| c.size_bytes).sum()
}

/// Per-instance size of each data (or unified) cache level seen by one PU,
/// ordered by level: the sizes a single thread's working set meets.
pub fn cache_levels_for_pu(topology: &Topology, pu: u32) -> Vec<(u8, u64)> {
    let mut levels: Vec<(u8, u64)> = data_caches(topology)
        .into_iter()
        .filter(|c| c.shared_by_pus.contains(&pu))
        .map(|c| (c.level, c.size_bytes))
        .collect();
    levels.sort_unstable();
    levels.dedup_by_key(|l| l.0);
    levels
}

fn data_caches(topology: &Topology) -> Vec<&Cache> {
    topology.caches.iter().filter(|c| c.kind != hwbench_schema::CacheKind::Instruction).collect()
}
