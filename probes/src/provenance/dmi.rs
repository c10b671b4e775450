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

/// Reads every type 17 entry. Both facts are unknown, with the reason,
/// when there are no entries (no SMBIOS, e.g. many VMs) or they cannot be
/// read (not root).
pub fn memory_devices(root: &SysRoot) -> MemoryDevices {
    let names: Vec<String> = root.list_dir(ENTRIES).into_iter().filter(|n| n.starts_with("17-")).collect();
    let unknown = |why: String| MemoryDevices { populated: Fact::unknown(why.clone()), speed_mts: Fact::unknown(why) };
    if names.is_empty() {
        return unknown(format!(
            "{}: no SMBIOS memory device entries (17-*): no DMI tables here",
            root.path(ENTRIES).display()
        ));
    }
    let mut devices = Vec::with_capacity(names.len());
    for name in &names {
        let path = root.path(&format!("{ENTRIES}/{name}/raw"));
        match std::fs::read(&path) {
            Ok(raw) => devices.push(parse_type17(&raw)),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return unknown(format!("{}: {e} (root only)", path.display()))
            }
            Err(e) => return unknown(format!("{}: {e}", path.display())),
        }
    }
    let populated: Vec<&Device> = devices.iter().flatten().filter(|d| d.populated).collect();
    let speed = populated.iter().filter_map(|d| d.configured_mts).min();
    MemoryDevices {
        populated: Fact::Known(populated.len() as u32),
        speed_mts: match speed {
            Some(s) => Fact::Known(s),
            None if populated.is_empty() => Fact::unknown("no populated memory device in SMBIOS"),
            None => Fact::unknown("no populated memory device reports a configured speed"),
        },
    }
}

/// One SMBIOS type 17 structure, as far as the diagnosis needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Device {
    populated: bool,
    /// Configured memory speed (SMBIOS 2.7+), else the rated speed, MT/s.
    configured_mts: Option<u32>,
}

/// Parses the formatted area of a type 17 structure; None when it is not one.
/// Offsets (SMBIOS 3.x, DSP0134 7.18): 0x0C size (0: empty slot), 0x15
/// speed, 0x20 configured speed, 0x54 and 0x58 their extended forms when the
/// word is 0xFFFF.
fn parse_type17(raw: &[u8]) -> Option<Device> {
    if raw.len() < 2 || raw[0] != 17 {
        return None;
    }
    let length = usize::from(raw[1]).min(raw.len());
    let word = |at: usize| (at + 2 <= length).then(|| u16::from_le_bytes([raw[at], raw[at + 1]]));
    let dword =
        |at: usize| (at + 4 <= length).then(|| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]));
    let speed = |at: usize, extended: usize| match word(at)? {
        0 => None,
        0xFFFF => dword(extended).map(|s| s & 0x7FFF_FFFF).filter(|&s| s > 0),
        s => Some(u32::from(s)),
    };
    let populated = word(0x0C).is_some_and(|size| size != 0);
    Some(Device { populated, configured_mts: speed(0x20, 0x58).or_else(|| speed(0x15, 0x54)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type 17 formatted area of `length` bytes with size, speed and
    /// configured speed words set.
    fn type17(length: u8, size: u16, speed: u16, configured: u16) -> Vec<u8> {
        let mut raw = vec![0u8; usize::from(length)];
        raw[0] = 17;
        raw[1] = length;
        raw[0x0C..0x0E].copy_from_slice(&size.to_le_bytes());
        raw[0x15..0x17].copy_from_slice(&speed.to_le_bytes());
        if length > 0x21 {
            raw[0x20..0x22].copy_from_slice(&configured.to_le_bytes());
        }
        raw.extend_from_slice(b"DIMM_A1\0\0");
        raw
    }

    fn tree(name: &str, entries: &[Vec<u8>]) -> SysRoot {
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
        let root = tree(
            "mixed",
            &[
                type17(0x5C, 0x8000, 4800, 4800),
                type17(0x5C, 0x8000, 4800, 4400),
                type17(0x5C, 0, 0, 0), // an empty slot
                type17(0x1C, 0x4000, 3200, 0),
            ],
        );
        let m = memory_devices(&root);
        assert_eq!(m.populated, Fact::Known(3));
        assert_eq!(m.speed_mts, Fact::Known(3200), "the old structure (no configured speed) gives its rated speed");
    }

    #[test]
    fn extended_speeds_are_read_when_the_word_says_so() {
        let mut raw = type17(0x5C, 0x8000, 0xFFFF, 0xFFFF);
        raw[0x54..0x58].copy_from_slice(&70000u32.to_le_bytes());
        raw[0x58..0x5C].copy_from_slice(&68000u32.to_le_bytes());
        assert_eq!(parse_type17(&raw), Some(Device { populated: true, configured_mts: Some(68000) }));
        assert_eq!(parse_type17(&[16, 4, 0, 0]), None, "not a memory device");
    }

    #[test]
    fn no_entries_is_unknown_with_the_reason() {
        let m = memory_devices(&SysRoot::new("/nonexistent-root"));
        assert!(matches!(&m.populated, Fact::Unknown { unknown } if unknown.contains("no DMI tables")), "{m:?}");
        assert!(m.speed_mts.known().is_none());
    }
}
