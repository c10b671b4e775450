//! Memory bandwidth beside what the memory can move: a node with CPUs
//! beside the DRAM its populated channels can move (SMBIOS type 17), a
//! CPU-less node beside the CXL link behind it; and what a figure counts
//! (STREAM's logical bytes against the bus traffic with write-allocate).

use hwbench_probes::limits::{cxl_link, dram, DramPeak};
use hwbench_schema::{Fact, Limit, ParamValue, Tier};

use super::Params;
use crate::host::Host;
use crate::memory::bandwidth::kernels::KERNELS;

/// The memory limits of a machine, per node.
pub struct MemoryLimits {
    /// Every node's limit, or why it is unknown.
    nodes: Vec<(u32, Fact<Limit>)>,
    /// The nodes with CPUs this process may allocate on: where unbound
    /// memory lands when threads spread over the machine.
    spread: Vec<u32>,
}

impl MemoryLimits {
    /// Reads the DRAM peaks (SMBIOS) and the CPU-less nodes' links.
    pub fn probe(host: &Host) -> Self {
        let topology = &host.topology;
        let peaks = dram(&host.root, topology);
        let nodes = topology
            .nodes
            .iter()
            .map(|n| (n.os_index, if n.cpu_less { cpu_less_limit(host, n) } else { dram_limit(&peaks, n.os_index) }))
            .collect();
        let spread = host.memory_nodes().filter(|n| !n.cpu_less).map(|n| n.os_index).collect();
        MemoryLimits { nodes, spread }
    }

    /// What a memory bandwidth metric of a record of `id` counts, and the
    /// limit of the nodes its memory was on.
    pub fn bandwidth(&self, id: &str, params: &Params, metric: &str) -> (String, Fact<Limit>) {
        (counts(id, params, metric), self.of_nodes(&nodes_of(params, &self.spread)))
    }

    /// The sum of the limits of `nodes`, or the first reason one is unknown.
    fn of_nodes(&self, nodes: &[u32]) -> Fact<Limit> {
        let mut total = 0.0;
        let mut how = Vec::new();
        for node in nodes {
            match self.nodes.iter().find(|(n, _)| n == node).map(|(_, l)| l) {
                Some(Fact::Known(l)) => {
                    total += l.value;
                    how.push(format!("node {node}: {}", l.derivation));
                }
                Some(Fact::Unknown { unknown }) => return Fact::unknown(format!("node {node}: {unknown}")),
                None => return Fact::unknown(format!("node {node} is not in the topology")),
            }
        }
        if how.is_empty() {
            return Fact::unknown("no memory node to set the figure beside");
        }
        Fact::Known(Limit { value: total, unit: "GB/s".into(), derivation: how.join("; ") })
    }
}

fn dram_limit(peaks: &Fact<Vec<DramPeak>>, node: u32) -> Fact<Limit> {
    match peaks {
        Fact::Known(peaks) => match peaks.iter().find(|p| p.node == node) {
            Some(p) => Fact::Known(p.limit.clone()),
            None => Fact::unknown(format!("SMBIOS names no memory device of node {node}'s socket")),
        },
        Fact::Unknown { unknown } => Fact::unknown(format!("DRAM peak unknown: {unknown}")),
    }
}

fn cpu_less_limit(host: &Host, node: &hwbench_schema::NumaNode) -> Fact<Limit> {
    let gpu = node.tier.as_ref().is_some_and(|t| t.tier == Tier::GpuMemory)
        || node.subtype.as_deref().is_some_and(|s| s.contains("GPUMemory"));
    if gpu {
        return Fact::unknown(
            "GPU memory: the CPU reaches it over the CPU-GPU link (NVLink-C2C, NVLink), which sysfs does not \
             describe",
        );
    }
    cxl_link(&host.root, node.infos.get("CXLDevice").map(String::as_str))
}

/// The nodes a record's memory was on: its `node` (or the two of an
/// interleave's `nodes`), else the node whose CPUs first touched it
/// (`cpu_node`), else every node with CPUs (threads spread over them).
fn nodes_of(params: &Params, spread: &[u32]) -> Vec<u32> {
    let int = |name: &str| match params.get(name) {
        Some(ParamValue::Int(n)) => Some(*n as u32),
        _ => None,
    };
    if let Some(n) = int("node") {
        return vec![n];
    }
    if let Some(ParamValue::Str(list)) = params.get("nodes") {
        let nodes: Vec<u32> = list.split(',').filter_map(|n| n.trim().parse().ok()).collect();
        if !nodes.is_empty() {
            return nodes;
        }
    }
    int("cpu_node").map_or_else(|| spread.to_vec(), |n| vec![n])
}

