//! What hwloc knows of the machine: packages, cores, PUs, caches, NUMA
//! nodes (memory, locality, subtype, info attributes, memory-side caches,
//! firmware memory attributes per initiator), NUMA distances, and the CPUs
//! and nodes this process may use.
//!
//! The topology is discovered in a forked child ([`child`]) with hwloc's
//! settings in its own environment and comes back as XML, for the live
//! machine as for a fixture tree (through HWLOC_FSROOT), so both are read
//! by the same hwloc Linux discovery. Disallowed CPUs and nodes are kept
//! (INCLUDE_DISALLOWED) and the allowed sets are read beside them.

mod child;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use hwbench_schema::{Cache, CacheKind, Core, MemorySideCache};
use hwlocality::bitmap::BitmapIndex;
use hwlocality::memory::attribute::{Initiator, MemoryAttribute};
use hwlocality::object::attributes::{CacheAssociativity, ObjectAttributes};
use hwlocality::object::distance::DistancesKind;
use hwlocality::object::types::{CacheType, ObjectType};
use hwlocality::object::TopologyObject;
use hwlocality::topology::builder::{BuildFlags, TopologyBuilder, TypeFilter};
use hwlocality::Topology;

use crate::sysroot::SysRoot;
use crate::ProbeError;

/// Firmware figures of a node as seen from one initiator (hwloc's memory
/// attributes; a figure the firmware leaves at 0 is absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitiatorFigures {
    /// The initiator's CPUs (OS indices).
    pub cpus: Vec<u32>,
    pub read_latency_ns: Option<u64>,
    pub write_latency_ns: Option<u64>,
    pub read_bandwidth_mbps: Option<u64>,
    pub write_bandwidth_mbps: Option<u64>,
}

/// What hwloc reports about one NUMA node.
#[derive(Debug, Clone, PartialEq)]
pub struct HwlocNode {
    pub os_index: u32,
    pub memory_bytes: u64,
    /// The CPUs the node is local to (hwloc's cpuset): its own CPUs, or for
    /// a CPU-less node those of its initiators.
    pub locality: Vec<u32>,
    pub subtype: Option<String>,
    pub infos: BTreeMap<String, String>,
    pub memory_side_caches: Vec<MemorySideCache>,
    pub figures: Vec<InitiatorFigures>,
}

/// The hwloc part of the topology.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HwlocView {
    pub packages: u32,
    pub cores: Vec<Core>,
    pub caches: Vec<Cache>,
    pub nodes: Vec<HwlocNode>,
    /// PUs this process may use (the cgroup's, narrowed to the process's
    /// affinity on the live machine).
    pub allowed_cpus: Vec<u32>,
    /// NUMA nodes this process may allocate on.
    pub allowed_nodes: Vec<u32>,
    /// The cgroup the allowed sets come from.
    pub cgroup: Option<String>,
    /// SLIT distances: node -> (node -> distance); None when hwloc has no
    /// NUMA distance matrix.
    pub distances: Option<BTreeMap<u32, BTreeMap<u32, u32>>>,
}

/// The live machine's hwloc topology, loaded once and shared (binding uses
/// it too): discovered in a child, reloaded from its XML as this system's,
/// so binding calls act on this process.
pub fn live() -> Result<&'static Topology, ProbeError> {
    static LIVE: OnceLock<Result<Topology, String>> = OnceLock::new();
    LIVE.get_or_init(|| from_xml(&child::load_xml(None)?, BuildFlags::ASSUME_THIS_SYSTEM))
        .as_ref()
        .map_err(|e| ProbeError::Hwloc(e.clone()))
}

/// The builder settings every discovery and reload uses: disallowed CPUs
/// and nodes kept, instruction and memory-side caches kept.
fn configured(builder: TopologyBuilder) -> Result<TopologyBuilder, String> {
    builder
        .with_flags(BuildFlags::INCLUDE_DISALLOWED)
        .map_err(hwloc_failed)?
        .with_cpu_icache_type_filter(TypeFilter::KeepAll)
        .map_err(hwloc_failed)?
        .with_type_filter(ObjectType::MemCache, TypeFilter::KeepAll)
        .map_err(hwloc_failed)
}

