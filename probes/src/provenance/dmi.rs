//! Memory devices as the firmware lists them: SMBIOS type 17 structures,
//! which Linux exposes as /sys/firmware/dmi/entries/17-N/raw (root only).

use hwbench_schema::Fact;

use crate::sysroot::SysRoot;

const ENTRIES: &str = "/sys/firmware/dmi/entries";

/// What the SMBIOS memory device structures say, summed over the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryDevices {
    /// Populated devices (size not 0).
    pub populated: Fact<u32>,
    /// Configured speed of the slowest populated device that reports one, MT/s.
    pub speed_mts: Fact<u32>,
}

/// One populated SMBIOS type 17 memory device, as the limits need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Configured memory speed (SMBIOS 2.7+), else the rated speed, MT/s.
    pub configured_mts: Option<u32>,
    /// Data width in bits (64 for a DDR4 or DDR5 DIMM); None when unknown.
    pub data_width_bits: Option<u32>,
    /// "Device Locator" ("CPU0_DIMM_A1", "DIMM 0", "PROC 1 DIMM 3").
    pub locator: String,
    /// "Bank Locator" ("P0 CHANNEL A", "BANK 0", "NODE 1").
    pub bank_locator: String,
    /// SMBIOS memory type ("DDR4", "DDR5", "LPDDR5", "HBM3", or the code).
    pub memory_type: String,
}

/// Every populated memory device, or why none can be read: no entries (no
/// SMBIOS, e.g. many VMs) or entries that cannot be read (not root).
pub fn devices(root: &SysRoot) -> Fact<Vec<Device>> {
    let names: Vec<String> = root.list_dir(ENTRIES).into_iter().filter(|n| n.starts_with("17-")).collect();
    if names.is_empty() {
        return Fact::unknown(format!(
            "{}: no SMBIOS memory device entries (17-*): no DMI tables here",
            root.path(ENTRIES).display()
        ));
    }
    let mut devices = Vec::with_capacity(names.len());
    for name in &names {
        let path = root.path(&format!("{ENTRIES}/{name}/raw"));
        match std::fs::read(&path) {
            Ok(raw) => devices.extend(parse_type17(&raw).filter(|(populated, _)| *populated).map(|(_, d)| d)),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Fact::unknown(format!("{}: {e} (root only)", path.display()))
            }
            Err(e) => return Fact::unknown(format!("{}: {e}", path.display())),
        }
    }
    Fact::Known(devices)
}

/// The populated count and slowest speed of [`devices`]; both unknown, with
/// the reason, when the devices are.
pub fn memory_devices(root: &SysRoot) -> MemoryDevices {
    match devices(root) {
        Fact::Known(populated) => MemoryDevices {
            populated: Fact::Known(populated.len() as u32),
            speed_mts: match populated.iter().filter_map(|d| d.configured_mts).min() {
                Some(s) => Fact::Known(s),
                None if populated.is_empty() => Fact::unknown("no populated memory device in SMBIOS"),
                None => Fact::unknown("no populated memory device reports a configured speed"),
            },
        },
        Fact::Unknown { unknown } => {
            MemoryDevices { populated: Fact::unknown(unknown.clone()), speed_mts: Fact::unknown(unknown) }
        }
    }
}

/// Parses a type 17 structure (its formatted area, then its strings):
/// whether the slot is populated, and the device; None when it is not a
/// type 17 structure. Offsets (SMBIOS 3.x, DSP0134 7.18): 0x0A data width,
/// 0x0C size (0: empty slot), 0x10 device locator and 0x11 bank locator
/// (string numbers), 0x12 memory type, 0x15 speed, 0x20 configured speed,
/// 0x54 and 0x58 their extended forms when the word is 0xFFFF.
fn parse_type17(raw: &[u8]) -> Option<(bool, Device)> {
    if raw.len() < 2 || raw[0] != 17 {
        return None;
    }
    let length = usize::from(raw[1]).min(raw.len());
    let byte = |at: usize| (at < length).then(|| raw[at]);
    let word = |at: usize| (at + 2 <= length).then(|| u16::from_le_bytes([raw[at], raw[at + 1]]));
    let dword =
        |at: usize| (at + 4 <= length).then(|| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]));
    let speed = |at: usize, extended: usize| match word(at)? {
        0 => None,
        0xFFFF => dword(extended).map(|s| s & 0x7FFF_FFFF).filter(|&s| s > 0),
        s => Some(u32::from(s)),
    };
    let strings: Vec<String> = raw[length..]
        .split(|&b| b == 0)
        .take_while(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into())
        .collect();
    let string = |at: usize| {
        byte(at).and_then(|n| strings.get(usize::from(n).checked_sub(1)?)).map_or_else(String::new, |s| s.trim().into())
    };
    let populated = word(0x0C).is_some_and(|size| size != 0);
    Some((
        populated,
        Device {
            configured_mts: speed(0x20, 0x58).or_else(|| speed(0x15, 0x54)),
            data_width_bits: word(0x0A).filter(|&w| w != 0 && w != 0xFFFF).map(u32::from),
            locator: string(0x10),
            bank_locator: string(0x11),
            memory_type: byte(0x12).map_or_else(|| "unknown".into(), memory_type),
        },
    ))
}

