//! The DRAM bandwidth the populated memory channels can move: channels x
//! MT/s x bytes per transfer, from the SMBIOS type 17 memory devices,
//! grouped per socket where the locators name one and shared among the
//! socket's NUMA nodes.

use std::collections::{BTreeMap, BTreeSet};

use hwbench_schema::{Fact, Limit, Topology};

use crate::provenance::dmi::Device;
use crate::sysroot::format_list;

/// The DRAM limit of one NUMA node with CPUs.
#[derive(Debug, Clone, PartialEq)]
pub struct DramPeak {
    /// OS index of the node.
    pub node: u32,
    /// GB/s with its derivation.
    pub limit: Limit,
}

/// The DRAM limit of every node with CPUs, or why it cannot be derived.
pub fn dram_peaks(devices: &Fact<Vec<Device>>, topology: &Topology) -> Fact<Vec<DramPeak>> {
    let devices = match devices {
        Fact::Known(d) => d,
        Fact::Unknown { unknown } => return Fact::unknown(unknown.clone()),
    };
    let timed: Vec<&Device> = devices.iter().filter(|d| d.configured_mts.is_some()).collect();
    if timed.is_empty() {
        return Fact::unknown(if devices.is_empty() {
            "SMBIOS lists no populated memory device".to_string()
        } else {
            "no populated SMBIOS memory device reports its speed".to_string()
        });
    }
    let packages = topology.packages.max(1);
    let sockets = socket_numbers(&timed, packages);
    let channels: Vec<Option<String>> = timed.iter().map(|d| channel_of(d)).collect();
    let named = channels.iter().all(Option::is_some);
    // socket -> (channels, slowest MT/s, bytes per transfer, devices)
    let mut groups: BTreeMap<u32, (BTreeSet<String>, u32, u32, usize)> = BTreeMap::new();
    for (i, d) in timed.iter().enumerate() {
        let socket = sockets.as_ref().map_or(0, |s| s[i]);
        let entry = groups.entry(socket).or_insert((BTreeSet::new(), u32::MAX, 0, 0));
        entry.0.insert(channels[i].clone().unwrap_or_else(|| format!("device {i}")));
        entry.1 = entry.1.min(d.configured_mts.unwrap_or(u32::MAX));
        entry.2 = entry.2.max(d.data_width_bits.unwrap_or(64) / 8);
        entry.3 += 1;
    }
    let kinds: BTreeSet<&str> = timed.iter().map(|d| d.memory_type.as_str()).collect();
    let kinds = kinds.into_iter().collect::<Vec<_>>().join("/");
    let channel_note = if named {
        "channels as the locators name them"
    } else {
        "the locators name no channel: each populated device counted as its own channel (an upper bound where a \
         channel holds two)"
    };
    let node_sockets = node_sockets(topology);
    let mut peaks = Vec::new();
    for (&socket, (chans, mts, bytes, count)) in &groups {
        let gbps = chans.len() as f64 * f64::from(*mts) * f64::from(*bytes) / 1e3;
        let nodes: Vec<u32> = match &sockets {
            Some(_) => node_sockets.iter().filter(|(_, s)| *s == socket).map(|(n, _)| *n).collect(),
            None => node_sockets.iter().map(|(n, _)| *n).collect(),
        };
        if nodes.is_empty() {
            continue;
        }
        let whose = match &sockets {
            Some(_) => format!("socket {socket}"),
            None if packages > 1 => "the machine (the locators name no socket)".to_string(),
            None => "the machine".to_string(),
        };
        let share = if nodes.len() > 1 {
            format!(", shared evenly by its nodes {} (1/{} each)", format_list(&nodes), nodes.len())
        } else {
            String::new()
        };
        for &node in &nodes {
            let value = gbps / nodes.len() as f64;
            peaks.push(DramPeak {
                node,
                limit: Limit {
                    value,
                    unit: "GB/s".into(),
                    derivation: format!(
                        "{whose}: {} channels x {mts} MT/s x {bytes} B = {gbps:.1} GB/s{share} (SMBIOS type 17: \
                         {count} populated {kinds} devices; {channel_note})",
                        chans.len()
                    ),
                },
            });
        }
    }
    peaks.sort_by_key(|p| p.node);
    Fact::Known(peaks)
}

