//! Tier classification: label each NUMA node local DRAM, remote DRAM, CXL
//! (far memory), HBM or persistent memory, relative to a reference node
//! (where hwbench runs), and record the evidence for each label.
//!
//! Evidence is weighed in this order: hwloc's subtype when present; then
//! whether the node has CPUs, its kernel memory tier and its HMAT figures
//! against the reference node's; then, when given, measured idle latency.

use std::collections::BTreeMap;

use hwbench_schema::{NumaNode, Tier, TierLabel, Topology};

/// A measured latency at least this many times the reference node's marks
/// a node as far (remote or CXL) memory.
const FAR_LATENCY_RATIO: f64 = 1.3;
/// HMAT bandwidth at least this many times the reference's marks HBM.
const HBM_BANDWIDTH_RATIO: f64 = 2.0;

/// The node hwbench measures from: the first node with CPUs this process
/// may run on and memory it may allocate; else the first with CPUs it may
/// run on; else the first node with CPUs; else the first node.
pub fn reference_node(topology: &Topology) -> u32 {
    let runs_here = |n: &&NumaNode| n.cpus.iter().any(|&c| topology.cpu_allowed(c));
    topology
        .nodes
        .iter()
        .filter(runs_here)
        .find(|n| topology.node_allowed(n.os_index))
        .or_else(|| topology.nodes.iter().find(runs_here))
        .or_else(|| topology.nodes.iter().find(|n| !n.cpu_less))
        .or(topology.nodes.first())
        .map_or(0, |n| n.os_index)
}

/// Labels every node of `topology` in place. `reference` is the OS index of
/// the node the measuring CPUs belong to; `measured_latency_ns` maps node ->
/// measured idle latency from that reference, when a matrix was run.
pub fn classify(topology: &mut Topology, reference: u32, measured_latency_ns: &BTreeMap<u32, f64>) {
    let reference_node = topology.nodes.iter().find(|n| n.os_index == reference).cloned();
    let dram_tier = reference_node.as_ref().and_then(|n| n.memory_tier);
    for node in &mut topology.nodes {
        node.tier = Some(label(node, reference_node.as_ref(), dram_tier, measured_latency_ns));
    }
}

/// The node's label: hwloc's subtype decides when it names a tier (with
/// the device behind the node), the facts below otherwise; the facts are
/// evidence either way.
fn label(
    node: &NumaNode,
    reference: Option<&NumaNode>,
    dram_tier: Option<u32>,
    measured: &BTreeMap<u32, f64>,
) -> TierLabel {
    let mut facts = by_facts(node, reference, dram_tier, measured);
    let Some(subtype) = &node.subtype else { return facts };
    let Some(tier) = tier_of_subtype(subtype) else {
        facts.evidence.insert(0, format!("hwloc subtype {subtype} (not a tier by itself)"));
        return facts;
    };
    let mut evidence = vec![format!("hwloc subtype {subtype}")];
    if let Some(device) = node.infos.get("PCIBusID").or_else(|| node.infos.get("CXLDevice")) {
        evidence.push(format!("PCI device {device}"));
    }
    evidence.extend(facts.evidence);
    TierLabel { tier, evidence }
}

/// The label the node's CPUs, kernel tier, HMAT figures, distance and
/// measured latency give.
fn by_facts(
    node: &NumaNode,
    reference: Option<&NumaNode>,
    dram_tier: Option<u32>,
    measured: &BTreeMap<u32, f64>,
) -> TierLabel {
    let mut evidence = Vec::new();
    let is_reference = reference.is_some_and(|r| r.os_index == node.os_index);
    let ref_hmat = reference.and_then(|r| hmat_of(r, r.os_index));
    let hmat = reference.and_then(|r| hmat_of(node, r.os_index));
    let latency_ratio = match (measured.get(&node.os_index), reference.and_then(|r| measured.get(&r.os_index))) {
        (Some(&m), Some(&r)) if r > 0.0 => Some(m / r),
        _ => None,
    };
    if let Some(ratio) = latency_ratio {
        evidence.push(format!("measured idle latency {ratio:.2}x the reference node's"));
    }
    if let Some(d) = reference.and_then(|r| r.distances.get(&node.os_index)) {
        evidence.push(format!("SLIT distance {d} from node {}", reference.map_or(0, |r| r.os_index)));
    }

    if !node.cpu_less {
        evidence.insert(0, format!("has CPUs {}", crate::sysroot::format_list(&node.cpus)));
        let far = !is_reference && (latency_ratio.is_none_or(|r| r >= FAR_LATENCY_RATIO));
        let tier = if is_reference {
            evidence.push("the node hwbench runs on".into());
            Tier::LocalDram
        } else if far {
            Tier::RemoteDram
        } else {
            evidence.push("measured latency close to local".into());
            Tier::LocalDram
        };
        return TierLabel { tier, evidence };
    }

    evidence.insert(0, "no CPUs (memory-only node)".into());
    if let (Some(t), Some(d)) = (node.memory_tier, dram_tier) {
        evidence.push(format!("memory tier {t} vs DRAM tier {d}{}", if t > d { " (slower tier)" } else { "" }));
    }
    if let Some((lat, bw, wbw)) = hmat {
        evidence.push(format!("HMAT read latency {lat} ns, read bandwidth {bw} MB/s, write bandwidth {wbw} MB/s"));
        if let Some((ref_lat, ref_bw, _)) = ref_hmat {
            evidence.push(format!("reference node HMAT: {ref_lat} ns, {ref_bw} MB/s"));
            if bw as f64 >= HBM_BANDWIDTH_RATIO * ref_bw as f64 && lat as f64 <= 1.5 * ref_lat as f64 {
                return TierLabel { tier: Tier::Hbm, evidence };
            }
        }
        if wbw > 0 && (wbw as f64) < 0.5 * bw as f64 && node.memory_tier > dram_tier {
            evidence.push("write bandwidth under half of read (persistent-memory signature)".into());
            return TierLabel { tier: Tier::Persistent, evidence };
        }
    }
    TierLabel { tier: Tier::Cxl, evidence }
}

