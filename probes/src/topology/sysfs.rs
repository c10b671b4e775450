//! What hwloc 2.9 does not give, read from Linux sysfs: node distances,
//! CPU-less nodes, HMAT figures and memory tiers.

use std::collections::BTreeMap;

use hwbench_schema::{HmatFigures, MemoryTier};

use crate::sysroot::{SysRoot, SysfsError};

const NODE_DIR: &str = "/sys/devices/system/node";
const TIER_DIR: &str = "/sys/devices/virtual/memory_tiering";

/// What sysfs says about one NUMA node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SysfsNode {
    pub os_index: u32,
    pub cpus: Vec<u32>,
    pub memory_bytes: Option<u64>,
    pub distances: BTreeMap<u32, u32>,
    pub hmat: Vec<HmatFigures>,
}

/// OS indices of the NUMA nodes sysfs lists (nodeN directories).
pub fn node_ids(root: &SysRoot) -> Vec<u32> {
    let mut ids: Vec<u32> =
        root.list_dir(NODE_DIR).iter().filter_map(|name| name.strip_prefix("node")?.parse().ok()).collect();
    ids.sort_unstable();
    ids
}

/// Reads one node. Missing optional files (HMAT, distance) leave the
/// corresponding fields empty; malformed ones are errors naming the file.
pub fn read_node(root: &SysRoot, id: u32) -> Result<SysfsNode, SysfsError> {
    let dir = format!("{NODE_DIR}/node{id}");
    let cpus = root.read_list(&format!("{dir}/cpulist"))?;
    let memory_bytes = read_mem_total(root, &format!("{dir}/meminfo"))?;
    let distances = match root.read(&format!("{dir}/distance")) {
        Ok(text) => parse_distances(root, &format!("{dir}/distance"), &text)?,
        Err(e) if e.is_not_found() => BTreeMap::new(),
        Err(e) => return Err(e),
    };
    let mut hmat = Vec::new();
    for class in 0..2 {
        if let Some(figures) = read_hmat(root, &dir, class)? {
            hmat.push(figures);
        }
    }
    Ok(SysfsNode { os_index: id, cpus, memory_bytes, distances, hmat })
}

/// The distance row maps to node ids in sysfs order (nodes listed in
/// /sys/devices/system/node/possible order, which matches the nodeN ids).
fn parse_distances(root: &SysRoot, file: &str, text: &str) -> Result<BTreeMap<u32, u32>, SysfsError> {
    let ids = node_ids(root);
    let values: Result<Vec<u32>, _> = text.split_whitespace().map(str::parse::<u32>).collect();
    let values = values.map_err(|e| SysfsError::Parse {
        path: root.path(file),
        content: text.to_string(),
        why: e.to_string(),
    })?;
    if values.len() != ids.len() {
        return Err(SysfsError::Parse {
            path: root.path(file),
            content: text.to_string(),
            why: format!("{} distances for {} nodes", values.len(), ids.len()),
        });
    }
    Ok(ids.into_iter().zip(values).collect())
}

/// "Node 0 MemTotal:  24567812 kB" -> bytes.
fn read_mem_total(root: &SysRoot, file: &str) -> Result<Option<u64>, SysfsError> {
    let text = match root.read(file) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(meminfo_field(&text, "MemTotal"))
}

/// Reads a "Node N Field: value kB" line of a node meminfo file, in bytes.
pub fn meminfo_field(text: &str, field: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.split_once(&format!("{field}:"))?.1;
        let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    })
}

fn read_hmat(root: &SysRoot, node_dir: &str, class: u32) -> Result<Option<HmatFigures>, SysfsError> {
    let dir = format!("{node_dir}/access{class}/initiators");
    if !root.exists(&dir) {
        return Ok(None);
    }
    let optional = |name: &str| -> Result<Option<u64>, SysfsError> {
        match root.parse::<u64>(&format!("{dir}/{name}")) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut initiators: Vec<u32> =
        root.list_dir(&dir).iter().filter_map(|name| name.strip_prefix("node")?.parse().ok()).collect();
    initiators.sort_unstable();
    Ok(Some(HmatFigures {
        access_class: class,
        initiators,
        read_latency_ns: optional("read_latency")?,
        write_latency_ns: optional("write_latency")?,
        read_bandwidth_mbps: optional("read_bandwidth")?,
        write_bandwidth_mbps: optional("write_bandwidth")?,
    }))
}

/// Kernel memory tiers, from /sys/devices/virtual/memory_tiering/memory_tierN.
pub fn memory_tiers(root: &SysRoot) -> Result<Vec<MemoryTier>, SysfsError> {
    let mut tiers = Vec::new();
    for name in root.list_dir(TIER_DIR) {
        let Some(id) = name.strip_prefix("memory_tier").and_then(|n| n.parse().ok()) else {
            continue;
        };
        let nodes = root.read_list(&format!("{TIER_DIR}/{name}/nodelist"))?;
        tiers.push(MemoryTier { id, nodes });
    }
    tiers.sort_by_key(|t| t.id);
    Ok(tiers)
}
