//! AMD's driver through amdgpu's sysfs files of the PCI device: the
//! memory clock levels (pp_dpm_mclk), the shader clock levels
//! (pp_dpm_sclk) and the VRAM vendor. sysfs gives neither the memory bus
//! width nor the compute-unit count, so no figure is derived: each is
//! unknown with what the driver did say.

use hwbench_schema::Fact;

use super::DriverGpu;
use crate::sysroot::SysRoot;

const DEVICES: &str = "/sys/bus/pci/devices";

/// What amdgpu's sysfs says of the device at `address`.
pub(super) fn read(root: &SysRoot, address: &str) -> DriverGpu {
    let file = |name: &str| root.read(&format!("{DEVICES}/{address}/{name}"));
    let memory = match file("pp_dpm_mclk").map(|levels| top_clock_mhz(&levels)) {
        Ok(Some(mhz)) => {
            let vendor = file("mem_info_vram_vendor").map(|v| format!(", VRAM by {v}")).unwrap_or_default();
            format!(
                "amdgpu reports the memory clock (pp_dpm_mclk: up to {mhz} MHz{vendor}) but not the memory bus \
                 width: no bandwidth derived"
            )
        }
        Ok(None) => format!("amdgpu: {address}/pp_dpm_mclk names no clock level"),
        Err(e) => format!("amdgpu: {e}"),
    };
    let fp32 = match file("pp_dpm_sclk").map(|levels| top_clock_mhz(&levels)) {
        Ok(Some(mhz)) => format!(
            "amdgpu reports the shader clock (pp_dpm_sclk: up to {mhz} MHz) but not the compute-unit count: no \
             FP32 peak derived"
        ),
        Ok(None) => format!("amdgpu: {address}/pp_dpm_sclk names no clock level"),
        Err(e) => format!("amdgpu: {e}"),
    };
    DriverGpu { memory_bandwidth: Fact::unknown(memory), fp32: Fact::unknown(fp32) }
}

/// The highest level of a pp_dpm_* table ("0: 400Mhz\n1: 1600Mhz *"), MHz.
fn top_clock_mhz(levels: &str) -> Option<u32> {
    levels
        .lines()
        .filter_map(|line| line.split_once(':')?.1.trim().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_levels_are_read_and_the_missing_bus_width_is_named() {
        let dir = std::env::temp_dir().join(format!("hwbench-amdgpu-{}", std::process::id()));
        let d = dir.join("sys/bus/pci/devices/0000:c1:00.0");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("pp_dpm_mclk"), "0: 400Mhz\n1: 700Mhz\n2: 1200Mhz\n3: 1600Mhz *\n").unwrap();
        std::fs::write(d.join("pp_dpm_sclk"), "0: 500Mhz\n1: 800Mhz *\n2: 1700Mhz\n").unwrap();
        std::fs::write(d.join("mem_info_vram_vendor"), "samsung\n").unwrap();
        let root = SysRoot::new(&dir);
        let r = read(&root, "0000:c1:00.0");
        let Fact::Unknown { unknown: memory } = &r.memory_bandwidth else { panic!("{r:?}") };
        assert!(memory.contains("up to 1600 MHz, VRAM by samsung") && memory.contains("not the memory bus width"));
        let Fact::Unknown { unknown: fp32 } = &r.fp32 else { panic!("{r:?}") };
        assert!(fp32.contains("up to 1700 MHz") && fp32.contains("compute-unit count"), "{fp32}");
        let absent = read(&root, "0000:c2:00.0");
        let Fact::Unknown { unknown } = &absent.memory_bandwidth else { panic!("{absent:?}") };
        assert!(unknown.starts_with("amdgpu: ") && unknown.contains("0000:c2:00.0/pp_dpm_mclk"), "{unknown}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_top_level_is_the_highest_listed() {
        assert_eq!(top_clock_mhz("0: 96Mhz \n1: 456Mhz *\n2: 1000Mhz\n"), Some(1000));
        assert_eq!(top_clock_mhz("garbage"), None);
    }
}