/// (read latency ns, read bandwidth MB/s, write bandwidth MB/s) of `node`
/// from `initiator`, from access class 1 (CPU initiators) or else 0.
fn hmat_of(node: &NumaNode, initiator: u32) -> Option<(u64, u64, u64)> {
    let mut classes: Vec<_> = node.hmat.iter().filter(|h| h.initiators.contains(&initiator)).collect();
    classes.sort_by_key(|h| std::cmp::Reverse(h.access_class));
    let h = classes.first()?;
    Some((h.read_latency_ns?, h.read_bandwidth_mbps?, h.write_bandwidth_mbps.unwrap_or(0)))
}

/// The tier an hwloc subtype names. hwloc's subtypes rest on evidence
/// here (discovery runs without its bandwidth-only guesses): GPUMemory
/// from the GPU driver, CXL-* from a CXL device behind the node, NVM from
/// a persistent-memory DAX device, MCDRAM/HBM from the processor. SPM
/// (specific-purpose memory, EFI_MEMORY_SP) says how firmware reserved the
/// memory, not what it is (HBM and CXL both appear so): no tier by itself.
fn tier_of_subtype(subtype: &str) -> Option<Tier> {
    let s = subtype.to_ascii_uppercase();
    if s.contains("GPUMEMORY") {
        Some(Tier::GpuMemory)
    } else if s.contains("CXL") {
        Some(Tier::Cxl)
    } else if s.contains("HBM") || s.contains("MCDRAM") {
        Some(Tier::Hbm)
    } else if s.contains("NVM") || s.contains("PMEM") {
        Some(Tier::Persistent)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SysRoot;
    use std::path::Path;

    fn fixture(name: &str) -> Topology {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name);
        crate::topology::probe(&SysRoot::new(root)).unwrap()
    }

    fn tiers(t: &Topology) -> Vec<Tier> {
        t.nodes.iter().map(|n| n.tier.as_ref().unwrap().tier).collect()
    }

    #[test]
    fn two_sockets_and_a_cxl_expander_are_local_remote_and_cxl() {
        let mut t = fixture("two-socket-cxl");
        classify(&mut t, 0, &BTreeMap::new());
        assert_eq!(tiers(&t), [Tier::LocalDram, Tier::RemoteDram, Tier::Cxl]);
        let cxl = t.nodes[2].tier.as_ref().unwrap();
        assert!(cxl.evidence.iter().any(|e| e.contains("no CPUs")), "{:?}", cxl.evidence);
        assert!(cxl.evidence.iter().any(|e| e.contains("HMAT read latency 250 ns")), "{:?}", cxl.evidence);
        assert!(cxl.evidence.iter().any(|e| e.contains("memory tier 22 vs DRAM tier 4")), "{:?}", cxl.evidence);
        // Seen from the other socket, node 1 is local and node 0 remote.
        classify(&mut t, 1, &BTreeMap::new());
        assert_eq!(tiers(&t), [Tier::RemoteDram, Tier::LocalDram, Tier::Cxl]);
    }

    #[test]
    fn hbm_cxl_and_persistent_nodes_are_told_apart() {
        let mut t = fixture("hbm-cxl");
        classify(&mut t, 0, &BTreeMap::new());
        assert_eq!(tiers(&t), [Tier::LocalDram, Tier::Hbm, Tier::Cxl, Tier::Persistent]);
    }

    #[test]
    fn a_measured_latency_close_to_local_keeps_a_cpu_node_local() {
        let mut t = fixture("two-socket-cxl");
        let measured = BTreeMap::from([(0, 100.0), (1, 105.0), (2, 300.0)]);
        classify(&mut t, 0, &measured);
        assert_eq!(tiers(&t), [Tier::LocalDram, Tier::LocalDram, Tier::Cxl]);
    }

    #[test]
    fn hwloc_subtypes_win() {
        assert_eq!(tier_of_subtype("CXL-DRAM"), Some(Tier::Cxl));
        assert_eq!(tier_of_subtype("HBM"), Some(Tier::Hbm));
        assert_eq!(tier_of_subtype("NVM"), Some(Tier::Persistent));
        assert_eq!(tier_of_subtype("GPUMemory"), Some(Tier::GpuMemory));
        assert_eq!(tier_of_subtype("CXL-GPUMemory"), Some(Tier::GpuMemory));
        assert_eq!(tier_of_subtype("SPM"), None);
        assert_eq!(tier_of_subtype("DRAM"), None);
    }
}