/// What a memory bandwidth figure counts.
fn counts(id: &str, params: &Params, metric: &str) -> String {
    let kernel = match params.get("kernel") {
        Some(ParamValue::Str(k)) => Some(k.as_str()),
        _ => None,
    };
    let spec = kernel.and_then(|k| KERNELS.iter().find(|s| s.name == k)).filter(|_| id == "memory.bandwidth");
    match spec {
        Some(s) => {
            let (reads, writes) = (s.reads.len(), s.writes.len());
            let logical = reads + writes;
            let bus = logical + if s.nontemporal { 0 } else { writes };
            if bus == logical {
                format!(
                    "logical bytes (STREAM convention): {reads} read + {writes} written 8-byte words per element of \
                     {}; {} so the memory bus moves what is counted",
                    s.formula,
                    if s.nontemporal { "non-temporal stores write without reading first," } else { "no stores," }
                )
            } else {
                format!(
                    "logical bytes (STREAM convention): {reads} read + {writes} written 8-byte words per element of \
                     {}; each regular store first reads its line for ownership (write-allocate), so the memory bus \
                     moves {bus} words: {:.2}x this figure",
                    s.formula,
                    bus as f64 / logical as f64
                )
            }
        }
        None if metric.contains("read") => "bytes read per second, each counted once".into(),
        None => "bytes the threads read and wrote per second, each counted once (logical); regular stores also \
                 read each line for ownership, which the memory bus moves too"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn params(pairs: &[(&str, ParamValue)]) -> Params {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>()
    }

    #[test]
    fn stream_kernels_say_what_the_bus_moves() {
        let copy = counts("memory.bandwidth", &params(&[("kernel", "copy".into())]), "bandwidth");
        assert!(copy.contains("1 read + 1 written") && copy.contains("moves 3 words: 1.50x"), "{copy}");
        let triad = counts("memory.bandwidth", &params(&[("kernel", "triad".into())]), "bandwidth");
        assert!(triad.contains("moves 4 words: 1.33x"), "{triad}");
        let nt = counts("memory.bandwidth", &params(&[("kernel", "nt_copy".into())]), "bandwidth");
        assert!(nt.contains("moves what is counted") && nt.contains("non-temporal"), "{nt}");
        let read = counts("memory.bandwidth", &params(&[("kernel", "read".into())]), "bandwidth");
        assert!(read.contains("no stores"), "{read}");
    }

    /// The two-socket fixture: 8 channels of DDR5-4800 per socket in SMBIOS,
    /// a CXL expander (node 2) behind a 32 GT/s x8 link that hwloc names.
    #[test]
    fn a_fixture_machine_gives_its_dram_and_cxl_limits() {
        let root = hwbench_probes::SysRoot::new(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs/two-socket-cxl"),
        );
        let topology = hwbench_probes::topology::probe_classified(&root).unwrap();
        let limits = MemoryLimits::probe(&Host::new(root, topology));
        let triad = params(&[("kernel", "triad".into())]);
        let limit = |extra: &[(&str, ParamValue)]| {
            let mut p = triad.clone();
            p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
            limits.bandwidth("memory.bandwidth", &p, "bandwidth").1.known().cloned().unwrap()
        };
        let node0 = limit(&[("node", 0u64.into())]);
        assert!((node0.value - 307.2).abs() < 1e-9, "{node0:?}");
        assert!(node0.derivation.contains("socket 0: 8 channels x 4800 MT/s x 8 B"), "{}", node0.derivation);
        let spread = limit(&[]);
        assert!((spread.value - 614.4).abs() < 1e-9, "{spread:?}");
        let cxl = limit(&[("node", 2u64.into())]);
        assert!((cxl.value - 32.0 * 8.0 * 128.0 / 130.0 / 8.0).abs() < 1e-9, "{cxl:?}");
        assert!(cxl.derivation.contains("CXL: PCIe link of 0000:35:00.0"), "{}", cxl.derivation);
    }

    #[test]
    fn the_nodes_of_a_record() {
        assert_eq!(nodes_of(&params(&[("node", 2u64.into()), ("cpu_node", 0u64.into())]), &[0, 1]), [2]);
        assert_eq!(nodes_of(&params(&[("cpu_node", 1u64.into())]), &[0, 1]), [1]);
        assert_eq!(nodes_of(&params(&[("nodes", "0,2".into())]), &[0, 1]), [0, 2]);
        assert_eq!(nodes_of(&params(&[]), &[0, 1]), [0, 1]);
    }
}
