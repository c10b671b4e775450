//! PCI Express links of GPUs and accelerators from /sys/bus/pci/devices:
//! the speed and width each trained to, beside what it could reach.

use hwbench_schema::{Fact, PcieLink};

use crate::sysroot::SysRoot;

const DEVICES: &str = "/sys/bus/pci/devices";

/// PCI class prefixes of the devices reported: display controllers (VGA,
/// 3D controllers: most GPUs) and processing accelerators.
const CLASSES: [&str; 2] = ["0x03", "0x12"];

/// The links of every display controller and processing accelerator that
/// has link files (virtual devices have none and are left out). Empty when
/// there are none; unknown when the PCI bus is not in sysfs at all.
pub fn gpu_links(root: &SysRoot) -> Fact<Vec<PcieLink>> {
    if !root.exists(DEVICES) {
        return Fact::unknown(format!("{}: no PCI bus in sysfs", root.path(DEVICES).display()));
    }
    let links = root
        .list_dir(DEVICES)
        .into_iter()
        .filter(|address| {
            root.read(&format!("{DEVICES}/{address}/class")).is_ok_and(|c| CLASSES.iter().any(|p| c.starts_with(p)))
        })
        .filter_map(|address| link(root, address))
        .collect();
    Fact::Known(links)
}

fn link(root: &SysRoot, address: String) -> Option<PcieLink> {
    let file = |name: &str| root.read(&format!("{DEVICES}/{address}/{name}")).ok();
    let speed = file("current_link_speed")?;
    let id = |name: &str| file(name).map(|v| v.trim_start_matches("0x").to_string()).unwrap_or_else(|| "?".into());
    Some(PcieLink {
        id: format!("{}:{}", id("vendor"), id("device")),
        speed,
        width: file("current_link_width").and_then(|w| w.parse().ok()),
        max_speed: file("max_link_speed").unwrap_or_else(|| "unknown".into()),
        max_width: file("max_link_width").and_then(|w| w.parse().ok()),
        address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(dir: &std::path::Path, address: &str, class: &str, link: Option<(&str, &str)>) {
        let d = dir.join("sys/bus/pci/devices").join(address);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("class"), format!("{class}\n")).unwrap();
        std::fs::write(d.join("vendor"), "0x10de\n").unwrap();
        std::fs::write(d.join("device"), "0x2330\n").unwrap();
        if let Some((speed, width)) = link {
            std::fs::write(d.join("current_link_speed"), format!("{speed}\n")).unwrap();
            std::fs::write(d.join("current_link_width"), format!("{width}\n")).unwrap();
            std::fs::write(d.join("max_link_speed"), "32.0 GT/s PCIe\n").unwrap();
            std::fs::write(d.join("max_link_width"), "16\n").unwrap();
        }
    }

    #[test]
    fn reports_gpus_and_accelerators_with_links_only() {
        let dir = std::env::temp_dir().join(format!("hwbench-pci-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        device(&dir, "0000:17:00.0", "0x030200", Some(("32.0 GT/s PCIe", "16")));
        device(&dir, "0000:65:00.0", "0x030200", Some(("16.0 GT/s PCIe", "8")));
        device(&dir, "0000:9a:00.0", "0x120000", Some(("32.0 GT/s PCIe", "16")));
        device(&dir, "0000:00:02.0", "0x030000", None); // virtual VGA: no link
        device(&dir, "0000:00:03.0", "0x020000", Some(("16.0 GT/s PCIe", "16"))); // a NIC
        let links = gpu_links(&SysRoot::new(&dir));
        let links = links.known().unwrap();
        let text: Vec<String> = links.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "0000:17:00.0 [10de:2330] 32.0 GT/s PCIe x16 (max 32.0 GT/s PCIe x16)",
                "0000:65:00.0 [10de:2330] 16.0 GT/s PCIe x8 (max 32.0 GT/s PCIe x16)",
                "0000:9a:00.0 [10de:2330] 32.0 GT/s PCIe x16 (max 32.0 GT/s PCIe x16)",
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_pci_bus_is_unknown() {
        assert!(gpu_links(&SysRoot::new("/nonexistent-root")).known().is_none());
    }
}