fn from_xml(xml: &str, extra: BuildFlags) -> Result<Topology, String> {
    let builder = configured(Topology::builder())?;
    let flags = builder.flags() | extra;
    builder.with_flags(flags).map_err(hwloc_failed)?.from_xml(xml).map_err(hwloc_failed)?.build().map_err(hwloc_failed)
}

fn hwloc_failed(e: impl std::fmt::Display) -> String {
    format!("hwloc could not load the topology: {e}")
}

/// Reads the hwloc view of the machine under `root`.
pub fn read(root: &SysRoot) -> Result<HwlocView, ProbeError> {
    if root.is_live() {
        let mut view = view(live()?);
        let affinity = crate::binding::allowed_cpus();
        if !affinity.is_empty() {
            view.allowed_cpus.retain(|c| affinity.contains(c));
        }
        return Ok(view);
    }
    root.check()?;
    let xml = child::load_xml(Some(root.root())).map_err(ProbeError::Hwloc)?;
    let topology = from_xml(&xml, BuildFlags::empty()).map_err(ProbeError::Hwloc)?;
    let backend = root_info(&topology, "Backend");
    if backend.as_deref() != Some("Linux") {
        return Err(ProbeError::Hwloc(format!(
            "{}: hwloc did not read it with its Linux backend (backend {backend:?}): its figures would not describe \
             the tree",
            root.root().display(),
        )));
    }
    Ok(view(&topology))
}

fn root_info(topology: &Topology, name: &str) -> Option<String> {
    topology.root_object().info(name).map(|v| v.to_string_lossy().into_owned())
}

fn view(topology: &Topology) -> HwlocView {
    let packages = topology.objects_with_type(ObjectType::Package).count().max(1) as u32;
    let cores = topology
        .objects_with_type(ObjectType::Core)
        .map(|core| Core {
            index: core.logical_index() as u32,
            package: core
                .ancestors()
                .find(|a| a.object_type() == ObjectType::Package)
                .map_or(0, |p| p.logical_index() as u32),
            pus: cpus_of(core),
        })
        .collect();
    let cache_types = [
        ObjectType::L1Cache,
        ObjectType::L1ICache,
        ObjectType::L2Cache,
        ObjectType::L2ICache,
        ObjectType::L3Cache,
        ObjectType::L3ICache,
        ObjectType::L4Cache,
        ObjectType::L5Cache,
    ];
    let caches = cache_types.iter().flat_map(|&ty| topology.objects_with_type(ty)).filter_map(cache_of).collect();
    let nodes = topology.objects_with_type(ObjectType::NUMANode).map(|node| node_of(topology, node)).collect();
    HwlocView {
        packages,
        cores,
        caches,
        nodes,
        allowed_cpus: topology.allowed_cpuset().iter_set().map(index).collect(),
        allowed_nodes: topology.allowed_nodeset().iter_set().map(index).collect(),
        cgroup: root_info(topology, "LinuxCgroup"),
        distances: distances(topology),
    }
}

fn index(i: BitmapIndex) -> u32 {
    usize::from(i) as u32
}

fn node_of(topology: &Topology, node: &TopologyObject) -> HwlocNode {
    HwlocNode {
        os_index: node.os_index().unwrap_or(0) as u32,
        memory_bytes: match node.attributes() {
            Some(ObjectAttributes::NUMANode(n)) => n.local_memory().map_or(0, |m| m.get()),
            _ => 0,
        },
        locality: cpus_of(node),
        subtype: node.subtype().map(|s| s.to_string_lossy().into_owned()),
        infos: node
            .infos()
            .iter()
            .map(|i| (i.name().to_string_lossy().into_owned(), i.value().to_string_lossy().into_owned()))
            .collect(),
        memory_side_caches: memory_side_caches(node),
        figures: figures(topology, node),
    }
}

