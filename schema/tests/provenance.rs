//! Provenance facts added after schema_version 1 shipped: old documents
//! load with each one unknown and the reason, new ones round-trip.

use std::path::Path;

use hwbench_schema::{load, parse, write_document, Fact, PcieLink};

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/minimal-v1.json")
}

#[test]
fn a_document_without_the_new_facts_loads_them_as_not_recorded() {
    let doc = load(&fixture()).unwrap();
    for fact in [&doc.machine.bios_version.to_string(), &doc.machine.memory_speed_mts.to_string()] {
        assert!(fact.starts_with("unknown (not recorded"), "{fact}");
    }
    assert!(doc.machine.memory_devices.known().is_none());
    assert!(matches!(&doc.machine.gpu_pcie, Fact::Unknown { unknown } if unknown.contains("without this fact")));
}

#[test]
fn the_new_facts_round_trip() {
    let mut doc = load(&fixture()).unwrap();
    doc.machine.bios_version = Fact::Known("2.19.1".into());
    doc.machine.memory_devices = Fact::Known(16);
    doc.machine.memory_speed_mts = Fact::Known(4800);
    let link = PcieLink {
        address: "0000:65:00.0".into(),
        id: "10de:2330".into(),
        speed: "16.0 GT/s PCIe".into(),
        width: Some(8),
        max_speed: "32.0 GT/s PCIe".into(),
        max_width: Some(16),
    };
    assert_eq!(link.to_string(), "0000:65:00.0 [10de:2330] 16.0 GT/s PCIe x8 (max 32.0 GT/s PCIe x16)");
    doc.machine.gpu_pcie = Fact::Known(vec![link]);
    let dir = std::env::temp_dir().join(format!("hwbench-schema-provenance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("new-facts.json");
    write_document(&path, &doc).unwrap();
    let text = std::fs::read(&path).unwrap();
    assert_eq!(parse(&path, &text).unwrap(), doc);
    let _ = std::fs::remove_dir_all(&dir);
}