/// The SMBIOS memory type code's name (DSP0134 7.18.2).
fn memory_type(code: u8) -> String {
    match code {
        0x18 => "DDR3".into(),
        0x1A => "DDR4".into(),
        0x1B => "LPDDR".into(),
        0x1C => "LPDDR2".into(),
        0x1D => "LPDDR3".into(),
        0x1E => "LPDDR4".into(),
        0x20 => "HBM".into(),
        0x21 => "HBM2".into(),
        0x22 => "DDR5".into(),
        0x23 => "LPDDR5".into(),
        0x24 => "HBM3".into(),
        other => format!("type 0x{other:02X}"),
    }
}

/// Test helpers: a type 17 structure as firmware writes it, and a fixture
/// tree of them.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A type 17 structure of `length` formatted bytes (0x5C for SMBIOS
    /// 3.x) with size, speeds, a DDR5 type, a 64-bit data width and the
    /// two locator strings.
    pub(crate) fn type17(length: u8, size: u16, speed: u16, configured: u16, locators: (&str, &str)) -> Vec<u8> {
        let mut raw = vec![0u8; usize::from(length)];
        raw[0] = 17;
        raw[1] = length;
        raw[0x0A..0x0C].copy_from_slice(&64u16.to_le_bytes());
        raw[0x0C..0x0E].copy_from_slice(&size.to_le_bytes());
        raw[0x10] = 1;
        raw[0x11] = 2;
        raw[0x12] = 0x22;
        raw[0x15..0x17].copy_from_slice(&speed.to_le_bytes());
        if length > 0x21 {
            raw[0x20..0x22].copy_from_slice(&configured.to_le_bytes());
        }
        raw.extend_from_slice(format!("{}\0{}\0\0", locators.0, locators.1).as_bytes());
        raw
    }

    /// A fixture root holding `entries` as /sys/firmware/dmi/entries/17-N/raw.
    pub(crate) fn tree(name: &str, entries: &[Vec<u8>]) -> SysRoot {
        let dir = std::env::temp_dir().join(format!("hwbench-dmi-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (i, raw) in entries.iter().enumerate() {
            let entry = dir.join(format!("sys/firmware/dmi/entries/17-{i}"));
            std::fs::create_dir_all(&entry).unwrap();
            std::fs::write(entry.join("raw"), raw).unwrap();
        }
        // Other structure types sit beside them and are ignored.
        std::fs::create_dir_all(dir.join("sys/firmware/dmi/entries/16-0")).unwrap();
        SysRoot::new(dir)
    }

    #[test]
    fn counts_populated_devices_and_takes_the_slowest_configured_speed() {
        let slot = ("DIMM_A1", "BANK 0");
        let root = tree(
            "mixed",
            &[
                type17(0x5C, 0x8000, 4800, 4800, slot),
                type17(0x5C, 0x8000, 4800, 4400, slot),
                type17(0x5C, 0, 0, 0, slot), // an empty slot
                type17(0x1C, 0x4000, 3200, 0, slot),
            ],
        );
        let m = memory_devices(&root);
        assert_eq!(m.populated, Fact::Known(3));
        assert_eq!(m.speed_mts, Fact::Known(3200), "the old structure (no configured speed) gives its rated speed");
        std::fs::remove_dir_all(root.root()).unwrap();
    }

    #[test]
    fn a_device_reads_with_its_width_type_and_locators() {
        let raw = type17(0x5C, 0x8000, 5600, 4800, ("CPU1_DIMM_C1", "P1 CHANNEL C"));
        let (populated, device) = parse_type17(&raw).unwrap();
        assert!(populated);
        assert_eq!(
            device,
            Device {
                configured_mts: Some(4800),
                data_width_bits: Some(64),
                locator: "CPU1_DIMM_C1".into(),
                bank_locator: "P1 CHANNEL C".into(),
                memory_type: "DDR5".into(),
            }
        );
    }

    #[test]
    fn extended_speeds_are_read_when_the_word_says_so() {
        let mut raw = type17(0x5C, 0x8000, 0xFFFF, 0xFFFF, ("A1", ""));
        raw[0x54..0x58].copy_from_slice(&70000u32.to_le_bytes());
        raw[0x58..0x5C].copy_from_slice(&68000u32.to_le_bytes());
        assert_eq!(parse_type17(&raw).unwrap().1.configured_mts, Some(68000));
        assert_eq!(parse_type17(&[16, 4, 0, 0]), None, "not a memory device");
    }

    #[test]
    fn no_entries_is_unknown_with_the_reason() {
        let m = memory_devices(&SysRoot::new("/nonexistent-root"));
        assert!(matches!(&m.populated, Fact::Unknown { unknown } if unknown.contains("no DMI tables")), "{m:?}");
        assert!(m.speed_mts.known().is_none());
    }
}
