//! Topology from fixture sysfs trees (through hwloc's fsroot and sysfs) and
//! from the live machine.

use std::path::{Path, PathBuf};

use hwbench_probes::topology::{cache_levels_for_pu, last_level_cache_bytes, probe};
use hwbench_probes::{ProbeError, RootError, SysRoot};
use hwbench_schema::{CacheKind, Tier};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name)
}

#[test]
fn two_sockets_plus_a_cpu_less_node_are_read_right() {
    let t = probe(&SysRoot::new(fixture("two-socket-cxl"))).unwrap();
    assert_eq!(t.packages, 2);
    assert_eq!(t.cores.len(), 4);
    assert_eq!(t.cores[2].package, 1);
    assert_eq!(t.nodes.len(), 3);
    let ids: Vec<u32> = t.nodes.iter().map(|n| n.os_index).collect();
    assert_eq!(ids, [0, 1, 2]);
    assert_eq!(t.nodes[0].cpus, [0, 1]);
    assert_eq!(t.nodes[1].cpus, [2, 3]);
    assert!(t.nodes[2].cpus.is_empty());
    assert_eq!(t.nodes.iter().map(|n| n.cpu_less).collect::<Vec<_>>(), [false, false, true]);
    assert_eq!(t.nodes[2].memory_bytes, 32 << 30);
    assert_eq!(t.nodes[0].distances.values().copied().collect::<Vec<_>>(), [10, 21, 24]);
    assert_eq!(t.nodes[2].distances[&0], 24);
    // hwloc's memory attributes: one entry per initiator, from access class
    // 1 (CPU initiators), which the tree has.
    let cxl = &t.nodes[2].hmat;
    assert_eq!(cxl.len(), 1);
    assert_eq!(cxl[0].access_class, 1);
    assert_eq!(cxl[0].initiators, [0, 1]);
    assert_eq!(cxl[0].read_latency_ns, Some(250));
    assert_eq!(cxl[0].write_latency_ns, Some(300));
    assert_eq!(cxl[0].read_bandwidth_mbps, Some(30000));
    assert_eq!(cxl[0].write_bandwidth_mbps, Some(20000));
    assert_eq!(t.nodes[2].memory_tier, Some(22));
    // hwloc follows the kmem DAX device to its CXL region and memory device.
    assert_eq!(t.nodes[2].subtype.as_deref(), Some("CXL-DRAM"));
    assert_eq!(t.nodes[2].infos["CXLDevice"], "0000:35:00.0");
    assert_eq!(t.nodes[0].memory_tier, Some(4));
    assert_eq!(t.memory_tiers.len(), 2);
    // Caches: per core L1d, L1i, L2; per package L3 (2 x 32 MiB).
    assert_eq!(t.caches.iter().filter(|c| c.level == 3).count(), 2);
    assert_eq!(last_level_cache_bytes(&t), 64 << 20);
    assert_eq!(cache_levels_for_pu(&t, 2), [(1, 32 << 10), (2, 1 << 20), (3, 32 << 20)]);
    let l1i = t.caches.iter().find(|c| c.kind == CacheKind::Instruction).unwrap();
    assert_eq!((l1i.level, l1i.size_bytes, l1i.line_bytes), (1, 32 << 10, 64));
}

/// Old kernels and some captured trees give node CPUs as a mask only.
#[test]
fn nodes_with_a_cpumap_and_no_cpulist_are_read() {
    let t = probe(&SysRoot::new(fixture("cpumap-only"))).unwrap();
    assert_eq!(t.nodes.iter().map(|n| n.cpus.clone()).collect::<Vec<_>>(), [vec![0, 1], vec![2, 3]]);
    assert_eq!(t.nodes[0].distances.values().copied().collect::<Vec<_>>(), [10, 20]);
    assert_eq!(t.nodes[1].memory_bytes, 8 << 30);
    assert!(t.unknown.is_empty(), "{:?}", t.unknown);
}

