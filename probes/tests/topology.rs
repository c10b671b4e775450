//! Topology from fixture sysfs trees (through hwloc's fsroot and sysfs) and
//! from the live machine.

use std::path::{Path, PathBuf};

use hwbench_probes::topology::{cache_levels_for_pu, last_level_cache_bytes, probe};
use hwbench_probes::SysRoot;
use hwbench_schema::CacheKind;

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
    let cxl = &t.nodes[2].hmat;
    assert_eq!(cxl.len(), 2);
    assert_eq!(cxl[0].initiators, [0, 1]);
    assert_eq!(cxl[0].read_latency_ns, Some(250));
    assert_eq!(cxl[0].write_latency_ns, Some(300));
    assert_eq!(cxl[0].read_bandwidth_mbps, Some(30000));
    assert_eq!(cxl[0].write_bandwidth_mbps, Some(20000));
    assert_eq!(t.nodes[2].memory_tier, Some(22));
    assert_eq!(t.nodes[0].memory_tier, Some(4));
    assert_eq!(t.memory_tiers.len(), 2);
    // Caches: per core L1d, L1i, L2; per package L3 (2 x 32 MiB).
    assert_eq!(t.caches.iter().filter(|c| c.level == 3).count(), 2);
    assert_eq!(last_level_cache_bytes(&t), 64 << 20);
    assert_eq!(cache_levels_for_pu(&t, 2), [(1, 32 << 10), (2, 1 << 20), (3, 32 << 20)]);
    let l1i = t.caches.iter().find(|c| c.kind == CacheKind::Instruction).unwrap();
    assert_eq!((l1i.level, l1i.size_bytes, l1i.line_bytes), (1, 32 << 10, 64));
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
