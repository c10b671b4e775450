//! The machine's topology, hwloc first: packages, cores, caches, NUMA nodes
//! with their memory, subtypes, info attributes, memory-side caches and
//! firmware figures, distances, and what this process may use all come
//! from hwloc; sysfs adds only what hwloc does not give (a node's own CPUs,
//! the HMAT access class, kernel memory tiers). A fact that cannot be read
//! is recorded in `unknown` with the reason; a tree hwloc can read never
//! fails here.

mod hwloc;
mod sysfs;

pub use hwloc::live as live_hwloc;
pub use sysfs::meminfo_field;

use std::collections::BTreeMap;

use hwbench_schema::{Allowed, Cache, HmatFigures, NumaNode, Topology};

use crate::sysroot::{format_list, SysRoot};
use crate::ProbeError;

/// Reads the topology of the machine under `root`.
pub fn probe(root: &SysRoot) -> Result<Topology, ProbeError> {
    let mut hw = hwloc::read(root)?;
    let mut unknown = BTreeMap::new();
    let (memory_tiers, tier_errors) = sysfs::memory_tiers(root);
    if !tier_errors.is_empty() {
        unknown.insert("memory_tiers".to_string(), tier_errors.join("; "));
    }
    let sysfs_ids = sysfs::node_ids(root);
    let left_out: Vec<u32> =
        sysfs_ids.iter().copied().filter(|id| !hw.nodes.iter().any(|n| n.os_index == *id)).collect();
    if !left_out.is_empty() {
        unknown.insert(
            "nodes".to_string(),
            format!(
                "sysfs lists node(s) {} that hwloc did not take (their CPU lists overlap another node's, as in a \
                 bogus firmware NUMA description, or could not be read): not described and never measured",
                format_list(&left_out)
            ),
        );
    }
    if hw.distances.is_none() && hw.nodes.len() > 1 {
        unknown.insert(
            "distances".to_string(),
            "hwloc found no NUMA distance matrix (the nodes' distance files are missing or do not list every node)"
                .to_string(),
        );
    }
    hw.nodes.sort_by_key(|n| n.os_index);
    let own_cpus: Vec<(u32, Vec<u32>)> = hw
        .nodes
        .iter()
        .map(|n| {
            let cpus = if sysfs_ids.is_empty() {
                // No NUMA in the kernel: hwloc's single node is the machine.
                n.locality.clone()
            } else {
                sysfs::node_cpus(root, n.os_index).unwrap_or_else(|why| {
                    unknown.insert(format!("node {} cpus", n.os_index), format!("{why}; hwloc's locality used"));
                    n.locality.clone()
                })
            };
            (n.os_index, cpus)
        })
        .collect();
    let nodes = hw
        .nodes
        .iter()
        .zip(&own_cpus)
        .map(|(n, (_, cpus))| NumaNode {
            os_index: n.os_index,
            memory_bytes: n.memory_bytes,
            cpu_less: cpus.is_empty(),
            cpus: cpus.clone(),
            distances: hw.distances.as_ref().and_then(|d| d.get(&n.os_index).cloned()).unwrap_or_default(),
            hmat: hmat(n, &own_cpus, sysfs::access_class(root, n.os_index)),
            memory_tier: memory_tiers.iter().find(|t| t.nodes.contains(&n.os_index)).map(|t| t.id),
            subtype: n.subtype.clone(),
            tier: None,
            infos: n.infos.clone(),
            memory_side_caches: n.memory_side_caches.clone(),
        })
        .collect();
    let version = hwloc_version();
    let mut topology = Topology {
        source: format!("hwloc {}; sysfs under {}", version_text(version), root.root().display()),
        packages: hw.packages,
        cores: hw.cores,
        caches: hw.caches,
        nodes,
        memory_tiers,
        // GPUs are found through wgpu by the benchmarks crate.
        gpus: Vec::new(),
        gpu_note: None,
        allowed: Some(Allowed { cpus: hw.allowed_cpus, nodes: hw.allowed_nodes, cgroup: hw.cgroup }),
        unknown,
        hwloc_lacks: lacks(version),
    };
    topology.caches.sort_by_key(|c| (c.level, c.kind as u8, c.shared_by_pus.first().copied()));
    Ok(topology)
}

/// The node's firmware figures per initiator, the initiators named by the
/// nodes whose own CPUs the initiator's CPUs hold.
fn hmat(node: &hwloc::HwlocNode, own_cpus: &[(u32, Vec<u32>)], access_class: u32) -> Vec<HmatFigures> {
    node.figures
        .iter()
        .map(|f| HmatFigures {
            access_class,
            initiators: own_cpus
                .iter()
                .filter(|(_, cpus)| !cpus.is_empty() && cpus.iter().all(|c| f.cpus.contains(c)))
                .map(|(id, _)| *id)
                .collect(),
            read_latency_ns: f.read_latency_ns,
            write_latency_ns: f.write_latency_ns,
            read_bandwidth_mbps: f.read_bandwidth_mbps,
            write_bandwidth_mbps: f.write_bandwidth_mbps,
        })
        .collect()
}

/// Reads the topology and labels each node's tier as seen from the node
/// hwbench runs on (no measured latencies yet).
pub fn probe_classified(root: &SysRoot) -> Result<Topology, ProbeError> {
    let mut topology = probe(root)?;
    let reference = crate::tiers::reference_node(&topology);
    crate::tiers::classify(&mut topology, reference, &Default::default());
    Ok(topology)
}

/// The version of the hwloc library this build runs with, as
/// (major, minor, patch).
pub fn hwloc_version() -> (u32, u32, u32) {
    let v = hwlocality::hwloc_api_version();
    ((v >> 16) as u32, ((v >> 8) & 0xff) as u32, (v & 0xff) as u32)
}

/// "major.minor.patch".
pub fn version_text((major, minor, patch): (u32, u32, u32)) -> String {
    format!("{major}.{minor}.{patch}")
}

/// What an hwloc older than the release that reads a fact cannot give.
const LATER_FACTS: [((u32, u32, u32), &str); 1] = [(
    (2, 10, 0),
    "CXL memory devices behind NUMA nodes (CXLDevice info, subtype CXL-DRAM) and hwloc's memory tiers (MemoryTier): \
     hwloc 2.10",
)];

fn lacks(version: (u32, u32, u32)) -> Vec<String> {
    LATER_FACTS.iter().filter(|(since, _)| version < *since).map(|(_, what)| what.to_string()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_hwloc_names_what_it_lacks() {
        assert_eq!(lacks((2, 9, 0)).len(), 1);
        assert!(lacks((2, 9, 0))[0].contains("CXLDevice"), "{:?}", lacks((2, 9, 0)));
        assert!(lacks((2, 10, 0)).is_empty());
        assert!(lacks((2, 12, 0)).is_empty());
        assert_eq!(version_text((2, 12, 0)), "2.12.0");
    }
}
