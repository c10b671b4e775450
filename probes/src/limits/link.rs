//! PCI Express (and CXL, which runs over its physical layer) link
//! bandwidth from the speed and width the link trained to.

use hwbench_schema::{Fact, Limit};

use crate::sysroot::SysRoot;

const DEVICES: &str = "/sys/bus/pci/devices";

/// One direction of a link of `width` lanes at `speed` as sysfs writes it
/// ("16.0 GT/s PCIe"): GB/s and the derivation; None for a speed it does
/// not name. Encoding: 8b/10b up to 5 GT/s (PCIe 1 and 2), 128b/130b at 8
/// to 32 GT/s (PCIe 3 to 5), FLIT mode at 64 GT/s (PCIe 6: 242 payload
/// bytes of 256). Protocol overheads (packet headers, flow control) come
/// on top, so transfers reach 80-90% of this.
pub fn pcie_gbps(speed: &str, width: u32) -> Option<(f64, String)> {
    let gts: f64 = speed.split_whitespace().next()?.parse().ok()?;
    let (efficiency, encoding) = match gts {
        g if g <= 5.0 => (8.0 / 10.0, "8b/10b"),
        g if g <= 32.0 => (128.0 / 130.0, "128b/130b"),
        _ => (242.0 / 256.0, "FLIT 242/256"),
    };
    let gbps = gts * f64::from(width) * efficiency / 8.0;
    Some((gbps, format!("{gts} GT/s x{width} lanes x {encoding} / 8 bits = {gbps:.1} GB/s per direction")))
}

/// One direction of the link of the PCI device at `address`, as trained.
pub fn pcie_link(root: &SysRoot, address: &str) -> Fact<Limit> {
    let file = |name: &str| root.read(&format!("{DEVICES}/{address}/{name}"));
    let (speed, width) = match (file("current_link_speed"), file("current_link_width")) {
        (Ok(s), Ok(w)) => (s, w),
        (Err(e), _) | (_, Err(e)) => return Fact::unknown(format!("PCI device {address}: {e}")),
    };
    match width.parse::<u32>().ok().and_then(|w| pcie_gbps(&speed, w)) {
        Some((value, how)) => Fact::Known(Limit {
            value,
            unit: "GB/s".into(),
            derivation: format!("PCIe link of {address} as trained: {how}"),
        }),
        None => Fact::unknown(format!("PCI device {address}: link speed {speed:?} width {width:?} name no bandwidth")),
    }
}

/// One direction of the CXL links behind a memory node: hwloc's
/// `CXLDevice` info lists the PCI devices it is interleaved over
/// ("0000:35:00.0" or several, comma-separated), their links summed.
pub fn cxl_link(root: &SysRoot, cxl_devices: Option<&str>) -> Fact<Limit> {
    let Some(list) = cxl_devices else {
        return Fact::unknown(
            "no CXL device behind the node in hwloc (a CPU-less node without a CXL device: emulated, or a \
             firmware-described far memory whose link sysfs does not name)",
        );
    };
    let mut total = 0.0;
    let mut parts = Vec::new();
    for address in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        match pcie_link(root, address) {
            Fact::Known(l) => {
                total += l.value;
                parts.push(l.derivation);
            }
            Fact::Unknown { unknown } => return Fact::unknown(unknown),
        }
    }
    Fact::Known(Limit { value: total, unit: "GB/s".into(), derivation: format!("CXL: {}", parts.join(" + ")) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_bandwidth_per_generation() {
        let gen5 = pcie_gbps("32.0 GT/s PCIe", 16).unwrap();
        assert!((gen5.0 - 63.015).abs() < 1e-3, "{gen5:?}");
        assert!(gen5.1.contains("128b/130b"));
        assert!((pcie_gbps("16.0 GT/s PCIe", 8).unwrap().0 - 15.754).abs() < 1e-3);
        assert!((pcie_gbps("5.0 GT/s PCIe", 16).unwrap().0 - 8.0).abs() < 1e-9);
        assert!((pcie_gbps("2.5 GT/s PCIe", 1).unwrap().0 - 0.25).abs() < 1e-9);
        assert!((pcie_gbps("64.0 GT/s PCIe", 16).unwrap().0 - 121.0).abs() < 1e-9);
        assert_eq!(pcie_gbps("Unknown", 16), None);
    }

    #[test]
    fn a_cxl_node_interleaved_over_two_devices_sums_their_links() {
        let dir = std::env::temp_dir().join(format!("hwbench-cxl-link-{}", std::process::id()));
        for (address, width) in [("0000:35:00.0", "8"), ("0000:36:00.0", "8")] {
            let d = dir.join("sys/bus/pci/devices").join(address);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("current_link_speed"), "32.0 GT/s PCIe\n").unwrap();
            std::fs::write(d.join("current_link_width"), format!("{width}\n")).unwrap();
        }
        let root = SysRoot::new(&dir);
        let limit = cxl_link(&root, Some("0000:35:00.0,0000:36:00.0")).known().cloned().unwrap();
        assert!((limit.value - 63.015).abs() < 1e-3, "{limit:?}");
        assert!(limit.derivation.contains("0000:36:00.0"));
        assert!(cxl_link(&root, Some("0000:99:00.0")).known().is_none());
        assert!(cxl_link(&root, None).known().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
