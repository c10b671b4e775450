//! Choosing what a NUMA benchmark measures: the memory nodes a `node`
//! param names (`N`, `all`, `cpuless`, `local`), the CPUs of an initiator
//! node, the initiator nearest a CPU-less node, and a node's tier label.

use std::collections::BTreeMap;

use hwbench_schema::{TierLabel, Topology};

use crate::error::BenchError;
use crate::host::Host;

/// The node holding the first CPU this process may run on (else the first
/// node with CPUs): where "local" memory is.
pub fn local_node(host: &Host) -> Result<u32, BenchError> {
    let reference = hwbench_probes::tiers::reference_node(&host.topology);
    match host.node(reference.into()) {
        Ok(n) if !n.cpu_less => Ok(reference),
        _ => Err(BenchError::BadInput("the topology has no node with CPUs".into())),
    }
}

/// Resolves a node selection: a node number, `all`, `cpuless` (nodes
/// without CPUs: CXL and other far memory), or `local`. A node that does not
/// exist is bad input naming `param`.
pub fn select(id: &str, param: &str, text: &str, host: &Host) -> Result<Vec<u32>, BenchError> {
    let nodes = &host.topology.nodes;
    match text {
        "all" => Ok(nodes.iter().map(|n| n.os_index).collect()),
        "cpuless" => Ok(nodes.iter().filter(|n| n.cpu_less).map(|n| n.os_index).collect()),
        "local" => Ok(vec![local_node(host)?]),
        number => {
            let n: u32 = number.parse().map_err(|_| {
                BenchError::bad_param(id, param, format!("'{number}' is not a node number, all, cpuless or local"))
            })?;
            host.node(n.into()).map_err(|why| BenchError::bad_param(id, param, why))?;
            Ok(vec![n])
        }
    }
}

/// Resolves an initiator selection (`cpu_node`): a node number or `all`
/// (every node with CPUs). A node that does not exist or has no CPUs is
/// bad input.
pub fn select_initiators(id: &str, text: &str, host: &Host) -> Result<Vec<u32>, BenchError> {
    if text == "all" {
        return Ok(host.topology.nodes.iter().filter(|n| !n.cpu_less).map(|n| n.os_index).collect());
    }
    let n: u32 = text
        .parse()
        .map_err(|_| BenchError::bad_param(id, "cpu_node", format!("'{text}' is not a node number or all")))?;
    let found = host.node(n.into()).map_err(|why| BenchError::bad_param(id, "cpu_node", why))?;
    if found.cpu_less {
        return Err(BenchError::bad_param(id, "cpu_node", format!("node {n} has no CPUs to run threads on")));
    }
    Ok(vec![n])
}

/// Why a selection of CPU-less nodes measures nothing on this machine.
pub const NO_CPULESS_NODE: &str = "no CPU-less memory node on this machine (no CXL or other far memory)";

/// The node whose CPUs run the threads measuring memory node `memory`:
/// the node itself when it has CPUs, else the node with CPUs at the
/// smallest SLIT distance from it (lowest index on ties).
pub fn initiator_for(topology: &Topology, memory: u32) -> Option<u32> {
    let target = topology.nodes.iter().find(|n| n.os_index == memory)?;
    if !target.cpu_less {
        return Some(memory);
    }
    topology
        .nodes
        .iter()
        .filter(|n| !n.cpu_less)
        .min_by_key(|n| (target.distances.get(&n.os_index).copied().unwrap_or(u32::MAX), n.os_index))
        .map(|n| n.os_index)
}

/// The node whose CPUs measure memory node `memory`: the `cpu_node` the
/// user chose (checked to have CPUs), else [`initiator_for`].
pub fn cpu_node_for(id: &str, chosen: Option<u32>, memory: u32, host: &Host) -> Result<u32, BenchError> {
    match chosen {
        Some(n) => Ok(select_initiators(id, &n.to_string(), host)?[0]),
        None => {
            initiator_for(&host.topology, memory).ok_or_else(|| BenchError::BadInput(format!("{id}: no node has CPUs")))
        }
    }
}

/// The CPUs of node `n` this process may run on, one per core first (in
/// core order), then the remaining hardware threads. Empty when none.
pub fn cpus_of(topology: &Topology, n: u32) -> Vec<u32> {
    let allowed = hwbench_probes::binding::allowed_cpus();
    let Some(node) = topology.nodes.iter().find(|x| x.os_index == n) else { return Vec::new() };
    let usable: Vec<u32> = node.cpus.iter().copied().filter(|c| allowed.contains(c)).collect();
    super::bandwidth::threads::cpus::spread(topology, &usable)
}

/// The CPUs of initiator node `n`, or a skip reason when this process may
/// use none of them.
pub fn initiator_cpus(topology: &Topology, n: u32) -> Result<Vec<u32>, BenchError> {
    let cpus = cpus_of(topology, n);
    if cpus.is_empty() {
        return Err(BenchError::Unavailable(format!("no CPU of node {n} is available to this process (CPU affinity)")));
    }
    Ok(cpus)
}

/// The tier of memory node `n` as seen from initiator node `reference`,
/// weighing measured idle latencies (node -> ns from `reference`) when given.
pub fn tier_of(topology: &Topology, reference: u32, measured: &BTreeMap<u32, f64>, n: u32) -> Option<TierLabel> {
    let mut labelled = topology.clone();
    hwbench_probes::tiers::classify(&mut labelled, reference, measured);
    labelled.nodes.into_iter().find(|x| x.os_index == n).and_then(|x| x.tier)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// The topology of fixture tree tests/fixtures/sysfs/NAME.
    pub(crate) fn fixture(name: &str) -> Topology {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name);
        hwbench_probes::topology::probe(&hwbench_probes::SysRoot::new(root)).unwrap()
    }

    #[test]
    fn a_cpuless_node_is_measured_from_the_nearest_cpu_node() {
        let t = fixture("two-socket-cxl");
        assert_eq!(initiator_for(&t, 0), Some(0));
        assert_eq!(initiator_for(&t, 1), Some(1));
        let cxl = t.nodes.iter().find(|n| n.cpu_less).unwrap();
        let nearest =
            t.nodes.iter().filter(|n| !n.cpu_less).min_by_key(|n| (cxl.distances[&n.os_index], n.os_index)).unwrap();
        assert_eq!(initiator_for(&t, cxl.os_index), Some(nearest.os_index));
        assert_eq!(initiator_for(&t, 99), None);
    }

    #[test]
    fn the_cxl_node_of_the_fixture_is_labelled_cxl_with_measured_evidence() {
        let t = fixture("two-socket-cxl");
        let measured = BTreeMap::from([(0, 100.0), (2, 250.0)]);
        let label = tier_of(&t, 0, &measured, 2).unwrap();
        assert_eq!(label.tier, hwbench_schema::Tier::Cxl);
        assert!(label.evidence.iter().any(|e| e.contains("2.50x")), "{:?}", label.evidence);
    }
}
