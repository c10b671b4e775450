//! Where a memory record measured, seen from the reference node (the
//! first node with CPUs this process could use, the one tier labels are
//! seen from): the tier of its memory and the node, or nothing when its
//! CPUs were on another node.

use hwbench_schema::{ParamValue, Record, ResultDocument, Tier, TierLabel};

/// The memory a figure was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub tier: Tier,
    /// The memory node; `None` for memory the threads first touched
    /// (unbound) on the reference node's local DRAM.
    pub node: Option<u32>,
}

/// The first node with CPUs whose memory and CPUs this process could use.
pub fn reference_node(doc: &ResultDocument) -> Option<u32> {
    let t = &doc.topology;
    t.nodes
        .iter()
        .find(|n| !n.cpu_less && t.node_allowed(n.os_index) && n.cpus.iter().any(|&c| t.cpu_allowed(c)))
        .map(|n| n.os_index)
}

/// The tier and node `record` measured, when its CPUs were on `home` (or
/// it does not say where they were); `None` otherwise.
pub fn of(doc: &ResultDocument, record: &Record, home: Option<u32>) -> Option<Target> {
    let node = int(record, "node");
    let initiator = int(record, "cpu_node")
        .or_else(|| int(record, "cpu").and_then(|cpu| node_of_cpu(doc, cpu)))
        .or_else(|| node.filter(|&n| has_cpus(doc, n)));
    if initiator.zip(home).is_some_and(|(i, h)| i != h) {
        return None;
    }
    let recorded = record.info.get("tier").and_then(|t| serde_json::from_value::<TierLabel>(t.clone()).ok());
    if let Some(label) = recorded {
        return Some(Target { tier: label.tier, node });
    }
    let tier = match node {
        None => home_tier(doc, home),
        Some(n) if Some(n) == home => home_tier(doc, home),
        Some(n) if has_cpus(doc, n) => Tier::RemoteDram,
        Some(n) => label(doc, n).unwrap_or(Tier::Unknown),
    };
    Some(Target { tier, node: node.or(home) })
}

/// The reference node's memory: HBM where it is labelled so (HBM-only
/// machines), else local DRAM.
fn home_tier(doc: &ResultDocument, home: Option<u32>) -> Tier {
    match home.and_then(|h| label(doc, h)) {
        Some(Tier::Hbm) => Tier::Hbm,
        _ => Tier::LocalDram,
    }
}

fn label(doc: &ResultDocument, node: u32) -> Option<Tier> {
    doc.topology.nodes.iter().find(|n| n.os_index == node)?.tier.as_ref().map(|t| t.tier)
}

fn has_cpus(doc: &ResultDocument, node: u32) -> bool {
    doc.topology.nodes.iter().any(|n| n.os_index == node && !n.cpu_less)
}

fn node_of_cpu(doc: &ResultDocument, cpu: u32) -> Option<u32> {
    doc.topology.nodes.iter().find(|n| n.cpus.contains(&cpu)).map(|n| n.os_index)
}

/// An integer param as a node or CPU number.
fn int(record: &Record, name: &str) -> Option<u32> {
    match record.params.get(name)? {
        ParamValue::Int(v) => u32::try_from(*v).ok(),
        _ => None,
    }
}

/// The order tiers are shown in: nearest first.
pub fn tier_order(tier: Tier) -> u8 {
    match tier {
        Tier::LocalDram => 0,
        Tier::Hbm => 1,
        Tier::RemoteDram => 2,
        Tier::Cxl => 3,
        Tier::Persistent => 4,
        Tier::GpuMemory => 5,
        Tier::Unknown => 6,
    }
}

/// A tier in words: "local DRAM", "CXL", "GPU memory".
pub fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::LocalDram => "local DRAM",
        Tier::RemoteDram => "remote DRAM",
        Tier::Cxl => "CXL",
        Tier::Hbm => "HBM",
        Tier::Persistent => "persistent memory",
        Tier::GpuMemory => "GPU memory",
        Tier::Unknown => "memory of unknown tier",
    }
}

/// The limit a tier's bandwidth is set beside, in words.
pub fn limit_name(tier: Tier) -> &'static str {
    match tier {
        Tier::LocalDram | Tier::RemoteDram => "DRAM limit",
        Tier::Cxl => "CXL link limit",
        _ => "limit",
    }
}