/// The MemCache objects above a node in hwloc's memory hierarchy.
fn memory_side_caches(node: &TopologyObject) -> Vec<MemorySideCache> {
    node.ancestors()
        .take_while(|a| a.object_type() == ObjectType::MemCache)
        .filter_map(|cache| match cache.attributes() {
            Some(ObjectAttributes::Cache(attrs)) => Some(MemorySideCache {
                depth: attrs.depth() as u32,
                size_bytes: attrs.size().map(|s| s.get()),
                line_bytes: attrs.line_size().map(|s| s.get() as u32),
            }),
            _ => None,
        })
        .collect()
}

/// Where a memory attribute's value goes in [`InitiatorFigures`].
type Field = fn(&mut InitiatorFigures) -> &mut Option<u64>;

/// The node's firmware figures, one entry per initiator that has any.
fn figures(topology: &Topology, node: &TopologyObject) -> Vec<InitiatorFigures> {
    let mut by_initiator: Vec<InitiatorFigures> = Vec::new();
    let attributes: [(MemoryAttribute<'_>, Field); 4] = [
        (MemoryAttribute::read_latency(topology), |f| &mut f.read_latency_ns),
        (MemoryAttribute::write_latency(topology), |f| &mut f.write_latency_ns),
        (MemoryAttribute::read_bandwidth(topology), |f| &mut f.read_bandwidth_mbps),
        (MemoryAttribute::write_bandwidth(topology), |f| &mut f.write_bandwidth_mbps),
    ];
    for (attribute, field) in attributes {
        let Ok((initiators, values)) = attribute.initiators(node) else { continue };
        for (initiator, value) in initiators.iter().zip(values) {
            let Initiator::CpuSet(set) = initiator else { continue };
            let cpus: Vec<u32> = set.iter_set().map(index).collect();
            let entry = match by_initiator.iter().position(|f| f.cpus == cpus) {
                Some(i) => &mut by_initiator[i],
                None => {
                    by_initiator.push(InitiatorFigures { cpus, ..Default::default() });
                    by_initiator.last_mut().expect("just pushed")
                }
            };
            *field(entry) = Some(value).filter(|&v| v > 0);
        }
    }
    by_initiator
}

/// hwloc's NUMA distance matrix from the operating system (the SLIT).
fn distances(topology: &Topology) -> Option<BTreeMap<u32, BTreeMap<u32, u32>>> {
    let matrices = topology.distances(Some(DistancesKind::FROM_OS)).ok()?;
    let matrix =
        matrices.iter().find(|m| m.objects().all(|o| o.is_some_and(|o| o.object_type() == ObjectType::NUMANode)))?;
    let ids: Vec<u32> = matrix.objects().map(|o| o.and_then(|o| o.os_index()).unwrap_or(0) as u32).collect();
    let n = ids.len();
    let values = matrix.distances();
    Some(
        ids.iter()
            .enumerate()
            .map(|(i, &from)| (from, ids.iter().enumerate().map(|(j, &to)| (to, values[i * n + j] as u32)).collect()))
            .collect(),
    )
}

fn cpus_of(object: &TopologyObject) -> Vec<u32> {
    object.cpuset().map(|set| set.iter_set().map(index).collect()).unwrap_or_default()
}

fn cache_of(object: &TopologyObject) -> Option<Cache> {
    let Some(ObjectAttributes::Cache(attrs)) = object.attributes() else {
        return None;
    };
    let level = match object.object_type() {
        ObjectType::L1Cache | ObjectType::L1ICache => 1,
        ObjectType::L2Cache | ObjectType::L2ICache => 2,
        ObjectType::L3Cache | ObjectType::L3ICache => 3,
        ObjectType::L4Cache => 4,
        _ => 5,
    };
    Some(Cache {
        level,
        kind: match attrs.cache_type() {
            CacheType::Data => CacheKind::Data,
            CacheType::Instruction => CacheKind::Instruction,
            _ => CacheKind::Unified,
        },
        size_bytes: attrs.size().map_or(0, |s| s.get()),
        line_bytes: attrs.line_size().map_or(0, |s| s.get() as u32),
        associativity: match attrs.associativity() {
            CacheAssociativity::Ways(w) => w.get() as i32,
            CacheAssociativity::Full => -1,
            CacheAssociativity::Unknown => 0,
        },
        shared_by_pus: cpus_of(object),
    })
}
