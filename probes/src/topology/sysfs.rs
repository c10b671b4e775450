//! What hwloc does not give, read from Linux sysfs as real kernels write
//! it: a node's own CPUs (hwloc gives its locality, which for a CPU-less
//! node is its initiators'), which HMAT access class Linux took a node's
//! figures from, the kernel's memory tiers, and the node directories sysfs
//! lists (to name those hwloc left out). A file that is missing or cannot
//! be parsed makes that one fact unknown, with the reason; it never fails
//! the topology.

use hwbench_schema::MemoryTier;

use crate::sysroot::SysRoot;

const NODE_DIR: &str = "/sys/devices/system/node";
const TIER_DIR: &str = "/sys/devices/virtual/memory_tiering";

/// OS indices of the NUMA nodes sysfs lists (nodeN directories).
pub fn node_ids(root: &SysRoot) -> Vec<u32> {
    let mut ids: Vec<u32> =
        root.list_dir(NODE_DIR).iter().filter_map(|name| name.strip_prefix("node")?.parse().ok()).collect();
    ids.sort_unstable();
    ids
}

/// The CPUs local to node `id` (the kernel's cpu-to-node map): its
/// `cpulist`, else its `cpumap` (older kernels and some captured trees have
/// only the mask), else why neither could be read.
pub fn node_cpus(root: &SysRoot, id: u32) -> Result<Vec<u32>, String> {
    let dir = format!("{NODE_DIR}/node{id}");
    match root.read_list(&format!("{dir}/cpulist")) {
        Ok(cpus) => Ok(cpus),
        Err(list_error) => root
            .read_mask(&format!("{dir}/cpumap"))
            .map_err(|mask_error| format!("neither cpulist nor cpumap could be read ({list_error}; {mask_error})")),
    }
}

/// The HMAT access class Linux exposes a node's figures under, as hwloc
/// reads them: 1 (best CPU initiators) when the node has it, else 0.
pub fn access_class(root: &SysRoot, id: u32) -> u32 {
    u32::from(root.exists(&format!("{NODE_DIR}/node{id}/access1/initiators")))
}

/// Reads a "Node N Field: value kB" line of a node meminfo file, in bytes.
pub fn meminfo_field(text: &str, field: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.split_once(&format!("{field}:"))?.1;
        let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    })
}

/// Kernel memory tiers, from /sys/devices/virtual/memory_tiering/memory_tierN;
/// a tier whose node list cannot be read is left out, named in the error
/// list beside the tiers that could be.
pub fn memory_tiers(root: &SysRoot) -> (Vec<MemoryTier>, Vec<String>) {
    let (mut tiers, mut errors) = (Vec::new(), Vec::new());
    for name in root.list_dir(TIER_DIR) {
        let Some(id) = name.strip_prefix("memory_tier").and_then(|n| n.parse().ok()) else {
            continue;
        };
        match root.read_list(&format!("{TIER_DIR}/{name}/nodelist")) {
            Ok(nodes) => tiers.push(MemoryTier { id, nodes }),
            Err(e) => errors.push(e.to_string()),
        }
    }
    tiers.sort_by_key(|t| t.id);
    (tiers, errors)
}