/// Values ending in a NUL byte or spaces read as their text.
#[test]
fn values_ending_in_nul_are_read() {
    let t = probe(&SysRoot::new(fixture("nul-terminated"))).unwrap();
    assert_eq!(t.nodes[0].cpus, [0, 1]);
    assert!(t.nodes[1].cpu_less && t.nodes[1].cpus.is_empty());
    assert_eq!(t.nodes[1].distances.values().copied().collect::<Vec<_>>(), [20, 10]);
    let tiers: Vec<(u32, Vec<u32>)> = t.memory_tiers.iter().map(|m| (m.id, m.nodes.clone())).collect();
    assert_eq!(tiers, [(4, vec![0]), (22, vec![1])]);
    assert_eq!(t.nodes[1].memory_tier, Some(22));
    assert!(t.unknown.is_empty(), "{:?}", t.unknown);
}

/// A node offline at capture: no directory, but the distance rows of the
/// online nodes still have an entry for it.
#[test]
fn an_offline_node_in_the_distance_rows_does_not_fail_the_reading() {
    let t = probe(&SysRoot::new(fixture("offline-node"))).unwrap();
    assert_eq!(t.nodes.iter().map(|n| n.os_index).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(t.nodes[0].distances, [(0, 10), (1, 21)].into());
    assert_eq!(t.nodes[1].distances, [(0, 21), (1, 10)].into());
}

/// A cgroup whose cpuset allows node 1's CPUs and memory nodes 0-1 only:
/// every node is described, only those are allowed, and the reference
/// node is one whose CPUs the process may use.
#[test]
fn a_cgroup_cpuset_limits_what_is_allowed_and_moves_the_reference_node() {
    let t = probe(&SysRoot::new(fixture("cgroup-limited"))).unwrap();
    assert_eq!(t.nodes.len(), 4);
    let allowed = t.allowed.as_ref().unwrap();
    assert_eq!((allowed.cpus.clone(), allowed.nodes.clone()), (vec![2, 3], vec![0, 1]));
    assert_eq!(allowed.cgroup.as_deref(), Some("/kubepods/pod1"));
    assert_eq!(t.nodes.iter().map(|n| t.node_allowed(n.os_index)).collect::<Vec<_>>(), [true, true, false, false]);
    assert!(!t.cpu_allowed(0) && t.cpu_allowed(3));
    assert_eq!(hwbench_probes::tiers::reference_node(&t), 1);
    let labelled = hwbench_probes::topology::probe_classified(&SysRoot::new(fixture("cgroup-limited"))).unwrap();
    let tiers: Vec<Tier> = labelled.nodes.iter().map(|n| n.tier.as_ref().unwrap().tier).collect();
    assert_eq!(tiers, [Tier::RemoteDram, Tier::LocalDram, Tier::Cxl, Tier::Cxl]);
}

/// Firmware describing 8 nodes that each hold every CPU: hwloc keeps one
/// node, and the seven it dropped are named, not described.
#[test]
fn a_bogus_firmware_numa_description_reads_as_hwloc_reads_it() {
    let t = probe(&SysRoot::new(fixture("bogus-numa"))).unwrap();
    assert_eq!(t.nodes.len(), 1);
    assert_eq!(t.nodes[0].cpus, [0, 1, 2, 3]);
    let why = &t.unknown["nodes"];
    assert!(why.contains("node(s) 1-7") && why.contains("overlap"), "{why}");
    assert_eq!(t.allowed.as_ref().unwrap().nodes, [0]);
}

/// NVIDIA GPU memory exposed as a NUMA node is GPU memory, with the GPU's
/// PCI address as evidence, never CXL.
#[test]
fn gpu_memory_nodes_are_their_own_tier() {
    let root = SysRoot::new(fixture("gpu-memory"));
    let t = hwbench_probes::topology::probe_classified(&root).unwrap();
    let gpu = &t.nodes[1];
    assert!(gpu.cpu_less);
    assert_eq!(gpu.subtype.as_deref(), Some("GPUMemory"));
    assert_eq!(gpu.infos["PCIBusID"], "0009:01:00.0");
    let label = gpu.tier.as_ref().unwrap();
    assert_eq!(label.tier, Tier::GpuMemory);
    assert!(label.evidence.iter().any(|e| e.contains("PCI device 0009:01:00.0")), "{:?}", label.evidence);
    assert_eq!(t.nodes[0].tier.as_ref().unwrap().tier, Tier::LocalDram);
}

/// HMAT figures the firmware leaves at 0 mean "not provided": absent, never
/// 0 ns.
#[test]
fn hmat_zeros_are_absent() {
    let t = probe(&SysRoot::new(fixture("hmat-zeros"))).unwrap();
    let cxl = &t.nodes[1].hmat;
    assert_eq!(cxl.len(), 1);
    assert_eq!((cxl[0].read_latency_ns, cxl[0].write_latency_ns), (None, None));
    assert_eq!((cxl[0].read_bandwidth_mbps, cxl[0].write_bandwidth_mbps), (Some(25000), Some(20000)));
    assert_eq!(t.nodes[0].hmat[0].read_latency_ns, Some(90));
}

#[test]
fn live_caches_match_what_sysfs_reports_for_cpu0() {
    let t = probe(&SysRoot::default()).unwrap();
    let dir = Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if !entry.file_name().to_string_lossy().starts_with("index") {
            continue;
        }
        let read = |f: &str| std::fs::read_to_string(entry.path().join(f)).unwrap().trim().to_string();
        let level: u8 = read("level").parse().unwrap();
        let size = hwbench_schema::units::parse_bytes(&read("size")).unwrap();
        let kind = match read("type").as_str() {
            "Data" => CacheKind::Data,
            "Instruction" => CacheKind::Instruction,
            _ => CacheKind::Unified,
        };
        assert!(
            t.caches
                .iter()
                .any(|c| c.level == level && c.kind == kind && c.size_bytes == size && c.shared_by_pus.contains(&0)),
            "cache L{level} {kind:?} {size} B of cpu0 missing from {:?}",
            t.caches
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} caches in sysfs");
    let online =
        hwbench_probes::sysroot::parse_list(&std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap())
            .unwrap();
    let all_cpus: Vec<u32> = t.nodes.iter().flat_map(|n| n.cpus.clone()).collect();
    assert_eq!(all_cpus, online);
}

/// A root that is not there, or holds no sys/devices/system, is refused:
/// hwloc would otherwise fall back to describing the live machine.
#[test]
fn a_root_that_describes_no_machine_is_refused_not_read_live() {
    let missing = probe(&SysRoot::new("/nonexistent-hwbench-root")).unwrap_err();
    assert!(matches!(missing, ProbeError::Root(RootError::Missing(_))), "{missing}");
    assert_eq!(missing.to_string(), "/nonexistent-hwbench-root: no such directory");
    let empty = scratch("empty");
    std::fs::create_dir_all(empty.join("sys/class")).unwrap();
    let err = probe(&SysRoot::new(&empty)).unwrap_err();
    assert!(matches!(err, ProbeError::Root(RootError::NotASysfsTree(_))), "{err}");
    std::fs::remove_dir_all(empty).unwrap();
}

/// Nothing about a fixture comes from this machine: a tree whose CPUs list
/// no caches has none, although this CPU's CPUID instruction describes its
/// own (hwloc's x86 backend would add them).
#[test]
fn a_fixture_without_caches_has_none_from_this_cpu() {
    let root = scratch("no-caches");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/powercap/machine"), &root);
    for cpu in ["cpu0", "cpu1"] {
        std::fs::remove_dir_all(root.join("sys/devices/system/cpu").join(cpu).join("cache")).unwrap();
    }
    let t = probe(&SysRoot::new(&root)).unwrap();
    assert!(t.caches.is_empty(), "{:?}", t.caches);
    assert_eq!((t.packages, t.cores.len()), (1, 2));
    assert!(!probe(&SysRoot::default()).unwrap().caches.is_empty(), "this machine's hwloc finds no caches");
    std::fs::remove_dir_all(root).unwrap();
}

/// Fixture trees read from many threads at once each give their own
/// machine (hwloc's root is never set in this process's environment).
#[test]
fn fixtures_read_concurrently_do_not_mix() {
    let reads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let name = if i % 2 == 0 { "two-socket-cxl" } else { "hbm-cxl" };
                (name, probe(&SysRoot::new(fixture(name))).unwrap())
            })
        })
        .collect();
    let live = probe(&SysRoot::default()).unwrap();
    for read in reads {
        let (name, t) = read.join().unwrap();
        let expected = probe(&SysRoot::new(fixture(name))).unwrap();
        assert_eq!(t, expected, "{name}");
        assert!(t.source.ends_with(&fixture(name).display().to_string()), "{}", t.source);
    }
    assert!(std::env::var_os("HWLOC_FSROOT").is_none());
    assert_eq!(live, probe(&SysRoot::default()).unwrap());
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hwbench-topology-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
