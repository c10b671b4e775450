//! Choosing what a NUMA benchmark measures: the memory nodes a `node`
//! param names (`N`, `all`, `cpuless`, `local`), the CPUs of an initiator
//! node, the initiator nearest a CPU-less node, and a node's tier label.

use std::collections::BTreeMap;

use hwbench_schema::{TierLabel, Topology};

use hwbench_probes::sysroot::format_list;

use crate::error::BenchError;
use crate::host::Host;

/// The reference node (the first with CPUs this process may run on and
/// memory it may allocate): where "local" memory is.
pub fn local_node(host: &Host) -> Result<u32, BenchError> {
    let reference = hwbench_probes::tiers::reference_node(&host.topology);
    match host.node(reference.into()) {
        Ok(n) if !n.cpu_less => Ok(reference),
        Ok(_) => Err(BenchError::BadInput("the topology has no node with CPUs".into())),
        Err(why) => Err(BenchError::BadInput(format!("no local memory node: {why}"))),
    }
}

/// Resolves a node selection: a node number, `all`, `cpuless` (nodes
/// without CPUs: CXL and other far memory), or `local`; `all` and
/// `cpuless` hold only the nodes this process may allocate on. A node that
/// does not exist or is not allowed here is bad input naming `param`.
pub fn select(id: &str, param: &str, text: &str, host: &Host) -> Result<Vec<u32>, BenchError> {
    match text {
        "all" => Ok(host.memory_nodes().map(|n| n.os_index).collect()),
        "cpuless" => Ok(host.memory_nodes().filter(|n| n.cpu_less).map(|n| n.os_index).collect()),
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
/// (every node with CPUs this process may run on). A node that does not
/// exist, has no CPUs or none this process may run on is bad input.
pub fn select_initiators(id: &str, text: &str, host: &Host) -> Result<Vec<u32>, BenchError> {
    if text == "all" {
        return Ok(initiators(&host.topology).collect());
    }
    let n: u32 = text
        .parse()
        .map_err(|_| BenchError::bad_param(id, "cpu_node", format!("'{text}' is not a node number or all")))?;
    let ids: Vec<u32> = host.topology.nodes.iter().map(|x| x.os_index).collect();
    match host.topology.nodes.iter().find(|x| x.os_index == n) {
        None => Err(BenchError::bad_param(
            id,
            "cpu_node",
            format!("node {n} does not exist (this machine has nodes {})", format_list(&ids)),
        )),
        Some(found) if found.cpu_less => {
            Err(BenchError::bad_param(id, "cpu_node", format!("node {n} has no CPUs to run threads on")))
        }
        Some(_) if cpus_of(&host.topology, n).is_empty() => Err(BenchError::bad_param(
            id,
            "cpu_node",
            format!(
                "no CPU of node {n} is allowed here (this process may run on CPUs {})",
                format_list(&host.allowed_cpus())
            ),
        )),
        Some(_) => Ok(vec![n]),
    }
}

/// The nodes with CPUs this process may run on.
fn initiators(topology: &Topology) -> impl Iterator<Item = u32> + '_ {
    let allowed = crate::host::allowed_cpus(topology);
    topology.nodes.iter().filter(move |n| n.cpus.iter().any(|c| allowed.contains(c))).map(|n| n.os_index)
}

/// Why a selection of CPU-less nodes measures nothing here: the machine has
/// none, or this process may allocate on none of them.
pub fn no_cpuless_node(host: &Host) -> String {
    let cpuless: Vec<u32> = host.topology.nodes.iter().filter(|n| n.cpu_less).map(|n| n.os_index).collect();
    if cpuless.is_empty() {
        "no CPU-less memory node on this machine (no CXL or other far memory)".into()
    } else {
        format!(
            "no CPU-less memory node this process may allocate on: node(s) {} are outside its cpuset",
            format_list(&cpuless)
        )
    }
}

/// The node whose CPUs run the threads measuring memory node `memory`:
/// the node itself when it has CPUs this process may run on, else the node
/// with such CPUs at the smallest SLIT distance from it (lowest index on
/// ties).
pub fn initiator_for(topology: &Topology, memory: u32) -> Option<u32> {
    let target = topology.nodes.iter().find(|n| n.os_index == memory)?;
    let initiators: Vec<u32> = initiators(topology).collect();
    if initiators.contains(&memory) {
        return Some(memory);
    }
    initiators.into_iter().min_by_key(|n| (target.distances.get(n).copied().unwrap_or(u32::MAX), *n))
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
    let allowed = crate::host::allowed_cpus(topology);
    let Some(node) = topology.nodes.iter().find(|x| x.os_index == n) else { return Vec::new() };
    let usable: Vec<u32> = node.cpus.iter().copied().filter(|c| allowed.contains(c)).collect();
    super::bandwidth::threads::cpus::spread(topology, &usable)
}

/// The CPUs of initiator node `n`, or a skip reason when this process may
/// use none of them.
pub fn initiator_cpus(topology: &Topology, n: u32) -> Result<Vec<u32>, BenchError> {
    let cpus = cpus_of(topology, n);
    if cpus.is_empty() {
        return Err(BenchError::Unavailable(format!(
            "no CPU of node {n} is available to this process (its cpuset and CPU affinity)"
        )));
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
