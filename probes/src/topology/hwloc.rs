//! Packages, cores, PUs, caches and NUMA nodes from hwloc.
//!
//! For a fixture root hwloc's Linux backend reads the same tree through
//! HWLOC_FSROOT, so the live path and the tested path are the same code.
//! hwloc takes that root only from the environment, and changing the
//! environment of a running multithreaded process races with every other
//! thread reading it (getenv is not synchronised with setenv); so a fixture
//! is loaded in a child process that has the variable from birth (see
//! [`fixture`]) and comes back as hwloc XML.

mod fixture;

use std::sync::OnceLock;

use hwbench_schema::{Cache, CacheKind, Core};
use hwlocality::object::attributes::{CacheAssociativity, ObjectAttributes};
use hwlocality::object::types::{CacheType, ObjectType};
use hwlocality::object::TopologyObject;
use hwlocality::topology::builder::{TopologyBuilder, TypeFilter};
use hwlocality::Topology;

use crate::sysroot::SysRoot;
use crate::ProbeError;

/// What hwloc reports about one NUMA node.
#[derive(Debug, Clone, PartialEq)]
pub struct HwlocNode {
    pub os_index: u32,
    pub memory_bytes: u64,
    pub cpus: Vec<u32>,
    pub subtype: Option<String>,
}

/// The hwloc part of the topology.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HwlocView {
    pub packages: u32,
    pub cores: Vec<Core>,
    pub caches: Vec<Cache>,
    pub nodes: Vec<HwlocNode>,
}

/// The live machine's hwloc topology, loaded once and shared (binding uses it too).
pub fn live() -> Result<&'static Topology, ProbeError> {
    static LIVE: OnceLock<Result<Topology, String>> = OnceLock::new();
    if let Some((var, value)) = REDIRECTING.iter().find_map(|v| Some((v, std::env::var_os(v)?))) {
        return Err(ProbeError::HwlocEnvironment(format!(
            "{var}={} is set: hwloc would describe that instead of this machine; unset it, and use \
             --sysfs-root for a fixture tree",
            value.to_string_lossy()
        )));
    }
    LIVE.get_or_init(|| keeping_icaches(Topology::builder()).and_then(|b| b.build().map_err(hwloc_failed)))
        .as_ref()
        .map_err(|e| ProbeError::Hwloc(e.clone()))
}

/// Environment variables that point hwloc at another machine than the one
/// it runs on.
const REDIRECTING: [&str; 3] = ["HWLOC_FSROOT", "HWLOC_XMLFILE", "HWLOC_SYNTHETIC"];

fn keeping_icaches(builder: TopologyBuilder) -> Result<TopologyBuilder, String> {
    builder.with_cpu_icache_type_filter(TypeFilter::KeepAll).map_err(hwloc_failed)
}

fn hwloc_failed(e: impl std::fmt::Display) -> String {
    format!("hwloc could not load the topology: {e}")
}

/// Reads the hwloc view of the machine under `root`.
pub fn read(root: &SysRoot) -> Result<HwlocView, ProbeError> {
    if root.is_live() {
        Ok(view(live()?))
    } else {
        root.check()?;
        let xml = fixture::load_xml(root.root()).map_err(ProbeError::Hwloc)?;
        let topology = keeping_icaches(Topology::builder())
            .and_then(|b| b.from_xml(&xml).map_err(hwloc_failed))
            .and_then(|b| b.build().map_err(hwloc_failed))
            .map_err(ProbeError::Hwloc)?;
        let backend = topology.root_object().infos().iter().find(|i| i.name().to_bytes() == b"Backend");
        if backend.map(|i| i.value().to_bytes()) != Some(b"Linux") {
            return Err(ProbeError::Hwloc(format!(
                "{}: hwloc did not read it with its Linux backend (backend {:?}): its figures would not \
                 describe the tree",
                root.root().display(),
                backend.map(|i| i.value().to_string_lossy())
            )));
        }
        Ok(view(&topology))
    }
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
    let nodes = topology
        .objects_with_type(ObjectType::NUMANode)
        .map(|node| HwlocNode {
            os_index: node.os_index().unwrap_or(0) as u32,
            memory_bytes: match node.attributes() {
                Some(ObjectAttributes::NUMANode(n)) => n.local_memory().map_or(0, |m| m.get()),
                _ => 0,
            },
            cpus: cpus_of(node),
            subtype: node.subtype().map(|s| s.to_string_lossy().into_owned()),
        })
        .collect();
    HwlocView { packages, cores, caches, nodes }
}

fn cpus_of(object: &TopologyObject) -> Vec<u32> {
    object.cpuset().map(|set| set.iter_set().map(|i| usize::from(i) as u32).collect()).unwrap_or_default()
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