/// The socket of each device, numbered like hwloc's packages (from 0),
/// when every locator names one within the machine's packages; None when
/// they do not (then the devices are the machine's, not a socket's).
fn socket_numbers(devices: &[&Device], packages: u32) -> Option<Vec<u32>> {
    if packages == 1 {
        return Some(vec![0; devices.len()]);
    }
    let named: Option<Vec<u32>> = devices.iter().map(|d| socket_of(d)).collect();
    let named = named?;
    let (low, high) = (*named.iter().min()?, *named.iter().max()?);
    // "CPU0/CPU1" count from 0, "PROC 1/PROC 2" from 1.
    let base = if high == packages && low >= 1 { 1 } else { 0 };
    (high - base < packages).then(|| named.iter().map(|s| s - base).collect())
}

/// The upper-case alphanumeric words of a device's locators.
fn words(d: &Device) -> Vec<String> {
    format!("{} {}", d.locator, d.bank_locator)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The socket a locator names: "CPU1_DIMM_A1", "P1-DIMMA1", "P0 CHANNEL
/// A", "PROC 2 DIMM 4", "SOCKET 0".
fn socket_of(d: &Device) -> Option<u32> {
    let words = words(d);
    words.iter().enumerate().find_map(|(i, w)| {
        let prefix = ["CPU", "PROC", "SOCKET", "P"].into_iter().find(|p| w.starts_with(p))?;
        let rest = &w[prefix.len()..];
        if rest.is_empty() && prefix != "P" {
            words.get(i + 1)?.parse().ok()
        } else {
            rest.parse().ok()
        }
    })
}

/// The channel a locator names: "CHANNEL A" / "CH A" in the bank locator,
/// "DIMM_A1" or "DIMMA1" (channel A, slot 1). None where it names none
/// ("DIMM 3", Dell's "A1" for socket A).
fn channel_of(d: &Device) -> Option<String> {
    let words = words(d);
    let socket = socket_of(d).map_or_else(String::new, |s| format!("{s}/"));
    words.iter().enumerate().find_map(|(i, w)| {
        let letter = if w == "CHANNEL" || w == "CH" {
            words.get(i + 1).cloned()
        } else if let Some(rest) = w.strip_prefix("DIMM") {
            let rest = if rest.is_empty() { words.get(i + 1)?.as_str() } else { rest };
            let first = rest.chars().next().filter(char::is_ascii_alphabetic)?;
            rest[1..].chars().all(|c| c.is_ascii_digit()).then(|| first.to_string())
        } else {
            None
        }?;
        Some(format!("{socket}{letter}"))
    })
}

/// (node, socket) of every node with CPUs: the package of its first CPU.
fn node_sockets(topology: &Topology) -> Vec<(u32, u32)> {
    topology
        .nodes
        .iter()
        .filter(|n| !n.cpu_less)
        .filter_map(|n| {
            let cpu = *n.cpus.first()?;
            topology.cores.iter().find(|c| c.pus.contains(&cpu)).map(|c| (n.os_index, c.package))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::dmi::tests::{tree, type17};
    use crate::SysRoot;
    use std::path::Path;

    fn fixture(name: &str) -> Topology {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sysfs").join(name);
        crate::topology::probe(&SysRoot::new(root)).unwrap()
    }

    fn device(mts: u32, locator: &str, bank: &str) -> Device {
        Device {
            configured_mts: Some(mts),
            data_width_bits: Some(64),
            locator: locator.into(),
            bank_locator: bank.into(),
            memory_type: "DDR5".into(),
        }
    }

    /// 2 sockets x 8 channels of DDR5-4800, one DIMM per channel, read from
    /// SMBIOS structures as firmware writes them: 614.4 GB/s, half per socket.
    #[test]
    fn two_sockets_of_eight_ddr5_4800_channels_give_614_gbps() {
        let entries: Vec<Vec<u8>> = (0..2)
            .flat_map(|socket| {
                "ABCDEFGH".chars().map(move |ch| {
                    type17(0x5C, 0x8000, 5600, 4800, (&format!("CPU{socket}_DIMM_{ch}1"), &format!("P{socket}_NODE0")))
                })
            })
            .collect();
        let root = tree("two-sockets", &entries);
        let devices = crate::provenance::dmi::devices(&root);
        let peaks = dram_peaks(&devices, &fixture("two-socket-cxl")).known().cloned().unwrap();
        assert_eq!(peaks.iter().map(|p| p.node).collect::<Vec<_>>(), [0, 1]);
        for p in &peaks {
            assert!((p.limit.value - 307.2).abs() < 1e-9, "{p:?}");
            assert!(p.limit.derivation.contains("8 channels x 4800 MT/s x 8 B = 307.2 GB/s"), "{}", p.limit.derivation);
        }
        let total: f64 = peaks.iter().map(|p| p.limit.value).sum();
        assert!((total - 614.4).abs() < 1e-9);
        std::fs::remove_dir_all(root.root()).unwrap();
    }

    #[test]
    fn two_dimms_per_channel_count_once_and_the_slowest_speed_rules() {
        let t = fixture("hbm-cxl");
        let devices = Fact::Known(vec![
            device(4800, "DIMM_A1", "BANK 0"),
            device(4400, "DIMM_A2", "BANK 0"),
            device(4800, "DIMM_B1", "BANK 1"),
        ]);
        let peaks = dram_peaks(&devices, &t).known().cloned().unwrap();
        assert_eq!(peaks.len(), 1);
        assert!((peaks[0].limit.value - 2.0 * 4400.0 * 8.0 / 1e3).abs() < 1e-9, "{:?}", peaks[0]);
        assert!(peaks[0].limit.derivation.contains("channels as the locators name them"));
    }

    #[test]
    fn locators_without_channels_count_devices_and_say_so() {
        let t = fixture("hbm-cxl");
        let devices = Fact::Known(vec![device(3200, "DIMM 1", ""), device(3200, "DIMM 2", "")]);
        let peak = &dram_peaks(&devices, &t).known().cloned().unwrap()[0];
        assert!((peak.limit.value - 51.2).abs() < 1e-9);
        assert!(peak.limit.derivation.contains("upper bound"), "{}", peak.limit.derivation);
    }

    #[test]
    fn sockets_numbered_from_one_and_amd_bank_locators() {
        let t = fixture("two-socket-cxl");
        let devices = Fact::Known(vec![
            device(3200, "DIMM 0", "P0 CHANNEL A"),
            device(3200, "DIMM 0", "P0 CHANNEL B"),
            device(3200, "DIMM 0", "P1 CHANNEL A"),
        ]);
        let peaks = dram_peaks(&devices, &t).known().cloned().unwrap();
        assert!((peaks[0].limit.value - 51.2).abs() < 1e-9 && (peaks[1].limit.value - 25.6).abs() < 1e-9);
        let hpe = Fact::Known(vec![device(2933, "PROC 1 DIMM 1", ""), device(2933, "PROC 2 DIMM 1", "")]);
        let peaks = dram_peaks(&hpe, &t).known().cloned().unwrap();
        assert!(peaks[1].limit.derivation.starts_with("socket 1:"), "{}", peaks[1].limit.derivation);
    }

    #[test]
    fn no_devices_is_unknown_with_the_reason() {
        let t = fixture("hbm-cxl");
        let none = dram_peaks(&Fact::unknown("no DMI tables here"), &t);
        assert!(matches!(none, Fact::Unknown { unknown } if unknown.contains("no DMI tables")));
        assert!(dram_peaks(&Fact::Known(Vec::new()), &t).known().is_none());
    }
}
